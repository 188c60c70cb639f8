/**
 * Where everything of a diagram goes, on a grid of character cells: namespaces are boxes
 * nested in their parent's box, and each process is a row that crosses every box around it,
 * with its PID in that namespace written just inside that box's left edge (its gutter). Read a
 * row from the left: host PID, PID in the root, in the next box... down to its own namespace,
 * then its name, state and command (the state in a column per depth, which steps right with
 * the depth: a shallow row's state stays next to its name). Pure and deterministic: the CLI's SVG export and the web
 * pages draw the same layout (svg.ts), and tests check it without a browser.
 *
 *   host  ┌ root ───────────────────────────────────┐
 *   4711  │ 1     init                              │
 *   4713  │ 2     web      running   sleep 10       │
 *         │   ┌ root/a ───────────────────────────┐ │
 *   4714  │ 3 │ 1  init                           │ │
 *   4716  │ 4 │ 2  worker  exited 0  sh -c …      │ │
 *         │   └───────────────────────────────────┘ │
 *         └─────────────────────────────────────────┘
 */
import { counted, describeExit, pidChain, pidText, shellWords, truncate } from '../words.js';
import type { Diagram, DiagramNamespace, DiagramProcess, PidValue } from './model.js';

/** How a row's state is coloured. */
export type Tone = 'planned' | 'running' | 'stopped' | 'zombie' | 'ok' | 'failed' | 'gone';

/** Text starting at column `col`. */
export interface Cell {
  readonly col: number;
  readonly text: string;
}

/** A PID in a gutter: `col` is where the right-aligned text starts. */
export interface PidCell extends Cell {
  /** The namespace path, or `host`. */
  readonly level: string;
}

export interface LayoutRow {
  readonly row: number;
  /** `node:process`, `node:init`, or `node:zombies`. */
  readonly key: string;
  readonly kind: 'init' | 'process' | 'zombies';
  readonly node: string;
  readonly depth: number;
  readonly pids: readonly PidCell[];
  readonly name: Cell;
  readonly state: Cell & { readonly tone: Tone };
  readonly command: Cell;
  /** The row in words, for screen readers and tooltips. */
  readonly label: string;
}

export interface LayoutBox {
  readonly path: string;
  readonly depth: number;
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
  /** On the top border: the path, then what is counted there (reaped orphans, zombies). */
  readonly label: Cell;
  readonly summary: Cell;
}

export interface Layout {
  readonly title: string;
  /** Grid size in cells. */
  readonly columns: number;
  readonly rows: number;
  /** Column headings on row 0 (`host` above the host PIDs). */
  readonly headings: readonly Cell[];
  readonly boxes: readonly LayoutBox[];
  readonly lines: readonly LayoutRow[];
  /** Room for a state, and for a command at each depth, in cells: a page that patches a row checks its text fits. */
  readonly stateWidth: number;
  readonly commandRooms: readonly number[];
}

export interface LayoutOptions {
  /** Commands are cut to this many characters (default 48). */
  readonly commandWidth?: number;
  /** Room for states at least this wide (a live page keeps room for `killed by SIGKILL (137)`). */
  readonly minStateWidth?: number;
}

/** The width of pidText(v), without making the text (a layout measures every PID of a tree). */
function pidWidth(v: PidValue | undefined): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return pidText(v).length;
  let width = 1;
  for (let n = v; n >= 10; n = Math.floor(n / 10)) width += 1;
  return width;
}

export function toneOf(p: Pick<DiagramProcess, 'state' | 'exit'>): Tone {
  switch (p.state) {
    case 'exited':
    case 'gone':
      if (p.exit === null) return 'gone';
      return p.exit.code === 0 && p.exit.signal === null ? 'ok' : 'failed';
    default:
      return p.state;
  }
}

