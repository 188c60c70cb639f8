/**
 * The diagram of a tree, whatever it comes from: a plan (predicted PIDs), a simulation (the
 * model's tree after some steps) or a running tree (its events, or a detached tree's `ps`).
 * Namespaces nest; each holds its PID 1, its processes, its zombies and its child namespaces,
 * and every process carries its PID at every level. layout.ts places it; svg.ts and
 * mermaid.ts draw it; the web pages draw the same layout. Nothing here uses Node or the DOM.
 */
import type { PidRange, PlannedTree, PredictedProcess, Simulation } from '../../model/types.js';
import { levelsOf } from '../../pid-levels.js';
import type { PlanNode } from '../../spec-types.js';

/** A PID, or the range it falls in where sibling namespaces race at start-up (plan). */
export type PidValue = number | PidRange;

/**
 * `planned`: nothing runs (plan); `stopped`: SIGSTOP (simulate); `gone`: exited and reaped,
 * in a simulation; `exited`: it has exited (and its exit is known).
 */
export type ProcessState = 'planned' | 'running' | 'stopped' | 'zombie' | 'exited' | 'gone';

export interface DiagramExit {
  readonly code: number;
  readonly signal: string | null;
}

export interface DiagramProcess {
  /** `node:process`; `node:init` for the PID 1. */
  readonly key: string;
  readonly node: string;
  readonly name: string;
  /** `init`: pidns-tree's PID 1; `user-init`: the tree's own command as PID 1. */
  readonly role: 'init' | 'user-init' | 'process';
  /** The PID in each namespace from the root down to its own, by path, and `host` when known. */
  readonly pids: Readonly<Record<string, PidValue>>;
  readonly state: ProcessState;
  readonly exit: DiagramExit | null;
  /** Why it ended, or who reaped it, when that says more than the exit. */
  readonly note?: string;
  readonly command: readonly string[];
}

export interface DiagramNamespace {
  readonly path: string;
  readonly name: string;
  readonly init: DiagramProcess | null;
  readonly processes: readonly DiagramProcess[];
  readonly children: readonly DiagramNamespace[];
  /** Zombies waiting under a PID 1 that does not reap: how many, and their PIDs when known. */
  readonly zombies: { readonly count: number; readonly pids: readonly number[] };
  /** Orphans its init has reaped. */
  readonly reaped: number;
}

export interface Diagram {
  readonly title: string;
  readonly root: DiagramNamespace;
}

/** Every process of the diagram, inits included, in drawing order. */
export function diagramProcesses(d: Diagram): DiagramProcess[] {
  const out: DiagramProcess[] = [];
  const visit = (ns: DiagramNamespace): void => {
    if (ns.init !== null) out.push(ns.init);
    out.push(...ns.processes);
    ns.children.forEach(visit);
  };
  visit(d.root);
  return out;
}

const NO_ZOMBIES = { count: 0, pids: [] } as const;

/** Builds the namespaces of a plan, asking `fill` for each one's init, processes and counts. */
function fromNodes(
  nodes: readonly PlanNode[],
  fill: (node: PlanNode) => Omit<DiagramNamespace, 'path' | 'name' | 'children'>,
): DiagramNamespace {
  const build = (node: PlanNode): DiagramNamespace => ({
    path: node.path,
    name: node.name,
    ...fill(node),
    children: node.children.map((i) => nodes[i]).flatMap((c) => (c === undefined ? [] : [build(c)])),
  });
  const root = nodes[0];
  if (root === undefined) throw new Error('a plan without namespaces');
  return build(root);
}

/** `plan`: every init and process with the PIDs `spawn` will give it (ranges where they race). */
export function diagramFromPlan(planned: PlannedTree, title: string): Diagram {
  const byKey = new Map(planned.predicted.map((p) => [`${p.node}:${p.process}`, p]));
  const make = (node: PlanNode, name: string): DiagramProcess | null => {
    const p = byKey.get(`${node.path}:${name}`);
    if (p === undefined) return null;
    return {
      key: `${node.path}:${name}`,
      node: node.path,
      name,
      role: name === 'init' ? (p.userInit ? 'user-init' : 'init') : 'process',
      pids: predictedPids(p),
      state: 'planned',
      exit: null,
      command: name === 'init' && !p.userInit ? [] : p.command,
    };
  };
  return {
    title,
    root: fromNodes(planned.nodes, (node) => ({
      init: make(node, 'init'),
      processes: node.processes.flatMap((p) => {
        const made = make(node, p.name);
        return made === null ? [] : [made];
      }),
      zombies: NO_ZOMBIES,
      reaped: 0,
    })),
  };
}

/** A planned process's PIDs, root first as the levels nest: the exact ones and the ranges merged. */
export function predictedPids(p: Pick<PredictedProcess, 'node' | 'pids' | 'ranges'>): Record<string, PidValue> {
  const pids: Record<string, PidValue> = {};
  for (const level of levelsOf(p.node)) {
    const v = p.pids[level] ?? p.ranges[level];
    if (v !== undefined) pids[level] = v;
  }
  return pids;
}

/** `simulate`: the model's tree after its steps, forks and entered processes included. */
export function diagramFromSimulation(sim: Simulation, nodes: readonly PlanNode[], title: string): Diagram {
  const reaped = new Map<string, number>();
  for (const e of sim.events) if (e.event === 'reap') reaped.set(e.node, (reaped.get(e.node) ?? 0) + 1);
  const toProcess = (p: Simulation['tree']['processes'][number]): DiagramProcess => {
    const state: ProcessState =
      p.state === 'gone'
        ? 'gone'
        : p.state === 'zombie'
          ? 'zombie'
          : p.state === 'stopped'
            ? 'stopped'
            : // `exiting`: a PID 1 that has exited, waiting for its namespace to empty.
              p.state === 'exiting'
              ? 'zombie'
              : 'running';
    const note =
      p.state === 'gone' && p.reapedBy !== null
        ? p.reapedBy === 'kernel'
          ? 'killed with its namespace'
          : `reaped by ${p.reapedBy}`
        : p.state === 'zombie'
          ? `zombie of ${p.parent}`
          : undefined;
    return {
      key: `${p.node}:${p.process}`,
      node: p.node,
      name: p.process,
      role: p.kind === 'init' ? 'init' : p.kind === 'user-init' ? 'user-init' : 'process',
      pids: p.pids,
      state,
      exit: p.exit,
      ...(note === undefined ? {} : { note }),
      command: p.kind === 'init' ? [] : p.command,
    };
  };
  const procs = sim.tree.processes.map(toProcess);
  return {
    title,
    root: fromNodes(nodes, (node) => {
      const here = procs.filter((p) => p.node === node.path);
      return {
        init: here.find((p) => p.role !== 'process') ?? null,
        processes: here.filter((p) => p.role === 'process'),
        zombies: NO_ZOMBIES,
        reaped: reaped.get(node.path) ?? 0,
      };
    }),
  };
}
