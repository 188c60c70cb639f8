/**
 * The events of a tree as the API keeps them: read from the first one on and never stopped, so
 * that a reader that comes late still gets the tree's whole life, and waits can look back.
 *
 * Memory is bounded: every lifecycle event (start, exit, reap, zombies, error, end) is kept,
 * and of the output only the last `keepOutput` lines (default 10 000; `'all'` keeps every
 * one). A reader that is iterating is never skipped: while it lags that far behind, reading
 * stops and the tree's processes wait on their pipes, as with any pipe. A reader that starts
 * later gets every lifecycle event and the output lines still kept.
 *
 * Until the tree has been handed to its caller, nothing is dropped: no reader can exist before
 * spawnTree resolves, and a reader that starts at once (`for await (const e of
 * tree.events())` right after it) must get every line, also those printed while the rest of
 * the tree was starting. Reading cannot stop meanwhile either: the starts spawnTree waits for
 * come on the same stream, behind that output.
 */
import { PidnsTreeError } from '../errors.js';
import type { EndEvent, TreeEvent } from '../events.js';
import type { RunningTree } from '../running-tree.js';

interface Entry {
  readonly seq: number;
  readonly event: TreeEvent;
}

/** An iterator that is reading: the number of the next event it wants. */
interface Cursor {
  next: number;
}

export const DEFAULT_KEEP_OUTPUT = 10_000;

