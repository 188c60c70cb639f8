/** Consumes a tree's events in the background and lets a test wait for the one it needs. */
import type { EndEvent, StartEvent, TreeEvent } from '../../src/events.js';
import type { RunningTree } from '../../src/running-tree.js';
import { ofKind } from './events.js';

export interface Watch {
  readonly events: TreeEvent[];
  /** Resolves with the first event (past or future) matching `pred`; rejects if the tree ends first. */
  waitFor<E extends TreeEvent>(pred: (e: TreeEvent) => e is E, what: string): Promise<E>;
  /** Resolves once every namespace init and process of the plan has sent `start`. */
  allStarted(): Promise<StartEvent[]>;
  readonly ended: Promise<EndEvent>;
}

export function watch(tree: RunningTree): Watch {
  const events: TreeEvent[] = [];
  const waiters = new Set<{ check: () => boolean }>();
  const expected = tree.plan.nodes.reduce((n, node) => n + 1 + node.processes.length, 0);
  let finished = false;
  const ended = (async () => {
    for await (const event of tree.events()) {
      events.push(event);
      waiters.forEach((w) => w.check());
    }
    finished = true;
    waiters.forEach((w) => w.check());
    const end = events.at(-1);
    if (end?.event !== 'end') throw new Error('the event stream stopped without an end event');
    return end;
  })();
  const waitUntil = <T>(get: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const waiter = {
        check: (): boolean => {
          const found = get();
          if (found !== undefined) resolve(found);
          else if (finished) reject(new Error(`the tree ended before ${what}; events: ${JSON.stringify(events)}`));
          else return false;
          waiters.delete(waiter);
          return true;
        },
      };
      if (!waiter.check()) waiters.add(waiter);
    });
  return {
    events,
    ended,
    waitFor: (pred, what) => waitUntil(() => events.find(pred), what),
    allStarted: () =>
      waitUntil(() => {
        const starts = events.filter(ofKind('start'));
        return starts.length === expected ? starts : undefined;
      }, `all ${expected} starts`),
  };
}
