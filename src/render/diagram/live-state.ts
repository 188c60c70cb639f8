/**
 * A running tree as its events tell it: every process that started (with its PIDs at every
 * level), whether it runs, is a zombie or has exited and how, the zombies under a PID 1 that
 * does not reap, and the orphans each init reaped. Built from a detached tree's `ps` and kept
 * up to date by the events that follow (`pidns-tree ui`), or from the events alone (`spawn`,
 * for its picture and summary at the end). Pure: the web page runs the same code.
 */
import type { ExitEvent, ReapEvent, StartEvent, TreeEvent } from '../../events.js';
import type { Diagram, DiagramNamespace, DiagramProcess } from './model.js';

export interface LiveProcess {
  readonly start: StartEvent;
  readonly state: 'running' | 'zombie' | 'exited';
  readonly exit: ExitEvent | null;
}

/** What `ps` (the supervisor) answers, and what a foreground tree's server sends the same way. */
export interface LiveSnapshot {
  readonly processes: readonly LiveProcess[];
  /** Zombies under a user's PID 1, by namespace. */
  readonly zombies: Readonly<Record<string, number>>;
  /** Orphans reaped so far, by namespace (the supervisor does not count them: absent). */
  readonly reaped?: Readonly<Record<string, number>>;
  /** The exit code, once the tree has ended. */
  readonly ended?: number | null;
}

/** How many reaped orphans each namespace remembers in detail (the count goes on). */
export const RECENT_REAPS = 20;

/** What an event changed: `structure` (a process appeared), `state`, or nothing shown. */
export type Change = 'structure' | 'state' | 'none';

export class LiveState {
  readonly #processes = new Map<string, LiveProcess>();
  readonly #zombies = new Map<string, { count: number; pids: readonly number[] }>();
  readonly #reaped = new Map<string, number>();
  readonly #recentReaps = new Map<string, ReapEvent[]>();
  #ended: number | null = null;

  static fromSnapshot(snapshot: LiveSnapshot): LiveState {
    const s = new LiveState();
    for (const p of snapshot.processes) s.#processes.set(`${p.start.node}:${p.start.process}`, p);
    for (const [node, count] of Object.entries(snapshot.zombies)) s.#zombies.set(node, { count, pids: [] });
    for (const [node, count] of Object.entries(snapshot.reaped ?? {})) s.#reaped.set(node, count);
    s.#ended = snapshot.ended ?? null;
    return s;
  }

  /** Takes in one event; says what it changed. */
  apply(e: TreeEvent): Change {
    switch (e.event) {
      case 'start': {
        const key = `${e.node}:${e.process}`;
        const known = this.#processes.has(key);
        this.#processes.set(key, { start: e, state: 'running', exit: null });
        return known ? 'state' : 'structure';
      }
      case 'exit': {
        const key = `${e.node}:${e.process}`;
        const p = this.#processes.get(key);
        if (p === undefined) return 'none';
        this.#processes.set(key, { start: p.start, state: 'exited', exit: e });
        return 'state';
      }
      case 'reap': {
        this.#reaped.set(e.node, (this.#reaped.get(e.node) ?? 0) + 1);
        const recent = this.#recentReaps.get(e.node) ?? [];
        recent.push(e);
        if (recent.length > RECENT_REAPS) recent.shift();
        this.#recentReaps.set(e.node, recent);
        return 'state';
      }
      case 'zombies':
        this.#zombies.set(e.node, { count: e.count, pids: e.pids });
        return 'state';
      case 'end':
        this.#ended = e.code;
        return 'state';
      default:
        return 'none';
    }
  }

  get ended(): number | null {
    return this.#ended;
  }

  process(key: string): LiveProcess | undefined {
    return this.#processes.get(key);
  }

  processes(): LiveProcess[] {
    return [...this.#processes.values()];
  }

  reaped(node: string): number {
    return this.#reaped.get(node) ?? 0;
  }

  recentReaps(node: string): readonly ReapEvent[] {
    return this.#recentReaps.get(node) ?? [];
  }

  zombies(node: string): { count: number; pids: readonly number[] } {
    return this.#zombies.get(node) ?? { count: 0, pids: [] };
  }

  /** The state as a snapshot (what a new page gets first). */
  snapshot(): LiveSnapshot {
    return {
      processes: this.processes(),
      zombies: Object.fromEntries([...this.#zombies].map(([node, z]) => [node, z.count])),
      reaped: Object.fromEntries(this.#reaped),
      ended: this.#ended,
    };
  }

  /**
   * The diagram: namespaces are the nodes whose init started, nested by path, in the order
   * they started; processes in the order they started.
   */
  diagram(title: string): Diagram {
    const spaces = new Map<string, { init: DiagramProcess | null; processes: DiagramProcess[]; children: string[] }>();
    const order: string[] = [];
    const space = (path: string) => {
      let s = spaces.get(path);
      if (s === undefined) {
        s = { init: null, processes: [], children: [] };
        spaces.set(path, s);
        order.push(path);
        const cut = path.lastIndexOf('/');
        if (cut > 0) space(path.slice(0, cut)).children.push(path);
      }
      return s;
    };
    for (const p of this.#processes.values()) {
      const d = toDiagramProcess(p);
      const s = space(p.start.node);
      if (p.start.process === 'init') s.init = d;
      else s.processes.push(d);
    }
    const build = (path: string): DiagramNamespace => {
      const s = spaces.get(path) ?? { init: null, processes: [], children: [] };
      return {
        path,
        name: path.slice(path.lastIndexOf('/') + 1),
        init: s.init,
        processes: s.processes,
        children: s.children.map(build),
        zombies: this.zombies(path),
        reaped: this.reaped(path),
      };
    };
    const rootPath = order.find((p) => !p.includes('/')) ?? order[0] ?? 'root';
    return { title, root: build(rootPath) };
  }
}

/** A process of the running tree as the diagram shows it. */
export function toDiagramProcess(p: LiveProcess): DiagramProcess {
  const s = p.start;
  const userInit = s.process === 'init' && !isOurInit(s);
  return {
    key: `${s.node}:${s.process}`,
    node: s.node,
    name: s.process,
    role: s.process === 'init' ? (userInit ? 'user-init' : 'init') : 'process',
    pids: s.pids,
    state: p.state,
    exit: p.exit === null ? null : { code: p.exit.code, signal: p.exit.signal },
    ...(p.exit?.reason !== undefined
      ? { note: p.exit.reason }
      : p.exit?.error !== undefined
        ? { note: p.exit.error }
        : {}),
    command: userInit ? s.command : s.process === 'init' ? [] : s.command,
  };
}

/** pidns-tree's own init announces itself with its own binary as the command. */
function isOurInit(s: StartEvent): boolean {
  const first = s.command[0] ?? '';
  return s.command.length === 0 || /(^|\/)pidns-init$/.test(first);
}
