/** `--format svg|mermaid` of plan, simulate, ps and spawn: the diagram, drawn one way or the other. */
import { layoutDiagram } from '../render/diagram/layout.js';
import { renderMermaid } from '../render/diagram/mermaid.js';
import type { Diagram } from '../render/diagram/model.js';
import { renderSvg } from '../render/diagram/svg.js';

export type OutputFormat = 'text' | 'svg' | 'mermaid';

export function drawDiagram(diagram: Diagram, format: 'svg' | 'mermaid'): string {
  if (format === 'mermaid') return renderMermaid(diagram);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderSvg(layoutDiagram(diagram), { standalone: true })}\n`;
}