/** `running`, `zombie`, `exited 0`, `killed by SIGKILL (137)`; nothing for a plan. */
export function stateText(p: Pick<DiagramProcess, 'state' | 'exit'>): string {
  switch (p.state) {
    case 'planned':
      return '';
    case 'exited':
    case 'gone':
      return p.exit === null ? 'gone' : describeExit(p.exit.code, p.exit.signal);
    default:
      return p.state;
  }
}

/** The name a row shows: `your init` for a PID 1 that is the tree's own command. */
export function nameOf(p: Pick<DiagramProcess, 'role' | 'name'>): string {
  return p.role === 'user-init' ? 'your init' : p.name;
}

/** A namespace's PID 1 (when it has one), then its processes: its rows, in drawing order. */
export function membersOf(ns: Pick<DiagramNamespace, 'init' | 'processes'>): DiagramProcess[] {
  return [...(ns.init === null ? [] : [ns.init]), ...ns.processes];
}

/** The PIDs of a process, innermost first, for words: `pid 2 in root/a · 4 in root · 4716 on host`. */
export function pidWords(p: Pick<DiagramProcess, 'pids'>): string {
  return pidChain(p.pids);
}

/** What the top border of a namespace's box says after its path. */
export function boxSummary(ns: Pick<DiagramNamespace, 'reaped' | 'zombies'>): string {
  const parts: string[] = [];
  if (ns.reaped > 0) parts.push(`reaped ${counted(ns.reaped, 'orphan')}`);
  if (ns.zombies.count > 0) parts.push(counted(ns.zombies.count, 'zombie'));
  return parts.join(' · ');
}

interface Entry {
  readonly ns: DiagramNamespace;
  readonly depth: number;
  readonly levels: readonly string[];
  /** Its init, then its processes. */
  readonly members: readonly DiagramProcess[];
}

/** What a row says, made once per process: the columns are sized from it, and the row shows it. */
interface Texts {
  readonly name: string;
  readonly state: string;
  readonly command: string;
}

/** Where PIDs go: the host gutter's width, and where each depth's gutter ends (PIDs are right-aligned). */
interface PidGrid {
  readonly host: number;
  readonly gutterEnd: readonly number[];
}

/**
 * A process's row. Its PID cells and its words are made when asked: a page draws the rows in
 * view, not the thousand (and a class's getters cost nothing per row, where an object literal
 * with getters is made slowly, with two closures each).
 */
class ProcessRow implements LayoutRow {
  readonly key: string;
  readonly kind: 'init' | 'process';
  readonly node: string;
  readonly depth: number;
  readonly name: Cell;
  readonly state: Cell & { readonly tone: Tone };
  readonly command: Cell;
  readonly #p: DiagramProcess;
  readonly #levels: readonly string[];
  readonly #grid: PidGrid;
  #cells: PidCell[] | undefined;

  constructor(
    readonly row: number,
    p: DiagramProcess,
    e: Entry,
    grid: PidGrid,
    cells: Pick<LayoutRow, 'name' | 'state' | 'command'>,
  ) {
    this.key = p.key;
    this.kind = p.role === 'process' ? 'process' : 'init';
    this.node = e.ns.path;
    this.depth = e.depth;
    this.name = cells.name;
    this.state = cells.state;
    this.command = cells.command;
    this.#p = p;
    this.#levels = e.levels;
    this.#grid = grid;
  }

