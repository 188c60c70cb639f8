/**
 * A layout (layout.ts) as SVG markup: `--format svg` of plan, simulate, ps and spawn write it
 * standalone (with its own styles), and the web pages put the same markup in the page (their
 * stylesheet has DIAGRAM_CSS, which the page's Content-Security-Policy allows, where it would
 * refuse a <style> inside the markup). Text only: it builds a string, and needs neither Node
 * nor a DOM.
 */
import type { Layout, LayoutRow } from './layout.js';

/** Pixel metrics of the grid: a cell is CHAR wide and LINE high, text is FONT pixels. */
export const METRICS = { CHAR: 8, LINE: 18, FONT: 13, PAD: 12, TITLE: 30 } as const;

export interface SvgOptions {
  /** Include the styles (a file of its own); the pages bring DIAGRAM_CSS themselves. */
  readonly standalone?: boolean;
  /** Rows a keyboard can reach (roving tabindex, managed by the page) with a role and label. */
  readonly interactive?: boolean;
  /** Which rows to draw (a page draws those in view): default all. */
  readonly rows?: (all: readonly LayoutRow[]) => readonly LayoutRow[];
}

/** The diagram's colours and fonts, for a standalone file and for the pages' stylesheet. */
export const DIAGRAM_CSS = `
.pidns-diagram { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: ${METRICS.FONT}px; }
.pidns-diagram .bg { fill: #ffffff; }
.pidns-diagram .title { font-size: 15px; font-weight: bold; fill: #1f2328; }
.pidns-diagram .heading { fill: #57606a; font-style: italic; }
.pidns-diagram .box-fill { stroke: none; }
.pidns-diagram .d0 .box-fill { fill: #f6f8fa; } .pidns-diagram .d1 .box-fill { fill: #eaeef2; }
.pidns-diagram .box-edge { fill: none; stroke: #6e7781; stroke-width: 1.2; }
.pidns-diagram .label-bg.bg { fill: #ffffff; } .pidns-diagram .label-bg.d0 { fill: #f6f8fa; } .pidns-diagram .label-bg.d1 { fill: #eaeef2; }
.pidns-diagram .ns-label { font-weight: bold; fill: #0b3d91; }
.pidns-diagram .ns-summary { fill: #953800; }
.pidns-diagram .hit { fill: transparent; }
.pidns-diagram text { fill: #1f2328; white-space: pre; }
.pidns-diagram .pid { fill: #1f2328; }
.pidns-diagram .pid.host { fill: #6e7781; }
.pidns-diagram .name { font-weight: bold; }
.pidns-diagram .cmd { fill: #57606a; }
.pidns-diagram .t-running .state { fill: #1a7f37; font-weight: bold; }
.pidns-diagram .t-zombie .state, .pidns-diagram .t-zombie .name { fill: #bc4c00; font-weight: bold; }
.pidns-diagram .t-ok .state { fill: #57606a; }
.pidns-diagram .t-failed .state { fill: #cf222e; font-weight: bold; }
.pidns-diagram .t-stopped .state { fill: #8250df; font-weight: bold; }
.pidns-diagram .t-gone .state { fill: #6e7781; }
.pidns-diagram .t-ok .name, .pidns-diagram .t-failed .name, .pidns-diagram .t-gone .name { fill: #57606a; font-weight: normal; }
`;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Pixel position of a column's left edge, and of a row's top. */
export const xOf = (col: number): number => METRICS.PAD + col * METRICS.CHAR;
export const yOf = (row: number): number => METRICS.TITLE + row * METRICS.LINE;

/** The drawing's size in pixels. */
export function svgSize(layout: Layout): { width: number; height: number } {
  return { width: xOf(layout.columns) + METRICS.PAD, height: yOf(layout.rows) + METRICS.PAD };
}

