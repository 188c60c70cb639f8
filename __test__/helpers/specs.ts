/** Specs the tests share. */
import type { TreeSpec } from '../../src/spec.js';
import { checkSpecObject, type Plan } from '../../src/spec.js';

/** A process that runs until it is stopped. */
export function sleeper(name: string): { name: string; command: string[] } {
  return { name, command: ['sleep', 'infinity'] };
}

/** The smallest tree that stays up: `root:p`, which sleeps until it is stopped. */
export const oneSleeper: TreeSpec = { name: 'root', processes: [sleeper('p')] };

/** Three levels, two processes each, all blocked until the test stops the tree. */
export function threeLevels(command: string[] = ['sleep', 'infinity']): TreeSpec {
  const procs = (prefix: string) => [
    { name: `${prefix}1`, command },
    { name: `${prefix}2`, command },
  ];
  return {
    name: 'root',
    processes: procs('r'),
    children: [{ name: 'a', processes: procs('a'), children: [{ name: 'b', processes: procs('b') }] }],
  };
}

export function plan(spec: TreeSpec): Plan {
  return checkSpecObject(spec);
}

/** A chain of `depth` nested namespaces, one trivial process in the deepest. */
export function chain(depth: number): TreeSpec {
  let node: TreeSpec = { name: `n${depth}`, processes: [{ name: 'p', command: ['true'] }] };
  for (let d = depth - 1; d >= 1; d -= 1) node = { name: `n${d}`, children: [node] };
  return node;
}
