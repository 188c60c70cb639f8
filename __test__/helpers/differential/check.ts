/**
 * The differential property: for random scenarios (fast-check, seeded, shrinking), the model
 * and the kernel agree. Used by the ava test (a fixed seed, 300 cases) and `npm run fuzz:model`.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';

import { buildAgent, HostHelper } from './agent.js';
import { Disagreement, runScenario } from './run.js';
import { scenarioArb } from './scenario.js';

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
