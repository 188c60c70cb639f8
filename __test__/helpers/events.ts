/** What tests look for in a tree's events, and the NDJSON the CLI prints them as (`--json`). */
import type { ExitEvent, OutputEvent, Pids, StartEvent, TreeEvent } from '../../src/events.js';

/** Events of one kind: `events.filter(ofKind('start'))` is every `start`, typed. */
export const ofKind =
  <K extends TreeEvent['event']>(kind: K) =>
  (e: TreeEvent): e is Extract<TreeEvent, { event: K }> =>
    e.event === kind;

/** `start` of `node:process` (`init` for the namespace's PID 1). */
export const isStart =
  (node: string, process: string) =>
  (e: TreeEvent): e is StartEvent =>
    e.event === 'start' && e.node === node && e.process === process;

/** `exit` of `node:process`. */
export const isExit =
  (node: string, process: string) =>
  (e: TreeEvent): e is ExitEvent =>
    e.event === 'exit' && e.node === node && e.process === process;

/** A line of `node:process`'s output: exactly `line`, or one that `line` matches. */
export const isOutput =
  (node: string, process: string, line: string | RegExp) =>
  (e: TreeEvent): e is OutputEvent =>
    e.event === 'output' &&
    e.node === node &&
    e.process === process &&
    (typeof line === 'string' ? e.line === line : line.test(e.line));

/** Each line of NDJSON text (a CLI's `--json` output) as an object; blank lines are skipped. */
export function ndjson<T = TreeEvent>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

/**
 * The host PID of a process, from its PIDs or from what carries them (its `start`). A test that
 * did not find the process fails here and says so, instead of passing -1 on, which
 * `process.kill` would take as "every process we may signal".
 */
export function hostPid(of: Pids | { readonly pids: Pids } | undefined): number {
  const pids = of !== undefined && 'pids' in of && typeof of.pids === 'object' ? of.pids : (of as Pids | undefined);
  const pid = pids?.['host'];
  if (pid === undefined || pid <= 0) throw new Error(`no host PID in ${JSON.stringify(of)}`);
  return pid;
}
