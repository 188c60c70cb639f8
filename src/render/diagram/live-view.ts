/**
 * What the live page draws, in one place for the page (src/ui/web/diagram-view.ts) and for the
 * server that draws the page's first picture into its HTML (src/ui/first-picture.ts): the two
 * must make the same layout and draw the same rows, or the page could not take over the
 * server's drawing.
 */
import { layoutDiagram, type Layout } from './layout.js';
import type { Diagram } from './model.js';
import { METRICS } from './svg.js';

/** Rows drawn above and below the view; all of them when there are at most ALL_ROWS. */
const MARGIN = 40;
const ALL_ROWS = 400;

/** The view the server assumes for the first picture: a tall window, at the top. */
export const FIRST_VIEW = { scrollTop: 0, height: 1200 } as const;

/** The layout of a live diagram: room for the widest state a process can come to. */
export function liveLayout(diagram: Diagram): Layout {
  return layoutDiagram(diagram, { minStateWidth: 'killed by SIGKILL (137)'.length });
}

/**
 * The rows (first, last + 1) drawn for a view `height` pixels high scrolled to `scrollTop`:
 * those in view and a margin, or all of a small tree. A tree of a thousand processes would
 * otherwise be twenty thousand text elements, laid out again whenever one changes.
 */
export function drawnRows(
  rows: number,
  view: { readonly scrollTop: number; readonly height: number },
): [number, number] {
  if (rows <= ALL_ROWS) return [0, rows];
  const top = Math.floor((view.scrollTop - METRICS.TITLE) / METRICS.LINE);
  const seen = Math.ceil(view.height / METRICS.LINE);
  return [Math.max(0, top - MARGIN), top + seen + MARGIN];
}
