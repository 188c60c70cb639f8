/** Every example in examples/ runs as the README says, with the outcome it documents. */
import { readdirSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { root, runCli } from './helpers/cli.js';

/** Examples that end in a failure on purpose, and the status that shows it. */
const expected: Record<string, { code: number; shows: RegExp }> = {
  'nested.json': { code: 0, shows: /root\/a\/b:leaf +\| leaf is pid 2 and its parent is 1/ },
  'rules/1-pid-one.json': { code: 0, shows: /parent 0, process group 1, session 1/ },
  'rules/2-signals.json': { code: 0, shows: /got SIGUSR1, passed on by pid 1/ },
  'rules/3-pid1-exit.json': {
    code: 137,
    shows: /root\/a\/b:b1 +· killed by SIGKILL \(137\): killed by the kernel when its namespace's init exited/,
  },
  'rules/4-visibility.json': { code: 0, shows: /root\/a\/b sees 2 processes: 1 2/ },
  'rules/5-translation.json': {
    code: 0,
    shows: /└── p +pid 2 in root\/a\/b\/c · \d+ in root\/a\/b · \d+ in root\/a · \d+ in root · \d+ on host/,
  },
  'rules/6-zombies.json': {
    code: 0,
    shows: /root\/noreap:init +· 2 zombies \(pid \d+, \d+\): this PID 1 does not reap/,
  },
  'rules/7-isolation.json': { code: 0, shows: /net namespace: net:\[\d+\]/ },
  'rules/8-depth-32.json': { code: 0, shows: /32 levels down/ },
  'rules/9-kill-all.json': { code: 143, shows: /pid 1 is still here/ },
};

const dir = path.join(root, 'examples');
const found = ['', 'rules/'].flatMap((sub) =>
  readdirSync(path.join(dir, sub))
    .filter((f) => f.endsWith('.json'))
    .map((f) => sub + f),
);

test('every example has an expected outcome here', (t) => {
  t.deepEqual(found.sort(), Object.keys(expected).sort());
});

for (const [file, { code, shows }] of Object.entries(expected)) {
  test(`example ${file}`, async (t) => {
    const r = await runCli(['spawn', '-v', path.join('examples', file)]);
    t.is(r.code, code, r.stdout + r.stderr);
    t.regex(r.stdout, shows);
  });
}
