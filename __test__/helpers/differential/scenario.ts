/**
 * Random scenarios for the differential test: a tree (depth up to 6, up to 4 children and 3
 * processes a namespace, mostly small) and abstract steps, which become concrete steps against
 * the model's state just before each one (so that shrinking a scenario keeps it meaningful).
 */
import fc from 'fast-check';

import type { Simulation, Step } from '../../../src/model/types.js';
import type { TreeSpec } from '../../../src/spec.js';

export interface GenNode {
  processes: number;
  /** Its PID 1 is the user's (an agent), not pidns-tree's init; such a node has no children. */
  userInit: boolean;
  mountProc: boolean;
  group: boolean;
  children: GenNode[];
}

/**
 * Step kinds, by weight. Besides single steps there are composite ones that build the shapes
 * the rules are about: an orphan (a child forks, then exits), a zombie (a child exits before
 * its parent), an adoption by a subreaper, setsid by a process that leads no group, and a
 * namespace entered after its PID 1 was killed.
 */
export const KINDS = [
  'fork',
  'fork',
  'exit',
  'exit',
  'exec',
  'setsid',
  'subreaper',
  'killPid',
  'killPid',
  'killPath',
  'killHost',
  'stop',
  'enter',
  'orphan',
  'orphan',
  'zombie',
  'zombie',
  'adopt',
  'session',
  'enomem',
] as const;

/** Signals the steps send: those the agents die of, SIGKILL, and the probe. */
export const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGUSR1', 'SIGHUP', 'SIGINT', 0] as const;

export interface GenStep {
  kind: (typeof KINDS)[number];
  a: number;
  b: number;
  sig: number;
  code: number;
}

export interface Scenario {
  tree: GenNode;
  steps: GenStep[];
  reproducible: boolean;
  /** In a user namespace (rootless mode) rather than with CAP_SYS_ADMIN. */
  rootless: boolean;
  /** Concrete steps to play instead of `steps` (a saved disagreement played again for real). */
  replay?: Step[];
}

const MAX_DEPTH = 6;

function nodeArb(depth: number, userInitAllowed: boolean): fc.Arbitrary<GenNode> {
  const leafish = depth >= MAX_DEPTH;
  return fc
    .record({
      processes: fc.nat({ max: 3 }),
      userInit: userInitAllowed ? fc.integer({ min: 0, max: 5 }).map((n) => n === 0) : fc.constant(false),
      mountProc: fc.integer({ min: 0, max: 7 }).map((n) => n !== 0),
      group: fc.boolean(),
    })
    .chain((n) =>
      (n.userInit || leafish
        ? fc.constant([] as GenNode[])
        : fc.array(
            fc.constant(null).chain(() => nodeArb(depth + 1, true)),
            // Wide at the top, thin below: mostly small trees, some deep ones.
            { maxLength: depth === 1 ? 4 : depth <= 3 ? 2 : 1, size: depth === 1 ? 'small' : 'xsmall' },
          )
      ).map((children) => ({ ...n, children })),
    );
}

/** Drops nodes past the first `max` in pre-order (keeps runs short). */
export function prune(tree: GenNode, max: number): GenNode {
  let left = max;
  const visit = (n: GenNode): GenNode => {
    left -= 1;
    const children: GenNode[] = [];
    for (const c of n.children) if (left > 0) children.push(visit(c));
    return { ...n, children };
  };
  return visit(tree);
}

const stepArb: fc.Arbitrary<GenStep> = fc.record({
  kind: fc.constantFrom(...KINDS),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  sig: fc.nat({ max: SIGNALS.length - 1 }),
  code: fc.nat({ max: 3 }),
});

export function scenarioArb(options: {
  maxNodes: number;
  maxSteps: number;
  reproducible: boolean;
}): fc.Arbitrary<Scenario> {
  return fc.record({
    // The root's PID 1 is always pidns-tree's init (validation refuses init.command there).
    tree: nodeArb(1, false).map((t) => prune(t, options.maxNodes)),
    steps: fc.array(stepArb, { minLength: 1, maxLength: options.maxSteps }),
    reproducible: options.reproducible ? fc.boolean() : fc.constant(false),
    rootless: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  });
}

/** The agent id of a process of the spec: `<node index>-<process index>` or `<node index>-init`. */
export function specId(node: number, process: number | 'init'): string {
  return `n${node}-${process === 'init' ? 'init' : `p${process}`}`;
}

