/** The scripting API: every method of spawnTree / Tree, and its failure paths. */
import { execFile } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import test from 'ava';

import { PidnsTreeError, spawnTree, type PidnsTreeErrorCode, type Tree, type TreeEvent } from '../src/index.js';
import { withTree } from '../src/ava.js';
import { root } from './helpers/cli.js';
import {
  cmdline,
  deathWatch,
  nspid,
  procStat,
  stillRunning,
  tempDir,
  ticksSinceBoot,
  type ProcStat,
} from './helpers/host.js';
import { hostPid, isExit, isOutput, isStart, ofKind } from './helpers/events.js';
import { oneSleeper, sleeper } from './helpers/specs.js';

const run = promisify(execFile);
const spec = { name: 'root', processes: [sleeper('web')], children: [{ name: 'a', processes: [sleeper('worker')] }] };

async function rejects(
  t: import('ava').ExecutionContext,
  promise: Promise<unknown>,
  code: PidnsTreeErrorCode,
): Promise<PidnsTreeError> {
  const error = await t.throwsAsync(promise, { instanceOf: PidnsTreeError });
  t.is(error?.code, code);
  return error;
}

test('spawnTree resolves with every PID known; pids(), nodes(), processes()', async (t) => {
  await using tree = await spawnTree(spec);
  const worker = tree.pids('root/a:worker');
  t.deepEqual(Object.keys(worker), ['host', 'root', 'root/a']);
  t.deepEqual(nspid(hostPid(worker)), Object.values(worker));
  t.is(tree.pids('root/a')['root/a'], 1, 'a namespace target is its init');
  t.deepEqual(
    tree.nodes().map((n) => [n.path, n.depth, n.pids[n.path]]),
    [
      ['root', 1, 1],
      ['root/a', 2, 1],
    ],
  );
  t.deepEqual(
    tree
      .processes()
      .map((p) => `${p.node}:${p.name}`)
      .sort(),
    ['root/a:worker', 'root:web'],
  );
});

test('spawnTree takes a tree.json path too', async (t) => {
  const file = path.join(tempDir(), 'tree.json');
  writeFileSync(file, JSON.stringify(spec));
  await using tree = await spawnTree(file);
  t.is(tree.pids('root:web')['root'], 2);
});

test('exec runs in the namespace as a child of its PID 1, with input, env and cwd', async (t) => {
  await using tree = await spawnTree(spec);
  const r = await tree.exec('root/a', ['sh', '-c', 'echo "ppid=$PPID x=$X cwd=$(pwd)"; cat; echo oops >&2; exit 3'], {
    input: 'from stdin\n',
    env: { X: 'y' },
    cwd: '/tmp',
  });
  t.is(r.code, 3);
  t.is(r.signal, null);
  t.is(r.stdout, 'ppid=1 x=y cwd=/tmp\nfrom stdin\n');
  t.is(r.stderr, 'oops\n');
  t.deepEqual(Object.keys(r.pids ?? {}), ['host', 'root', 'root/a']);
});

test('exec reports a command that cannot run, and its exit does not fail the tree', async (t) => {
  const tree = await spawnTree(oneSleeper);
  const r = await tree.exec('root', ['no-such-command-xyz']);
  t.is(r.code, 127);
  t.regex(r.error ?? '', /cannot execute "no-such-command-xyz"/);
  tree.kill('root:p', 'SIGTERM');
  t.is((await tree.wait()).code, 143, "the spec's process decides, not the exec");
});

test('exec with timeoutMs kills the command and rejects with TIMEOUT', async (t) => {
  await using tree = await spawnTree(spec);
  await rejects(t, tree.exec('root', ['sleep', 'infinity'], { timeoutMs: 100 }), 'TIMEOUT');
});

