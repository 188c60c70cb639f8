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
 * Output is kept as the collector's `l` frames (frames.ts, LineRun), not as objects: a line
 * becomes an event object only when a reader or a wait asks for it, and that object is the
 * reader's. So the objects a flood makes die young, and what is kept costs its bytes.
 *
 * Until the tree has been handed to its caller, nothing is dropped: no reader can exist before
 * spawnTree resolves, and a reader that starts at once (`for await (const e of
 * tree.events())` right after it) must get every line, also those printed while the rest of
 * the tree was starting. Reading cannot stop meanwhile either: the starts spawnTree waits for
 * come on the same stream, behind that output. With `onEvent` there is a reader from the first
 * event on, so nothing is held for later: output is trimmed to `keepOutput` from the start.
 *
 * `onEvent` is given each event as its frame is decoded, before the waits see it: an event that
 * completes spawnTree's start has reached the callback before spawnTree resolves, and a callback
 * that throws has killed the tree before any wait goes on (see on-event.ts).
 */
import { PidnsTreeError } from '../errors.js';
import type { EndEvent, TreeEvent } from '../events.js';
import { BlockPool, type Block } from '../block-pool.js';
import { LineRun, parseEvents } from '../frames.js';
import type { RunningTree } from '../running-tree.js';
import { OnEventHandler, type OnEvent } from './on-event.js';

interface Entry {
  readonly seq: number;
  readonly event: TreeEvent;
}

/** The lines of one `l` frame, numbered from `first`; its bytes and offsets are in `blocks`. */
interface Chunk {
  readonly first: number;
  readonly run: LineRun;
  readonly blocks: readonly Block[];
  /** The bytes it holds: its frame and its lines' offsets. */
  readonly bytes: number;
}

/** An iterator that is reading: the number of the next event it wants. */
interface Cursor {
  next: number;
}

/** Called with each new event, and once (undefined) at the end. */
type Watch = (event: TreeEvent | undefined) => void;

export const DEFAULT_KEEP_OUTPUT = 10_000;

export interface EventLogOptions {
  /** Output lines kept for later readers and waits (default 10 000); `'all'` keeps every one. */
  readonly keepOutput?: number | 'all' | undefined;
  /** Given every event as it is read, from the first. */
  readonly onEvent?: OnEvent | undefined;
}

