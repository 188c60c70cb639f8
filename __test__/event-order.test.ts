/**
 * The event stream is causal: every exit has its start before it, a namespace's processes end
 * before its init, an init before its parent's; and it ends when its reader goes away, also
 * while the tree prints nothing.
 */
import { spawn } from 'node:child_process';

import test from 'ava';

import type { TreeEvent } from '../src/events.js';
import { RunningTree } from '../src/running-tree.js';
import type { TreeSpec } from '../src/spec.js';
import { bin, interruptDuringStartUp, root } from './helpers/cli.js';
import { deathWatch } from './helpers/host.js';
import { plan } from './helpers/specs.js';
import { watch } from './helpers/watch.js';
import { hostPid, isExit, ndjson, ofKind } from './helpers/events.js';

/** Every way the stream could break causality, as readable complaints (none when it holds). */
function causalityViolations(events: readonly TreeEvent[], spec: { nodes: readonly { path: string }[] }): string[] {
  const problems: string[] = [];
  const started = new Set<string>();
  const exitAt = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.event === 'start') started.add(`${e.node}:${e.process}`);
    if (e.event === 'exit') {
      const who = `${e.node}:${e.process}`;
      if (!started.has(who)) problems.push(`${who} exited without a start`);
      exitAt.set(who, i);
    }
  });
  for (const { path } of spec.nodes) {
    const init = exitAt.get(`${path}:init`);
    if (init === undefined) continue;
    for (const [who, at] of exitAt) {
      const [node, process] = who.split(':') as [string, string];
      const inside = node === path ? process !== 'init' : node.startsWith(`${path}/`);
      if (inside && at > init) problems.push(`${who} exited after ${path}'s init`);
    }
  }
  return problems;
}

/** 8 namespaces in a chain, each with 8 processes that only stop when told. */
function eightByEight(): TreeSpec {
  let node: TreeSpec | undefined;
  for (let level = 8; level >= 1; level -= 1) {
    const processes = Array.from({ length: 8 }, (_, i) => ({
      name: `p${i}`,
      // Stopped, each still has a lot to say: its exit must wait for the last of it.
      command: ['sh', '-c', 'trap "seq 3000; exit 0" TERM; echo up; while :; do sleep 1; done'],
    }));
    node = { name: `l${level}`, processes, ...(node === undefined ? {} : { children: [node] }) };
  }
  return node as TreeSpec;
}

test('a stop (SIGTERM) of an 8x8 tree: processes end before their init, inits before their parent', async (t) => {
  const spec = eightByEight();
  const tree = RunningTree.start(plan(spec));
  const w = watch(tree);
  await w.allStarted();
  tree.signal('SIGTERM');
  await w.ended;
  t.deepEqual(causalityViolations(w.events, tree.plan), []);
  t.is(w.events.filter((e) => e.event === 'exit').length, 8 * 9);
});

test('SIGKILL of a middle init: the cascade is reported deepest first, before the dead init', async (t) => {
  const spec = eightByEight();
  const tree = RunningTree.start(plan(spec));
  const w = watch(tree);
  const starts = await w.allStarted();
  const middle = starts.find((s) => s.node === 'l1/l2/l3' && s.process === 'init');
  process.kill(hostPid(middle), 'SIGKILL');
  await w.waitFor(isExit('l1/l2/l3', 'init'), 'l3');
  tree.signal('SIGTERM');
  await w.ended;
  t.deepEqual(causalityViolations(w.events, tree.plan), []);
  const cascade = w.events
    .filter(ofKind('exit'))
    .filter((e) => e.node.startsWith('l1/l2/l3') && e.reason !== undefined);
  t.is(cascade.length, 6 * 8 + 5, 'every process below l3 and every init below it, killed with it');
  t.is(cascade[0]?.node, 'l1/l2/l3/l4/l5/l6/l7/l8', 'deepest first');
});

test.serial('Ctrl-C during the start-up of 500 siblings: every exit has its start before it', async (t) => {
  const spec = {
    name: 'root',
    children: Array.from({ length: 500 }, (_, i) => ({
      name: `c${i}`,
      processes: [{ name: 'p', command: ['sleep', 'infinity'] }],
    })),
  };
  const r = await interruptDuringStartUp(spec);
  t.is(r.code, 130, r.stderr);
  const events = ndjson(r.stdout);
  t.true(events.filter((e) => e.event === 'start').length < 1001, 'stopped during start-up');
  t.deepEqual(causalityViolations(events, { nodes: [] }), []);
  t.like(events.at(-1), { event: 'end' });
});

test.serial('spawn --json | head -3 ends the tree even when it prints nothing more', async (t) => {
  const { fifo, gone } = deathWatch();
  const spec = JSON.stringify({
    name: 'r',
    // The FIFO is held before anything is said (so the tree cannot be killed before it is),
    // then the process says one line and nothing more.
    processes: [{ name: 'quiet', command: ['sh', '-c', `exec 3>${fifo}; echo ready; exec sleep infinity`] }],
  });
  const shell = spawn(
    'bash',
    ['-c', `"${process.execPath}" "${bin}" spawn --json - | head -3; echo "cli=\${PIPESTATUS[0]}"`],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  shell.stdin.end(spec);
  let out = '';
  shell.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise((resolve) => shell.on('close', resolve));
  await gone; // the kernel closed the FIFO in the tree's process: it is dead
  t.is(out.split('\n').filter((l) => l.startsWith('{')).length, 3);
  t.regex(out, /^cli=141$/m, 'the CLI ends as SIGPIPE would end it');
});