test('exec into a namespace whose PID 1 is your command', async (t) => {
  // A PID 1 with a SIGTERM handler (without one, a signal from the parent namespace is ignored).
  await using tree = await spawnTree({
    name: 'root',
    children: [{ name: 'u', init: { command: ['sh', '-c', "trap 'exit 0' TERM; sleep infinity & wait"] } }],
  });
  const r = await tree.exec('root/u', ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
  t.regex(r.stdout, /^sh -c trap/);
});

test('spawn gives a live process: streams, pids, kill, wait', async (t) => {
  await using tree = await spawnTree(spec);
  const p = await tree.spawn('root/a', ['sh', '-c', 'read line; echo "got $line"; sleep infinity']);
  t.is(p.node, 'root/a');
  t.is(p.pids['root/a'], 3);
  const said = new Promise<string>((resolve) => p.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  p.stdin.write('ping\n');
  t.is(await said, 'got ping\n');
  t.true(p.kill('SIGKILL'));
  t.like(await p.wait(), { node: 'root/a', process: p.name, signal: 'SIGKILL' });
  t.false(p.kill(), 'gone');
});

test('kill signals through pidfds; waitFor sees it; stop ends the rest', async (t) => {
  const tree = await spawnTree(spec);
  t.true(tree.kill('root/a:worker', 'SIGUSR1'));
  const exit = await tree.waitFor(isExit('root/a', 'worker'));
  t.is(exit.signal, 'SIGUSR1');
  const end = await tree.stop({ graceMs: 5_000 });
  t.is(end.event, 'end');
  t.false(tree.kill('root:web'));
  t.false(stillRunning(tree.pid, [tree.pid]));
});

test('events() replays from the start to every reader, in order, until end', async (t) => {
  const tree = await spawnTree({
    name: 'root',
    processes: [{ name: 'p', command: ['sh', '-c', 'echo one; echo two'] }],
  });
  await tree.wait();
  const read = async () => {
    const seen: TreeEvent[] = [];
    for await (const e of tree.events()) seen.push(e);
    return seen;
  };
  const [a, b] = await Promise.all([read(), read()]);
  t.deepEqual(a, b);
  t.is(a[0]?.event, 'start');
  t.is(a.at(-1)?.event, 'end');
  t.deepEqual(
    a.filter(ofKind('output')).map((e) => e.line),
    ['one', 'two'],
  );
});

test('waitFor rejects with TIMEOUT, and with TREE_GONE once the tree has ended', async (t) => {
  const tree = await spawnTree(spec);
  await rejects(
    t,
    tree.waitFor((e) => e.event === 'reap', { timeoutMs: 50 }),
    'TIMEOUT',
  );
  await tree.stop();
  await rejects(
    t,
    tree.waitFor((e) => e.event === 'reap'),
    'TREE_GONE',
  );
  await rejects(t, tree.spawn('root', ['true']), 'TREE_GONE');
});

/** Checks the flood's lines arrive complete and in order, its exit after the last. */
function checkFlood(events: readonly TreeEvent[], lines: number): string | undefined {
  let expected = 1;
  let exitAt = -1;
  events.forEach((e, i) => {
    if (e.event === 'output' && e.process === 'flood' && Number(e.line) === expected) expected += 1;
    if (e.event === 'exit' && e.process === 'flood') exitAt = i;
  });
  if (expected !== lines + 1) return `got lines 1 to ${expected - 1} in order, of ${lines}`;
  const lastLine = events.findLastIndex((e) => e.event === 'output');
  return exitAt > lastLine ? undefined : 'its exit came before its last line';
}

test('no event is lost or reordered when a process floods its output: a reader from the start gets every line', async (t) => {
  await using tree = await spawnTree({ name: 'root', processes: [{ name: 'flood', command: ['seq', '200000'] }] });
  const events: TreeEvent[] = [];
  // The default keeps 10 000 lines for later readers; one that reads as it goes misses none:
  // the tree waits for it.
  for await (const e of tree.events()) events.push(e);
  t.is(checkFlood(events, 200_000), undefined);
  t.is(events.filter(ofKind('output')).length, 200_000);
});

test('a reader that starts as spawnTree resolves gets every line, also those printed while the rest of the tree started', async (t) => {
  // 100 processes in 4 namespaces print 200 lines each at once: most of it comes before the
  // last process has started, i.e. before spawnTree resolves. keepOutput (100) is far below it.
  const seq = (p: number) => ({ name: `p${p}`, command: ['seq', '200'] });
  const children = Array.from({ length: 4 }, (_, n) => ({
    name: `n${n}`,
    processes: Array.from({ length: 25 }, (_, p) => seq(p)),
  }));
  await using tree = await spawnTree({ name: 'root', children }, { keepOutput: 100 });
  const next = new Map<string, number>();
  let inOrder = true;
  for await (const e of tree.events()) {
    if (e.event !== 'output') continue;
    const key = `${e.node}:${e.process}`;
    const expected = (next.get(key) ?? 0) + 1;
    if (Number(e.line) !== expected) inOrder = false;
    next.set(key, expected);
  }
  t.is(
    [...next.values()].reduce((a, b) => a + b, 0),
    100 * 200,
  );
  t.true(inOrder, "every process's lines 1 to 200, in order");
});

test("with keepOutput: 'all', a reader that comes after the end still gets every line", async (t) => {
  await using tree = await spawnTree(
    { name: 'root', processes: [{ name: 'flood', command: ['seq', '200000'] }] },
    { keepOutput: 'all' },
  );
  t.is((await tree.wait()).code, 0);
  const events: TreeEvent[] = [];
  for await (const e of tree.events()) events.push(e);
  t.is(checkFlood(events, 200_000), undefined);
});

test('by default a reader that comes after the end gets every lifecycle event and the last 10 000 lines', async (t) => {
  await using tree = await spawnTree({ name: 'root', processes: [{ name: 'flood', command: ['seq', '50000'] }] });
  t.is((await tree.wait()).code, 0);
  const events: TreeEvent[] = [];
  for await (const e of tree.events()) events.push(e);
  const lines = events.filter(ofKind('output')).map((e) => Number(e.line));
  t.deepEqual([lines.length, lines[0], lines.at(-1)], [10_000, 40_001, 50_000]);
  t.deepEqual(
    events.filter((e) => e.event !== 'output').map((e) => `${e.event}:${'process' in e ? e.process : ''}`),
    ['start:init', 'start:flood', 'exit:flood', 'exit:init', 'end:'],
  );
});

test('await using stops the tree and reaps everything when the block ends', async (t) => {
  const { fifo, gone } = deathWatch();
  {
    await using tree = await spawnTree({
      name: 'root',
      processes: [{ name: 'p', command: ['sh', '-c', `exec 3>${fifo}; echo held; exec sleep infinity`] }],
    });
    t.truthy(tree.pids('root:p'));
    // Once the process holds the FIFO: were the tree gone before, the watch would wait for a writer forever.
    await tree.waitFor((e) => e.event === 'output' && e.line === 'held');
  }
  await gone;
  t.pass();
});

test('a script that forgets to stop its tree exits, and takes the tree with it', async (t) => {
  const { fifo, gone } = deathWatch();
  const script = `import { spawnTree } from 'pidns-tree';
const tree = await spawnTree({ name: 'r', processes: [{ name: 'p', command: ['sh', '-c', 'exec 3>${fifo}; echo held; exec sleep infinity'] }] });
// Once the process holds the FIFO: were the tree gone before, the watch would wait for a writer forever.
await tree.waitFor((e) => e.event === 'output' && e.line === 'held');
console.log('up', tree.pid);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  t.regex(stdout, /^up \d+/);
  await gone;
});

test('errors are typed: INVALID_SPEC with issues, DEPTH_LIMIT, UNKNOWN_NODE, UNKNOWN_PROCESS, BAD_TARGET', async (t) => {
  const invalid = await rejects(t, spawnTree({ name: 'r', processes: [{ name: 'p', command: [] }] }), 'INVALID_SPEC');
  t.is(invalid.issues[0]?.path, '$.processes[0].command');
  let deep: { name: string; children?: unknown[] } = { name: 'n' };
  for (let i = 0; i < 40; i += 1) deep = { name: 'n', children: [deep] };
  await rejects(t, spawnTree(deep as Parameters<typeof spawnTree>[0]), 'DEPTH_LIMIT');
  await using tree = await spawnTree(spec);
  t.is(t.throws(() => tree.pids('root/b'), { instanceOf: PidnsTreeError })?.code, 'UNKNOWN_NODE');
  t.is(t.throws(() => tree.kill('root/a:nobody'), { instanceOf: PidnsTreeError })?.code, 'UNKNOWN_PROCESS');
  t.is(t.throws(() => tree.pids('root:'), { instanceOf: PidnsTreeError })?.code, 'BAD_TARGET');
  await rejects(t, tree.exec('root/zz', ['true']), 'UNKNOWN_NODE');
});

test('without CAP_SYS_ADMIN, mode privileged rejects with NO_PRIVILEGE and auto goes rootless', async (t) => {
  const script = `import { spawnTree } from 'pidns-tree';
try { await spawnTree({ name: 'r' }, { mode: 'privileged' }); } catch (e) { console.log(e.code); }
const tree = await spawnTree({ name: 'r', processes: [{ name: 'p', command: ['true'] }] });
console.log(tree.rootless, (await tree.wait()).code);`;
  const { stdout } = await run(
    'setpriv',
    ['--bounding-set', '-sys_admin', '--', process.execPath, '--input-type=module', '-e', script],
    { cwd: root },
  );
  t.deepEqual(stdout.trim().split('\n'), ['NO_PRIVILEGE', 'true 0']);
});

test('CommonJS: require("pidns-tree") works', async (t) => {
  const script = `const { spawnTree } = require('pidns-tree');
spawnTree({ name: 'r', processes: [{ name: 'p', command: ['true'] }] }).then((tree) => tree.wait()).then((end) => console.log(end.code));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
  t.is(stdout.trim(), '0');
});

test('pidns-tree/ava gives each test its own tree and stops it however the test ends', async (t) => {
  // A stand-in for ava's context: collect the teardowns withTree registers, run them after.
  for (const outcome of ['passes', 'throws'] as const) {
    const teardowns: (() => unknown)[] = [];
    let seen: Tree | undefined;
    let during: { stat?: ProcStat | undefined; nspid?: number[] | undefined; argv?: string[] | undefined } = {};
    const fake = { teardown: (fn: () => unknown) => teardowns.push(fn) } as unknown as import('ava').ExecutionContext;
    const since = ticksSinceBoot();
    const body = withTree(spec, (_t, tree) => {
      seen = tree;
      // What the kernel says of the tree's root init while the test body runs.
      during = { stat: procStat(tree.pid), nspid: nspid(tree.pid), argv: cmdline(tree.pid) };
      if (outcome === 'throws') throw new Error('test failed');
    });
    await body(fake).catch(() => undefined);
    if (seen === undefined) return t.fail(`withTree did not run the test body (${outcome})`);
    // The process we were given is the root init this test started, and it runs: not a zombie
    // (dead, not reaped), not a PID that another process took since.
    const init = await seen.waitFor(isStart('root', 'init'));
    t.is(init.pids['host'], seen.pid);
    t.regex(during.stat?.state ?? 'gone', /^[RSD]$/, `the root init runs during the test (${outcome})`);
    t.is(during.stat?.ppid, process.pid, 'spawnTree forked it from this process');
    t.true((during.stat?.startTime ?? -1) >= since, 'it started during this test');
    t.deepEqual(during.nspid, Object.values(init.pids), 'its PID at every level is the one the API reported');
    t.is(path.basename(during.argv?.[0] ?? ''), init.command[0] ?? '?', 'it runs the command the API reported');
    for (const fn of teardowns) await fn();
    t.is(nspid(seen.pid), undefined, `gone after a test that ${outcome}`);
  }
});

test("the root init writes its diagnostics to the host's stderr", async (t) => {
  await using tree = await spawnTree({ name: 'r', processes: [{ name: 'p', command: ['sleep', 'infinity'] }] });
  t.is(readlinkSync(`/proc/${tree.pid}/fd/2`), readlinkSync('/proc/self/fd/2'));
});

test('a waitFor predicate that throws fails that wait only; the tree and other waits go on', async (t) => {
  await using tree = await spawnTree({
    name: 'r',
    processes: [{ name: 'p', command: ['sh', '-c', 'echo one; sleep infinity'] }],
  });
  const boom = new Error('predicate bug');
  await t.throwsAsync(
    tree.waitFor(() => {
      throw boom;
    }),
    { is: boom },
  );
  const line = await tree.waitFor(isOutput('r', 'p', 'one'), { timeoutMs: 5_000 });
  t.is(line.process, 'p');
  t.like(await tree.exec('r', ['echo', 'still here']), { code: 0, stdout: 'still here\n' });
});

test('spawnTree fails fast with START_FAILED when an init cannot start its processes', async (t) => {
  const started = Date.now();
  const error = await t.throwsAsync(
    spawnTree(
      {
        name: 'root',
        processes: [{ name: 'long', command: ['sleep', 'infinity'] }],
        children: [{ name: 'u', init: { command: ['/no/such/init'] }, processes: [{ name: 'p', command: ['true'] }] }],
      },
      { startTimeoutMs: 20_000 },
    ),
    { instanceOf: PidnsTreeError },
  );
  t.is(error?.code, 'START_FAILED');
  t.true(Date.now() - started < 15_000, 'not after the start timeout');
});
