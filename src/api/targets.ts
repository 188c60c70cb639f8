/** Targets as users write them: `root/a` (a namespace, i.e. its init) or `root/a:worker`. */
import { PidnsTreeError } from '../errors.js';
import type { Plan } from '../spec.js';

export interface Target {
  readonly node: string;
  /** `init` when the target is a namespace. */
  readonly process: string;
}

/** `node[:process]` split as every command takes it: no `:` means the namespace's init. */
export function splitTarget(target: string): Target {
  const colon = target.indexOf(':');
  return colon === -1
    ? { node: target, process: 'init' }
    : { node: target.slice(0, colon), process: target.slice(colon + 1) };
}

export function parseTarget(target: string, plan: Plan, extra: ReadonlySet<string> = new Set()): Target {
  const { node, process } = splitTarget(target);
  if (node === '' || process === '') {
    throw new PidnsTreeError(
      'BAD_TARGET',
      `${JSON.stringify(target)} is not a target: write a namespace path (root/a) or namespace:process (root/a:worker)`,
    );
  }
  const planNode = plan.nodes.find((n) => n.path === node);
  if (planNode === undefined) {
    const known = plan.nodes.map((n) => n.path).join(', ');
    throw new PidnsTreeError('UNKNOWN_NODE', `there is no namespace ${node} in this tree (it has: ${known})`);
  }
  const known =
    process === 'init' || planNode.processes.some((p) => p.name === process) || extra.has(`${node}:${process}`);
  if (!known) {
    const names = ['init', ...planNode.processes.map((p) => p.name)].join(', ');
    throw new PidnsTreeError('UNKNOWN_PROCESS', `namespace ${node} has no process ${process} (it has: ${names})`);
  }
  return { node, process };
}
