/**
 * The diagram in a page: the SVG markup of render/diagram/svg.ts (the same the CLI exports),
 * put in once per change of shape, then patched in place as processes change state, so that a
 * storm of events costs a few text updates per frame. Rows are reached with the keyboard
 * (one tab stop, arrows move, Enter or Space acts) or a click.
 */
import {
  boxSummary,
  commandText,
  layoutDiagram,
  pidWords,
  stateText,
  toneOf,
  type Layout,
} from '../../render/diagram/layout.js';
import type { Diagram, DiagramNamespace, DiagramProcess } from '../../render/diagram/model.js';
import { METRICS, renderSvg } from '../../render/diagram/svg.js';
import { truncate } from '../../render/words.js';

interface RowRef {
  readonly g: SVGGElement;
  readonly state: SVGTSpanElement | null;
  readonly command: SVGTSpanElement | null;
}

interface BoxRef {
  readonly summary: SVGTSpanElement | null;
  readonly background: SVGRectElement | null;
  readonly room: number;
}

export class DiagramView {
  readonly #container: HTMLElement;
  readonly #activate: (key: string) => void;
  #rows = new Map<string, RowRef>();
  #boxes = new Map<string, BoxRef>();
  #order: string[] = [];
  #selected: string | undefined;
  #layout: Layout | undefined;

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
  }

  get layout(): Layout | undefined {
    return this.#layout;
  }

  #keyOf(target: EventTarget | null): string | undefined {
    const g = target instanceof Element ? target.closest('g.row') : null;
    const key = g?.getAttribute('data-key') ?? undefined;
    return key !== undefined && this.#rows.has(key) ? key : undefined;
  }

  /** Draws the whole diagram (a change of shape); the selected row stays selected. */
  render(diagram: Diagram): void {
    const hadFocus = this.#container.contains(document.activeElement);
    const layout = layoutDiagram(diagram, { minStateWidth: 'killed by SIGKILL (137)'.length });
    this.#layout = layout;
    this.#container.innerHTML = renderSvg(layout, { interactive: true });
    this.#rows = new Map();
    this.#order = [];
    for (const g of this.#container.querySelectorAll<SVGGElement>('g.row')) {
      const key = g.getAttribute('data-key') ?? '';
      if (key.endsWith(':zombies')) continue;
      this.#rows.set(key, {
        g,
        state: g.querySelector<SVGTSpanElement>('tspan.state'),
        command: g.querySelector<SVGTSpanElement>('tspan.cmd'),
      });
      this.#order.push(key);
    }
    this.#boxes = new Map();
    for (const b of layout.boxes) {
      const g = this.#container.querySelector<SVGGElement>(`g.box[data-path="${CSS.escape(b.path)}"]`);
      this.#boxes.set(b.path, {
        summary: g?.querySelector<SVGTSpanElement>('tspan.ns-summary') ?? null,
        background: g?.querySelector<SVGRectElement>('rect.label-bg') ?? null,
        room: b.right - b.summary.col - 2,
      });
    }
    const keep = this.#selected !== undefined && this.#rows.has(this.#selected) ? this.#selected : this.#order[0];
    if (keep !== undefined) this.#select(keep, hadFocus);
  }

  /**
   * A process changed state: its row only. False when its new text does not fit the columns
   * (or the row is not there): then the diagram must be drawn again.
   */
  patchProcess(p: DiagramProcess): boolean {
    const ref = this.#rows.get(p.key);
    const layout = this.#layout;
    const state = stateText(p);
    const command = truncate(commandText(p), 48);
    if (ref === undefined || layout === undefined) return false;
    if (state.length > layout.stateWidth || command.length > layout.commandRoom) return false;
    ref.g.setAttribute('class', `row t-${toneOf(p)}`);
    if (ref.state !== null) ref.state.textContent = state;
    if (ref.command !== null) ref.command.textContent = command;
    const label = ref.g.getAttribute('aria-label') ?? '';
    ref.g.setAttribute('aria-label', `${label.split(', ')[0] ?? p.key}, ${pidWords(p)}, ${state}`);
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
    const old = this.#selected === undefined ? undefined : this.#rows.get(this.#selected);
    old?.g.setAttribute('tabindex', '-1');
    const ref = this.#rows.get(key);
    if (ref === undefined) return;
    this.#selected = key;
    ref.g.setAttribute('tabindex', '0');
    if (focus) ref.g.focus();
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