const n = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The SVG markup of a layout. */
export function renderSvg(layout: Layout, options: SvgOptions = {}): string {
  const { CHAR, LINE } = METRICS;
  const { width, height } = svgSize(layout);
  const base = (row: number) => yOf(row) + 13;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="pidns-diagram" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" role="img" aria-labelledby="pidns-diagram-title">`,
    `<title id="pidns-diagram-title">${escapeXml(layout.title)}</title>`,
  );
  if (options.standalone === true) out.push(`<style>${DIAGRAM_CSS}</style>`);
  out.push(`<rect class="bg" width="100%" height="100%"/>`);
  out.push(`<text class="title" x="${xOf(0)}" y="20">${escapeXml(layout.title)}</text>`);
  for (const h of layout.headings)
    out.push(`<text class="heading" x="${xOf(h.col)}" y="${base(0)}">${escapeXml(h.text)}</text>`);
  for (const b of layout.boxes) {
    const x0 = xOf(b.left) + CHAR / 2;
    const x1 = xOf(b.right) + CHAR / 2;
    const y0 = yOf(b.top) + LINE / 2;
    const y1 = yOf(b.bottom) + LINE / 2;
    const labelEnd = b.summary.text === '' ? b.label.col + b.label.text.length : b.summary.col + b.summary.text.length;
    // The label sits on the top edge, over a patch of what lies around the box (the parent's
    // fill), which grows when the page updates the summary.
    const around = b.depth === 0 ? 'bg' : `d${(b.depth - 1) % 2}`;
    out.push(
      `<g class="box d${b.depth % 2}" data-path="${escapeXml(b.path)}">`,
      `<rect class="box-fill" x="${n(x0)}" y="${n(y0)}" width="${n(x1 - x0)}" height="${n(y1 - y0)}" rx="5"/>`,
      `<rect class="box-edge" x="${n(x0)}" y="${n(y0)}" width="${n(x1 - x0)}" height="${n(y1 - y0)}" rx="5"/>`,
      `<rect class="label-bg ${around}" x="${n(xOf(b.label.col) - 4)}" y="${n(yOf(b.top) + 2)}" width="${n(xOf(labelEnd) - xOf(b.label.col) + 8)}" height="${LINE - 4}"/>`,
      `<text x="${xOf(b.label.col)}" y="${base(b.top)}"><tspan class="ns-label">${escapeXml(b.label.text)}</tspan>` +
        `<tspan class="ns-summary" x="${xOf(b.summary.col)}">${escapeXml(b.summary.text)}</tspan></text>`,
      `</g>`,
    );
  }
  const rows = options.rows === undefined ? layout.lines : options.rows(layout.lines);
  out.push(`<g class="rows">${renderRows(layout, rows, options.interactive === true)}</g>`);
  out.push('</svg>');
  return out.join('\n');
}

/** The markup of some rows of a layout (the page redraws the rows in view as it scrolls). */
export function renderRows(layout: Layout, rows: readonly LayoutRow[], interactive: boolean): string {
  const { LINE } = METRICS;
  const rowWidth = n(xOf(layout.columns) - xOf(0));
  const out: string[] = [];
  for (const r of rows) {
    const attrs = interactive ? ` tabindex="-1" role="button" aria-label="${escapeXml(r.label)}"` : '';
    const cells = r.pids
      .map(
        (p) =>
          `<tspan class="pid${p.level === 'host' ? ' host' : ''}" data-level="${escapeXml(p.level)}" x="${xOf(p.col)}">${escapeXml(p.text)}</tspan>`,
      )
      .join('');
    out.push(
      `<g class="row t-${r.state.tone}" data-key="${escapeXml(r.key)}"${attrs}>` +
        `<rect class="hit" x="${xOf(0)}" y="${yOf(r.row)}" width="${rowWidth}" height="${LINE}"/>` +
        `<text y="${yOf(r.row) + 13}">${cells}` +
        `<tspan class="name" x="${xOf(r.name.col)}">${escapeXml(r.name.text)}</tspan>` +
        `<tspan class="state" x="${xOf(r.state.col)}">${escapeXml(r.state.text)}</tspan>` +
        `<tspan class="cmd" x="${xOf(r.command.col)}">${escapeXml(r.command.text)}</tspan>` +
        `</text></g>`,
    );
  }
  return out.join('\n');
}
