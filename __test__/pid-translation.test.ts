/**
 * A three-level tree against the real kernel: every init is PID 1 of its namespace, every
 * process's reported PIDs are the kernel's NSpid, and /proc shows each namespace only itself
 * and what is below it; `inspect` shows any process's chain the same way.
 */
import { readlinkSync } from 'node:fs';

import test from 'ava';

import { spawnTree } from '../src/index.js';
import { RunningTree } from '../src/running-tree.js';
import type { StartEvent } from '../src/events.js';
import { runCli } from './helpers/cli.js';
import { nspid, procSeenBy } from './helpers/host.js';
import { plan, threeLevels } from './helpers/specs.js';
import { watch } from './helpers/watch.js';
import { hostPid } from './helpers/events.js';

async function withThreeLevels(check: (starts: StartEvent[]) => void): Promise<void> {
  const tree = RunningTree.start(plan(threeLevels()));
  const w = watch(tree);
  try {
    check(await w.allStarted());
  } finally {
    tree.signal('SIGTERM');
    await w.ended;
  }
}

test('each namespace init is PID 1 in its own namespace', async (t) => {
  await withThreeLevels((starts) => {
    const inits = starts.filter((s) => s.process === 'init');
    t.deepEqual(inits.map((s) => s.node).sort(), ['root', 'root/a', 'root/a/b']);
    for (const init of inits) {
      t.is(init.pid, 1, `${init.node}'s init`);
      t.is(init.pids[init.node], 1);
      t.is(nspid(hostPid(init))?.at(-1), 1, 'the kernel agrees');
    }
  });
});

test("rule 5: a process has one PID per level: its pids match NSpid in the host's /proc", async (t) => {
  await withThreeLevels((starts) => {
    t.is(starts.length, 9);
    for (const s of starts) {
      const levels = ['host', ...s.node.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))];
      t.deepEqual(Object.keys(s.pids), levels, `${s.node}:${s.process} has a PID at every level`);
      t.deepEqual(nspid(hostPid(s)), Object.values(s.pids), `${s.node}:${s.process}`);
      t.is(s.pids[s.node], s.pid);
    }
  });
});

test('rule 4: a namespace sees in /proc only itself and the namespaces below it', async (t) => {
  await withThreeLevels((starts) => {
    for (const ns of ['root', 'root/a', 'root/a/b']) {
      const init = starts.find((s) => s.node === ns && s.process === 'init');
      const expected = starts
        .filter((s) => s.node === ns || s.node.startsWith(`${ns}/`))
        .map((s) => s.pids[ns] ?? -1)
        .sort((a, b) => a - b);
      t.deepEqual(procSeenBy(hostPid(init)), expected, `/proc in ${ns}`);
    }
  });
});

test("rule 4: the parent level sees the child's processes, the child never the parent's", async (t) => {
  await withThreeLevels((starts) => {
    const hostOf = (node: string, process: string) =>
      hostPid(starts.find((s) => s.node === node && s.process === process));
    const inRoot = procSeenBy(hostOf('root', 'init'));
    const inB = procSeenBy(hostOf('root/a/b', 'init'));
    const leaf = starts.find((s) => s.node === 'root/a/b' && s.process === 'b1');
    t.true(inRoot.includes(leaf?.pids['root'] ?? -1), 'root sees root/a/b:b1 under its root PID');
    t.is(inB.length, 3, 'root/a/b sees its init and its two processes, nothing more');
    t.true(inRoot.length > inB.length);
  });
});

test("inspect shows a process's namespace chain and its PID in each, as the kernel has them", async (t) => {
  await using tree = await spawnTree({
    name: 'r',
    children: [{ name: 'a', processes: [{ name: 's', command: ['sleep', 'infinity'] }] }],
  });
  const s = tree.pids('r/a:s');
  const r = await runCli(['inspect', '--json', String(hostPid(s))]);
  t.is(r.code, 0, r.stderr);
  const inspected = JSON.parse(r.stdout) as { name: string; levels: { namespace: number; pid: number }[] };
  t.is(inspected.name, 'sleep');
  t.deepEqual(
    inspected.levels.map((l) => l.pid),
    Object.values(s),
  );
  const ns = (pid: number) => readlinkSync(`/proc/${pid}/ns/pid`);
  t.deepEqual(
    inspected.levels.map((l) => `pid:[${l.namespace}]`),
    [readlinkSync('/proc/self/ns/pid'), ns(hostPid(tree.pids('r'))), ns(hostPid(s))],
  );
  const human = await runCli(['inspect', String(hostPid(s))]);
  t.regex(human.stdout, /^pid \d+ \(sleep\): 3 PID-namespace levels, yours first$/m);
  t.regex(human.stdout, /pid 2 {2}← its own$/m);
  const missing = await runCli(['inspect', '999999999']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no process 999999999/);
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
