/** Detached trees as the tests use them: started with `spawn --detach`, read with `ps --json`. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ExecutionContext } from 'ava';

import type { TreeEvent } from '../../src/events.js';
import { events as liveEvents, ps as livePs } from '../../src/live/client.js';
import { findTree } from '../../src/live/state-dir.js';
import { bin, root, runCli } from './cli.js';

/** What `spawn --detach --json` prints. */
export interface Detached {
  readonly id: string;
  readonly supervisor: number;
  readonly dir: string;
}

/** A process as `ps --json` shows it. */
export interface PsProcess {
  readonly node: string;
  readonly process: string;
  /** Its PID in its own namespace. */
  readonly pid: number;
  /** Its PID at every level, `host` first. */
  readonly pids: Record<string, number>;
  readonly state: string;
  readonly exit: { readonly code: number; readonly signal: string | null } | null;
}

export interface PsJson {
  readonly processes: readonly PsProcess[];
}

/** `prefix-` and six hex digits: a tree name no other run (nor a tree a failed run left behind) has. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
}

/**
 * `spawn --detach --json --name NAME [...args] -` of `spec` (an object, or JSON text); throws
 * with what the CLI said when it fails. With `stopAfter`, the tree is stopped (`stop
 * --grace-ms`) when that test ends, however it ends.
 */
export async function detachTree(
  name: string,
  spec: object | string,
  options: {
    args?: readonly string[];
    stopAfter?: Pick<ExecutionContext, 'teardown'>;
    graceMs?: number;
  } = {},
): Promise<Detached> {
  const r = await runCli(['spawn', '--detach', '--json', '--name', name, ...(options.args ?? []), '-'], {
    input: typeof spec === 'string' ? spec : JSON.stringify(spec),
  });
  if (r.code !== 0) throw new Error(`spawn --detach ${name} exited ${r.code}: ${r.stdout}${r.stderr}`);
  const tree = JSON.parse(r.stdout) as Detached;
  leftOnExit.set(tree.id, tree);
  stopLeftOnExit();
  options.stopAfter?.teardown(async () => {
    await runCli(['stop', tree.id, '--grace-ms', String(options.graceMs ?? 1000)]);
    leftOnExit.delete(tree.id);
  });
  return tree;
}

/**
 * Every tree detachTree started in this process and did not stop itself. ava's teardowns do not
 * run when a test worker dies (an uncaught exception, a timeout's SIGTERM): the trees would
 * outlive it. When this process exits, for whatever reason it can still act on, the ones still
 * running are stopped, synchronously ('exit' runs no asynchronous code).
 */
const leftOnExit = new Map<string, Detached>();
let hooked = false;

/** Sets the hooks once, when the first tree is started. */
function stopLeftOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', stopLeftTrees);
  // A signal's default action ends the process without 'exit': stop the trees, then die of it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      stopLeftTrees();
      process.off(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** The supervisor PID a tree's info.json names; undefined when it cannot be read (the tree is gone). */
function supervisorOf(tree: Detached): number | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(tree.dir, 'info.json'), 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

/**
 * Stops, one `pidns-tree stop` at a time, each tree of leftOnExit still listed by `ls` with the
 * supervisor it was started with: not a tree a test already stopped (nor another tree that took
 * its id since). Says on stderr which it stopped.
 */
function stopLeftTrees(): void {
  if (leftOnExit.size === 0) return;
  const run = (args: string[]): string =>
    execFileSync(process.execPath, [bin, ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
  let listed: Set<string>;
  try {
    listed = new Set((JSON.parse(run(['ls', '--json'])) as { trees: { id: string }[] }).trees.map((x) => x.id));
  } catch (error) {
    process.stderr.write(`test helpers: could not list the detached trees to stop them on exit: ${String(error)}\n`);
    return;
  }
  const stopped: string[] = [];
  for (const tree of leftOnExit.values()) {
    if (!listed.has(tree.id) || supervisorOf(tree) !== tree.supervisor) continue;
    try {
      run(['stop', tree.id, '--grace-ms', '1000']);
      stopped.push(tree.id);
    } catch {
      // gone meanwhile, or it could not be stopped: nothing more can be done on the way out
    }
  }
  leftOnExit.clear();
  if (stopped.length > 0) {
    process.stderr.write(`test helpers: stopped the detached trees this process left running: ${stopped.join(' ')}\n`);
  }
}

/** `ps --json` of tree `id`; throws with what the CLI said when it fails. */
export async function psJson(id: string): Promise<PsJson> {
  const r = await runCli(['ps', '--json', id]);
  if (r.code !== 0) throw new Error(`ps --json ${id} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as PsJson;
}

/** The host PID of `node:process` (`init` for the namespace's PID 1) in tree `id`, from `ps --json`. */
export async function liveHostPid(id: string, node: string, process: string): Promise<number> {
  const found = (await psJson(id)).processes.find((p) => p.node === node && p.process === process);
  const pid = found?.pids['host'];
  if (pid === undefined) throw new Error(`no ${node}:${process} in ps --json ${id}`);
  return pid;
}

/** The number of the last event tree `id`'s supervisor recorded: wait for what comes after it. */
export function liveSeq(id: string): number {
  return livePs(findTree(id)).seq;
}

/**
 * The lifecycle events tree `id` records after event number `after` (liveSeq), as they come (the
 * live protocol's `events`: a long poll the supervisor answers when it has one), until `done`
 * holds for all of them; rejects when the tree ends first, or when the supervisor no longer
 * keeps some of them.
 */
export async function waitForLive(
  id: string,
  after: number,
  done: (events: readonly TreeEvent[]) => boolean,
  what: string,
): Promise<TreeEvent[]> {
  const tree = findTree(id);
  const seen: TreeEvent[] = [];
  for (let seq = after; ;) {
    const reply = await liveEvents(tree, seq);
    if (reply.first > seq + 1) throw new Error(`tree ${id}: events after ${seq} are no longer kept (${what})`);
    seen.push(...reply.events);
    if (done(seen)) return seen;
    if (reply.ended) throw new Error(`tree ${id} ended before ${what}: ${JSON.stringify(seen)}`);
    seq = reply.seq;
  }
}
