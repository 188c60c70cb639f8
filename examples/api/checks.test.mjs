// Each tree.json in examples/checks is a test: it passes when every expectation its `expect`
// fields state holds (as `pidns-tree test` checks them), and fails with those that did not.
import { readdirSync } from 'node:fs';

import test from 'ava';
import { treeTest } from 'pidns-tree/ava';

const dir = 'examples/checks';
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

for (const f of files) test(f, treeTest(`${dir}/${f}`));
