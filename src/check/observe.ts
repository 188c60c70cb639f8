/**
 * What a run showed, built from its events (and the few things the runner adds: when it
 * stopped something, what each namespace's /proc listed). A state machine fed one event at a
 * time with the time it arrived, so unit tests can drive it without a kernel.
 */
import type { EndEvent, ErrorEvent, ExitEvent, ReapEvent, StartEvent, TreeEvent } from '../events.js';
import type { LineRun } from '../frames.js';
import type { Plan } from '../spec.js';

/** What a namespace's /proc listed once the tree was up, or why it could not be read. */
export type ProcSeen = { readonly pids: readonly number[] } | { readonly unread: string };

export interface Timed<E> {
  readonly event: E;
  /** Milliseconds since the run began. */
  readonly at: number;
}

export interface ZombieCount {
  /** The most seen at once, and their PIDs then. */
  max: readonly number[];
  /** The last count before the namespace ended (or the tree did). */
  last: readonly number[];
}

export class Observation {
  readonly starts = new Map<string, Timed<StartEvent>>();
  readonly exits = new Map<string, Timed<ExitEvent>>();
  readonly reaps = new Map<string, ReapEvent[]>();
  readonly zombies = new Map<string, ZombieCount>();
  readonly errors: ErrorEvent[] = [];
  /** The first declared process or init that failed: it decides the tree's status. */
  firstFailure: ExitEvent | undefined;
  end: Timed<EndEvent> | undefined;
  /** When every init and process of the plan had started (undefined: never). */
  upAt: number | undefined;
  /** Set by the runner once the tree is up. */
  readonly seen = new Map<string, ProcSeen>();
  /** Processes (`node:process`) pidns-tree stopped at their bound, and why. */
  readonly stopped = new Map<string, string>();
  /** Why pidns-tree stopped the whole tree, if it did. */
  treeStopped: string | undefined;
  readonly #output = new Map<string, Buffer[]>();
  readonly #expectedStarts: number;

  /** `keepOutput`: the `node:process` targets whose output is checked (the rest is not kept). */
  constructor(plan: Plan, keepOutput: ReadonlySet<string>) {
    this.#expectedStarts = plan.nodes.reduce((n, node) => n + 1 + node.processes.length, 0);
    for (const target of keepOutput) {
      this.#output.set(`${target}\0stdout`, []);
      this.#output.set(`${target}\0stderr`, []);
    }
  }

  /** Takes the next event; returns true when it completed the tree's start (every init and process up). */
  event(event: TreeEvent, at: number): boolean {
    switch (event.event) {
      case 'start':
        this.starts.set(`${event.node}:${event.process}`, { event, at });
        if (this.upAt === undefined && this.starts.size === this.#expectedStarts) {
          this.upAt = at;
          return true;
        }
        return false;
      case 'output': {
        const chunks = this.#output.get(`${event.node}:${event.process}\0${event.stream}`);
        if (chunks !== undefined) {
          chunks.push(
            event.base64 === undefined ? Buffer.from(event.line, 'utf8') : Buffer.from(event.base64, 'base64'),
          );
          if (event.newline !== false) chunks.push(NEWLINE);
        }
        return false;
      }
      case 'exit':
        this.exits.set(`${event.node}:${event.process}`, { event, at });
        if (this.firstFailure === undefined && (event.code !== 0 || event.signal !== null)) this.firstFailure = event;
        return false;
      case 'reap': {
        const list = this.reaps.get(event.node) ?? [];
        list.push(event);
        this.reaps.set(event.node, list);
        return false;
      }
      case 'zombies': {
        const count = this.zombies.get(event.node) ?? { max: [], last: [] };
        count.last = event.pids;
        if (event.pids.length > count.max.length) count.max = event.pids;
        this.zombies.set(event.node, count);
        return false;
      }
      case 'error':
        this.errors.push(event);
        return false;
      case 'end':
        this.end = { event, at };
        return false;
    }
  }

  /**
   * Takes output lines as the collector sends them (an `l` frame): the same as an `output`
   * event for each, without making one; those of a target whose output is not checked are
   * dropped.
   */
  lines(run: LineRun): void {
    this.#output.get(`${run.node}:${run.process}\0${run.stream}`)?.push(run.written());
  }

  /** The exact bytes a kept target wrote to a stream (undefined if it was not kept). */
  output(target: string, stream: 'stdout' | 'stderr'): Buffer | undefined {
    const chunks = this.#output.get(`${target}\0${stream}`);
    return chunks === undefined ? undefined : Buffer.concat(chunks);
  }
}

const NEWLINE = Buffer.from('\n');
