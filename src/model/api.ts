/**
 * `plan` and `simulate` for Node scripts (the main entry, `pidns-tree`): synchronous, with the
 * depth limit of this host. Browsers use `pidns-tree/model` (asynchronous: it fetches the model).
 */
import { hostLevels } from '../host-level.js';
import type { Plan, TreeSpec } from '../spec-types.js';
import { modelSync } from './node-loader.js';
import type { PlannedTree, Simulation, Step, Steps } from './types.js';

export interface ModelOptions {
  /** PID-namespace levels already used where the tree would run (default: this host's). */
  hostLevels?: number;
}

/** Checks a spec (object or tree.json text): its plan, or PidnsTreeError INVALID_SPEC / DEPTH_LIMIT. */
export function validate(spec: TreeSpec | string, options: ModelOptions = {}): Plan {
  return modelSync().check(spec, 'the spec', options.hostLevels ?? hostLevels());
}

/** The tree as `spawn` would start it, with every init's and process's PID at every level. */
export function plan(spec: TreeSpec | string, options: ModelOptions = {}): PlannedTree {
  return modelSync().plan(spec, 'the spec', options.hostLevels ?? hostLevels());
}

/** Starts the tree in the model of the kernel and plays `steps`: the events, results, final tree. */
export function simulate(
  spec: TreeSpec | string,
  steps: Steps | readonly Step[] | string = [],
  options: ModelOptions = {},
): Simulation {
  return modelSync().simulate(spec, steps, 'the spec', 'the steps', options.hostLevels ?? hostLevels());
}
