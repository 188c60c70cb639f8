/**
 * A started tree: its events (from the frames the native collector writes), signals to its
 * root init, and its end. The native side owns the processes; here we only read a pipe.
 */
import net from 'node:net';

import type { BlockPool } from './block-pool.js';
import { nativeError } from './errors.js';
import type { TreeEvent } from './events.js';
import { frameEvents, readFrames, type Frame } from './frames.js';
import { initPath, native, type NativeTree, type SpawnMode } from './native.js';
import { signalNumber, type SignalName } from './signals.js';
import type { Plan } from './spec.js';
import { readStoredFrames, type StoredFrame } from './stored-frames.js';

// Checked signal numbers live in signals.ts; re-exported where callers have always found them.
export { signalNumber, type SignalName } from './signals.js';

/**
 * How the events come: `events` as NDJSON to parse, `lines` the same but output lines in binary
 * `l` frames (the API: no JSON per line, see frames.ts), `ndjson` as text to print (`spawn
 * --json`), `human` with output lines rendered for a person and the rest as objects (`spawn`).
 */
export interface OutputOptions {
  readonly format: 'events' | 'lines' | 'ndjson' | 'human';
  /** human: ANSI colours in the rendered lines. */
  readonly color?: boolean;
  /** human: the width of the `node:process` prefix. */
  readonly prefixWidth?: number;
  /** A descriptor (stdout) whose hang-up ends the tree: nobody would see the rest of it. */
  readonly watchFd?: number;
  /** ndjson: where the collector writes the events itself (stdout); only the code comes here. */
  readonly outputFd?: number;
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

  /**
   * Starts the tree; its processes run from here on. The kernel's refusals come with their code
   * (NO_PRIVILEGE, NO_USERNS, DEPTH_LIMIT) and a message that says what to do.
   */
  static start(plan: Plan, mode: SpawnMode = 'auto', output: OutputOptions = { format: 'events' }): RunningTree {
    try {
      const options = { mode, ...output };
      return new RunningTree(plan, native().spawnTree(initPath(), plan.json, options));
    } catch (error) {
      throw nativeError(error, 'SPAWN_FAILED');
    }
  }

  /**
   * The collector's frames, in order, until the tree is gone. Read them once: they come from
   * one pipe. While nobody reads, the tree's output backs up (processes block on write): nothing
   * is lost.
   */
  async *frames(): AsyncGenerator<Frame, void, undefined> {
    try {
      yield* readFrames(this.#socket);
    } finally {
      this.#socket.destroy();
    }
  }

  /** The same frames, each copied into `pool` (the API's event log: see stored-frames.ts). */
  async *storedFrames(pool: BlockPool): AsyncGenerator<StoredFrame, void, undefined> {
    try {
      yield* readStoredFrames(this.#socket, pool);
    } finally {
      this.#socket.destroy();
    }
  }

  /** The events of each frame, a batch at a time (format `events` or `lines`). */
  async *eventBatches(): AsyncGenerator<TreeEvent[], void, undefined> {
    for await (const frame of this.frames()) {
      if (frame.kind === 'e' || frame.kind === 'l') yield frameEvents<TreeEvent>(frame);
    }
  }

  /** Every event, in order, ending with `end` (format `events` or `lines`). */
  async *events(): AsyncGenerator<TreeEvent, void, undefined> {
    for await (const batch of this.eventBatches()) yield* batch;
  }

  /** Sends a signal to the root init, which passes it on to every process and namespace. */
  signal(signal: SignalName | number): boolean {
    const number = signalNumber(signal);
    try {
      return this.#native.signal(number);
    } catch (error) {
      throw nativeError(error, 'SYSCALL_FAILED');
    }
  }

  /**
   * Signals process `process` of namespace `node` (`init` for its PID 1) through a checked
   * pidfd; false when it is not running.
   */
  signalProcess(node: string, process: string, signal: SignalName | number): boolean {
    const number = signalNumber(signal);
    try {
      return this.#native.signalProcess(node, process, number);
    } catch (error) {
      throw nativeError(error, 'SYSCALL_FAILED');
    }
  }

  /** The native handle, for what the scripting API adds (exec). */
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
