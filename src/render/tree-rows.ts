/**
 * The tree as rows of text, the one layout `spawn`'s tree (tree-view.ts) and `plan`/`simulate`
 * (model-view.ts) share: each namespace (bold, by path), then its processes, then its child
 * namespaces, drawn with box-drawing branches and a detail column aligned after the labels.
 * Uses nothing of Node, so the web pages can draw with it too.
 */
import type { PlanNode } from '../spec-types.js';
import { truncate, type Style } from './words.js';

export interface TreeRow {
  prefix: string;
  label: string;
  namespace: boolean;
  detail: string;
  command: string;
}

/** What a row says: `process` is `init` for the namespace's PID 1. */
export type Describe = (node: PlanNode, process: string) => { detail: string; command: string };

/**
 * The rows of the tree of `nodes` (root first, children by index); `extra` adds process names
 * of a namespace beyond its declared ones (the simulator's forked and entered processes).
 */
export function treeRows(
  nodes: readonly PlanNode[],
  describe: Describe,
  extra: (node: PlanNode) => string[] = () => [],
): TreeRow[] {
  const out: TreeRow[] = [];
  const visit = (node: PlanNode, prefix: string, childPrefix: string): void => {
    out.push({ prefix, label: node.path, namespace: true, ...describe(node, 'init') });
    const kids = [
      ...[...node.processes.map((p) => p.name), ...extra(node)].map((name) => ({ kind: 'process' as const, name })),
      ...node.children.map((i) => ({ kind: 'node' as const, index: i })),
    ];
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      const branch = childPrefix + (last ? '└── ' : '├── ');
      const below = childPrefix + (last ? '    ' : '│   ');
      if (kid.kind === 'node') {
        const child = nodes[kid.index];
        if (child !== undefined) visit(child, branch, below);
        return;
      }
      out.push({ prefix: branch, label: kid.name, namespace: false, ...describe(node, kid.name) });
    });
  };
  const root = nodes[0];
  if (root !== undefined) visit(root, '', '');
  return out;
}

/** The rows as lines fitting `columns`: commands are cut to what is left (never below 16). */
export function drawRows(rows: readonly TreeRow[], style: Style, columns: number): string {
  const width = Math.max(...rows.map((r) => r.prefix.length + r.label.length));
  return rows
    .map((r) => {
      const pad = ' '.repeat(width - r.prefix.length - r.label.length);
      const label = r.namespace ? style.bold(r.label) : r.label;
      // Width of what precedes the command, without the colour codes `style` may have added.
      const used = width + 2 + visibleLength(r.detail) + 3;
      const room = Math.max(16, columns - used);
      const command = r.command === '' ? '' : `   ${style.dim(truncate(r.command, room))}`;
      return `${r.prefix}${label}${pad}  ${r.detail}${command}`;
    })
    .join('\n');
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
