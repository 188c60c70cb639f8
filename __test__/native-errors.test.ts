/**
 * Errors cross the native binding as data: each carries its code (crates/core/src/error_code.rs)
 * as the JavaScript error's `code`, and TypeScript decides on that code, never on the message.
 */
import test from 'ava';

import { PidnsTreeError, spawnTree } from '../src/index.js';
import { initPath, native } from '../src/native.js';
import { RunningTree } from '../src/running-tree.js';
import { checkSpecText } from '../src/spec.js';
import { runCli } from './helpers/cli.js';
import { ndjson } from './helpers/events.js';
import { oneSleeper } from './helpers/specs.js';

const sleeper = JSON.stringify(oneSleeper);

test("a binding call that fails carries its code: BAD_ARGUMENT, BAD_PID, UNKNOWN_TREE, a terminal's too", (t) => {
  t.throws(() => native().spawnTree(initPath(), '{"not":"a plan"}', { mode: 'auto', format: 'events' }), {
    code: 'BAD_ARGUMENT',
    message: /not a checked plan/,
  });
  const plan = checkSpecText(sleeper, 'x').json;
  t.throws(() => native().spawnTree(initPath(), plan, { mode: 'sideways', format: 'events' }), {
    code: 'BAD_ARGUMENT',
    message: /unknown mode "sideways"/,
  });
  t.throws(() => native().inspectPid(0), { code: 'BAD_PID' });
  t.throws(() => native().openTerminal(0, 24), { code: 'BAD_ARGUMENT', message: /cols must be from 1 to 65535/ });
  const id = `no-such-tree-${process.pid}-${Math.random().toString(16).slice(2)}`;
  t.throws(() => native().liveRequest(id, '{"t":"ps"}', false), { code: 'UNKNOWN_TREE' });
});

test('exec: a refusal before the task and one from the task both carry their code', async (t) => {
  const tree = RunningTree.start(checkSpecText(sleeper, 'x'));
  const events = tree.events();
  const next = async (event: string): Promise<void> => {
    for (let r = await events.next(); !r.done; r = await events.next()) if (r.value.event === event) return;
  };
  try {
    await next('start');
    t.throws(() => tree.native.exec('root', 'x', [], {}, null), { code: 'BAD_ARGUMENT' });
    // Decided off the JavaScript thread: the promise rejects with the code all the same.
    await t.throwsAsync(tree.native.exec('root/none', 'x', ['true'], {}, null), {
      code: 'TREE_GONE',
      message: /no namespace root\/none is running/,
    });
  } finally {
    tree.signal('SIGKILL');
    await next('end');
  }
});

test('the API keeps the binding code, and says what it was doing', async (t) => {
  await using tree = await spawnTree(JSON.parse(sleeper) as Parameters<typeof spawnTree>[0]);
  const error = await t.throwsAsync(tree.spawn('root', []), { instanceOf: PidnsTreeError });
  t.is(error?.code, 'BAD_ARGUMENT');
  t.regex(error?.message ?? '', /^cannot start .* in root: exec needs a command$/);
});

test('spawn --detach without CAP_SYS_ADMIN fails with NO_PRIVILEGE, as spawn does', async (t) => {
  const noCap = ['setpriv', '--bounding-set', '-sys_admin', '--'];
  const name = `nocap-${Math.random().toString(16).slice(2, 8)}`;
  for (const args of [
    ['spawn', '--json', '--privileged', '-'],
    ['spawn', '--detach', '--name', name, '--json', '--privileged', '-'],
  ]) {
    const r = await runCli(args, { input: sleeper, wrap: noCap });
    t.is(r.code, 125, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const [error, end] = ndjson<Record<string, unknown>>(r.stdout);
    t.like(error, { event: 'error', code: 'NO_PRIVILEGE' }, args.join(' '));
    t.regex(String(error?.['message']), /needs CAP_SYS_ADMIN/);
    t.deepEqual(end, { event: 'end', code: 125 });
  }
});
