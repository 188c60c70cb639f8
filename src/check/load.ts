/**
 * A tree to test: its checked plan and its expectations, the stated ones and the implicit ones
 * (it runs as declared; it ends within the default bound; a tree that states nothing exits 0).
 */
import { readFileSync } from 'node:fs';

import { PidnsTreeError } from '../errors.js';
import { checkSpecText, type Plan, type TreeSpec } from '../spec.js';
import { readExpectations, rootPosition, type Expectation } from './expectations.js';

export interface LoadedTree {
  /** How reports name it: the file as given, or `the spec` for an object. */
  readonly source: string;
  /** The file positions refer to (absent for a spec given as an object). */
  readonly file?: string;
  readonly plan: Plan;
  /** The stated expectations, in document order. */
  readonly expectations: readonly Expectation[];
  /** Where implicit expectations point: the root object. */
  readonly root: { readonly line?: number; readonly column?: number };
}

function load(text: string, source: string, file: string | undefined): LoadedTree {
  const plan = checkSpecText(text, source);
  const { expectations, issues } = readExpectations(text, file !== undefined);
  if (issues.length > 0) {
    const count = issues.length;
    throw new PidnsTreeError(
      'INVALID_SPEC',
      `${source} is not a valid tree (${count} ${count === 1 ? 'problem' : 'problems'})`,
      issues,
    );
  }
  const root = file === undefined ? {} : rootPosition(text);
  return { source, ...(file === undefined ? {} : { file }), plan, expectations, root };
}

/** Reads and checks a tree.json; throws PidnsTreeError (SPEC_UNREADABLE, INVALID_SPEC, DEPTH_LIMIT). */
export function loadFile(file: string): LoadedTree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason =
      error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : String(error);
    throw new PidnsTreeError('SPEC_UNREADABLE', `cannot read ${file}: ${reason}`);
  }
  return load(text, file, file);
}

/** Checks a spec given as an object: its expectations have paths but no positions. */
export function loadSpec(spec: TreeSpec): LoadedTree {
  return load(JSON.stringify(spec), 'the spec', undefined);
}

/** Every expectation checked for a run: the stated ones and the implicit ones. */
export function expectationsToCheck(tree: LoadedTree, timeoutMs: number): Expectation[] {
  const root = tree.plan.nodes[0]?.path ?? '';
  const at = { node: root, subject: 'tree' as const, path: '$', ...tree.root };
  const implicit: Expectation[] = [{ ...at, kind: 'ranAsDeclared', implicit: 'always' }];
  if (!tree.expectations.some((e) => e.subject === 'tree' && e.kind === 'within')) {
    implicit.push({ ...at, kind: 'within', ms: timeoutMs, implicit: 'timeout' });
  }
  if (tree.expectations.length === 0) implicit.push({ ...at, kind: 'code', codes: [0], implicit: 'noExpect' });
  return [...tree.expectations, ...implicit];
}
