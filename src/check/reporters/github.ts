/**
 * GitHub Actions: each failure is an `::error` workflow command on standard output, which the
 * runner turns into an annotation on the expectation's line of the tree.json (in the job and
 * on the pull request's diff); at the end a Markdown summary (a table of the trees, and of each
 * tree's expectations) is appended to the file GITHUB_STEP_SUMMARY names.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';

import { seconds } from '../evaluate.js';
import { whereOf, type Totals, type TreeResult } from '../results.js';
import { summaryLines } from './human.js';
import type { Reporter, RunInfo } from './reporter.js';

/** A workflow command's message: `%`, CR and LF escaped (the runner unescapes them). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A Markdown table cell: one line, `|` escaped, HTML not interpreted. */
function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

function code(text: string): string {
  return `<code>${cell(text)}</code>`;
}

/** Below GitHub's limit for a step summary (1 MiB), with room for what other steps write. */
const SUMMARY_LIMIT = 900 * 1024;

export interface GithubOptions {
  /** Paths in annotations are relative to this (GITHUB_WORKSPACE, else the working directory). */
  readonly workspace: string;
  /** The summary file (GITHUB_STEP_SUMMARY); no summary without it. */
  readonly summaryFile: string | undefined;
  readonly write: (text: string) => void;
}

export class GithubReporter implements Reporter {
  readonly #o: GithubOptions;
  #jobs = 1;

  constructor(options: GithubOptions) {
    this.#o = options;
  }

  static fromEnvironment(): GithubReporter {
    return new GithubReporter({
      workspace: process.env['GITHUB_WORKSPACE'] ?? process.cwd(),
      summaryFile: process.env['GITHUB_STEP_SUMMARY'] || undefined,
      write: (text) => process.stdout.write(text),
    });
  }

  /** The file as the repository names it. */
  #file(file: string): string {
    const relative = path.relative(this.#o.workspace, path.resolve(file));
    return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  }

  #annotate(
    file: string | undefined,
    line: number | undefined,
    column: number | undefined,
    title: string,
    message: string,
  ): void {
    const props: string[] = [];
    if (file !== undefined) props.push(`file=${escapeProperty(this.#file(file))}`);
    if (line !== undefined) props.push(`line=${line}`);
    if (column !== undefined) props.push(`col=${column}`);
    props.push(`title=${escapeProperty(title)}`);
    this.#o.write(`::error ${props.join(',')}::${escapeData(message)}\n`);
  }

  start(info: RunInfo): void {
    this.#jobs = info.jobs;
  }

  tree(r: TreeResult): void {
    if (r.status === 'invalid') {
      // The annotation is on the file: its title need not name it again.
      const why = (r.note ?? 'not a valid tree').replace(`${r.source} is `, '');
      if (r.issues.length === 0) this.#annotate(r.source, undefined, undefined, 'pidns-tree: not a valid tree', why);
      for (const i of r.issues) {
        const message = `${i.path}: ${i.message}${i.hint === undefined ? '' : `\nhint: ${i.hint}`}`;
        this.#annotate(r.file ?? r.source, i.line, i.column, `pidns-tree: ${why}`, message);
      }
      return;
    }
    for (const e of r.results) {
      if (e.passed) continue;
      const x = e.expectation;
      const message = `expected: ${e.expected}\ngot: ${e.actual}\n(${x.path})`;
      this.#annotate(r.file, x.line, x.column, `pidns-tree: ${e.title}`, message);
    }
  }

  end(t: Totals, results: readonly TreeResult[]): void {
    if (this.#o.summaryFile === undefined) return;
    // GitHub refuses a step summary above 1 MiB: past that, the trees that passed lose their
    // details, then the table of trees stands alone.
    let text = this.#summary(t, results, 'all');
    if (Buffer.byteLength(text) > SUMMARY_LIMIT) text = this.#summary(t, results, 'failed');
    if (Buffer.byteLength(text) > SUMMARY_LIMIT) text = this.#summary(t, results, 'none');
    appendFileSync(this.#o.summaryFile, text);
  }

  #summary(t: Totals, results: readonly TreeResult[], details: 'all' | 'failed' | 'none'): string {
    const mark = (r: TreeResult): string => (r.status === 'passed' ? '✅' : r.status === 'skipped' ? '⏭️' : '❌');
    const out: string[] = [`## pidns-tree test`, '', ...summaryLines(t, this.#jobs).map((l) => `${l}  `), ''];
    out.push('| | tree | expectations | passed | failed | time |', '| :-: | --- | --: | --: | --: | --: |');
    for (const r of results) {
      const passed = r.results.filter((e) => e.passed).length;
      const failed = r.results.length - passed;
      const what =
        r.status === 'invalid'
          ? 'not a valid tree'
          : r.status === 'skipped'
            ? `skipped: ${r.note ?? ''}`
            : String(r.results.length);
      out.push(
        `| ${mark(r)} | ${code(this.#file(r.source))} | ${cell(what)} | ${passed} | ${failed} | ${seconds(r.durationMs)} |`,
      );
    }
    out.push('');
    if (details !== 'all') {
      out.push(
        `(Details ${details === 'failed' ? 'of the trees that passed' : 'of each tree'} are left out: GitHub takes a summary of at most 1 MiB.)`,
        '',
      );
    }
    for (const r of results) {
      if (details === 'none' || (details === 'failed' && r.status === 'passed')) continue;
      if (r.results.length === 0 && r.issues.length === 0) continue;
      out.push(
        `<details${r.status === 'passed' ? '' : ' open'}><summary>${mark(r)} ${code(this.#file(r.source))}</summary>`,
        '',
      );
      if (r.status === 'invalid') {
        out.push('| where | problem |', '| --- | --- |');
        for (const i of r.issues) {
          const where = i.line === undefined ? i.path : `${this.#file(r.source)}:${i.line}:${i.column ?? 1}`;
          out.push(`| ${code(where)} | ${cell(`${i.message}${i.hint === undefined ? '' : ` (hint: ${i.hint})`}`)} |`);
        }
      } else {
        out.push('| | expectation | got | where |', '| :-: | --- | --- | --- |');
        for (const e of r.results) {
          const where = whereOf(
            { source: this.#file(r.source), ...(r.file === undefined ? {} : { file: this.#file(r.file) }) },
            e.expectation,
          );
          out.push(`| ${e.passed ? '✅' : '❌'} | ${cell(e.title)} | ${cell(e.actual)} | ${code(where)} |`);
        }
      }
      out.push('', '</details>', '');
    }
    return `${out.join('\n')}\n`;
  }
}
