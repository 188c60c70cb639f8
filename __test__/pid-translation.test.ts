/**
 * A three-level tree against the real kernel: every init is PID 1 of its namespace, every
 * process's reported PIDs are the kernel's NSpid, and /proc shows each namespace only itself
 * and what is below it.
 */
import test from 'ava';

import { RunningTree } from '../src/running-tree.js';
import type { StartEvent } from '../src/events.js';
import { nspid, procSeenBy } from './helpers/host.js';
import { plan, threeLevels } from './helpers/specs.js';
import { watch } from './helpers/watch.js';

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
      t.is(nspid(init.pids['host'] ?? -1)?.at(-1), 1, 'the kernel agrees');
    }
  });
});

test("rule 5: a process has one PID per level: its pids match NSpid in the host's /proc", async (t) => {
  await withThreeLevels((starts) => {
    t.is(starts.length, 9);
    for (const s of starts) {
      const levels = ['host', ...s.node.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))];
      t.deepEqual(Object.keys(s.pids), levels, `${s.node}:${s.process} has a PID at every level`);
      t.deepEqual(nspid(s.pids['host'] ?? -1), Object.values(s.pids), `${s.node}:${s.process}`);
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
      t.deepEqual(procSeenBy(init?.pids['host'] ?? -1), expected, `/proc in ${ns}`);
    }
  });
});

test("rule 4: the parent level sees the child's processes, the child never the parent's", async (t) => {
  await withThreeLevels((starts) => {
    const hostOf = (node: string, process: string) =>
      starts.find((s) => s.node === node && s.process === process)?.pids['host'] ?? -1;
    const inRoot = procSeenBy(hostOf('root', 'init'));
    const inB = procSeenBy(hostOf('root/a/b', 'init'));
    const leaf = starts.find((s) => s.node === 'root/a/b' && s.process === 'b1');
    t.true(inRoot.includes(leaf?.pids['root'] ?? -1), 'root sees root/a/b:b1 under its root PID');
    t.is(inB.length, 3, 'root/a/b sees its init and its two processes, nothing more');
    t.true(inRoot.length > inB.length);
  });
});
