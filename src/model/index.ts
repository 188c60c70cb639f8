/**
 * `pidns-tree/model`: validate, plan and simulate trees anywhere, browsers included. Nothing
 * here uses Node: the model is WebAssembly, fetched next to this module (or from where you say).
 *
 * ```js
 * import { simulate } from 'pidns-tree/model';
 * const run = await simulate(spec, [{ op: 'kill', from: 'host', target: 'root/a', signal: 'KILL' }]);
 * ```
 */
import { loadModelFrom, type ModelSource } from './browser.js';
import type { Model } from './core.js';
import { shortcuts } from './shortcuts.js';

export { Model } from './core.js';
export { PidnsTreeError, type PidnsTreeErrorCode, type SpecIssue } from '../errors.js';
export type { ModelSource } from './browser.js';
export type { ModelOptions, Shortcuts } from './shortcuts.js';
export type * from './types.js';
export type { InitSpec, Plan, PlanInit, PlanNode, PlanProcess, ProcessSpec, TreeSpec } from '../spec-types.js';
export type { EndEvent, ExitEvent, Pids, ReapEvent, StartEvent, ZombiesEvent } from '../events.js';

let loaded: Promise<Model> | undefined;

/** The model, loaded once (from `source`: a URL, a Response or the bytes, if given). */
export function loadModel(source?: ModelSource): Promise<Model> {
  if (source !== undefined) return loadModelFrom(source);
  return (loaded ??= loadModelFrom());
}

/** validate, plan and simulate on the model loaded by `loadModel()`. */
export const { validate, plan, simulate } = shortcuts(loadModel);
