/**
 * The tree as it runs: every namespace (bold, by path, with its init) and every process, each
 * with its PID at every level, innermost first:
 *
 *   root            init pid 1 in root · 6906 on host
 *   ├── web         pid 2 in root · 6907 on host   sh -c 'sleep 2'
 *   └── root/a      init pid 1 in root/a · 3 in root · 6908 on host
 *       └── worker  pid 2 in root/a · 4 in root · 6909 on host   ./worker
 */
import type { StartEvent } from '../events.js';
import type { Plan, PlanNode } from '../spec.js';
import { pidChain, shellWords, truncate, type Style } from './format.js';

export type Starts = ReadonlyMap<string, StartEvent>;

export function startKey(node: string, process: string): string {
  return `${node}:${process}`;
}

interface Row {
  prefix: string;
  label: string;
  namespace: boolean;
  detail: string;
  command: string;
}

/** `columns`: the width to fit; commands are cut to what is left of it (never below 16). */
export function renderTree(plan: Plan, starts: Starts, style: Style, columns = 100): string {
  const rows: Row[] = [];
  const visit = (node: PlanNode, prefix: string, childPrefix: string): void => {
    const init = starts.get(startKey(node.path, 'init'));
    // A user's PID 1 shows its command, so one sees at a glance whose init this is.
    const userInit = node.init.command !== null;
    rows.push({
      prefix,
      label: node.path,
      namespace: true,
      detail:
        init === undefined ? 'init not started' : `${userInit ? 'your init' : 'init'} ${pidChain(init.pids, style)}`,
      command: userInit && init !== undefined ? shellWords(init.command) : '',
    });
    const kids = [
      ...node.processes.map((p) => ({ kind: 'process' as const, name: p.name })),
      ...node.children.map((i) => ({ kind: 'node' as const, index: i })),
    ];
    kids.forEach((kid, i) => {
      const last = i === kids.length - 1;
      const branch = childPrefix + (last ? '└── ' : '├── ');
      const below = childPrefix + (last ? '    ' : '│   ');
      if (kid.kind === 'node') {
        const child = plan.nodes[kid.index];
        if (child !== undefined) visit(child, branch, below);
        return;
      }
      const start = starts.get(startKey(node.path, kid.name));
      rows.push({
        prefix: branch,
        label: kid.name,
        namespace: false,
        detail: start === undefined ? 'not started' : pidChain(start.pids, style),
        command: start === undefined ? '' : shellWords(start.command),
      });
    });
  };
  const root = plan.nodes[0];
  if (root !== undefined) visit(root, '', '');
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
