/**
 * The Markdown summary `spawn` appends to GITHUB_STEP_SUMMARY (or `--summary FILE`): how the
 * tree ended, its picture as a Mermaid graph, every process with its PIDs at every level and
 * how it exited, and the orphans each init reaped. Bounded (GitHub takes at most 1 MiB per
 * step): long tables say how many rows they left out.
 */
import type { ReapEvent } from '../../events.js';
import { counted, describeExit } from '../words.js';
import type { LiveState } from './live-state.js';
import { orphanPids } from '../event-words.js';
import { renderMermaid } from './mermaid.js';
import { diagramProcesses } from './model.js';
import { pidWords, stateText } from './layout.js';

/** Rows of each table at most. */
export const SUMMARY_ROWS = 300;

/**
 * The reaps a summary lists, the first SUMMARY_ROWS of them, and how many there were: a storm
 * of millions of reaps keeps SUMMARY_ROWS events, not millions.
 */
export class KeptReaps {
  readonly first: ReapEvent[] = [];
  count = 0;

  add(e: ReapEvent): void {
    this.count += 1;
    if (this.first.length < SUMMARY_ROWS) this.first.push(e);
  }
}

/** A table cell: pipes and newlines would break the row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function markdownSummary(
  state: LiveState,
  options: { source: string; code: number; reaps: Pick<KeptReaps, 'first' | 'count'> },
): string {
  const diagram = state.diagram(options.source);
  const processes = diagramProcesses(diagram);
  const out: string[] = [];
  out.push(`### pidns-tree spawn ${cell(options.source)}: exit ${options.code}`, '');
  const failed = processes.filter((p) => p.exit !== null && (p.exit.code !== 0 || p.exit.signal !== null));
  const { first, count } = options.reaps;
  const namespaces = new Set(processes.map((p) => p.node)).size;
  out.push(
    `${processes.length} processes (inits included) in ${counted(namespaces, 'namespace')}; ` +
      `${failed.length} did not exit 0; ${counted(count, 'orphan')} reaped.`,
    '',
  );
  out.push('```mermaid', renderMermaid(diagram).trimEnd(), '```', '');
  out.push('| process | PIDs, innermost first | how it ended |', '| --- | --- | --- |');
  for (const p of processes.slice(0, SUMMARY_ROWS)) {
    const ended = [stateText(p), p.note ?? ''].filter((s) => s !== '').join(': ');
    out.push(`| \`${cell(p.key)}\` | ${cell(pidWords(p))} | ${cell(ended)} |`);
  }
  if (processes.length > SUMMARY_ROWS) out.push('', `(${processes.length - SUMMARY_ROWS} more processes not listed)`);
  if (count > 0) {
    out.push('', '| reaped by the init of | orphan, innermost first | how it ended |', '| --- | --- | --- |');
    for (const r of first) {
      out.push(`| \`${cell(r.node)}\` | ${cell(orphanPids(r))} | ${cell(describeExit(r.code, r.signal))} |`);
    }
    if (count > first.length) out.push('', `(${count - first.length} more reaps not listed)`);
  }
  return `${out.join('\n')}\n\n`;
}
