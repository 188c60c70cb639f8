/** What `pidns-tree test` and `testTree` report: per tree, per expectation. */
import type { SpecIssue } from '../errors.js';
import type { Expectation } from './expectations.js';

export interface ExpectationResult {
  readonly expectation: Expectation;
  /** `root/a:worker exits with code 0`: the subject and what was expected. */
  readonly title: string;
  readonly passed: boolean;
  /** What was expected, in words. */
  readonly expected: string;
  /** What happened, in words. */
  readonly actual: string;
}

export interface TreeResult {
  /** The file as given, or `the spec` for a spec object. */
  readonly source: string;
  /** The file the expectations' positions refer to. */
  readonly file?: string;
  /** The root namespace's name (empty for an invalid file). */
  readonly name: string;
  /**
   * `passed`: every expectation held. `failed`: one did not. `invalid`: the file is not a valid
   * tree (see `issues`). `skipped`: not run, or stopped before its end (`--bail`, Ctrl-C).
   */
  readonly status: 'passed' | 'failed' | 'invalid' | 'skipped';
  readonly durationMs: number;
  /** Every stated expectation, and the implicit ones that failed. */
  readonly results: readonly ExpectationResult[];
  /** For `invalid`: every problem, with its position. */
  readonly issues: readonly SpecIssue[];
  /** The tree's exit status (as `pidns-tree spawn` would exit), once it ended. */
  readonly code?: number;
  /** Why it was skipped or stopped, or why it is invalid. */
  readonly note?: string;
}

/** `file:line:column` of an expectation, or its path for a spec without a file. */
export function whereOf(tree: Pick<TreeResult, 'source' | 'file'>, e: Expectation): string {
  if (tree.file === undefined || e.line === undefined) return `${tree.source} ${e.path}`;
  return `${tree.file}:${e.line}:${e.column ?? 1}`;
}

export interface Totals {
  readonly trees: { passed: number; failed: number; invalid: number; skipped: number };
  readonly expectations: { passed: number; failed: number };
  readonly durationMs: number;
}

export function totals(results: readonly TreeResult[], durationMs: number): Totals {
  const trees = { passed: 0, failed: 0, invalid: 0, skipped: 0 };
  const expectations = { passed: 0, failed: 0 };
  for (const r of results) {
    trees[r.status] += 1;
    for (const e of r.results) expectations[e.passed ? 'passed' : 'failed'] += 1;
  }
  return { trees, expectations, durationMs };
}
