/**
 * TAP version 14: one test point per tree, each with a subtest of one point per expectation.
 * A failure carries YAML diagnostics (expected, got, at: file:line:column, path); an invalid
 * file its problems; a skipped tree a SKIP directive.
 */
import { whereOf, type TreeResult } from '../results.js';
import type { Destination, Reporter, RunInfo } from './reporter.js';

/** A test point's description: one line, `#` and `\` escaped (TAP 14). */
function description(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/#/g, '\\#');
}

/** A YAML block of `key: value` pairs, values as JSON strings (valid YAML flow scalars). */
function yaml(indent: string, fields: readonly (readonly [string, string | readonly string[]])[]): string[] {
  const lines = [`${indent}---`];
  for (const [key, value] of fields) {
    if (typeof value === 'string') lines.push(`${indent}${key}: ${JSON.stringify(value)}`);
    else {
      lines.push(`${indent}${key}:`);
      for (const v of value) lines.push(`${indent}  - ${JSON.stringify(v)}`);
    }
  }
  lines.push(`${indent}...`);
  return lines;
}

export class TapReporter implements Reporter {
  readonly #out: Destination;
  #n = 0;

  constructor(out: Destination) {
    this.#out = out;
  }

  start(info: RunInfo): void {
    this.#out.write(`TAP version 14\n1..${info.files.length}\n`);
  }

  tree(r: TreeResult): void {
    this.#n += 1;
    const name = description(r.source);
    const lines: string[] = [];
    if (r.status === 'invalid') {
      lines.push(`not ok ${this.#n} - ${name}`);
      const issues = r.issues.map(
        (i) =>
          `${i.line === undefined ? r.source : `${r.source}:${i.line}:${i.column ?? 1}`} ${i.path}: ${i.message}` +
          (i.hint === undefined ? '' : ` (hint: ${i.hint})`),
      );
      lines.push(
        ...yaml('  ', [
          ['message', r.note ?? 'not a valid tree'],
          ['issues', issues],
        ]),
      );
    } else if (r.status === 'skipped' && r.results.length === 0) {
      lines.push(`ok ${this.#n} - ${name} # SKIP ${description(r.note ?? 'not run')}`);
    } else {
      lines.push(`# Subtest: ${name}`, `    1..${r.results.length}`);
      r.results.forEach((e, i) => {
        lines.push(`    ${e.passed ? 'ok' : 'not ok'} ${i + 1} - ${description(e.title)}`);
        if (!e.passed) {
          lines.push(
            ...yaml('      ', [
              ['expected', e.expected],
              ['got', e.actual],
              ['at', whereOf(r, e.expectation)],
              ['path', e.expectation.path],
            ]),
          );
        }
      });
      const directive = r.status === 'skipped' ? ` # SKIP ${description(r.note ?? '')}` : '';
      lines.push(`${r.status === 'failed' ? 'not ok' : 'ok'} ${this.#n} - ${name}${directive}`);
      if (r.note !== undefined && r.status === 'failed') lines.push(...yaml('  ', [['message', r.note]]));
    }
    this.#out.write(`${lines.join('\n')}\n`);
  }

  end(): void {
    this.#out.close();
  }
}
