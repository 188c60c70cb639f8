/**
 * pidns-tree's scripting API: `spawnTree(spec)` starts a tree of real nested PID namespaces
 * and hands back a `Tree` (PIDs at every level, exec, signals, events, clean-up); `plan` and
 * `simulate` predict what a tree does without starting anything (no Linux needed);
 * `testTree(spec)` runs one and checks what its tree.json expects (`expect`).
 */
export { spawnTree, type SpawnTreeOptions } from './api/spawn-tree.js';
export type { OnEvent } from './api/on-event.js';
export {
  Tree,
  type ExecOptions,
  type ExecResult,
  type NodeInfo,
  type ProcessInfo,
  type StopOptions,
} from './api/tree.js';
export type { TerminalOptions, TerminalProcess } from './api/terminal.js';
export type { TreeProcess } from './api/tree-process.js';
export { testTree, type TestTreeOptions } from './check/test-tree.js';
export type { ExpectationResult, TreeResult } from './check/results.js';
export type { Expectation } from './check/expectations.js';
export type { NamespaceExpect, OutputExpect, ProcessExpect, TreeExpect } from './check/expect-spec.js';
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
export type { SpawnMode } from './native.js';
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
export { plan, simulate, validate, type ModelOptions } from './model/api.js';
export type {
  PidRange,
  PlannedTree,
  PredictedProcess,
  ProcessPath,
  ProcessState,
  Simulation,
  SimulatedEvent,
  SimulatedNamespace,
  SimulatedProcess,
  Step,
  StepOutcome,
  StepResult,
  Steps,
} from './model/types.js';
