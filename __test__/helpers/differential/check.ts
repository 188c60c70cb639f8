/**
 * The differential property: for random scenarios (fast-check, seeded, shrinking), the model
 * and the kernel agree. Used by the ava test (a fixed seed, 300 cases) and `npm run fuzz:model`.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';

import { buildAgent, HostHelper } from './agent.js';
import type { Step } from '../../../src/model/types.js';
import type { TreeSpec } from '../../../src/spec.js';
import { Disagreement, runScenario } from './run.js';
import { scenarioArb, type GenNode, type Scenario } from './scenario.js';

export interface CheckOptions {
  runs: number;
  seed: number;
  maxNodes: number;
  maxSteps: number;
  /** Also trees with reproduciblePids, every PID checked exactly. */
  reproducible: boolean;
  onCase?: (n: number) => void;
}

export interface CheckResult {
  runs: number;
  seed: number;
  ms: number;
  /** The shrunk disagreement, with the command that replays it in the simulator. */
  failure?: { message: string; replay?: string; counterexample: string };
}

export async function checkModelAgainstKernel(options: CheckOptions): Promise<CheckResult> {
  const base = mkdtempSync(path.join(tmpdir(), 'pidns-tree-diff-'));
  chmodSync(base, 0o700);
  const agent = buildAgent(base);
  const host = new HostHelper(agent);
  const started = performance.now();
  let cases = 0;
  try {
    const property = fc.asyncProperty(
      scenarioArb({ maxNodes: options.maxNodes, maxSteps: options.maxSteps, reproducible: options.reproducible }),
      async (scenario) => {
        options.onCase?.(++cases);
        await runScenario(scenario, { agent, host, base });
      },
    );
    const details = await fc.check(property, { numRuns: options.runs, seed: options.seed, endOnFailure: false });
    const result: CheckResult = { runs: details.numRuns, seed: options.seed, ms: performance.now() - started };
    if (!details.failed) return result;
    const error = details.errorInstance;
    const counterexample = JSON.stringify(details.counterexample);
    if (error instanceof Disagreement) {
      return { ...result, failure: { message: error.message, replay: error.save(), counterexample } };
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { ...result, failure: { message, counterexample } };
  } finally {
    await host.close();
    rmSync(base, { recursive: true, force: true });
  }
}

/** The report a failure prints: what differs, and the files to replay it with. */
export function describeFailure(r: CheckResult): string {
  const f = r.failure;
  if (f === undefined) return `the model agrees with the kernel on ${r.runs} cases (seed ${r.seed})`;
  return [
    `the model and the kernel disagree (seed ${r.seed}, shrunk):`,
    `  ${f.message}`,
    f.replay === undefined ? '' : `replay it in the simulator: ${f.replay}`,
    `the shrunk scenario: ${f.counterexample}`,
  ].join('\n');
}

/** The generator's shape of a tree.json it wrote (every process an agent). */
function genNodeOf(spec: TreeSpec): GenNode {
  const init = spec.init;
  return {
    processes: spec.processes?.length ?? 0,
    userInit: init !== undefined && 'command' in init,
    mountProc: spec.mountProc ?? true,
    group: init !== undefined && 'forward' in init && init.forward === 'group',
    children: (spec.children ?? []).map(genNodeOf),
  };
}

/**
 * A saved disagreement (the tree.json and steps.json a failure wrote) played for real again,
 * `runs` times: how many runs disagree, and the first message of each kind. The start-up PIDs
 * pinned in steps.json are not imposed (the kernel gives what it gives); the final SIGKILL to
 * the root, which every case ends with, is played by the harness itself.
 */
export async function replayAgainstKernel(
  dir: string,
  options: { runs: number; rootless: boolean },
): Promise<{ runs: number; disagreements: string[] }> {
  const spec = JSON.parse(readFileSync(path.join(dir, 'tree.json'), 'utf8')) as TreeSpec;
  const saved = JSON.parse(readFileSync(path.join(dir, 'steps.json'), 'utf8')) as { steps: Step[] };
  const last = saved.steps.at(-1);
  const theEnd = last?.op === 'kill' && last.from === 'host' && last.target === spec.name && last.signal === 'SIGKILL';
  const scenario: Scenario = {
    tree: genNodeOf(spec),
    steps: [],
    reproducible: spec.reproduciblePids === true,
    rootless: options.rootless,
    replay: theEnd ? saved.steps.slice(0, -1) : saved.steps,
  };
  const base = mkdtempSync(path.join(tmpdir(), 'pidns-tree-replay-'));
  chmodSync(base, 0o700);
  const agent = buildAgent(base);
  const host = new HostHelper(agent);
  const disagreements: string[] = [];
  try {
    for (let i = 0; i < options.runs; i += 1) {
      try {
        await runScenario(scenario, { agent, host, base });
      } catch (error) {
        disagreements.push(error instanceof Error ? error.message : String(error));
      }
    }
  } finally {
    await host.close();
    rmSync(base, { recursive: true, force: true });
  }
  return { runs: options.runs, disagreements };
}
