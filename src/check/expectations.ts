/**
 * The expectations of a tree as the runner checks them: read from the Rust model (which
 * validated them and kept the position of each), with each `matches` compiled here, since it is
 * a JavaScript regular expression.
 */
import type { SpecIssue } from '../errors.js';
import { modelSync } from '../model/node-loader.js';

/** Where a tree.json states an expectation. */
export interface Where {
  /** The namespace it is about (for the tree: the root). */
  readonly node: string;
  /** `tree`, a `namespace`, or a `process` (named `process`; `init` for your own PID 1). */
  readonly subject: 'tree' | 'namespace' | 'process';
  readonly process?: string;
  /** JSON path of the value, e.g. `$.processes[0].expect.exitCode`. */
  readonly path: string;
  /** Its position in the file (absent for a spec given as an object). */
  readonly line?: number;
  readonly column?: number;
  /**
   * Not written in the file, but checked: `always` (the tree runs as declared), `timeout` (the
   * `--timeout` bound of a tree without `within`), `noExpect` (a tree that states nothing must
   * exit 0). The first two are reported only when they fail.
   */
  readonly implicit?: 'always' | 'timeout' | 'noExpect';
}

export type Check =
  /** A process exits with one of these codes. */
  | { readonly kind: 'exitCode'; readonly codes: readonly number[] }
  /** The tree's exit status is one of these. */
  | { readonly kind: 'code'; readonly codes: readonly number[] }
  | { readonly kind: 'signal'; readonly signal: string }
  | {
      readonly kind: 'output';
      readonly stream: 'stdout' | 'stderr';
      readonly match: 'contains';
      readonly value: string;
    }
  /** A JavaScript regular expression, run with MATCH_FLAGS. */
  | { readonly kind: 'output'; readonly stream: 'stdout' | 'stderr'; readonly match: 'matches'; readonly value: string }
  | {
      readonly kind: 'output';
      readonly stream: 'stdout' | 'stderr';
      readonly match: 'lines';
      readonly value: readonly string[];
    }
  | { readonly kind: 'within'; readonly ms: number }
  | { readonly kind: 'zombies'; readonly bound: 'max' | 'atEnd'; readonly count: number }
  | { readonly kind: 'reaped'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'processesSeen'; readonly count: number }
  /** The tree ran as declared: no `error` event (implicit, always checked). */
  | { readonly kind: 'ranAsDeclared' };

/** One expectation: what is checked, and where the file says so. */
export type Expectation = Where & Check;

/** The flags every `matches` runs with: `^` and `$` match at each line. */
export const MATCH_FLAGS = 'm';

/** `Target` of a process: `root/a:worker`. */
export function targetOf(e: Where): string {
  return e.subject === 'process' ? `${e.node}:${e.process ?? ''}` : e.node;
}

/** The position of the first value of a JSON text (the root object), 1-based, as the model counts. */
export function rootPosition(text: string): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (const ch of text.startsWith('\uFEFF') ? text.slice(1) : text) {
    if (ch === '\n') {
      line += 1;
      column = 1;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') column += 1;
    else break;
  }
  return { line, column };
}

/**
 * The expectations of a spec text that `checkSpecText` accepted, with the problems of its
 * regular expressions (which only JavaScript can judge), each at its path and position.
 */
export function readExpectations(
  text: string,
  positions: boolean,
): { expectations: Expectation[]; issues: SpecIssue[] } {
  const raw = JSON.parse(modelSync().expectationsJson(text)) as (Where & Check)[];
  const issues: SpecIssue[] = [];
  const expectations = raw.map((e): Expectation => {
    if (e.kind === 'output' && e.match === 'matches') {
      try {
        new RegExp(e.value, MATCH_FLAGS);
      } catch (error) {
        issues.push({
          kind: 'invalid',
          path: e.path,
          ...(e.line === undefined ? {} : { line: e.line, column: e.column }),
          message: `not a valid regular expression: ${(error instanceof Error ? error.message : String(error)).replace(/^Invalid regular expression: /, '')}`,
          hint: 'this is a JavaScript regular expression: escape special characters with \\\\ (e.g. "\\\\(" for a parenthesis)',
        });
      }
    }
    if (positions) return e;
    const { line: _line, column: _column, ...rest } = e;
    return rest;
  });
  return { expectations, issues };
}
