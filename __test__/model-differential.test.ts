/**
 * The model checked against the kernel: random trees (depth up to 6, up to 4 children and 3
 * processes a namespace) and random steps run in the simulator and for real, compared (see
 * helpers/differential/run.ts for what). A fixed seed, so a failure repeats;
 * PIDNS_TREE_DIFF_SEED and PIDNS_TREE_DIFF_RUNS change it, `npm run fuzz:model -- --runs N`
 * runs more. Half the trees have reproduciblePids, checked to the exact PID
 * (PIDNS_TREE_TEST_REPRODUCIBLE=0 leaves them out).
 */
import test from 'ava';

import { checkModelAgainstKernel, describeFailure } from './helpers/differential/check.js';

const runs = Number(process.env['PIDNS_TREE_DIFF_RUNS'] ?? 300);
const seed = Number(process.env['PIDNS_TREE_DIFF_SEED'] ?? 20261201);

test('the simulator agrees with the kernel on random trees and steps (300 cases, seeded, shrunk on failure)', async (t) => {
  // One long test: ava's timeout is for silence, and every case reports progress.
  t.timeout(60_000);
  const result = await checkModelAgainstKernel({
    runs,
    seed,
    maxNodes: 6,
    maxSteps: 6,
    reproducible: process.env['PIDNS_TREE_TEST_REPRODUCIBLE'] !== '0',
    onCase: () => t.timeout(60_000),
  });
  t.log(`${result.runs} cases in ${(result.ms / 1000).toFixed(1)} s (seed ${result.seed})`);
  if (result.failure !== undefined) t.fail(describeFailure(result));
  else t.is(result.runs, runs);
});
