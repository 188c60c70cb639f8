/**
 * A tree's processes start with every signal at its default action and nothing blocked,
 * whatever pidns-tree inherited: Node ignores SIGPIPE, and whoever started Node may have
 * ignored more (real-time signals included), which exec would otherwise hand down.
 */
import test from 'ava';

import { runCli } from './helpers/cli.js';

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
  const lines = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; process?: string; line?: string })
    .filter((e) => e.event === 'output')
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
  const events = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; process?: string; code?: number; reason?: string });
  const exit = events.find((e) => e.event === 'exit' && e.process === 'rt');
  t.is(exit?.code, 128 + 40, JSON.stringify(exit));
  t.is(exit?.reason, undefined);
  t.is(r.code, 168, 'the tree fails with its code');
});