/** The last index of `items` (sorted by `key`) whose key is <= `value`, or -1. */
function lastAtOrBefore<T>(items: readonly T[], from: number, key: (item: T) => number, value: number): number {
  let lo = from;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(items[mid] as T) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

const seqOf = (entry: Entry): number => entry.seq;
const firstOf = (chunk: Chunk): number => chunk.first;

export class EventLog {
  readonly #lifecycle: Entry[] = [];
  readonly #lifecycleEvents: TreeEvent[] = [];
  #chunks: Chunk[] = [];
  /** Chunks before this index are no longer kept. */
  #chunkHead = 0;
  /** Lines of the head chunk before this index are no longer kept. */
  #lineHead = 0;
  /** Output lines kept. */
  #kept = 0;
  /** Bytes the kept chunks hold (their frames and line offsets). */
  #heldBytes = 0;
  #seq = 0;
  readonly #keep: number;
  readonly #cursors = new Set<Cursor>();
  /** Waits that look at every event, output included. */
  readonly #watchers = new Set<Watch>();
  /** Waits that look at lifecycle events only: lines need not be made into objects for them. */
  readonly #lifecycleWatchers = new Set<Watch>();
  /** Iterators waiting for more. */
  readonly #wakeups = new Set<() => void>();
  /** The pump waiting for a lagging iterator, and the event number it waits for them to reach. */
  #resumePump: (() => void) | undefined;
  #resumeAt = 0;
  readonly #tree: RunningTree;
  readonly #pool = new BlockPool();
  #end: EndEvent | undefined;
  #failure: Error | undefined;
  #holds = 0;
  /** Set until the caller has had its turn to start reading (see handedOut). */
  #pinned: boolean;
  readonly #handler: OnEventHandler | undefined;

  constructor(tree: RunningTree, options: EventLogOptions = {}) {
    const keepOutput = options.keepOutput ?? DEFAULT_KEEP_OUTPUT;
    this.#tree = tree;
    this.#keep = keepOutput === 'all' ? Infinity : Math.max(0, keepOutput);
    // The caller's callback sees every line as it comes: no line needs holding for it.
    this.#pinned = options.onEvent === undefined;
    this.#handler =
      options.onEvent === undefined ? undefined : new OnEventHandler(options.onEvent, () => tree.signal('SIGKILL'));
    tree.keepAlive(false);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for await (const frame of this.#tree.storedFrames(this.#pool)) {
        if (frame.kind === 'l') this.#addLines(frame.bytes, frame.block);
        else {
          if (frame.kind === 'e') parseEvents<TreeEvent>(frame.bytes).forEach((event) => this.#add(event));
          this.#pool.release(frame.block);
          if (frame.kind !== 'e') continue;
        }
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
    this.#lifecycleWatchers.forEach((watch) => watch(undefined));
    this.#wakeups.forEach((wake) => wake());
  }

  #add(event: TreeEvent): void {
    this.#lifecycle.push({ seq: this.#seq++, event });
    this.#lifecycleEvents.push(event);
    if (event.event === 'end') this.#end = event;
    this.#handler?.deliver(event);
    this.#watchers.forEach((watch) => watch(event));
    this.#lifecycleWatchers.forEach((watch) => watch(event));
  }

  #addLines(bytes: Buffer, block: Block): void {
    let offsets: Block | undefined;
    const run = new LineRun(bytes, (count) => {
      const room = this.#pool.take(count * 4);
      offsets = room.block;
      return new Uint32Array(room.bytes.buffer, room.bytes.byteOffset, count);
    });
    const blocks = offsets === undefined ? [block] : [block, offsets];
    if (run.length === 0) {
      blocks.forEach((b) => this.#pool.release(b));
      return;
    }
    this.#chunks.push({ first: this.#seq, run, blocks, bytes: bytes.length + run.length * 4 });
    this.#seq += run.length;
    this.#kept += run.length;
    this.#heldBytes += bytes.length + run.length * 4;
    if (this.#watchers.size === 0 && this.#handler === undefined) return;
    for (let i = 0; i < run.length; i++) {
      const event = run.event(i);
      this.#handler?.deliver(event);
      this.#watchers.forEach((watch) => watch(event));
    }
  }

  /**
   * spawnTree is handing the tree out: once the caller's continuation has run (it may start a
   * reader there), which is before the next turn of the event loop, output may be dropped again.
   */
  handedOut(): void {
    setImmediate(() => {
      this.#pinned = false;
      // What came while the tree started is trimmed now, not only once more comes.
      void this.#trim(false);
    });
  }

  /**
   * Drops output beyond what is kept; a promise when an iterator still needs it (the pump
   * waits on it), or with `wait` false, just stops there.
   */
  #trim(wait = true): Promise<void> | undefined {
    if (this.#pinned) return undefined;
    while (this.#kept > this.#keep) {
      const chunk = this.#chunks[this.#chunkHead] as Chunk;
      const oldest = chunk.first + this.#lineHead;
      let reached = Infinity;
      for (const cursor of this.#cursors) reached = Math.min(reached, cursor.next);
      // Lines of this chunk that every iterator has read, as many as are beyond the bound.
      const drop = Math.min(this.#kept - this.#keep, chunk.run.length - this.#lineHead, reached - oldest);
      if (drop <= 0) {
        if (!wait) return undefined;
        // Resumed once the iterators have read what keeps us over the bound (or this chunk),
        // not at every event they take.
        this.#resumeAt = oldest + Math.min(this.#kept - this.#keep, chunk.run.length - this.#lineHead);
        return new Promise((resolve) => (this.#resumePump = resolve));
      }
      this.#kept -= drop;
      this.#lineHead += drop;
      if (this.#lineHead === chunk.run.length) {
        chunk.blocks.forEach((b) => this.#pool.release(b));
        this.#heldBytes -= chunk.bytes;
        this.#chunkHead += 1;
        this.#lineHead = 0;
      }
    }
    if (this.#chunkHead > 64 && this.#chunkHead * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#chunkHead);
      this.#chunkHead = 0;
    }
    return undefined;
  }

  /** An iterator moved on (or went away): the pump may go on if it was waiting for that. */
  #progress(cursor: Cursor | undefined): void {
    const resume = this.#resumePump;
    if (resume !== undefined && (cursor === undefined || cursor.next >= this.#resumeAt)) {
      this.#resumePump = undefined;
      resume();
    }
  }

  /** The first kept event numbered `seq` or later, and its number. */
  #at(seq: number): Entry | undefined {
    const li = lastAtOrBefore(this.#lifecycle, 0, seqOf, seq - 1) + 1;
    const lifecycle = this.#lifecycle[li];
    let ci = lastAtOrBefore(this.#chunks, this.#chunkHead, firstOf, seq);
    if (ci < this.#chunkHead) ci = this.#chunkHead;
    let line: Entry | undefined;
    for (; ci < this.#chunks.length; ci++) {
      const chunk = this.#chunks[ci] as Chunk;
      const from = ci === this.#chunkHead ? chunk.first + this.#lineHead : chunk.first;
      const at = Math.max(seq, from);
      if (at < chunk.first + chunk.run.length) {
        if (lifecycle !== undefined && lifecycle.seq < at) return lifecycle;
        line = { seq: at, event: chunk.run.event(at - chunk.first) };
        break;
      }
    }
    return line ?? lifecycle;
  }

  get ended(): EndEvent | undefined {
    return this.#end;
  }

  /** The bytes of output held for readers and waits that come later (frames and offsets). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Why `onEvent` failed, if it threw; from then on that counts as handed to the caller. */
  onEventFailure(): PidnsTreeError | undefined {
    return this.#handler?.report();
  }

  /** Why `onEvent` failed, if it threw, told or not. */
  get onEventFailurePeek(): PidnsTreeError | undefined {
    return this.#handler?.failure;
  }

  /** Why `onEvent` failed, if it threw and the caller has not been told yet. */
  get unreportedOnEventFailure(): PidnsTreeError | undefined {
    return this.#handler?.unreported;
  }

  /**
   * A wait's failure when the tree ends first: onEvent's failure if that ended it. Not counted
   * as told: a wait may be one nobody awaits (Tree.exec's own); the public waits count it
   * (Tree: #told).
   */
  #gone(what: string): PidnsTreeError {
    return this.#handler?.failure ?? new PidnsTreeError('TREE_GONE', `the tree ended before ${what}`);
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
   * TREE_GONE if the tree ends first, TIMEOUT after `timeoutMs`. With `lifecycleOnly`, `pick`
   * sees no output lines (which then need not become objects).
   */
  find<T>(
    pick: (event: TreeEvent) => T | undefined,
    what: string,
    timeoutMs?: number,
    lifecycleOnly = false,
  ): Promise<T> {
    try {
      for (const event of lifecycleOnly ? this.#lifecycleEvents : this.kept()) {
        const found = pick(event);
        if (found !== undefined) return Promise.resolve(found);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#end !== undefined || this.#failure !== undefined) return Promise.reject(this.#gone(what));
    const watchers = lifecycleOnly ? this.#lifecycleWatchers : this.#watchers;
    return new Promise<T>((resolve, reject) => {
      const release = this.#hold();
      const finish = (settle: () => void): void => {
        watchers.delete(watch);
        if (timer !== undefined) clearTimeout(timer);
        release();
        settle();
      };
      const watch = (event: TreeEvent | undefined): void => {
        if (event === undefined) {
          finish(() => reject(this.#gone(what)));
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
          finish(() => reject(this.#gone(what)));
        }
      };
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              finish(() => reject(new PidnsTreeError('TIMEOUT', `no ${what} within ${timeoutMs} ms`)));
            }, timeoutMs);
      watchers.add(watch);
    });
  }

  /**
   * Every kept event from the first, then each as it comes, until `end`. Written out rather than
   * as an async generator: when the next event is there, `next()` costs one settled promise,
   * where a generator's `yield` adds awaits of its own for every event of a flood.
   */
  iterate(): AsyncGenerator<TreeEvent, void, undefined> {
    const cursor: Cursor = { next: 0 };
    this.#cursors.add(cursor);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.#cursors.delete(cursor);
      this.#progress(undefined);
    };
    const over: IteratorResult<TreeEvent, void> = { done: true, value: undefined };
    const next = (): Promise<IteratorResult<TreeEvent, void>> => {
      if (done) return Promise.resolve(over);
      const entry = this.#at(cursor.next);
      if (entry !== undefined) {
        cursor.next = entry.seq + 1;
        if (entry.event.event === 'end') finish();
        else this.#progress(cursor);
        return Promise.resolve({ done: false, value: entry.event });
      }
      if (this.#failure !== undefined) {
        finish();
        return Promise.reject(this.#failure);
      }
      return new Promise<void>((resolve) => {
        const release = this.#hold();
        const wake = (): void => {
          this.#wakeups.delete(wake);
          release();
          resolve();
        };
        this.#wakeups.add(wake);
      }).then(next);
    };
    const iterator: AsyncGenerator<TreeEvent, void, undefined> = {
      next,
      return: async (value?: void | PromiseLike<void>) => {
        finish();
        return { done: true, value: await value };
      },
      throw: (error: unknown) => {
        finish();
        return Promise.reject(error);
      },
      [Symbol.asyncIterator]: () => iterator,
      [Symbol.asyncDispose]: () => {
        finish();
        return Promise.resolve();
      },
    };
    return iterator;
  }
}
