/**
 * Nothing is left behind: after a run, when the owner is SIGKILLed, on Ctrl-C; no process of
 * the tree survives and the host's mount table is unchanged.
 */
import test from 'ava';

import { RunningTree } from '../src/running-tree.js';
import { runCli, startCli, stdoutIncludes } from './helpers/cli.js';
import { alive, deathWatch, mountTable } from './helpers/host.js';
import { plan, threeLevels } from './helpers/specs.js';
import { watch } from './helpers/watch.js';
import { ofKind } from './helpers/events.js';

/** Each process holds the watch FIFO open for writing until it dies. */
function holding(fifo: string): string[] {
  return ['sh', '-c', `exec sleep infinity 3>${fifo}`];
}

test('after a run no process of the tree is alive and no mount was added on the host', async (t) => {
  const before = mountTable();
  const tree = RunningTree.start(plan(threeLevels(['sh', '-c', 'sleep 0.01 & echo started'])));
  const w = watch(tree);
  await w.ended;
  const starts = w.events.filter(ofKind('start'));
  t.is(starts.length, 9);
  for (const s of starts) t.false(alive(s), `${s.node}:${s.process}`);
  t.is(mountTable(), before);
});

test('SIGKILL of the CLI that owns a tree kills every process of it', async (t) => {
  const { fifo, gone } = deathWatch();
  const spec = JSON.stringify(threeLevels(holding(fifo)));
  const { child, result } = startCli(['spawn', '-', '--json'], { input: spec });
  await stdoutIncludes(child, '"process":"b2"');
  child.kill('SIGKILL');
  await gone; // EOF: the kernel closed the FIFO in every process of the tree
  t.is((await result).signal, 'SIGKILL');
});

test('Ctrl-C stops the tree, prints every exit, and exits 130', async (t) => {
  const { fifo, gone } = deathWatch();
  const before = mountTable();
  const { child, result } = startCli(['spawn', '-'], { input: JSON.stringify(threeLevels(holding(fifo))) });
  await stdoutIncludes(child, '6 processes up');
  child.kill('SIGINT');
  const r = await result;
  await gone;
  t.is(r.code, 130);
  t.regex(r.stderr, /SIGINT: stopping the tree/);
  for (const p of ['root:r1', 'root/a:a2', 'root/a/b:b1'])
    t.regex(r.stdout, new RegExp(`${p} +· killed by SIGTERM \\(143\\)`));
  t.regex(r.stdout, /root:init +· namespace ended/);
  t.is(mountTable(), before);
});

test('without CAP_SYS_ADMIN, --privileged says so, exits 125 and starts nothing; by default the tree runs rootless', async (t) => {
  const input = JSON.stringify({ name: 'r', processes: [{ name: 'p', command: ['true'] }] });
  const wrap = ['setpriv', '--bounding-set', '-sys_admin', '--inh-caps', '-sys_admin', '--'];
  const refused = await runCli(['spawn', '--privileged', '-'], { input, wrap });
  t.is(refused.code, 125);
  t.regex(refused.stderr, /needs CAP_SYS_ADMIN/);
  t.regex(refused.stderr, /run pidns-tree as root/);
  t.is(refused.stdout, '');
  const rootless = await runCli(['spawn', '--json', '-'], { input, wrap });
  t.is(rootless.code, 0, rootless.stderr);
  t.regex(rootless.stdout, /"event":"end","code":0/);
});
