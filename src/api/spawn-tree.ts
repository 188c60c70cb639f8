/** `spawnTree(spec | 'tree.json', options)`: start a tree and resolve once all of it is up. */
import { PidnsTreeError } from '../errors.js';
import type { ErrorEvent } from '../events.js';
import type { SpawnMode } from '../native.js';
import { RunningTree } from '../running-tree.js';
import { checkSpecObject, checkSpecText, planStartCount, readSpecSource, type TreeSpec } from '../spec.js';
import { EventLog } from './event-log.js';
import type { OnEvent } from './on-event.js';
import { Tree } from './tree.js';

export interface SpawnTreeOptions {
  /** `auto` (default): privileged when possible, otherwise rootless (a user namespace). */
  mode?: SpawnMode;
  /** Reject with TIMEOUT (and stop the tree) if it is not up within this long (default 30 000). */
  startTimeoutMs?: number;
  /**
   * Output lines kept for readers and waits that come later (default 10 000); `'all'` keeps
   * every one. Lifecycle events (start, exit, ...) are always kept. A reader that is iterating
   * `events()` never misses a line: the tree waits for it instead.
   */
  keepOutput?: number | 'all';
  /**
   * Called with every event of the tree, in order, from the very first: synchronously as the
   * events are read, so also those that come before `spawnTree` resolves. Nothing is held for
   * it (output printed while the tree starts is kept only up to `keepOutput`). The tree waits
   * while it runs; its return value is ignored (queue async work yourself). If it throws, it
   * is called no more, the tree is killed, and `spawnTree` (while starting), `wait()` and
   * `stop()` reject with ON_EVENT_FAILED, whose `cause` is what it threw.
   */
  onEvent?: OnEvent;
}

/**
 * Starts a tree of nested PID namespaces from a spec object or a tree.json path and resolves
 * with the running `Tree` once every namespace's init and every process has started.
 * Errors are `PidnsTreeError`s: INVALID_SPEC (with `issues`), DEPTH_LIMIT, NO_PRIVILEGE, ...
 * The tree dies with this Node process; stop it (or `await using`) to end it sooner.
 */
export async function spawnTree(spec: TreeSpec | string, options: SpawnTreeOptions = {}): Promise<Tree> {
  const plan = typeof spec === 'string' ? checkSpecText(await readSpecSource(spec), spec) : checkSpecObject(spec);
  // Output lines in binary frames: the log keeps them as bytes and makes objects on demand.
  const running = RunningTree.start(plan, options.mode ?? 'auto', { format: 'lines' });
  const log = new EventLog(running, { keepOutput: options.keepOutput, onEvent: options.onEvent });
  const tree = new Tree(running, log);
  const expected = planStartCount(plan);
  try {
    let starts = 0;
    const outcome = await log.find(
      (e) => {
        // An init that could not start something means the tree will never be complete.
        if (e.event === 'end' || e.event === 'error') return e;
        if (e.event === 'start') starts += 1;
        return starts >= expected ? e : undefined;
      },
      'every process to start',
      options.startTimeoutMs ?? 30_000,
      true,
    );
    // onEvent may have thrown on any event up to this one, the last start included.
    const failure = log.onEventFailure();
    if (failure !== undefined) throw failure;
    if (outcome.event === 'end' || outcome.event === 'error') {
      const why = log.lifecycle
        .filter((e): e is ErrorEvent => e.event === 'error')
        .map((e) => `${e.node}: ${e.message}`);
      throw new PidnsTreeError(
        'START_FAILED',
        `the tree could not be started${why.length > 0 ? `: ${why.join('; ')}` : ''}`,
      );
    }
  } catch (error) {
    log.handedOut();
    // Stopped, not just dropped: nothing is left running. When onEvent threw, stop() rejects
    // with that same failure, which is what this throws anyway.
    await tree.stop({ graceMs: 0 }).catch((stopError: unknown) => {
      if (stopError !== log.onEventFailure()) throw stopError;
    });
    throw error;
  }
  log.handedOut();
  return tree;
}
