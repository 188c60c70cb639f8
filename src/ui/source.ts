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

/** What a page is sent: first a snapshot, then batches of events; `reset` means: take this snapshot instead. */
export type Update =
  | { readonly kind: 'snapshot'; readonly snapshot: LiveSnapshot }
  | { readonly kind: 'events'; readonly events: readonly TreeEvent[] }
  | { readonly kind: 'gone'; readonly message: string };

export interface TreeSource {
  readonly summary: TreeSummary;
  /** Calls `listener` with a snapshot at once, then with every update; returns the unsubscribe. */
  subscribe(listener: (update: Update) => void): () => void;
  /** A signal to `node:process` (`init`: the namespace's PID 1); false when it is not running. */
  kill(node: string, process: string, signal: number): Promise<boolean>;
  /** SIGTERM to every namespace, SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export interface TreeCatalog {
  list(): TreeSummary[];
  get(id: string): TreeSource | undefined;
}

/** Listeners of one tree; a listener that throws does not stop the others. */
export class Broadcast {
  readonly #listeners = new Set<(u: Update) => void>();

  add(listener: (u: Update) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#listeners.size;
  }

  send(update: Update): void {
    for (const l of this.#listeners) {
      try {
        l(update);
      } catch {
        // a page that went away: its response is closed by the server
      }
    }
  }
}