/** The tree.json of a scenario: every process (and user PID 1) an agent. */
export function buildSpec(s: Scenario, agent: string, dir: string): TreeSpec {
  let index = 0;
  const make = (g: GenNode, name: string): TreeSpec => {
    const i = index++;
    const command = (id: string): string[] => [agent, 'tree', dir, id];
    const node: TreeSpec = {
      name,
      mountProc: g.mountProc,
      // Agents die of SIGTERM at once; a user's PID 1 waits for the deadline (3 s: margin for a
      // busy machine, few cases wait for it).
      init: g.userInit
        ? { command: command(specId(i, 'init')) }
        : { stopTimeout: 3, forward: g.group ? 'group' : 'process' },
      processes: Array.from({ length: g.processes }, (_, p) => ({ name: `p${p}`, command: command(specId(i, p)) })),
    };
    const children = g.children.map((c, k) => make(c, `c${k}`));
    return children.length > 0 ? { ...node, children } : node;
  };
  const spec = make(s.tree, 'r');
  return s.reproducible ? { ...spec, reproduciblePids: true } : spec;
}

type Proc = Simulation['tree']['processes'][number];

function label(p: Proc): string {
  return p.process === 'init' ? p.node : `${p.node}:${p.process}`;
}

/** Whether `outer` is `inner` or an ancestor of it. */
export function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}

/**
 * The concrete steps for `g` in the model's state `now` (none when it names nothing, e.g. no
 * process can act). `fresh` names a forked child; composite kinds give several steps.
 */
export function resolveStep(g: GenStep, now: Simulation, unheld: ReadonlySet<string>, fresh: () => string): Step[] {
  const procs = now.tree.processes;
  const actors = procs.filter((p) => p.state === 'running' && p.kind !== 'init');
  // The root only now and then: stopping it ends the case.
  const nodes = now.tree.namespaces.map((n) => n.node).filter((n, i) => i > 0 || g.a % 4 === 0);
  const actor = actors[g.a % Math.max(1, actors.length)];
  const signal = SIGNALS[g.sig % SIGNALS.length] ?? 'SIGTERM';
  const anyProc = procs[g.b % procs.length];
  if (actor === undefined && !['killHost', 'stop', 'enter', 'enomem'].includes(g.kind)) return [];
  const a = actor === undefined ? '' : label(actor);
  const child = (): { name: string; path: string } => {
    const name = fresh();
    return { name, path: `${actor?.node ?? ''}:${name}` };
  };
  switch (g.kind) {
    case 'fork':
      return [{ op: 'fork', process: a }];
    case 'exec':
    case 'setsid':
    case 'subreaper':
      return [{ op: g.kind, process: a }];
    case 'exit':
      return [{ op: 'exit', process: a, code: g.code }];
    case 'orphan': {
      const c = child();
      return [
        { op: 'fork', process: a, child: c.name },
        { op: 'fork', process: c.path },
        { op: 'exit', process: c.path, code: g.code },
      ];
    }
    case 'zombie': {
      const c = child();
      return [
        { op: 'fork', process: a, child: c.name },
        { op: 'exit', process: c.path, code: g.code },
      ];
    }
    case 'adopt': {
      const c = child();
      return [
        { op: 'subreaper', process: a },
        { op: 'fork', process: a, child: c.name },
        { op: 'fork', process: c.path },
        { op: 'exit', process: c.path, code: g.code },
      ];
    }
    case 'session': {
      const c = child();
      return [
        { op: 'fork', process: a, child: c.name },
        { op: 'setsid', process: c.path },
        { op: 'fork', process: c.path },
      ];
    }
    case 'killPid': {
      // PIDs its namespace sees, some it does not, -1, 0 and a group.
      const seen = procs
        .filter((p) => actor !== undefined && within(p.node, actor.node) && p.state !== 'gone')
        .map((p) => p.pids[actor?.node ?? ''] ?? 0);
      const top = Math.max(1, ...procs.map((p) => Math.max(...Object.values(p.pids))));
      const candidates = [-1, 0, ...seen, top + 1, 2, 3, -(seen[g.a % Math.max(1, seen.length)] ?? 2)];
      return [{ op: 'kill', from: a, target: candidates[g.b % candidates.length] ?? 1, signal }];
    }
    case 'killPath':
      return anyProc === undefined ? [] : [{ op: 'kill', from: a, target: label(anyProc), signal }];
    case 'killHost':
      return anyProc === undefined ? [] : [{ op: 'kill', from: 'host', target: label(anyProc), signal }];
    case 'stop':
      return nodes.length === 0 ? [] : [{ op: 'stop', node: nodes[g.b % nodes.length] ?? 'r' }];
    case 'enter':
    case 'enomem': {
      // Only namespaces the run holds a handle on (not those whose PID 1 ended at start-up).
      const held = now.tree.namespaces.map((n) => n.node).filter((n) => !unheld.has(n));
      const node = held[g.b % Math.max(1, held.length)];
      if (node === undefined) return [];
      const enter: Step = { op: 'enter', node };
      return g.kind === 'enter' ? [enter] : [{ op: 'kill', from: 'host', target: node, signal: 'SIGKILL' }, enter];
    }
  }
}
