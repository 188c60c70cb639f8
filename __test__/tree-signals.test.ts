/**
 * Signals in a tree: its processes start with every signal at its default action and nothing
 * blocked, whatever pidns-tree inherited (Node ignores SIGPIPE, and whoever started Node may
 * have ignored more, real-time signals included, which exec would otherwise hand down); a
 * death by any signal is told as 128+N; stopping a tree signals each process once.
 */
import test from 'ava';

import { spawnTree } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { isExit, ndjson, ofKind } from './helpers/events.js';

test('processes start with default signal actions and an empty mask: yes | head ends yes by SIGPIPE', async (t) => {
  const spec = {
    name: 'root',
    processes: [
      { name: 'yes', command: ['bash', '-c', 'yes | head -1; echo "yes: ${PIPESTATUS[0]}"'] },
      { name: 'sig', command: ['grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status'] },
    ],
  };
  // The CLI's own parent ignores SIGHUP and real-time signal 40 (Node resets 1-31 at start, not 40).
  const wrap = ['bash', '-c', 'trap "" HUP RTMIN+6; exec "$@"', 'launcher'];
  const r = await runCli(['spawn', '--json', '-'], { input: JSON.stringify(spec), wrap });
  t.is(r.code, 0, r.stderr);
  const lines = ndjson(r.stdout)
    .filter(ofKind('output'))
    .map((e) => `${e.process}: ${e.line}`);
  t.deepEqual(
    lines.filter((l) => l.startsWith('yes:')),
    ['yes: y', 'yes: yes: 141'],
  );
  t.deepEqual(
    lines.filter((l) => l.startsWith('sig:')).map((l) => l.replace(/\s+/g, ' ')),
    ['sig: SigBlk: 0000000000000000', 'sig: SigIgn: 0000000000000000'],
  );
});

test('a process killed by a real-time signal is reported with 128+N, not as killed with its namespace', async (t) => {
  const spec = { name: 'root', processes: [{ name: 'rt', command: ['bash', '-c', 'kill -s RTMIN+6 $$'] }] };
  const r = await runCli(['spawn', '--json', '-'], { input: JSON.stringify(spec) });
  const exit = ndjson(r.stdout).find(isExit('root', 'rt'));
  t.is(exit?.code, 128 + 40, JSON.stringify(exit));
  t.is(exit?.reason, undefined);
  t.is(r.code, 168, 'the tree fails with its code');
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
