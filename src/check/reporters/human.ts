/**
 * The human reporter: each tree, each expectation with ✔ or ✖, and for a failure what happened
 * and where the file states it (file:line:column, which terminals and editors open).
 */
import { seconds } from '../evaluate.js';
import { whereOf, type Totals, type TreeResult } from '../results.js';
import type { Destination, Reporter, RunInfo } from './reporter.js';

export interface Colours {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

const plain: Colours = { green: (t) => t, red: (t) => t, yellow: (t) => t, dim: (t) => t };
const ansi: Colours = {
  green: (t) => `\u001b[32m${t}\u001b[39m`,
  red: (t) => `\u001b[31m${t}\u001b[39m`,
  yellow: (t) => `\u001b[33m${t}\u001b[39m`,
  dim: (t) => `\u001b[2m${t}\u001b[22m`,
};

/** Colours only on a terminal, and never with NO_COLOR (no-color.org), as `spawn`. */
export function coloursFor(out: Destination): Colours {
  return out.name === 'standard output' && process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined
    ? ansi
    : plain;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `trees: 2 passed, 1 failed` and the like: counts that are 0 are left out, except passed and failed. */
export function summaryLines(t: Totals, jobs: number): string[] {
  const trees = [`${t.trees.passed} passed`, `${t.trees.failed} failed`];
  if (t.trees.invalid > 0) trees.push(`${t.trees.invalid} invalid`);
  if (t.trees.skipped > 0) trees.push(`${t.trees.skipped} skipped`);
  return [
    `trees: ${trees.join(', ')} (${seconds(t.durationMs)}, ${count(jobs, 'job')})`,
    `expectations: ${t.expectations.passed} passed, ${t.expectations.failed} failed`,
  ];
}

export class HumanReporter implements Reporter {
  readonly #out: Destination;
  readonly #c: Colours;
  #jobs = 1;

  constructor(out: Destination) {
    this.#out = out;
    this.#c = coloursFor(out);
  }

  start(info: RunInfo): void {
    this.#jobs = info.jobs;
    const n = info.files.length;
    this.#out.write(`pidns-tree test: ${count(n, 'tree')}, ${Math.min(info.jobs, n)} at a time\n\n`);
  }

  tree(r: TreeResult): void {
    const c = this.#c;
    const lines: string[] = [];
    if (r.status === 'invalid') {
      const note = r.note ?? 'is not a valid tree';
      lines.push(`${c.red('✖')} ${note.startsWith(r.source) ? note : `${r.source}: ${note}`}`);
      for (const issue of r.issues) {
        const where = issue.line === undefined ? r.source : `${r.source}:${issue.line}:${issue.column ?? 1}`;
        lines.push(`    ${where}  ${c.dim(issue.path)}`, `      ${issue.message}`);
        if (issue.hint !== undefined) lines.push(`      hint: ${issue.hint}`);
      }
    } else if (r.status === 'skipped' && r.results.length === 0) {
      lines.push(`${c.yellow('-')} ${r.source}: skipped${r.note === undefined ? '' : ` (${r.note})`}`);
    } else {
      const mark = r.status === 'passed' ? c.green('✔') : c.red('✖');
      lines.push(`${mark} ${r.source} ${c.dim(`· ${r.name} · ${seconds(r.durationMs)}`)}`);
      if (r.note !== undefined) lines.push(`    ${c.yellow(r.note)}`);
      for (const e of r.results) {
        const where = whereOf(r, e.expectation);
        if (e.passed) {
          lines.push(`    ${c.green('✔')} ${e.title}  ${c.dim(where)}`);
        } else {
          lines.push(`    ${c.red('✖')} ${e.title}`);
          lines.push(`        got: ${e.actual}`);
          lines.push(`        at:  ${where}  ${c.dim(e.expectation.path)}`);
        }
      }
    }
    this.#out.write(`${lines.join('\n')}\n`);
  }

  end(t: Totals): void {
    const [trees, expectations] = summaryLines(t, this.#jobs);
    const failed = t.trees.failed + t.trees.invalid > 0;
    this.#out.write(`\n${failed ? this.#c.red(trees ?? '') : trees}\n${expectations}\n`);
    this.#out.close();
  }
}
