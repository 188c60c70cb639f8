/**
 * Every event of a tree, kept in order, replayed to each reader and awaited by predicates.
 * Reading starts at once and never stops, so no event is lost however late a reader comes.
 */
import { PidnsTreeError } from '../errors.js';
import type { EndEvent, TreeEvent } from '../events.js';
import type { RunningTree } from '../running-tree.js';

export class EventLog {
  readonly #events: TreeEvent[] = [];
  readonly #wakeups = new Set<() => void>();
  readonly #tree: RunningTree;
  #end: EndEvent | undefined;
  #failure: Error | undefined;
  #holds = 0;

  constructor(tree: RunningTree) {
    this.#tree = tree;
    tree.keepAlive(false);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for await (const event of this.#tree.events()) {
        this.#events.push(event);
        if (event.event === 'end') this.#end = event;
        this.#wakeups.forEach((wake) => wake());
      }
    } catch (error) {
      this.#failure =
        error instanceof Error ? error : new PidnsTreeError('TREE_GONE', `reading the events failed: ${String(error)}`);
    }
    if (this.#end === undefined)
      this.#failure ??= new PidnsTreeError('TREE_GONE', 'the event stream ended without an end event');
    this.#wakeups.forEach((wake) => wake());
  }

  get ended(): EndEvent | undefined {
    return this.#end;
  }

  /** Everything so far. */
  get events(): readonly TreeEvent[] {
    return this.#events;
  }

  /** Keeps Node alive while something waits on the tree; returns the release. */
  #hold(): () => void {
    if (this.#holds++ === 0) this.#tree.keepAlive(true);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) this.#tree.keepAlive(false);
    };
  }

  /**
   * The first event, past or future, for which `pick` returns a value. Rejects with TREE_GONE
   * if the tree ends first, TIMEOUT after `timeoutMs`.
   */
  find<T>(pick: (event: TreeEvent) => T | undefined, what: string, timeoutMs?: number): Promise<T> {
    try {
      for (const event of this.#events) {
        const found = pick(event);
        if (found !== undefined) return Promise.resolve(found);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      const release = this.#hold();
      let seen = this.#events.length;
      const finish = (settle: () => void): void => {
        this.#wakeups.delete(wake);
        if (timer !== undefined) clearTimeout(timer);
        release();
        settle();
      };
      const wake = (): void => {
        for (; seen < this.#events.length; seen += 1) {
          let found: T | undefined;
          try {
            found = pick(this.#events[seen] as TreeEvent);
          } catch (error) {
            // The caller's predicate failed: that wait fails, nothing else does.
            return finish(() => reject(error));
          }
          if (found !== undefined) return finish(() => resolve(found));
        }
        if (this.#end !== undefined || this.#failure !== undefined) {
          finish(() => reject(new PidnsTreeError('TREE_GONE', `the tree ended before ${what}`)));
        }
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              finish(() => reject(new PidnsTreeError('TIMEOUT', `no ${what} within ${timeoutMs} ms`)));
            }, timeoutMs);
      this.#wakeups.add(wake);
      wake();
    });
  }

  /** Every event from the first, then each as it comes, until `end`. */
  async *iterate(): AsyncGenerator<TreeEvent, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.#events.length) {
        const event = this.#events[next++] as TreeEvent;
        yield event;
        if (event.event === 'end') return;
      }
      if (this.#failure !== undefined) throw this.#failure;
      await new Promise<void>((resolve) => {
        const release = this.#hold();
        const wake = (): void => {
          this.#wakeups.delete(wake);
          release();
          resolve();
        };
        this.#wakeups.add(wake);
      });
    }
  }
}
