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
import type { Plan } from '../spec.js';
import { pidChain, shellWords, type Style } from './format.js';
import { drawRows, treeRows } from './tree-rows.js';

export type Starts = ReadonlyMap<string, StartEvent>;

export function startKey(node: string, process: string): string {
  return `${node}:${process}`;
}

/** `columns`: the width to fit; commands are cut to what is left of it (never below 16). */
export function renderTree(plan: Plan, starts: Starts, style: Style, columns = 100): string {
  const rows = treeRows(plan.nodes, (node, process) => {
    const start = starts.get(startKey(node.path, process));
    if (process !== 'init') {
      return {
        detail: start === undefined ? 'not started' : pidChain(start.pids, style),
        command: start === undefined ? '' : shellWords(start.command),
      };
    }
    // A user's PID 1 shows its command, so one sees at a glance whose init this is.
    const userInit = node.init.command !== null;
    return {
      detail:
        start === undefined ? 'init not started' : `${userInit ? 'your init' : 'init'} ${pidChain(start.pids, style)}`,
      command: userInit && start !== undefined ? shellWords(start.command) : '',
    };
  });
  return drawRows(rows, style, columns);
}