  get pids(): readonly PidCell[] {
    if (this.#cells === undefined) {
      const pids = this.#p.pids;
      const cells: PidCell[] = [];
      const h = pidText(pids['host']);
      if (h !== '') cells.push({ col: this.#grid.host - h.length, text: h, level: 'host' });
      this.#levels.forEach((level, d) => {
        const t = pidText(pids[level]);
        if (t !== '') cells.push({ col: (this.#grid.gutterEnd[d] ?? 0) - t.length, text: t, level });
      });
      this.#cells = cells;
    }
    return this.#cells;
  }

  /** Words for screen readers and tooltips. */
  get label(): string {
    const p = this.#p;
    return [
      p.role === 'process' ? p.key : `${this.node}'s ${p.role === 'user-init' ? 'PID 1 (your command)' : 'init'}`,
      pidWords(p),
      this.state.text,
      p.note ?? '',
      shellWords(p.command),
    ]
      .filter((s) => s !== '')
      .join(', ');
  }
}

export function layoutDiagram(diagram: Diagram, options: LayoutOptions = {}): Layout {
  // Plain loops over the processes: a page lays out a thousand of them, cold, before it can
  // draw anything (bench: ui), and each one has a PID at up to 33 levels.
  const commandWidth = options.commandWidth ?? 48;
  const entries: Entry[] = [];
  const walk = (ns: DiagramNamespace, levels: readonly string[]): void => {
    const here = [...levels, ns.path];
    entries.push({
      ns,
      depth: levels.length,
      levels: here,
      members: membersOf(ns),
    });
    for (const c of ns.children) walk(c, here);
  };
  walk(diagram.root, []);
  const entryOf = new Map(entries.map((e) => [e.ns, e]));
  let maxDepth = 0;
  for (const e of entries) maxDepth = Math.max(maxDepth, e.depth);

  // Gutter widths: the widest PID text at each depth, and on the host; and each row's texts.
  const gutter = new Array<number>(maxDepth + 1).fill(1);
  let host = 0;
  const texts = new Map<DiagramProcess, Texts>();
  let stateWidth = options.minStateWidth ?? 0;
  for (const e of entries) {
    const levels = e.levels;
    for (const p of e.members) {
      const pids = p.pids;
      for (let d = 0; d < levels.length; d += 1) {
        const width = pidWidth(pids[levels[d] as string]);
        if (width > (gutter[d] as number)) gutter[d] = width;
      }
      host = Math.max(host, pidWidth(pids['host']));
      const t: Texts = { name: nameOf(p), state: stateText(p), command: truncate(commandText(p), commandWidth) };
      texts.set(p, t);
      stateWidth = Math.max(stateWidth, t.state.length);
    }
  }
  if (host > 0) host = Math.max(host, 'host'.length);
  // Columns: the host gutter, then for each depth d a box border (left[d]), a space, the
  // gutter, a space; a namespace's rows start where a child's border would be.
  const left: number[] = [];
  let col = host > 0 ? host + 1 : 0;
  for (let d = 0; d <= maxDepth; d += 1) {
    left.push(col);
    col += 2 + (gutter[d] ?? 1) + 1;
  }
  const gutterCol = (d: number) => (left[d] ?? 0) + 2;
  const nameCol = (d: number) => gutterCol(d) + (gutter[d] ?? 1) + 1;

  const zombieName = (ns: DiagramNamespace) =>
    `${counted(ns.zombies.count, 'zombie')}${ns.zombies.pids.length > 0 ? ` (pid ${ns.zombies.pids.join(', ')})` : ''}`;
  // The state and command columns, one per depth: a namespace's rows (and its siblings') line
  // up just after their names and those of the namespaces around them. One column for the whole tree put the state of the root's
  // processes past every deeper namespace's PIDs: 2,000 pixels right of their names in a tree
  // 32 levels deep, out of a window's view.
  const nameEnd = new Array<number>(maxDepth + 1).fill(0);
  const commandLens = new Array<number>(maxDepth + 1).fill(0);
  for (const e of entries) {
    let end = Math.max(nameEnd[e.depth] as number, nameCol(e.depth));
    let command = commandLens[e.depth] as number;
    for (const p of e.members) {
      const t = texts.get(p) as Texts;
      end = Math.max(end, nameCol(e.depth) + t.name.length);
      command = Math.max(command, t.command.length);
    }
    if (e.ns.zombies.count > 0) {
      end = Math.max(end, nameCol(e.depth) + zombieName(e.ns).length);
      stateWidth = Math.max(stateWidth, 'zombie'.length);
    }
    nameEnd[e.depth] = end;
    commandLens[e.depth] = command;
  }
  // Deeper namespaces' states never sit left of shallower ones': the columns step to the right.
  for (let d = 1; d <= maxDepth; d += 1) nameEnd[d] = Math.max(nameEnd[d] as number, nameEnd[d - 1] as number);
  const stateCol = (d: number) => (nameEnd[d] as number) + 2;
  const commandCol = (d: number) => stateCol(d) + stateWidth + (stateWidth > 0 ? 2 : 0);
  let contentEnd = 0;
  for (let d = 0; d <= maxDepth; d += 1) contentEnd = Math.max(contentEnd, commandCol(d) + (commandLens[d] as number));
  // A box must also be wide enough for its label on the top border.
  for (const e of entries) {
    const need = (left[e.depth] ?? 0) + 3 + e.ns.path.length + 2 + (maxDepth - e.depth) + 1;
    contentEnd = Math.max(contentEnd, need);
  }
  const right = (d: number) => contentEnd + 1 + (maxDepth - d);
  const columns = right(0) + 1;

  const grid: PidGrid = { host, gutterEnd: gutter.map((width, d) => gutterCol(d) + width) };
  const headings: Cell[] = host > 0 ? [{ col: 0, text: 'host' }] : [];
  const boxes: LayoutBox[] = [];
  const lines: LayoutRow[] = [];
  let row = 1;
  const place = (e: Entry): void => {
    const top = row;
    row += 1;
    for (const p of e.members) {
      const t = texts.get(p) as Texts;
      lines.push(
        new ProcessRow(row, p, e, grid, {
          name: { col: nameCol(e.depth), text: t.name },
          state: { col: stateCol(e.depth), text: t.state, tone: toneOf(p) },
          command: { col: commandCol(e.depth), text: t.command },
        }),
      );
      row += 1;
    }
    if (e.ns.zombies.count > 0) {
      lines.push({
        row,
        key: `${e.ns.path}:zombies`,
        kind: 'zombies',
        node: e.ns.path,
        depth: e.depth,
        pids: [],
        name: { col: nameCol(e.depth), text: zombieName(e.ns) },
        state: { col: stateCol(e.depth), text: 'zombie', tone: 'zombie' },
        command: { col: commandCol(e.depth), text: '' },
        label: `${zombieName(e.ns)} under ${e.ns.path}'s PID 1, which does not reap`,
      });
      row += 1;
    }
    for (const child of e.ns.children) {
      const c = entryOf.get(child);
      if (c !== undefined) place(c);
    }
    const l = left[e.depth] ?? 0;
    const summary = boxSummary(e.ns);
    const labelText = e.ns.path;
    const room = right(e.depth) - l - 3 - labelText.length - 3;
    boxes.push({
      path: e.ns.path,
      depth: e.depth,
      top,
      bottom: row,
      left: l,
      right: right(e.depth),
      label: { col: l + 2, text: labelText },
      summary: { col: l + 2 + labelText.length + 3, text: room > 3 ? truncate(summary, room) : '' },
    });
    row += 1;
  };
  const root = entries[0];
  if (root !== undefined) place(root);
  // Outer boxes first, so that inner ones are drawn over them.
  boxes.sort((a, b) => a.depth - b.depth || a.top - b.top);
  return {
    title: diagram.title,
    columns,
    rows: row,
    headings,
    boxes,
    lines,
    stateWidth,
    commandRooms: Array.from({ length: maxDepth + 1 }, (_, d) => right(d) - 1 - commandCol(d)),
  };
}

/** The command column: the command, and the note (why it ended, who reaped it). */
export function commandText(p: Pick<DiagramProcess, 'command' | 'note'>): string {
  const what = p.command.length > 0 ? shellWords(p.command) : '';
  return p.note === undefined ? what : what === '' ? `(${p.note})` : `${what}  (${p.note})`;
}
