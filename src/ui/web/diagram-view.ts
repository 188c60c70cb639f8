/**
 * The diagram in a page: the SVG markup of render/diagram/svg.ts (the same the CLI exports).
 * The boxes are drawn whole; of the rows, only those in view and a margin around them
 * (render/diagram/live-view.ts). Processes that change state are patched in place, and the
 * rows drawn later show the patched state. Rows are reached with the keyboard (one tab stop,
 * arrows move, Enter or Space acts) or a click.
 */
import {
  boxSummary,
  commandText,
  pidWords,
  stateText,
  toneOf,
  type Layout,
  type LayoutRow,
} from '../../render/diagram/layout.js';
import { drawnRows, liveLayout } from '../../render/diagram/live-view.js';
import type { Diagram, DiagramNamespace, DiagramProcess } from '../../render/diagram/model.js';
import { METRICS, renderRows, renderSvg, yOf } from '../../render/diagram/svg.js';
import { truncate } from '../../render/words.js';

interface BoxRef {
  readonly summary: SVGTSpanElement | null;
  readonly background: SVGRectElement | null;
  readonly room: number;
}

export class DiagramView {
  readonly #container: HTMLElement;
  readonly #activate: (key: string) => void;
  #layout: Layout | undefined;
  #byKey = new Map<string, LayoutRow>();
  #order: string[] = [];
  /** What patches changed since the layout was made, by key. */
  #patched = new Map<string, LayoutRow>();
  #rowsGroup: SVGGElement | null = null;
  #drawn = new Map<string, SVGGElement>();
  #range: [number, number] = [0, 0];
  #boxes = new Map<string, BoxRef>();
  #selected: string | undefined;
  #scrollFrame = 0;

