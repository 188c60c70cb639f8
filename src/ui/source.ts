/**
 * What `pidns-tree ui`'s server shows and acts on: trees, each a source of a snapshot and of
 * the events that follow it. Detached trees come from their supervisors (detached-source.ts);
 * the tree of `spawn --ui` from the spawn itself (foreground-source.ts).
 */
import type { TreeEvent } from '../events.js';
import type { LiveSnapshot } from '../render/diagram/live-state.js';

export interface TreeSummary {
  readonly id: string;
  readonly root: string;
  readonly namespaces: number;
  readonly mode: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly foreground: boolean;
}

/** What a page is sent: first a snapshot, then batches of events; a later snapshot means: take this one instead. */
export type Update =
  | { readonly kind: 'snapshot'; readonly snapshot: LiveSnapshot }
  | { readonly kind: 'events'; readonly events: readonly TreeEvent[] }
  | { readonly kind: 'gone'; readonly message: string };

/** The picture of a tree a server has in memory, and how many events it includes (its version). */
export interface Picture {
  readonly snapshot: LiveSnapshot;
  readonly version: number;
}

export interface TreeSource {
  readonly summary: TreeSummary;
  /**
   * Calls `listener` at once with a snapshot (or, for a page that already has the picture of
   * version `after`, with the events since, when they are still kept), then with every update;
   * returns the unsubscribe.
   */
  subscribe(listener: (update: Update) => void, after?: number): () => void;
  /** The picture now, when it is in memory (a tree followed since the server started): no supervisor asked. */
  picture(): Picture | undefined;
  /** A signal to `node:process` (`init`: the namespace's PID 1); false when it is not running. */
  kill(node: string, process: string, signal: number): Promise<boolean>;
  /** SIGTERM to every namespace, SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export interface TreeCatalog {
  list(): TreeSummary[];
  get(id: string): TreeSource | undefined;
}

/** How many of the last events a tree keeps for the pages that open with its picture inlined. */
export const KEPT_EVENTS = 8192;

/**
 * Listeners of one tree (a listener that throws does not stop the others), the number of events
 * sent so far (the version of the picture they make) and the last of them: a page that got the
 * picture of version N inside its HTML asks the stream for what came after N, not for a
 * snapshot it already has.
 */
export class Broadcast {
  readonly #listeners = new Set<(u: Update) => void>();
  #version = 0;
  /** The events numbered version - recent.length + 1 .. version; emptied by a snapshot (a reset). */
  #recent: TreeEvent[] = [];

  get version(): number {
    return this.#version;
  }

  /**
   * Adds `listener`; with `after`, first sends it the kept events after that version and
   * returns true, or returns false when they are not all kept (then it needs a snapshot).
   */
  add(listener: (u: Update) => void, after?: number): { remove: () => void; caughtUp: boolean } {
    let caughtUp = false;
    if (after !== undefined && after <= this.#version && after >= this.#version - this.#recent.length) {
      const missed = this.#recent.slice(this.#recent.length - (this.#version - after));
      if (missed.length > 0) listener({ kind: 'events', events: missed });
      caughtUp = true;
    }
    this.#listeners.add(listener);
    return { remove: () => this.#listeners.delete(listener), caughtUp };
  }

  get size(): number {
    return this.#listeners.size;
  }

  send(update: Update): void {
    if (update.kind === 'events') {
      this.#version += update.events.length;
      this.#recent.push(...update.events);
      if (this.#recent.length > 2 * KEPT_EVENTS) this.#recent = this.#recent.slice(-KEPT_EVENTS);
    } else if (update.kind === 'snapshot') {
      // A fresh picture: what came before it cannot be replayed on top of it.
      this.#version += 1;
      this.#recent = [];
    }
    for (const l of this.#listeners) {
      try {
        l(update);
      } catch {
        // a page that went away: its response is closed by the server
      }
    }
  }
}
