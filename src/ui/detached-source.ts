/**
 * Detached trees, as `ls`, `ps`, `kill` and `stop` see them: through the live client, which
 * talks only to a supervisor that runs as this user or root (SO_PEERCRED) in a checked state
 * directory. A tree that a page watches is followed with the supervisor's `events` long poll
 * (off the JavaScript thread), one watcher per tree whatever the number of pages.
 */
import { PidnsTreeError } from '../errors.js';
import { events, ps, request } from '../live/client.js';
import { protocolMismatch } from '../live/protocol.js';
import { findTree, listTrees, type LiveTree } from '../live/state-dir.js';
import { LiveState } from '../render/diagram/live-state.js';
import { Broadcast, type Picture, type TreeCatalog, type TreeSource, type TreeSummary, type Update } from './source.js';

/** Events are fetched at most this often: under a storm, a batch per poll instead of a poll per event. */
const BATCH_MS = 40;
/**
 * How long one `events` long poll waits for news. Short: the poll runs in Node's thread pool,
 * where nothing can cancel it, and a process that exits waits for its thread pool; with the
 * protocol's 20 s, Ctrl-C took up to 20 s to end `pidns-tree ui`. An idle tree costs one
 * request every half second.
 */
const FOLLOW_WAIT_MS = 500;

function summaryOf(t: LiveTree): TreeSummary {
  return {
    id: t.info.id,
    root: t.info.root,
    namespaces: t.info.namespaces,
    mode: t.info.mode,
    createdAt: t.info.createdAt,
    foreground: false,
  };
}

class DetachedSource implements TreeSource {
  readonly summary: TreeSummary;
  readonly #tree: LiveTree;
  readonly #listeners = new Broadcast();
  #state: LiveState | undefined;
  #seq = 0;
  #running = false;
  #gone: string | undefined;
  readonly #onIdle: () => void;

  constructor(tree: LiveTree, onIdle: () => void) {
    this.#tree = tree;
    this.summary = summaryOf(tree);
    this.#onIdle = onIdle;
    // A supervisor of another protocol version is never asked anything: its pages are told why.
    this.#gone = protocolMismatch(tree);
  }

  /** `ps` now: the state and the number of the last event it includes. */
  #refresh(): LiveState {
    const reply = ps(this.#tree);
    this.#seq = reply.seq;
    this.#state = LiveState.fromSnapshot(reply);
    return this.#state;
  }

  subscribe(listener: (u: Update) => void, after?: number): () => void {
    if (this.#gone !== undefined) {
      listener({ kind: 'gone', message: this.#gone });
      return () => undefined;
    }
    // A page that has the picture of a version this source made since it follows the tree.
    const { remove, caughtUp } = this.#listeners.add(listener, this.#running ? after : undefined);
    if (!caughtUp) {
      let state: LiveState;
      try {
        state = this.#state ?? this.#refresh();
      } catch (error) {
        remove();
        throw error;
      }
      listener({ kind: 'snapshot', snapshot: state.snapshot() });
    }
    if (!this.#running) void this.#follow();
    return () => {
      remove();
      if (this.#listeners.size === 0) this.#onIdle();
    };
  }

  picture(): Picture | undefined {
    if (!this.#running || this.#gone !== undefined || this.#state === undefined) return undefined;
    return { snapshot: this.#state.snapshot(), version: this.#listeners.version };
  }

  async #follow(): Promise<void> {
    this.#running = true;
    try {
      while (this.#listeners.size > 0) {
        const reply = await events(this.#tree, this.#seq, FOLLOW_WAIT_MS);
        if (reply.first > this.#seq + 1) {
          // Fell behind what the supervisor keeps: start again from a fresh picture.
          const state = this.#refresh();
          this.#listeners.send({ kind: 'snapshot', snapshot: state.snapshot() });
        } else if (reply.events.length > 0) {
          this.#seq = reply.seq;
          for (const e of reply.events) this.#state?.apply(e);
          this.#listeners.send({ kind: 'events', events: reply.events });
        }
        if (reply.ended) {
          this.#gone = 'the tree has ended';
          break;
        }
        if (reply.events.length > 0) await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
      }
    } catch (error) {
      this.#gone = error instanceof Error ? error.message : String(error);
      this.#listeners.send({ kind: 'gone', message: this.#gone });
    } finally {
      this.#running = false;
    }
  }

  kill(node: string, process: string, signal: number): Promise<boolean> {
    return Promise.resolve(request(this.#tree, { t: 'kill', node, process, signal })['sent'] === true);
  }

  stop(graceMs: number): Promise<void> {
    request(this.#tree, { t: 'stop', graceMs });
    return Promise.resolve();
  }
}

/** The detached trees of this user; a watched tree keeps its watcher while a page watches it. */
export class DetachedCatalog implements TreeCatalog {
  readonly #watched = new Map<string, DetachedSource>();

  /**
   * Follows tree `id` from now on, page or not (`pidns-tree ui ID`: the tree it was started
   * for), so that a page gets its picture from memory instead of waiting for a `ps`.
   */
  keep(id: string): boolean {
    const source = this.get(id);
    source?.subscribe(() => undefined);
    return source !== undefined;
  }

  list(): TreeSummary[] {
    return listTrees().trees.map(summaryOf);
  }

  get(id: string): TreeSource | undefined {
    const known = this.#watched.get(id);
    if (known !== undefined) return known;
    let tree: LiveTree;
    try {
      tree = findTree(id);
    } catch (error) {
      if (error instanceof PidnsTreeError && error.code === 'UNKNOWN_TREE') return undefined;
      throw error;
    }
    const source = new DetachedSource(tree, () => this.#watched.delete(id));
    this.#watched.set(id, source);
    return source;
  }
}
