/**
 * `npm run fuzz:model -- --runs N [--seed S] [--max-nodes N] [--max-steps N] [--reproducible]`:
 * the differential test with more (and bigger) cases than `npm test` runs. A disagreement
 * prints the shrunk scenario and the command that replays it in the simulator; exit 1.
 */
import { parseArgs } from 'node:util';

import { checkModelAgainstKernel, describeFailure } from './helpers/differential/check.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    'max-nodes': { type: 'string', default: '12' },
    'max-steps': { type: 'string', default: '16' },
    reproducible: { type: 'boolean', default: false },
  },
});
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const result = await checkModelAgainstKernel({
  runs: Number(values.runs),
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
