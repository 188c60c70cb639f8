/** `treeTest` from pidns-tree/ava: a tree that holds passes, one that does not fails its test. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { treeTest } from '../src/ava.js';
import { tempDir } from './helpers/host.js';

function file(text: string): string {
  const f = path.join(tempDir(), 'tree.json');
  writeFileSync(f, text);
  return f;
}

test(
  'a spec object whose expectations hold passes',
  treeTest({
    name: 'root',
    processes: [{ name: 'p', command: ['sh', '-c', 'echo up'], expect: { stdout: { lines: ['up'] } } }],
  }),
);

test.failing(
  'a tree whose expectation does not hold fails its test',
  treeTest(file('{"name": "root", "processes": [{"name": "p", "command": ["false"], "expect": {"exitCode": 0}}]}')),
);

test.failing('a file that is not a valid tree fails its test', treeTest(file('{"name": "root", "procesess": []}')));

test('the failure names each expectation that did not hold: what happened, and where', async (t) => {
  const text =
    '{"name": "root", "processes": [{"name": "p", "command": ["sh", "-c", "exit 4"], "expect": {"exitCode": 0}}]}';
  const f = file(text);
  const said: { log: string[]; fail: string[]; pass: number } = { log: [], fail: [], pass: 0 };
  // Only what treeTest calls of ava's context; the real one runs in the tests above.
  const context = {
    log: (m: string) => said.log.push(m),
    fail: (m: string) => said.fail.push(m),
    pass: () => (said.pass += 1),
  } as unknown as import('ava').ExecutionContext;
  await treeTest(f)(context);
  t.deepEqual(said.log, ['✖ root:p exits with code 0: got exited 4']);
  t.deepEqual(said.fail, [
    `1 of 1 expectations failed:\nroot:p exits with code 0\n  got: exited 4\n  at:  ${f}:1:${text.indexOf('0}') + 1}`,
  ]);
  t.is(said.pass, 0);
});
