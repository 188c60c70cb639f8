/** Exit statuses: per process in `exit` events, for the tree in `end`, and as the CLI's code. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import type { TreeEvent } from '../src/events.js';
import { RunningTree } from '../src/running-tree.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';
import { plan } from './helpers/specs.js';
import { watch } from './helpers/watch.js';
import { isExit, ndjson, ofKind } from './helpers/events.js';

const exitOf = (events: readonly TreeEvent[], process: string) =>
  events.filter(ofKind('exit')).find((e) => e.process === process);

test('codes, signals and commands that cannot run are reported per process', async (t) => {
  const tree = RunningTree.start(
    plan({
      name: 'r',
      processes: [
        { name: 'ok', command: ['true'] },
        { name: 'three', command: ['sh', '-c', 'exit 3'] },
        { name: 'killed', command: ['sh', '-c', 'kill -KILL $$'] },
        { name: 'missing', command: ['no-such-command-pidns'] },
        { name: 'notexec', command: ['/etc/passwd'] },
        { name: 'badcwd', command: ['true'], cwd: '/no/such/dir' },
      ],
    }),
  );
  const w = watch(tree);
  const end = await w.ended;
  t.like(exitOf(w.events, 'ok'), { code: 0, signal: null });
  t.like(exitOf(w.events, 'three'), { code: 3, signal: null });
  t.like(exitOf(w.events, 'killed'), { code: 137, signal: 'SIGKILL' });
  t.like(exitOf(w.events, 'missing'), { code: 127 });
  t.regex(exitOf(w.events, 'missing')?.error ?? '', /cannot execute "no-such-command-pidns": No such file/);
  t.like(exitOf(w.events, 'notexec'), { code: 126 });
  t.regex(exitOf(w.events, 'notexec')?.error ?? '', /Permission denied/);
  t.like(exitOf(w.events, 'badcwd'), { code: 127 });
  t.regex(exitOf(w.events, 'badcwd')?.error ?? '', /cannot change to directory "\/no\/such\/dir"/);
  const firstFailure = w.events.filter(ofKind('exit')).find((e) => e.code !== 0);
  t.is(end.code, firstFailure?.code ?? -1, 'end carries the code of the first process that failed');
});

test('a command file without #! runs with /bin/sh, as execvp does', async (t) => {
  const dir = tempDir();
  const script = path.join(dir, 'no-shebang');
  writeFileSync(script, 'exit 9\n', { mode: 0o755 });
  const tree = RunningTree.start(
    plan({
      name: 'r',
      processes: [
        { name: 'by-path', command: [script] },
        { name: 'in-path', command: ['no-shebang'], env: { PATH: dir } },
      ],
    }),
  );
  const w = watch(tree);
  await w.ended;
  t.like(exitOf(w.events, 'by-path'), { code: 9 });
  t.like(exitOf(w.events, 'in-path'), { code: 9 });
});

test('a process in a nested namespace that fails makes the tree fail with its code', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'tree.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'root',
      processes: [{ name: 'fine', command: ['true'] }],
      children: [
        { name: 'a', children: [{ name: 'b', processes: [{ name: 'bad', command: ['sh', '-c', 'exit 42'] }] }] },
      ],
    }),
  );
  const r = await runCli(['spawn', file, '--json']);
  t.is(r.code, 42);
  const events = ndjson(r.stdout);
  t.like(events.at(-1), { event: 'end', code: 42 });
  t.like(exitOf(events, 'bad'), { node: 'root/a/b', code: 42 });
  // The inits above it report the failure too: a namespace fails when something in it failed.
  t.like(events.find(isExit('root/a/b', 'init')), { code: 42 });
});

test('every process exiting 0 makes the CLI exit 0', async (t) => {
  const r = await runCli(['spawn', '-', '--json'], {
    input: JSON.stringify({
      name: 'r',
      processes: [{ name: 'a', command: ['true'] }],
      children: [{ name: 'c', processes: [{ name: 'b', command: ['true'] }] }],
    }),
  });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /"event":"end","code":0/);
});

test('commands are found as execvp finds them: the spec PATH first, scripts without #! through sh', async (t) => {
  // The root init looks each command up once for the whole tree; what runs must not change.
  const dir = tempDir();
  const first = path.join(dir, 'first');
  const second = path.join(dir, 'second');
  for (const [d, code] of [
    [first, 11],
    [second, 12],
  ] as const) {
    mkdirSync(d);
    // No #! line: execve fails with ENOEXEC and execvp runs it with /bin/sh.
    writeFileSync(path.join(d, 'which-one'), `exit ${code}\n`, { mode: 0o755 });
    writeFileSync(path.join(d, 'which-two'), `#!/bin/sh\nexit ${code + 10}\n`, { mode: 0o755 });
  }
  writeFileSync(path.join(first, 'l'.repeat(255)), '#!/bin/sh\nexit 31\n', { mode: 0o755 });
  const tree = RunningTree.start(
    plan({
      name: 'r',
      processes: [
        { name: 'a', command: ['which-one'], env: { PATH: `${first}:${second}` } },
        { name: 'a2', command: ['which-two'], env: { PATH: `${second}:${first}` } },
        // A relative entry leaves the search to execvp; a 255-byte name is a valid file name.
        { name: 'long', command: ['l'.repeat(255)], env: { PATH: `no-such-relative-dir:${first}` } },
      ],
      children: [
        {
          name: 'c',
          processes: [{ name: 'b', command: ['which-one'], env: { PATH: `/nonexistent:${second}:${first}` } }],
        },
      ],
    }),
  );
  const w = watch(tree);
  await w.ended;
  t.like(exitOf(w.events, 'a'), { code: 11 });
  t.like(exitOf(w.events, 'b'), { code: 12 });
  t.like(exitOf(w.events, 'a2'), { code: 22 });
  t.like(exitOf(w.events, 'long'), { code: 31 });
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
