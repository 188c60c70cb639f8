/** validate, plan and simulate on a model loaded on first use (both `pidns-tree/model` entries). */
import type { Plan, TreeSpec } from '../spec-types.js';
import type { Model } from './core.js';
import type { PlannedTree, Simulation, Step, Steps } from './types.js';

/** Options of the shortcuts: where the tree would run. */
export interface ModelOptions {
  /** PID-namespace levels already used there (default 0: a host). */
  hostLevels?: number;
}

export interface Shortcuts {
  /** Checks a spec (object or tree.json text): its plan, or PidnsTreeError INVALID_SPEC. */
  readonly validate: (spec: TreeSpec | string, options?: ModelOptions) => Promise<Plan>;
  /** The tree as `spawn` would start it, with every init's and process's PIDs. */
  readonly plan: (spec: TreeSpec | string, options?: ModelOptions) => Promise<PlannedTree>;
  /** Starts the tree in the model and plays `steps`: events, each step's result, the final tree. */
  readonly simulate: (
    spec: TreeSpec | string,
    steps?: Steps | readonly Step[] | string,
    options?: ModelOptions,
  ) => Promise<Simulation>;
}

export function shortcuts(load: () => Promise<Model>): Shortcuts {
  return {
    validate: async (spec, options = {}) => (await load()).check(spec, 'the spec', options.hostLevels ?? 0),
    plan: async (spec, options = {}) => (await load()).plan(spec, 'the spec', options.hostLevels ?? 0),
    simulate: async (spec, steps = [], options = {}) =>
      (await load()).simulate(spec, steps, 'the spec', 'the steps', options.hostLevels ?? 0),
  };
}
