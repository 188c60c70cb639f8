/**
 * What every reporter of `pidns-tree test` does, and where it writes: standard output, or a
 * file (`--reporter junit=report.xml`), opened before any tree runs so that a path that cannot
 * be written fails at once, and written when the run is over.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

import type { Totals, TreeResult } from '../results.js';

export interface RunInfo {
  /** The files, in the order they are reported. */
  readonly files: readonly string[];
  readonly jobs: number;
  /** When the run began (ISO 8601). */
  readonly startedAt: Date;
}

export interface Reporter {
  /** Before the first tree. */
  start(info: RunInfo): void;
  /** Each tree, in file order, as soon as it and every tree before it are done. */
  tree(result: TreeResult): void;
  /** After the last tree. */
  end(totals: Totals, results: readonly TreeResult[]): void;
}

/** Where a reporter writes. */
export interface Destination {
  /** `standard output` or the file's path, for messages. */
  readonly name: string;
  write(text: string): void;
  /** Writes what is buffered (a file) and closes it. */
  close(): void;
}

export const stdoutDestination: Destination = {
  name: 'standard output',
  write: (text) => {
    process.stdout.write(text);
  },
  close: () => undefined,
};

/** A file, created (or truncated) now, written at close. */
export function fileDestination(file: string): Destination {
  const fd = openSync(file, 'w', 0o644);
  const parts: string[] = [];
  return {
    name: file,
    write: (text) => {
      parts.push(text);
    },
    close: () => {
      const data = Buffer.from(parts.join(''));
      for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
      closeSync(fd);
    },
  };
}

export const REPORTERS = ['human', 'tap', 'junit', 'github'] as const;
export type ReporterName = (typeof REPORTERS)[number];

/** For examples in messages. */
const EXTENSION: Record<ReporterName, string> = { human: 'txt', tap: 'tap', junit: 'xml', github: 'md' };

export interface ReporterChoice {
  readonly name: ReporterName;
  /** The file to write to; standard output when absent. */
  readonly file?: string;
}

/**
 * `--reporter` values: `human`, `tap`, `junit`, `github`, each optionally `=FILE` (not
 * `github`, which writes annotations where GitHub reads them and its summary to
 * GITHUB_STEP_SUMMARY). At most one writes to standard output. Throws Error with what to do.
 */
export function parseReporters(values: readonly string[], githubActions: boolean): ReporterChoice[] {
  const choices: ReporterChoice[] = [];
  for (const value of values) {
    const eq = value.indexOf('=');
    const name = (eq === -1 ? value : value.slice(0, eq)) as ReporterName;
    const file = eq === -1 ? undefined : value.slice(eq + 1);
    if (!REPORTERS.includes(name)) {
      throw new Error(
        `unknown reporter "${name}": choose human, tap, junit or github (e.g. --reporter junit=report.xml)`,
      );
    }
    if (file === '')
      throw new Error(`--reporter ${name}= needs a file name after '=', e.g. ${name}=report.${EXTENSION[name]}`);
    if (name === 'github' && file !== undefined) {
      throw new Error(
        '--reporter github takes no file: annotations go to standard output, the summary to GITHUB_STEP_SUMMARY',
      );
    }
    if (choices.some((c) => c.name === name && c.file === file)) continue;
    choices.push(file === undefined ? { name } : { name, file });
  }
  if (githubActions && !choices.some((c) => c.name === 'github')) choices.push({ name: 'github' });
  const onStdout = choices.filter((c) => c.file === undefined && c.name !== 'github');
  if (onStdout.length > 1) {
    const second = onStdout[1]?.name ?? 'junit';
    throw new Error(
      `--reporter ${onStdout.map((c) => c.name).join(' and ')} would both write to standard output: ` +
        `give all but one a file, e.g. --reporter ${second}=report.${EXTENSION[second]}`,
    );
  }
  if (githubActions && onStdout.some((c) => c.name === 'junit')) {
    throw new Error(
      '--reporter junit writes XML to standard output, where GitHub Actions annotations go too: ' +
        'write it to a file (--reporter junit=report.xml), or run with GITHUB_ACTIONS unset',
    );
  }
  return choices;
}
