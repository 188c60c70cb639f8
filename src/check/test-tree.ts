/**
 * `testTree(spec | 'tree.json')`: runs a tree and checks its expectations (`expect`), with the
 * same results `pidns-tree test` reports, as data.
 */
import { PidnsTreeError } from '../errors.js';
import type { TreeSpec } from '../spec.js';
import { loadFile, loadSpec, type LoadedTree } from './load.js';
import type { TreeResult } from './results.js';
import { runTree, type RunOptions } from './run-tree.js';

export type TestTreeOptions = RunOptions;

/** A file that is not a valid tree, as a result: every problem, with its position. */
export function invalidResult(source: string, error: PidnsTreeError): TreeResult {
  return { source, name: '', status: 'invalid', durationMs: 0, results: [], issues: error.issues, note: error.message };
}

/** Whether an error says the file is not a tree to run (rather than that nothing can run here). */
export function isInvalidFile(error: unknown): error is PidnsTreeError {
  return (
    error instanceof PidnsTreeError &&
    (error.code === 'INVALID_SPEC' || error.code === 'DEPTH_LIMIT' || error.code === 'SPEC_UNREADABLE')
  );
}

/** Reads and checks a tree.json (or a spec object) for a test run; an invalid one is a result. */
export function loadForTest(spec: TreeSpec | string): LoadedTree | TreeResult {
  try {
    return typeof spec === 'string' ? loadFile(spec) : loadSpec(spec);
  } catch (error) {
    if (isInvalidFile(error)) return invalidResult(typeof spec === 'string' ? spec : 'the spec', error);
    throw error;
  }
}

/**
 * Runs the tree (a spec object or a tree.json path), stops it at its bounds, and resolves with
 * every expectation judged: what was expected, what happened, and where the file says so. A
 * file that is not a valid tree resolves with status `invalid` and its problems. Rejects with a
 * PidnsTreeError only when no tree can run here (NO_PRIVILEGE, NO_USERNS, NATIVE_MISSING).
 */
export async function testTree(spec: TreeSpec | string, options: TestTreeOptions = {}): Promise<TreeResult> {
  const loaded = loadForTest(spec);
  return 'plan' in loaded ? runTree(loaded, options) : loaded;
}
