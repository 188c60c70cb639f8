/** Live trees: a detached tree owned by a native supervisor, driven from other processes. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import test, { type ExecutionContext } from 'ava';

import { bin, root, runCli } from './helpers/cli.js';
import { deathWatch, mountTable } from './helpers/host.js';
import { isExit } from './helpers/events.js';
import { detachTree, liveSeq, psJson, uniqueName, waitForLive } from './helpers/live.js';

const run = promisify(execFile);
const sleeper = (name: string, extra = '') => ({ name, command: ['sh', '-c', `exec sleep infinity${extra}`] });
const spec = (extra = '') =>
  JSON.stringify({
    name: 'root',
    processes: [sleeper('web', extra)],
    children: [
      { name: 'a', processes: [sleeper('w', extra)], children: [{ name: 'b', processes: [sleeper('x', extra)] }] },
    ],
  });

/** A tree of three levels whose processes run `exec sleep infinity${extra}`, stopped when test `t` ends. */
const detach = (name: string, t: ExecutionContext, extra = '') =>
  detachTree(uniqueName(name), spec(extra), { stopAfter: t, graceMs: 2000 });

test.serial(
  'a detached tree is listed, shown by ps with PIDs at every level, and stopped from other commands',
  async (t) => {
    const tree = await detach('live-basic', t);
    const id = tree.id;
    t.true(existsSync(path.join(tree.dir, 'control.sock')));
    const ls = JSON.parse((await runCli(['ls', '--json'])).stdout) as {
      trees: { id: string; namespaces: number; processes: number }[];
    };
    t.like(
      ls.trees.find((x) => x.id === id),
      { namespaces: 3, processes: 3 },
    );
    const ps = await psJson(id);
    const inits = ps.processes.filter((p) => p.process === 'init');
    t.deepEqual(
      inits.map((p) => [p.node, p.pid, p.state]),
      [
        ['root', 1, 'running'],
        ['root/a', 1, 'running'],
        ['root/a/b', 1, 'running'],
      ],
    );
    t.deepEqual(Object.keys(ps.processes.find((p) => p.process === 'x')?.pids ?? {}), [
      'host',
      'root',
      'root/a',
      'root/a/b',
    ]);
    const human = await runCli(['ps', id]);
    t.regex(human.stdout, /^ {2}x +pid 2 in root\/a\/b · \d+ in root\/a · \d+ in root · \d+ on host {2}running/m);
    const stop = await runCli(['stop', id, '--grace-ms', '2000']);
    t.is(stop.code, 0, stop.stderr);
    t.false(existsSync(tree.dir), 'its state is gone with it');
    t.is((await runCli(['ps', id])).code, 2);
  },
);

test('exec runs in the namespace as a child of its PID 1 with our stdio, and returns its status', async (t) => {
  const { id } = await detach('live-exec', t);
  const r = await runCli(['exec', id, 'root/a', '--', 'sh', '-c', 'echo "ppid=$PPID"; cat; echo oops >&2; exit 5'], {
    input: 'from stdin\n',
  });
  t.is(r.code, 5);
  t.is(r.stdout, 'ppid=1\nfrom stdin\n');
  t.is(r.stderr, 'oops\n');
  // From a terminal (script gives us a pty) with -T, the command gets that terminal itself
  // (without -T it gets one of its own: exec-tty.test.ts).
  const cmd = `${process.execPath} ${bin} exec -T ${id} root/a -- sh -c 'test -t 0 && test -t 1 && echo "a terminal: $(tty)"'`;
  const tty = await run('script', ['-qec', cmd, '/dev/null'], { cwd: root });
  t.regex(tty.stdout, /a terminal: \/dev\/pts\/\d+/);
  const missing = await runCli(['exec', id, 'root/a', '--', 'no-such-command']);
  t.is(missing.code, 127);
  t.regex(missing.stderr, /cannot execute "no-such-command"/);
  // After `--`, `--help` and `-h` are the command's arguments, not a request for our help.
  const help = await runCli(['exec', id, 'root/a', '--', 'sh', '-c', 'echo "args: $*"', 'sh', '--help', '-h']);
  t.is(help.code, 0, help.stderr);
  t.is(help.stdout, 'args: --help -h\n');
  t.regex((await runCli(['exec', '--help'])).stdout, /pidns-tree exec/);
});

test('kill of a middle init: the cascade, as the events and ps show it', async (t) => {
  const { id } = await detach('live-cascade', t);
  const after = liveSeq(id);
  t.is((await runCli(['kill', id, 'root/a', '-s', 'KILL'])).code, 0);
  // root/a's init, and with it everything in root/a and below, as the supervisor reports them.
  const cascade = [
    ['root/a', 'init'],
    ['root/a', 'w'],
    ['root/a/b', 'init'],
    ['root/a/b', 'x'],
  ] as const;
  const events = await waitForLive(
    id,
    after,
    (seen) => cascade.every(([node, p]) => seen.some(isExit(node, p))),
    'the cascade has exited',
  );
  for (const [node, p] of cascade) t.is(events.find(isExit(node, p))?.signal, 'SIGKILL', `${node}:${p}`);
  const ps = await psJson(id);
  for (const [node, p] of cascade) {
    t.like(
      ps.processes.find((x) => x.node === node && x.process === p),
      { state: 'exited', exit: { signal: 'SIGKILL' } },
    );
  }
  t.is(ps.processes.find((x) => x.process === 'web')?.state, 'running', 'root goes on');
});

test.serial(
  'when the supervisor is SIGKILLed, no process of the tree survives, no mount is left, and ls cleans its state',
  async (t) => {
    const before = mountTable();
    const { fifo, gone } = deathWatch();
    const tree = await detach('live-owner', t, ` 3>${'$'}W`.replace('$W', fifo));
    process.kill(tree.supervisor, 'SIGKILL');
    await gone;
    t.is(mountTable(), before);
    // ls removes its state (and says so; that report is checked in live-lifecycle, in a state
    // root of its own: here another test's ls, ps or stop may clean it first).
    const ls = JSON.parse((await runCli(['ls', '--json'])).stdout) as { trees: { id: string }[]; cleaned: string[] };
    t.false(ls.trees.some((x) => x.id === tree.id));
    t.false(existsSync(tree.dir));
  },
);

test('a supervisor that does not answer (stopped) makes ps fail with a clear message, not hang', async (t) => {
  const tree = await detach('live-stopped', t);
  process.kill(tree.supervisor, 'SIGSTOP');
  // Teardowns run last first: it goes on before detach's stop.
  t.teardown(() => process.kill(tree.supervisor, 'SIGCONT'));
  const r = await runCli(['ps', tree.id]);
  t.not(r.code, 0);
  t.regex(r.stderr, /did not answer within 10 s \(is it stopped\?\)/);
});
