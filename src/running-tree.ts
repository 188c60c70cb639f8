/**
 * A started tree: its events as an async iterable, signals to its root init, and its end.
 * The native side owns the processes; here we only read the event pipe it hands us.
 */
import net from 'node:net';
import readline from 'node:readline';

import { PidnsTreeError } from './errors.js';
import type { TreeEvent } from './events.js';
import { initPath, native, type NativeTree, type SpawnMode } from './native.js';
import { signalNumber, type SignalName } from './signals.js';
import type { Plan } from './spec.js';

// Checked signal numbers live in signals.ts; re-exported where callers have always found them.
export { signalNumber, type SignalName } from './signals.js';

/** Maps the kernel's refusals to errors that say what to do. */
function spawnError(error: unknown): PidnsTreeError {
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('CAP_SYS_ADMIN')) {
    return new PidnsTreeError('NO_PRIVILEGE', message);
  }
  if (message.startsWith('rootless mode needs a user namespace')) return new PidnsTreeError('NO_USERNS', message);
  if (message.includes('ENOSPC')) return new PidnsTreeError('DEPTH_LIMIT', message);
  if (error instanceof PidnsTreeError) return error;
  return new PidnsTreeError('SPAWN_FAILED', message);
}

export class RunningTree {
  readonly plan: Plan;
  /** The root init's PID on the host. */
  readonly pid: number;
  /** True when the tree runs in a user namespace (rootless). */
  readonly rootless: boolean;
  readonly #native: NativeTree;
  readonly #socket: net.Socket;

  private constructor(plan: Plan, tree: NativeTree) {
    this.plan = plan;
    this.#native = tree;
    this.pid = tree.pid;
    this.rootless = tree.rootless;
    this.#socket = new net.Socket({ fd: tree.eventsFd, readable: true, writable: false });
  }

  /** Starts the tree; its processes run from here on. */
  static start(plan: Plan, mode: SpawnMode = 'auto'): RunningTree {
    try {
      return new RunningTree(plan, native().spawnTree(initPath(), plan.json, mode));
    } catch (error) {
      throw spawnError(error);
    }
  }

  /**
   * Every event, in order, ending with `end`. Read it once: the events come from one pipe.
   * While nobody reads, the tree's output backs up (processes block on write), nothing is lost.
   */
  async *events(): AsyncGenerator<TreeEvent, void, undefined> {
    const lines = readline.createInterface({ input: this.#socket, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (line.length > 0) yield JSON.parse(line) as TreeEvent;
      }
    } finally {
      lines.close();
      this.#socket.destroy();
    }
  }

  /** Sends a signal to the root init, which passes it on to every process and namespace. */
  signal(signal: SignalName | number): boolean {
    return this.#native.signal(signalNumber(signal));
  }

  /** The native handle, for what the scripting API adds (exec, per-process signals). */
  get native(): NativeTree {
    return this.#native;
  }

  /**
   * Whether the event pipe keeps Node alive. The API keeps it unreferenced unless someone
   * waits, so a script that forgets its tree still exits (and the kernel kills the tree).
   */
  keepAlive(on: boolean): void {
    if (on) this.#socket.ref();
    else this.#socket.unref();
  }
}
