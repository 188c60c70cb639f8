/**
 * A tree source in memory for the ui server's tests: a LiveState fed with events, as the real
 * sources (detached, foreground) do with the events they get, behind the real server.
 */
import path from 'node:path';

import type { TreeEvent } from '../../src/events.js';
import { packageRoot } from '../../src/package-root.js';
import { LiveState } from '../../src/render/diagram/live-state.js';
import { startUiServer } from '../../src/ui/server.js';
import { Broadcast, type Picture, type TreeSource, type Update } from '../../src/ui/source.js';

export const start = (node: string, process: string, pids: Record<string, number>, command: string[]): TreeEvent => ({
  event: 'start',
  node,
  process,
  pid: Object.values(pids).at(-1) ?? 0,
  pids,
  command,
});
export const reap = (pid: number): TreeEvent => ({ event: 'reap', node: 'root', pid, code: 0, signal: null });

/** A tree in memory: what the detached and foreground sources do with the events they get. */
export class MemorySource implements TreeSource {
  readonly summary = {
    id: 'mem',
    root: 'root',
    namespaces: 1,
    mode: 'privileged',
    createdAt: 0,
    foreground: false,
  };
  readonly state = new LiveState();
  readonly listeners = new Broadcast();

  push(events: TreeEvent[]): void {
    for (const e of events) this.state.apply(e);
    this.listeners.send({ kind: 'events', events });
  }

  subscribe(listener: (u: Update) => void, after?: number): () => void {
    const { remove, caughtUp } = this.listeners.add(listener, after);
    if (!caughtUp) listener({ kind: 'snapshot', snapshot: this.state.snapshot() });
    return remove;
  }

  picture(): Picture {
    return { snapshot: this.state.snapshot(), version: this.listeners.version };
  }

  kill(): Promise<boolean> {
    return Promise.resolve(false);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The real server, for `source`, which it follows as the tree it was started for. */
export async function serve(source: MemorySource) {
  const server = await startUiServer({
    host: '127.0.0.1',
    port: 0,
    catalog: { list: () => [source.summary], get: (id) => (id === source.summary.id ? source : undefined) },
    assets: path.join(packageRoot, 'dist', 'ui'),
    defaultTree: source.summary.id,
  });
  return { server, q: `token=${encodeURIComponent(server.token)}` };
}
