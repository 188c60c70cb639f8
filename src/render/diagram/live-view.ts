/**
 * What the live page (src/ui/web/diagram-view.ts) draws of a tree: its layout, and which rows.
 * Pure, so that the rule is tested without a browser.
 */
import { layoutDiagram, type Layout } from './layout.js';
import type { Diagram } from './model.js';
import { METRICS } from './svg.js';

/** Rows drawn above and below the view; all of them when there are at most ALL_ROWS. */
const MARGIN = 40;
const ALL_ROWS = 400;

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
