/**
 * pidns-tree's programmatic entry point. (The scripting API `spawnTree` builds on these.)
 */
export { PidnsTreeError, type PidnsTreeErrorCode, type SpecIssue } from './errors.js';
export type {
  EndEvent,
  ErrorEvent,
  ExitEvent,
  OutputEvent,
  Pids,
  ReapEvent,
  StartEvent,
  TreeEvent,
  ZombiesEvent,
} from './events.js';
export { RunningTree, type SignalName } from './running-tree.js';
export {
  checkSpecObject,
  checkSpecText,
  type Plan,
  type PlanNode,
  type PlanProcess,
  type InitSpec,
  type PlanInit,
  type ProcessSpec,
  type TreeSpec,
} from './spec.js';
