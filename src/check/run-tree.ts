/**
 * Runs one tree and checks it: reads every event, stops what outlives its bound (a process's
 * `within`, the tree's `within` or `--timeout`), reads each namespace's /proc once the tree is
 * up when `processesSeen` asks, and judges every expectation once the tree has ended.
 *
 * The tree always ends: a stop is SIGTERM (each init stops its namespace), then SIGKILL after
 * the grace period, and the kernel kills a tree whose root init dies. So this always returns,
 * and leaves nothing behind.
 */
import { performance } from 'node:perf_hooks';

import { PidnsTreeError, type PidnsTreeErrorCode } from '../errors.js';
import type { TreeEvent } from '../events.js';
import { LineRun, parseEvents } from '../frames.js';
import type { SpawnMode } from '../native.js';
import { RunningTree } from '../running-tree.js';
import { evaluate, seconds } from './evaluate.js';
import { targetOf, type Expectation } from './expectations.js';
import { expectationsToCheck, type LoadedTree } from './load.js';
import { Observation } from './observe.js';
import { procSeen } from './proc-seen.js';
import type { TreeResult } from './results.js';

/** How long a stopped process or tree gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 2_000;
/** The bound of a tree without `expect.within`. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Errors that stop every tree from running here, not just one. */
export const FATAL: ReadonlySet<PidnsTreeErrorCode> = new Set(['NO_PRIVILEGE', 'NO_USERNS', 'NATIVE_MISSING']);

export interface RunOptions {
  mode?: SpawnMode;
  /** The bound of a tree without `within` (default 60 s). */
  timeoutMs?: number;
  /** Every event of the run, as it is read. */
  onEvent?: (event: TreeEvent) => void;
  /** Stops the tree (SIGTERM, then SIGKILL); its result is then `skipped`, with the reason. */
  signal?: AbortSignal;
}

/** Timers that stop things, all cleared when the tree ends. */
class Stops {
  readonly #timers = new Set<NodeJS.Timeout>();

  after(ms: number, action: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      action();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  clear(): void {
    this.#timers.forEach(clearTimeout);
    this.#timers.clear();
  }
}

/** Runs a checked tree. Throws only when no tree can run here (privileges, the native part). */
export async function runTree(tree: LoadedTree, options: RunOptions = {}): Promise<TreeResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const expectations = expectationsToCheck(tree, timeoutMs);
  const outputTargets = new Set(expectations.filter((e) => e.kind === 'output').map(targetOf));
  const obs = new Observation(tree.plan, outputTargets);
  const base = { source: tree.source, ...(tree.file === undefined ? {} : { file: tree.file }) };
  const name = tree.plan.nodes[0]?.name ?? '';
  const began = performance.now();
  const now = (): number => performance.now() - began;

  if (options.signal?.aborted === true) {
    return {
      ...base,
      name,
      status: 'skipped',
      durationMs: 0,
      results: [],
      issues: [],
      note: String(options.signal.reason),
    };
  }
  let running: RunningTree;
  try {
    // Output lines in binary frames: what a check keeps of them is their bytes, so no line is
    // made into JSON by the collector and parsed back here (see frames.ts).
    running = RunningTree.start(tree.plan, options.mode ?? 'auto', { format: 'lines' });
  } catch (error) {
    // Nothing can run here (privileges, user namespaces, the native part): not this tree's fault.
    if (error instanceof PidnsTreeError && FATAL.has(error.code)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    obs.errors.push({ event: 'error', node: name, message: `the tree could not be started: ${message}` });
    const results = evaluate(expectations, obs);
    return { ...base, name, status: 'failed', durationMs: now(), results, issues: [] };
  }
  const stops = new Stops();
  let cancelled: string | undefined;

  const stopTree = (why: string): void => {
    if (obs.end !== undefined || obs.treeStopped !== undefined) return;
    obs.treeStopped = why;
    running.signal('SIGTERM');
    stops.after(STOP_GRACE_MS, () => running.signal('SIGKILL'));
  };
  const treeBound = expectations.find(
    (e): e is Expectation & { kind: 'within' } => e.subject === 'tree' && e.kind === 'within',
  );
  if (treeBound !== undefined) {
    const why = `within ${seconds(treeBound.ms)}${treeBound.implicit === 'timeout' ? ' (--timeout)' : ''} passed`;
    stops.after(treeBound.ms, () => stopTree(why));
  }
  const onAbort = (): void => {
    cancelled = String(options.signal?.reason ?? 'cancelled');
    stopTree(cancelled);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const processBounds = new Map<string, number>();
  for (const e of expectations)
    if (e.kind === 'within' && e.subject === 'process') processBounds.set(targetOf(e), e.ms);
  const processTimers = new Map<string, NodeJS.Timeout>();
  const seenWanted = new Set(expectations.filter((e) => e.kind === 'processesSeen').map((e) => e.node));

  const onEvent = options.onEvent;
  const take = (event: TreeEvent): void => {
    const up = obs.event(event, now());
    if (event.event === 'start') {
      const target = `${event.node}:${event.process}`;
      const ms = processBounds.get(target);
      if (ms !== undefined) {
        const stop = (): void => {
          // False when it has exited already (its exit is on its way): then it kept its bound.
          const signalled = running.signalProcess(event.node, event.process, 'SIGTERM');
          if (!signalled) return;
          obs.stopped.set(target, `within ${seconds(ms)} passed`);
          processTimers.set(
            target,
            stops.after(STOP_GRACE_MS, () => running.signalProcess(event.node, event.process, 'SIGKILL')),
          );
        };
        processTimers.set(target, stops.after(ms, stop));
      }
    }
    if (up) {
      for (const node of seenWanted) {
        const init = obs.starts.get(`${node}:init`)?.event;
        if (init !== undefined) obs.seen.set(node, procSeen(node, init.pids));
      }
    }
    if (event.event === 'exit') stops.cancel(processTimers.get(`${event.node}:${event.process}`));
    onEvent?.(event);
  };
  try {
    for await (const frame of running.frames()) {
      if (frame.kind === 'e') parseEvents<TreeEvent>(frame.body).forEach(take);
      else if (frame.kind === 'l') {
        const run = new LineRun(frame.body);
        obs.lines(run);
        if (onEvent !== undefined) for (let i = 0; i < run.length; i++) onEvent(run.event(i));
      }
    }
  } finally {
    stops.clear();
    options.signal?.removeEventListener('abort', onAbort);
  }

  const durationMs = now();
  const code = obs.end?.event.code;
  const withCode = code === undefined ? {} : { code };
  if (cancelled !== undefined) {
    return { ...base, name, status: 'skipped', durationMs, results: [], issues: [], ...withCode, note: cancelled };
  }
  const results = evaluate(expectations, obs);
  const status = results.every((r) => r.passed) ? 'passed' : 'failed';
  const note = obs.treeStopped === undefined ? {} : { note: `pidns-tree stopped it: ${obs.treeStopped}` };
  return { ...base, name, status, durationMs, results, issues: [], ...withCode, ...note };
}
