/** Regressions found in review: each would fail against the code before its fix. */
import { spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';

import test from 'ava';

import { PidnsTreeError, spawnTree, type OutputEvent, type StartEvent } from '../src/index.js';
import { bin, root, runCli } from './helpers/cli.js';

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
  const line = await tree.waitFor((e): e is OutputEvent => e.event === 'output' && e.line === 'one', {
    timeoutMs: 5_000,
  });
  t.is(line.process, 'p');
  t.like(await tree.exec('r', ['echo', 'still here']), { code: 0, stdout: 'still here\n' });
});

test('stopping signals each process once: no SIGTERM to a wrong PID from an outer init', async (t) => {
  const trap = ['sh', '-c', "trap 'echo TERM' TERM; echo ready; while :; do sleep 1 & wait; done"];
  const tree = await spawnTree({
    name: 'root',
    init: { stopTimeout: 2 },
    children: [
      {
        name: 'n',
        init: { stopTimeout: 1 },
        processes: [
          { name: 'x', command: trap },
          { name: 'y', command: trap },
        ],
      },
    ],
  });
  for (const p of ['x', 'y']) await tree.waitFor((e) => e.event === 'output' && e.process === p && e.line === 'ready');
  await tree.stop({ graceMs: 10_000 });
  const terms = (await collectOutput(tree)).filter((l) => l === 'TERM');
  t.is(terms.length, 2, 'one SIGTERM each, from their own init');
});

async function collectOutput(tree: Awaited<ReturnType<typeof spawnTree>>): Promise<string[]> {
  const lines: string[] = [];
  for await (const e of tree.events()) if (e.event === 'output') lines.push(e.line);
  return lines;
}

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

test("the tree's status is the first failing process's, also when an init reported an error first", async (t) => {
  const r = await runCli(['spawn', '--json', '-'], {
    input: JSON.stringify({
      name: 'root',
      children: [{ name: 'u', init: { command: ['/no/such/init'] }, processes: [{ name: 'p', command: ['true'] }] }],
    }),
  });
  t.is(r.code, 127);
  t.regex(r.stdout, /"event":"end","code":127/);
});

test('descriptors the host has open do not leak into the tree', async (t) => {
  // The CLI gets extra inherited descriptors (3..6, not close-on-exec), as from a supervisor.
  const child = spawn(process.execPath, [bin, 'spawn', '--json', '-'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  // `start` is sent before exec (from the forked init); its output line comes from the
  // command itself, so its descriptors are final by then (exec sleep keeps them).
  child.stdin?.end(
    JSON.stringify({
      name: 'r',
      processes: [{ name: 'p', command: ['sh', '-c', 'echo running; exec sleep infinity'] }],
    }),
  );
  const start = await new Promise<StartEvent>((resolve) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as StartEvent | OutputEvent);
      const started = events.find((e): e is StartEvent => e.event === 'start' && e.process === 'p');
      if (started !== undefined && events.some((e) => e.event === 'output' && e.line === 'running')) resolve(started);
    });
  });
  // Read from outside what the tree's process holds.
  t.deepEqual(readdirSync(`/proc/${start.pids['host']}/fd`).sort(), ['0', '1', '2']);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('close', resolve));
});

test("inspect from a nested namespace whose /proc is the host's: each namespace with the PID it gives", async (t) => {
  // The CLI inspects itself as PID 1 of a new namespace, under the host's /proc: NSpid there
  // starts at the host's level, the namespace chain at the caller's own.
  const r = await runCli(['inspect', '--json'], {
    wrap: ['unshare', '--pid', '--fork', 'sh', '-c', 'read -r self _ < /proc/self/stat; exec "$0" "$@" "$self"'],
  });
  t.is(r.code, 0, r.stderr);
  const inspected = JSON.parse(r.stdout) as { name: string; levels: { namespace: number; pid: number }[] };
  t.is(inspected.levels.length, 1);
  t.is(inspected.levels[0]?.pid, 1, "its PID in its own namespace, not the host's");
  t.not(`pid:[${inspected.levels[0]?.namespace}]`, readlinkSync('/proc/self/ns/pid'));
});

test("inspect shows a process's namespace chain and its PID in each, as the kernel has them", async (t) => {
  await using tree = await spawnTree({
    name: 'r',
    children: [{ name: 'a', processes: [{ name: 's', command: ['sleep', 'infinity'] }] }],
  });
  const s = tree.pids('r/a:s');
  const r = await runCli(['inspect', '--json', String(s['host'])]);
  t.is(r.code, 0, r.stderr);
  const inspected = JSON.parse(r.stdout) as { name: string; levels: { namespace: number; pid: number }[] };
  t.is(inspected.name, 'sleep');
  t.deepEqual(
    inspected.levels.map((l) => l.pid),
    Object.values(s),
  );
  const ns = (pid: number | undefined) => readlinkSync(`/proc/${pid}/ns/pid`);
  t.deepEqual(
    inspected.levels.map((l) => `pid:[${l.namespace}]`),
    [readlinkSync('/proc/self/ns/pid'), ns(tree.pids('r')['host']), ns(s['host'])],
  );
  const human = await runCli(['inspect', String(s['host'])]);
  t.regex(human.stdout, /^pid \d+ \(sleep\): 3 PID-namespace levels, yours first$/m);
  t.regex(human.stdout, /pid 2 {2}← its own$/m);
  const missing = await runCli(['inspect', '999999999']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no process 999999999/);
});
