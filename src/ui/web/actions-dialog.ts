/**
 * The one dialog of the pages: a native <dialog> (focus stays in it, Escape closes it, focus
 * goes back where it was), whose content each action fills in.
 */
import { byId, h } from './dom.js';

export class ActionDialog {
  readonly #dialog: HTMLDialogElement;
  readonly #body: HTMLElement;
  readonly #title: HTMLElement;

  constructor(id: string) {
    this.#dialog = byId<HTMLDialogElement>(id);
    this.#title = h('h2', { id: `${id}-title` });
    this.#body = h('div', { class: 'dialog-body' });
    this.#dialog.setAttribute('aria-labelledby', `${id}-title`);
    this.#dialog.replaceChildren(this.#title, this.#body);
  }

  get open(): boolean {
    return this.#dialog.open;
  }

  /** Shows `content` under `title`; the first field or button gets the focus. */
  show(title: string, ...content: Node[]): void {
    this.#title.textContent = title;
    this.#body.replaceChildren(...content);
    if (!this.#dialog.open) this.#dialog.showModal();
    const first = this.#body.querySelector<HTMLElement>('input, select, button:not(.cancel)');
    first?.focus();
  }

  close(): void {
    if (this.#dialog.open) this.#dialog.close();
  }

  /** A row of buttons: each runs its action; `Cancel` closes. */
  buttons(...items: { label: string; run: () => void; primary?: boolean; danger?: boolean }[]): HTMLElement {
    const row = h('div', { class: 'buttons' });
    for (const item of items) {
      const b = h(
        'button',
        { type: 'button', class: `${item.primary === true ? 'primary' : ''} ${item.danger === true ? 'danger' : ''}` },
        item.label,
      );
      b.addEventListener('click', item.run);
      row.append(b);
    }
    const cancel = h('button', { type: 'button', class: 'cancel' }, 'Cancel');
    cancel.addEventListener('click', () => this.close());
    row.append(cancel);
    return row;
  }
}

/** Signals a person would send, with what they do by default. */
export const SIGNALS: readonly { name: string; what: string }[] = [
  { name: 'SIGTERM', what: 'asks it to end' },
  { name: 'SIGKILL', what: 'kills it (from an ancestor namespace, PID 1 too)' },
  { name: 'SIGINT', what: 'as Ctrl-C' },
  { name: 'SIGHUP', what: 'hang-up' },
  { name: 'SIGUSR1', what: 'user signal 1' },
  { name: 'SIGUSR2', what: 'user signal 2' },
  { name: 'SIGSTOP', what: 'stops it' },
  { name: 'SIGCONT', what: 'continues it' },
];

export function signalSelect(id: string, chosen = 'SIGTERM'): HTMLSelectElement {
  const select = h('select', { id });
  for (const s of SIGNALS) {
    const o = h('option', { value: s.name }, `${s.name}: ${s.what}`);
    if (s.name === chosen) o.selected = true;
    select.append(o);
  }
  return select;
}

export function field(label: string, control: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), control);
}
