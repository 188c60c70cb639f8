/**
 * A running tree as its events tell it: every process that started (with its PIDs at every
 * level), whether it runs, is a zombie or has exited and how, the zombies under a PID 1 that
 * does not reap, and the orphans each init reaped. Built from a detached tree's `ps` and kept
 * up to date by the events that follow (`pidns-tree ui`), or from the events alone (`spawn`,
 * for its picture and summary at the end). Pure: the web page runs the same code.
 */
import type { ExitEvent, StartEvent, TreeEvent } from '../../events.js';
import type { Diagram, DiagramNamespace, DiagramProcess } from './model.js';
import { levelsOf } from '../../pid-levels.js';

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

/** What an event changed: `structure` (a process appeared), `state`, or nothing shown. */
export type Change = 'structure' | 'state' | 'none';

export class LiveState {
  readonly #processes = new Map<string, LiveProcess>();
  readonly #zombies = new Map<string, { count: number; pids: readonly number[] }>();
  readonly #reaped = new Map<string, number>();
  #ended: number | null = null;
  /** The processes of the last snapshot, while none has started or exited since (a storm of reaps changes only counts). */
  #sameProcesses: readonly LiveProcess[] | undefined;
  /** How many run, while none has started or exited since it was counted. */
  #running: number | undefined;

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
        this.#sameProcesses = undefined;
        this.#running = undefined;
        return known ? 'state' : 'structure';
      }
      case 'exit': {
        const key = `${e.node}:${e.process}`;
        const p = this.#processes.get(key);
        if (p === undefined) return 'none';
        this.#processes.set(key, { start: p.start, state: 'exited', exit: e });
        this.#sameProcesses = undefined;
        this.#running = undefined;
        return 'state';
      }
      case 'reap': {
        this.#reaped.set(e.node, (this.#reaped.get(e.node) ?? 0) + 1);
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

  /** How many processes there are, and how many of them run (a page says it every frame). */
  counts(): { running: number; total: number } {
    if (this.#running === undefined) {
      this.#running = 0;
      for (const p of this.#processes.values()) if (p.state === 'running') this.#running += 1;
    }
    return { running: this.#running, total: this.#processes.size };
  }

  reaped(node: string): number {
    return this.#reaped.get(node) ?? 0;
  }

  zombies(node: string): { count: number; pids: readonly number[] } {
    return this.#zombies.get(node) ?? { count: 0, pids: [] };
  }

  /**
   * The state as a snapshot (what a new page gets first). Its list of processes is the same
   * array from one snapshot to the next while no process started or exited: a server that
   * packs it for the pages does so once (ui/snapshot-json.ts).
   */
  snapshot(): LiveSnapshot {
    this.#sameProcesses ??= this.processes();
    return {
      processes: this.#sameProcesses,
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
  const isInit = s.process === 'init';
  const userInit = isInit && !isOurInit(s);
  const d: DiagramProcess = {
    key: `${s.node}:${s.process}`,
    node: s.node,
    name: s.process,
    role: isInit ? (userInit ? 'user-init' : 'init') : 'process',
    pids: s.pids,
    state: p.state,
    exit: p.exit === null ? null : { code: p.exit.code, signal: p.exit.signal },
    command: userInit || !isInit ? s.command : [],
  };
  // Only when there is one (no spread: a page converts a thousand of these, cold).
  const note = p.exit?.reason ?? p.exit?.error;
  return note === undefined ? d : { ...d, note };
}

/** pidns-tree's own init announces itself with its own binary as the command. */
function isOurInit(s: StartEvent): boolean {
  const first = s.command[0] ?? '';
  return s.command.length === 0 || /(^|\/)pidns-init$/.test(first);
}

/**
 * A snapshot as the ui server sends it: each process as an array, its PIDs as a list from the
 * host down (the levels are the prefixes of its node's path). A tree 32 levels deep names each
 * PID by a path of up to 32 names: a thousand processes would be a megabyte of JSON, this is a
 * tenth of it.
 */
export interface PackedSnapshot {
  readonly processes: readonly PackedProcess[];
  readonly zombies: Readonly<Record<string, number>>;
  readonly reaped: Readonly<Record<string, number>>;
  readonly ended: number | null;
}

/** [node, process, pid, [host PID or null, PID in root, ..., PID in its own], command, state, exit] */
export type PackedProcess = readonly [
  string,
  string,
  number,
  readonly (number | null)[],
  readonly string[],
  LiveProcess['state'],
  ExitEvent | null,
];

/** levelsOf, made once per node: a snapshot packs or unpacks every process of a tree. */
const levelCache = new Map<string, readonly string[]>();
function levels(node: string): readonly string[] {
  let found = levelCache.get(node);
  if (found === undefined) {
    found = levelsOf(node);
    levelCache.set(node, found);
  }
  return found;
}

export function packSnapshot(s: LiveSnapshot): PackedSnapshot {
  return { processes: packProcesses(s.processes), ...packCounts(s) };
}

/** The processes of a packed snapshot: most of its size, and the same while only counts change. */
export function packProcesses(processes: readonly LiveProcess[]): PackedProcess[] {
  return processes.map((p) => [
    p.start.node,
    p.start.process,
    p.start.pid,
    [p.start.pids['host'] ?? null, ...levels(p.start.node).map((l) => p.start.pids[l] ?? null)],
    p.start.command,
    p.state,
    p.exit,
  ]);
}

/** The rest of a packed snapshot: zombies and reaped orphans by namespace, and the end. */
export function packCounts(s: Omit<LiveSnapshot, 'processes'>): Omit<PackedSnapshot, 'processes'> {
  return { zombies: s.zombies, reaped: s.reaped ?? {}, ended: s.ended ?? null };
}

export function unpackSnapshot(s: PackedSnapshot): LiveSnapshot {
  // Plain loops and indexes: a page runs this once, cold, on a thousand processes with a PID at
  // up to 33 levels each, where destructuring (the iterator protocol) and a closure per level
  // cost several times the work itself.
  const packed = s.processes;
  const processes = new Array<LiveProcess>(packed.length);
  for (let k = 0; k < packed.length; k += 1) {
    const p = packed[k] as PackedProcess;
    const node = p[0];
    const list = p[3];
    const paths = levels(node);
    const pids: Record<string, number> = {};
    const host = list[0];
    if (host !== null && host !== undefined) pids['host'] = host;
    for (let i = 0; i < paths.length; i += 1) {
      const v = list[i + 1];
      if (v !== null && v !== undefined) pids[paths[i] as string] = v;
    }
    processes[k] = {
      start: { event: 'start', node, process: p[1], pid: p[2], pids, command: p[4] },
      state: p[5],
      exit: p[6],
    };
  }
  return { processes, zombies: s.zombies, reaped: s.reaped, ended: s.ended };
}
