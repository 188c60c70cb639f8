/**
 * `pidns-tree/model` in Node: the same API as in browsers (model/index.ts), with the model read
 * from the package's file instead of fetched.
 */
import { loadModelFrom, type ModelSource } from './browser.js';
import type { Model } from './core.js';
import { shortcuts } from './shortcuts.js';
import { modelSync } from './node-loader.js';

export { Model } from './core.js';
export { PidnsTreeError, type PidnsTreeErrorCode, type SpecIssue } from '../errors.js';
export type { ModelSource } from './browser.js';
export type { ModelOptions, Shortcuts } from './shortcuts.js';
export type * from './types.js';
export type { InitSpec, Plan, PlanInit, PlanNode, PlanProcess, ProcessSpec, TreeSpec } from '../spec-types.js';
export type { EndEvent, ExitEvent, Pids, ReapEvent, StartEvent, ZombiesEvent } from '../events.js';

/** The model (from `source`, if given: a URL with a fetch that can load it, a Response or bytes). */
export function loadModel(source?: ModelSource): Promise<Model> {
  if (source !== undefined) return loadModelFrom(source);
  try {
    return Promise.resolve(modelSync());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** validate, plan and simulate on the model loaded by `loadModel()`. */
export const { validate, plan, simulate } = shortcuts(loadModel);
