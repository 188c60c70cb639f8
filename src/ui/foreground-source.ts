/**
 * The tree `spawn --ui` started: its events come from the spawn (which also prints them), its
 * picture is the spawn's own (each event is applied once, by the spawn), and signals go through
 * the tree's own pidfds, as the API's `tree.kill` does.
 */
import type { TreeEvent } from '../events.js';
import type { LiveState } from '../render/diagram/live-state.js';
import type { RunningTree } from '../running-tree.js';
import { Broadcast, type Picture, type TreeCatalog, type TreeSource, type TreeSummary, type Update } from './source.js';

export class ForegroundSource implements TreeSource, TreeCatalog {
  readonly summary: TreeSummary;
  readonly #tree: RunningTree;
  readonly #state: LiveState;
  readonly #listeners = new Broadcast();

  /** `state`: the tree as the spawn keeps it, every event applied before it is pushed here. */
  constructor(tree: RunningTree, id: string, state: LiveState) {
    this.#tree = tree;
    this.#state = state;
    const root = tree.plan.nodes[0]?.path ?? 'root';
    this.summary = {
      id,
      root,
      namespaces: tree.plan.nodes.length,
      mode: tree.rootless ? 'rootless' : 'privileged',
      createdAt: Date.now(),
      foreground: true,
    };
  }

  /** The spawn hands over every lifecycle event here as it reads it, once it has applied it to the state. */
  push(events: readonly TreeEvent[]): void {
    const kept = events.filter((e) => e.event !== 'output');
    if (kept.length === 0) return;
    this.#listeners.send({ kind: 'events', events: kept });
  }

  subscribe(listener: (u: Update) => void, after?: number): () => void {
    const { remove, caughtUp } = this.#listeners.add(listener, after);
    if (!caughtUp) listener({ kind: 'snapshot', snapshot: this.#state.snapshot() });
    return remove;
  }

  picture(): Picture {
    return { snapshot: this.#state.snapshot(), version: this.#listeners.version };
  }

  kill(node: string, process: string, signal: number): Promise<boolean> {
    // Through RunningTree, which checks the signal and gives a failure its code
    // (SYSCALL_FAILED), as the detached path does: the server answers with that code.
    try {
      return Promise.resolve(this.#tree.signalProcess(node, process, signal));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stop(graceMs: number): Promise<void> {
    this.#tree.signal('SIGTERM');
    setTimeout(() => this.#tree.signal('SIGKILL'), graceMs).unref();
    return Promise.resolve();
  }

  list(): TreeSummary[] {
    return [this.summary];
  }

  get(id: string): TreeSource | undefined {
    return id === this.summary.id ? this : undefined;
  }
}
