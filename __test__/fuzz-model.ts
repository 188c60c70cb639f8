/**
 * `npm run fuzz:model -- --runs N [--seed S] [--max-nodes N] [--max-steps N] [--reproducible]`:
 * the differential test with more (and bigger) cases than `npm test` runs. A disagreement
 * prints the shrunk scenario and the command that replays it in the simulator; exit 1.
 *
 * `npm run fuzz:model -- --replay DIR [--runs N] [--rootless]` plays a saved disagreement (the
 * tree.json and steps.json in DIR) for real N times (default 20) and says how often it
 * disagrees: a race shows as some of N.
 */
import { parseArgs } from 'node:util';

import { checkModelAgainstKernel, describeFailure, replayAgainstKernel } from './helpers/differential/check.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    'max-nodes': { type: 'string', default: '12' },
    'max-steps': { type: 'string', default: '16' },
    reproducible: { type: 'boolean', default: false },
    replay: { type: 'string' },
    rootless: { type: 'boolean', default: false },
  },
});
if (values.replay !== undefined) {
  const runs = Number(values.runs ?? 20);
  const r = await replayAgainstKernel(values.replay, { runs, rootless: values.rootless });
  const kinds = [...new Set(r.disagreements)];
  process.stdout.write(
    `${r.disagreements.length} of ${r.runs} runs disagree${kinds.map((k) => `\n  ${k}`).join('')}\n`,
  );
  process.exit(r.disagreements.length === 0 ? 0 : 1);
}
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const result = await checkModelAgainstKernel({
  runs: Number(values.runs ?? 1000),
  seed,
  maxNodes: Number(values['max-nodes']),
  maxSteps: Number(values['max-steps']),
  reproducible: values.reproducible,
  onCase: (n) => {
    if (n % 50 === 0) process.stderr.write(`fuzz:model: ${n} cases\n`);
  },
});
process.stdout.write(`${describeFailure(result)}\n(${(result.ms / 1000).toFixed(1)} s)\n`);
process.exitCode = result.failure === undefined ? 0 : 1;
