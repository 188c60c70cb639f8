/**
 * `pidns-tree test <files, dirs or globs...>`: runs each tree, checks its expectations
 * (`expect` in tree.json), reports per tree and per expectation. Exit 0 when every expectation
 * held, 1 when one failed, 2 for an invalid file or command line, 125 when no tree can run here.
 *
 * Ctrl-C (or SIGTERM/SIGHUP) stops the running trees and skips the rest; what is done is still
 * reported. A second one exits at once (the kernel kills the trees with this process).
 */
import { availableParallelism } from 'node:os';

import { resolveInputs } from '../check/inputs.js';
import { GithubReporter } from '../check/reporters/github.js';
import { HumanReporter } from '../check/reporters/human.js';
import { JunitReporter } from '../check/reporters/junit.js';
import {
  fileDestination,
  parseReporters,
  stdoutDestination,
  type ReporterChoice,
  type Reporter,
} from '../check/reporters/reporter.js';
import { TapReporter } from '../check/reporters/tap.js';
import { testFiles } from '../check/test-files.js';
import type { SpawnMode } from '../native.js';
import { signalNumber } from '../running-tree.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export interface TestOptions {
  inputs: readonly string[];
  jobs: number | undefined;
  reporters: readonly string[];
  bail: boolean;
  filter: readonly string[];
  /** Seconds: the bound of a tree without `within`. */
  timeout: number;
  mode: SpawnMode;
}

/** The default of --jobs: one tree per core. */
export function defaultJobs(): number {
  return availableParallelism();
}

function usage(message: string): number {
  process.stderr.write(`pidns-tree: ${message}\nRun \`pidns-tree test --help\` for usage.\n`);
  return EXIT.usage;
}

function makeReporter(choice: ReporterChoice): Reporter {
  if (choice.name === 'github') return GithubReporter.fromEnvironment();
  const out = choice.file === undefined ? stdoutDestination : fileDestination(choice.file);
  switch (choice.name) {
    case 'human':
      return new HumanReporter(out);
    case 'tap':
      return new TapReporter(out);
    case 'junit':
      return new JunitReporter(out);
  }
}

export async function testCommand(options: TestOptions): Promise<number> {
  const jobs = options.jobs ?? defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) return usage(`--jobs must be a whole number of at least 1, not ${jobs}`);
  if (!(options.timeout > 0)) return usage(`--timeout must be a number of seconds above 0, not ${options.timeout}`);
  let choices: ReporterChoice[];
  try {
    choices = parseReporters(options.reporters, process.env['GITHUB_ACTIONS'] === 'true');
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }

  if (options.inputs.length === 0) {
    return usage(
      'name the trees to check: pidns-tree test <files, directories or globs...>, e.g. pidns-tree test trees/',
    );
  }
  const { files: found, unmatched } = resolveInputs(options.inputs);
  if (unmatched.length > 0) {
    return usage(unmatched.map((u) => `${u.arg}: ${u.why}`).join('\n            '));
  }
  const files = options.filter.length === 0 ? found : found.filter((f) => options.filter.some((s) => f.includes(s)));
  if (files.length === 0) {
    return usage(`no tree matches --filter ${options.filter.join(', ')} among the ${found.length} found`);
  }

  let reporters: Reporter[];
  try {
    reporters = choices.map(makeReporter);
  } catch (error) {
    const file = choices.find((c) => c.file !== undefined)?.file ?? '';
    const why =
      error instanceof Error && 'code' in error && error.code === 'ENOENT'
        ? 'its directory does not exist'
        : error instanceof Error
          ? error.message
          : String(error);
    return usage(`cannot write the report ${file}: ${why}`);
  }

  const interrupt = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted !== undefined) process.exit(128 + signalNumber(signal));
    interrupted = signal;
    process.stderr.write(`\npidns-tree: ${signal}: stopping the trees (again to exit at once)\n`);
    interrupt.abort(`${signal}: interrupted`);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  signals.forEach((s) => process.on(s, onSignal));
  try {
    const { totals } = await testFiles(
      files,
      { jobs, bail: options.bail, mode: options.mode, timeoutMs: options.timeout * 1000, signal: interrupt.signal },
      reporters,
    );
    if (interrupted !== undefined) return 128 + signalNumber(interrupted);
    if (totals.trees.invalid > 0) return EXIT.usage;
    return totals.trees.failed > 0 || totals.expectations.failed > 0 ? 1 : EXIT.ok;
  } catch (error) {
    return reportError(error, false);
  } finally {
    signals.forEach((s) => process.off(s, onSignal));
  }
}
