/**
 * The tree.json editor: a plain textarea with a gutter of line numbers, in which each line with
 * a problem is marked (and says it), and a list of the problems under it; choosing one puts the
 * cursor where it is. No editor library: a textarea is keyboard- and screen-reader-friendly as
 * it is, and weighs nothing.
 */
import type { SpecIssue } from '../../errors.js';
import { h } from './dom.js';

export class Editor {
  readonly textarea: HTMLTextAreaElement;
  readonly #gutter: HTMLElement;
  readonly #problems: HTMLElement;
  #lines = 0;

  constructor(textarea: HTMLTextAreaElement, gutter: HTMLElement, problems: HTMLElement) {
    this.textarea = textarea;
    this.#gutter = gutter;
    this.#problems = problems;
    textarea.addEventListener('scroll', () => (this.#gutter.scrollTop = textarea.scrollTop));
  }

  get text(): string {
    return this.textarea.value;
  }

  set text(value: string) {
    this.textarea.value = value;
    this.textarea.scrollTop = 0;
  }

  /** Marks the lines of `issues` (none: all clear) and lists them. */
  show(issues: readonly SpecIssue[]): void {
    const count = this.text.split('\n').length;
    const byLine = new Map<number, SpecIssue[]>();
    for (const i of issues) {
      const line = i.line ?? 1;
      byLine.set(line, [...(byLine.get(line) ?? []), i]);
    }
    this.#lines = count;
    this.#gutter.replaceChildren(
      ...Array.from({ length: count }, (_, n) => {
        const here = byLine.get(n + 1);
        const span = h(
          'span',
          here === undefined ? { class: 'ln' } : { class: 'ln error', title: here.map((i) => i.message).join('; ') },
          String(n + 1),
        );
        return h('div', {}, span);
      }),
    );
    this.#gutter.scrollTop = this.textarea.scrollTop;
    this.#problems.replaceChildren(
      ...issues.map((i) => {
        const where = i.line === undefined ? '' : `line ${i.line}:${i.column ?? 1}`;
        const b = h(
          'button',
          { type: 'button', class: 'problem', 'data-line': String(i.line ?? '') },
          h('strong', {}, where),
          ` ${i.path}: ${i.message}`,
          ...(i.hint === undefined ? [] : [h('br'), h('span', { class: 'hint' }, `hint: ${i.hint}`)]),
        );
        b.addEventListener('click', () => this.goTo(i.line ?? 1, i.column ?? 1));
        return h('li', {}, b);
      }),
    );
  }

  /** Puts the cursor at line:column and scrolls it into view. */
  goTo(line: number, column: number): void {
    const lines = this.text.split('\n');
    let at = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i += 1) at += (lines[i]?.length ?? 0) + 1;
    at += Math.max(0, column - 1);
    this.textarea.focus();
    this.textarea.setSelectionRange(at, at);
    const lineHeight = this.textarea.scrollHeight / Math.max(1, this.#lines);
    this.textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }
}
