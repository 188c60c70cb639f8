/** What a user reads: the tree view with PIDs at every level, prefixed output, --json events. */
import test from 'ava';

import { runCli } from './helpers/cli.js';
import { ndjson, ofKind } from './helpers/events.js';

const spec = JSON.stringify({
  name: 'root',
  processes: [{ name: 'web', command: ['sh', '-c', 'echo hello from $$; echo warn >&2'] }],
  children: [
    {
      name: 'a',
      children: [
        {
          name: 'b',
          processes: [
            { name: 'worker', command: ['sh', '-c', 'echo "JOB=$JOB in $(pwd)"'], env: { JOB: 'j1' }, cwd: '/tmp' },
          ],
        },
      ],
    },
  ],
});

test('the tree view shows each process with its PID at every level, innermost first', async (t) => {
  const r = await runCli(['spawn', '-'], { input: spec });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^pidns-tree: 3 namespaces, 2 processes up$/m);
  t.regex(r.stdout, /^root +init pid 1 in root · \d+ on host$/m);
  t.regex(r.stdout, /^│? +└── root\/a\/b +init pid 1 in root\/a\/b · \d+ in root\/a · \d+ in root · \d+ on host$/m);
  t.regex(r.stdout, /└── worker +pid 2 in root\/a\/b · \d+ in root\/a · \d+ in root · \d+ on host +sh -c/);
  // The tree comes before any output line.
  t.true(r.stdout.indexOf('worker  ') < r.stdout.indexOf('| hello'));
});

test('output is prefixed with node:process, stdout to stdout and stderr to stderr', async (t) => {
  const r = await runCli(['spawn', '-'], { input: spec });
  t.regex(r.stdout, /^root:web +\| hello from 2$/m);
  t.regex(r.stdout, /^root\/a\/b:worker +\| JOB=j1 in \/tmp$/m);
  t.regex(r.stderr, /^root:web +! warn$/m);
  t.notRegex(r.stdout, /^root:web +[|!] warn$/m);
  t.regex(r.stdout, /^pidns-tree: all 2 processes exited 0$/m);
});

test('--json is NDJSON: start with pids per level, output, exit, and a final end', async (t) => {
  const r = await runCli(['spawn', '-', '--json'], { input: spec });
  t.is(r.code, 0);
  const events = ndjson(r.stdout);
  t.true(events.every((e) => typeof e.event === 'string'));
  t.like(events.at(-1), { event: 'end', code: 0 });
  const worker = events.filter(ofKind('start')).find((e) => e.process === 'worker');
  t.deepEqual(Object.keys(worker?.pids ?? {}), ['host', 'root', 'root/a', 'root/a/b']);
  t.like(worker, { node: 'root/a/b', pid: 2, command: ['sh', '-c', 'echo "JOB=$JOB in $(pwd)"'] });
  const inits = events.filter(ofKind('start')).filter((e) => e.process === 'init');
  t.is(inits.length, 3);
  t.true(inits.every((e) => e.pid === 1));
  t.truthy(events.find((e) => e.event === 'output' && e.stream === 'stderr' && e.line === 'warn'));
  // Each process's exit comes after its last output line.
  const lastOutput = events.findLastIndex((e) => e.event === 'output' && e.process === 'web');
  const exit = events.findIndex((e) => e.event === 'exit' && e.process === 'web');
  t.true(lastOutput < exit);
});

test('--help and --version', async (t) => {
  const help = await runCli(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /pidns-tree spawn <tree>/);
  t.regex(help.stdout, /pidns-tree validate <tree>/);
  const version = await runCli(['--version']);
  t.regex(version.stdout, /^\d+\.\d+\.\d+/);
});

test('an unknown command is a usage error (exit 2)', async (t) => {
  const r = await runCli(['spwan', 'x.json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /Did you mean spawn\?|Unknown argument/);
});