/** The first entry of `entries` (from `from` on, sorted by seq) with a seq >= `seq`. */
function firstAtOrAfter(entries: readonly Entry[], from: number, seq: number): number {
  let lo = from;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as Entry).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class EventLog {
  readonly #lifecycle: Entry[] = [];
  readonly #lifecycleEvents: TreeEvent[] = [];
  #output: Entry[] = [];
  /** Output before this index is no longer kept. */
  #outputHead = 0;
  #seq = 0;
  readonly #keep: number;
  readonly #cursors = new Set<Cursor>();
  /** Called with each new event (waits), and once at the end. */
  readonly #watchers = new Set<(event: TreeEvent | undefined) => void>();
  /** Iterators waiting for more. */
  readonly #wakeups = new Set<() => void>();
  /** The pump waiting for a lagging iterator. */
  #resumePump: (() => void) | undefined;
  readonly #tree: RunningTree;
  #end: EndEvent | undefined;
  #failure: Error | undefined;
  #holds = 0;
  /** Set until the caller has had its turn to start reading (see handedOut). */
  #pinned = true;

  constructor(tree: RunningTree, keepOutput: number | 'all' = DEFAULT_KEEP_OUTPUT) {
    this.#tree = tree;
    this.#keep = keepOutput === 'all' ? Infinity : Math.max(0, keepOutput);
    tree.keepAlive(false);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for await (const batch of this.#tree.eventBatches()) {
        for (const event of batch) this.#add(event);
        this.#wakeups.forEach((wake) => wake());
        for (let lagging = this.#trim(); lagging !== undefined; lagging = this.#trim()) await lagging;
      }
    } catch (error) {
      this.#failure =
        error instanceof Error ? error : new PidnsTreeError('TREE_GONE', `reading the events failed: ${String(error)}`);
    }
    if (this.#end === undefined) {
      this.#failure ??= new PidnsTreeError('TREE_GONE', 'the event stream ended without an end event');
    }
    this.#watchers.forEach((watch) => watch(undefined));
    this.#wakeups.forEach((wake) => wake());
  }

  #add(event: TreeEvent): void {
    const entry = { seq: this.#seq++, event };
    if (event.event === 'output') this.#output.push(entry);
    else {
      this.#lifecycle.push(entry);
      this.#lifecycleEvents.push(event);
    }
    if (event.event === 'end') this.#end = event;
    this.#watchers.forEach((watch) => watch(event));
  }

  /**
   * spawnTree is handing the tree out: once the caller's continuation has run (it may start a
   * reader there), which is before the next turn of the event loop, output may be dropped again.
   */
  handedOut(): void {
    setImmediate(() => {
      this.#pinned = false;
    });
  }

  /** Drops output beyond what is kept; a promise when an iterator still needs it. */
  #trim(): Promise<void> | undefined {
    if (this.#pinned) return undefined;
    while (this.#output.length - this.#outputHead > this.#keep) {
      const oldest = this.#output[this.#outputHead] as Entry;
      for (const cursor of this.#cursors) {
        if (cursor.next <= oldest.seq) return new Promise((resolve) => (this.#resumePump = resolve));
      }
      this.#outputHead += 1;
    }
    if (this.#outputHead > 4096 && this.#outputHead * 2 > this.#output.length) {
      this.#output = this.#output.slice(this.#outputHead);
      this.#outputHead = 0;
    }
    return undefined;
  }

  /** An iterator moved on: the pump may go on if it was waiting for it. */
  #progress(): void {
    const resume = this.#resumePump;
    if (resume !== undefined) {
      this.#resumePump = undefined;
      resume();
    }
  }

  /** The first kept event numbered `seq` or later. */
  #at(seq: number): Entry | undefined {
    const li = firstAtOrAfter(this.#lifecycle, 0, seq);
    const oi = firstAtOrAfter(this.#output, this.#outputHead, seq);
    const l = this.#lifecycle[li];
    const o = this.#output[oi];
    if (l === undefined) return o;
    if (o === undefined) return l;
    return l.seq < o.seq ? l : o;
  }

  get ended(): EndEvent | undefined {
    return this.#end;
  }

  /** The lifecycle events so far (start, exit, reap, zombies, error, end), in order. */
  get lifecycle(): readonly TreeEvent[] {
    return this.#lifecycleEvents;
  }

  /** Every event still kept, in order. */
  *kept(): Generator<TreeEvent, void, undefined> {
    for (let entry = this.#at(0); entry !== undefined; entry = this.#at(entry.seq + 1)) yield entry.event;
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
   * The first event, kept or still to come, for which `pick` returns a value. Rejects with
   * TREE_GONE if the tree ends first, TIMEOUT after `timeoutMs`.
   */
  find<T>(pick: (event: TreeEvent) => T | undefined, what: string, timeoutMs?: number): Promise<T> {
    try {
      for (const event of this.kept()) {
        const found = pick(event);
        if (found !== undefined) return Promise.resolve(found);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#end !== undefined || this.#failure !== undefined) {
      return Promise.reject(new PidnsTreeError('TREE_GONE', `the tree ended before ${what}`));
    }
    return new Promise<T>((resolve, reject) => {
      const release = this.#hold();
      const finish = (settle: () => void): void => {
        this.#watchers.delete(watch);
        if (timer !== undefined) clearTimeout(timer);
        release();
        settle();
      };
      const watch = (event: TreeEvent | undefined): void => {
        if (event === undefined) {
          finish(() => reject(new PidnsTreeError('TREE_GONE', `the tree ended before ${what}`)));
          return;
        }
        let found: T | undefined;
        try {
          found = pick(event);
        } catch (error) {
          // The caller's predicate failed: that wait fails, nothing else does.
          finish(() => reject(error));
          return;
        }
        if (found !== undefined) finish(() => resolve(found));
        else if (event.event === 'end') {
          finish(() => reject(new PidnsTreeError('TREE_GONE', `the tree ended before ${what}`)));
        }
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              finish(() => reject(new PidnsTreeError('TIMEOUT', `no ${what} within ${timeoutMs} ms`)));
            }, timeoutMs);
      this.#watchers.add(watch);
    });
  }

  /** Every kept event from the first, then each as it comes, until `end`. */
  async *iterate(): AsyncGenerator<TreeEvent, void, undefined> {
    const cursor: Cursor = { next: 0 };
    this.#cursors.add(cursor);
    try {
      for (;;) {
        const entry = this.#at(cursor.next);
        if (entry !== undefined) {
          cursor.next = entry.seq + 1;
          this.#progress();
          yield entry.event;
          if (entry.event.event === 'end') return;
          continue;
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
    } finally {
      this.#cursors.delete(cursor);
      this.#progress();
    }
  }
}