  /** `activate`: a row was clicked, or Enter or Space pressed on it. */
  constructor(container: HTMLElement, activate: (key: string) => void) {
    this.#container = container;
    this.#activate = activate;
    container.addEventListener('click', (e) => {
      const key = this.#keyOf(e.target);
      if (key !== undefined) {
        this.#select(key, true);
        this.#activate(key);
      }
    });
    container.addEventListener('keydown', (e) => this.#onKey(e));
    container.addEventListener('focusin', (e) => {
      const key = this.#keyOf(e.target);
      if (key !== undefined) this.#select(key, false);
    });
    container.addEventListener('scroll', () => {
      if (this.#scrollFrame === 0) this.#scrollFrame = requestAnimationFrame(() => this.#onScroll());
    });
  }

  get layout(): Layout | undefined {
    return this.#layout;
  }

  #keyOf(target: EventTarget | null): string | undefined {
    const g = target instanceof Element ? target.closest('g.row') : null;
    const key = g?.getAttribute('data-key') ?? undefined;
    return key !== undefined && this.#byKey.has(key) ? key : undefined;
  }

  /** Draws the whole diagram (a change of shape); the selected row stays selected. */
  render(diagram: Diagram): void {
    const hadFocus = this.#container.contains(document.activeElement);
    const layout = liveLayout(diagram);
    this.#layout = layout;
    this.#patched = new Map();
    this.#byKey = new Map(layout.lines.map((r) => [r.key, r]));
    this.#order = layout.lines.filter((r) => r.kind !== 'zombies').map((r) => r.key);
    this.#range = this.#wanted();
    this.#container.innerHTML = renderSvg(layout, { interactive: true, rows: (all) => this.#inRange(all) });
    this.#rowsGroup = this.#container.querySelector<SVGGElement>('g.rows');
    this.#indexRows();
    this.#boxes = new Map();
    for (const b of layout.boxes) {
      const g = this.#container.querySelector<SVGGElement>(`g.box[data-path="${CSS.escape(b.path)}"]`);
      this.#boxes.set(b.path, {
        summary: g?.querySelector<SVGTSpanElement>('tspan.ns-summary') ?? null,
        background: g?.querySelector<SVGRectElement>('rect.label-bg') ?? null,
        room: b.right - b.summary.col - 2,
      });
    }
    const keep = this.#selected !== undefined && this.#byKey.has(this.#selected) ? this.#selected : this.#order[0];
    if (keep !== undefined) this.#select(keep, hadFocus);
  }

  /** The rows (first, last + 1) to draw: those in view and a margin, or all of a small tree. */
  #wanted(): [number, number] {
    return drawnRows(this.#layout?.rows ?? 0, {
      scrollTop: this.#container.scrollTop,
      height: this.#container.clientHeight,
    });
  }

  #inRange(all: readonly LayoutRow[]): LayoutRow[] {
    const [from, to] = this.#range;
    return all
      .filter((r) => (r.row >= from && r.row < to) || r.key === this.#selected)
      .map((r) => this.#patched.get(r.key) ?? r);
  }

  #indexRows(): void {
    this.#drawn = new Map();
    for (const g of this.#rowsGroup?.querySelectorAll<SVGGElement>('g.row') ?? []) {
      this.#drawn.set(g.getAttribute('data-key') ?? '', g);
    }
    const selected = this.#selected === undefined ? undefined : this.#drawn.get(this.#selected);
    selected?.setAttribute('tabindex', '0');
  }

  /** Draws the rows now in view, when the view has left what is drawn. */
  #onScroll(force = false): void {
    this.#scrollFrame = 0;
    const layout = this.#layout;
    if (layout === undefined || this.#rowsGroup === null) return;
    const [from, to] = this.#wanted();
    const [drawnFrom, drawnTo] = this.#range;
    const inside = from >= drawnFrom && to <= drawnTo;
    if (inside && !force) return;
    const hadFocus = this.#rowsGroup.contains(document.activeElement);
    this.#range = [from, to];
    this.#rowsGroup.innerHTML = renderRows(layout, this.#inRange(layout.lines), true);
    this.#indexRows();
    if (hadFocus && this.#selected !== undefined) this.#drawn.get(this.#selected)?.focus();
  }

  /**
   * A process changed state: its row only. False when its new text does not fit the columns
   * (or the row is not there): then the diagram must be drawn again.
   */
  patchProcess(p: DiagramProcess): boolean {
    const row = this.#byKey.get(p.key);
    const layout = this.#layout;
    const state = stateText(p);
    const command = truncate(commandText(p), 48);
    if (row === undefined || layout === undefined) return false;
    if (state.length > layout.stateWidth || command.length > (layout.commandRooms[row.depth] ?? 0)) return false;
    const label = `${row.label.split(', ')[0] ?? p.key}, ${pidWords(p)}, ${state}`;
    // Field by field: a row's PID cells and words may be getters (layout.ts), which a spread
    // would not copy.
    this.#patched.set(p.key, {
      row: row.row,
      key: row.key,
      kind: row.kind,
      node: row.node,
      depth: row.depth,
      pids: row.pids,
      name: row.name,
      state: { ...row.state, text: state, tone: toneOf(p) },
      command: { ...row.command, text: command },
      label,
    });
    const g = this.#drawn.get(p.key);
    if (g !== undefined) {
      g.setAttribute('class', `row t-${toneOf(p)}`);
      const s = g.querySelector('tspan.state');
      if (s !== null) s.textContent = state;
      const c = g.querySelector('tspan.cmd');
      if (c !== null) c.textContent = command;
      g.setAttribute('aria-label', label);
    }
    return true;
  }

  /** A namespace's counts changed (reaped orphans): its label only. */
  patchNamespace(path: string, ns: Pick<DiagramNamespace, 'reaped' | 'zombies'>): void {
    const ref = this.#boxes.get(path);
    if (ref?.summary == null) return;
    const text = truncate(boxSummary(ns), Math.max(0, ref.room));
    if (ref.summary.textContent === text) return;
    ref.summary.textContent = text;
    if (ref.background !== null) {
      const start = Number(ref.summary.getAttribute('x'));
      const labelStart = Number(ref.background.getAttribute('x'));
      ref.background.setAttribute('width', String(start - labelStart + text.length * METRICS.CHAR + 8));
    }
  }

  /** Gives the focus back to the selected row (after a dialog, whose row may have been redrawn). */
  focus(): void {
    if (this.#selected !== undefined) this.#select(this.#selected, true);
  }

  #select(key: string, focus: boolean): void {
    const row = this.#byKey.get(key);
    if (row === undefined) return;
    this.#drawn.get(this.#selected ?? '')?.setAttribute('tabindex', '-1');
    this.#selected = key;
    if (!this.#drawn.has(key)) {
      // Out of the drawn rows: bring it into view first.
      this.#container.scrollTop = yOf(row.row) - this.#container.clientHeight / 2;
      this.#onScroll(true);
    }
    const g = this.#drawn.get(key);
    g?.setAttribute('tabindex', '0');
    if (focus) g?.focus();
  }

  #onKey(e: KeyboardEvent): void {
    const key = this.#keyOf(e.target);
    if (key === undefined) return;
    const at = this.#order.indexOf(key);
    const move = (to: number) => {
      const next = this.#order[Math.max(0, Math.min(this.#order.length - 1, to))];
      if (next !== undefined) this.#select(next, true);
      e.preventDefault();
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(at + 1);
      case 'ArrowUp':
        return move(at - 1);
      case 'PageDown':
        return move(at + 20);
      case 'PageUp':
        return move(at - 20);
      case 'Home':
        return move(0);
      case 'End':
        return move(this.#order.length - 1);
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.#activate(key);
        return;
      default:
        return;
    }
  }
}
