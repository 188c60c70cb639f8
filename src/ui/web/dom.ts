/** Small DOM helpers of the pages. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** An element with attributes and children (text children become text nodes: never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** A meta tag's content (the server fills them in: the token, the tree to show first). */
export function meta(name: string): string {
  return decodeURIComponent(document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '');
}
