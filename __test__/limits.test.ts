/** When a limit stops a tree, the user reads which limit, its value, and what to do. */
import test from 'ava';

import { runCli, startCli } from './helpers/cli.js';
import { pidsCgroup, whyNoPidsCgroup } from './helpers/cgroup.js';
import { ndjson, ofKind } from './helpers/events.js';
import { alive } from './helpers/host.js';

/** Why the pids tests cannot run here (they are then skipped, saying so), decided at load time. */
const noPids = whyNoPidsCgroup();

(noPids === undefined ? test : test.skip)(
  `a pids cgroup limit: the error names pids.max and its value, and the tree ends${noPids === undefined ? '' : ` (skipped: ${noPids})`}`,
  async (t) => {
    const cgroup = pidsCgroup(40);
    t.teardown(() => cgroup.remove());
    const spec = {
      name: 'root',
      children: Array.from({ length: 12 }, (_, i) => ({
        name: `c${i}`,
        processes: Array.from({ length: 5 }, (_, j) => ({ name: `p${j}`, command: ['sleep', 'infinity'] })),
      })),
    };
    // The CLI moves itself (and so the tree) into the cgroup before it starts.
    const { result } = startCli(['spawn', '-'], {
      input: JSON.stringify(spec),
      wrap: ['sh', '-c', `echo $$ > ${cgroup.dir}/cgroup.procs && exec "$@"`, 'sh'],
    });
    const r = await result;
    t.not(r.code, 0);
    t.regex(
      r.stderr,
      /\(EAGAIN\): a limit on the number of processes is reached: the pids cgroup \S+ allows 40 processes \(pids\.max/,
    );
    t.regex(
      r.stdout,
      /^pidns-tree: exit \d+: namespace root(\/c\d+)?: cannot (fork|create namespace)/m,
      'the summary names the cause',
    );
    t.notRegex(r.stdout, /killed by SIGKILL first/);
  },
);

test('rootless under a /proc with parts masked: the error says why, and what to do', async (t) => {
  const spec = JSON.stringify({ name: 'r', processes: [{ name: 'p', command: ['true'] }] });
  // A mount over one /proc file, as container runtimes mask some: a rootless /proc is refused.
  const { result } = startCli(['spawn', '--rootless', '-'], {
    input: spec,
    wrap: [
      'unshare',
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind /dev/null /proc/uptime && exec "$@"',
      'sh',
    ],
  });
  const r = await result;
  t.is(r.code, 1);
  t.regex(r.stderr, /cannot mount \/proc: Operation not permitted: without privileges \(rootless\)/);
  t.regex(r.stderr, /set "mountProc": false for this namespace, or run privileged/);
  t.notRegex(r.stderr + r.stdout, /is pidns-init built and runnable/);
});

test('a namespace wider than the descriptor limit allows: an error names RLIMIT_NOFILE, nothing is lost or left', async (t) => {
  // Its init holds two pipes per running process: 600 need 1,200 descriptors, the hard limit is 1,024.
  const spec = {
    name: 'r',
    processes: Array.from({ length: 600 }, (_, i) => ({ name: `p${i}`, command: ['sleep', 'infinity'] })),
  };
  const r = await runCli(['spawn', '--json', '-'], {
    input: JSON.stringify(spec),
    wrap: ['bash', '-c', 'ulimit -n 1024 && exec "$@"', 'bash'],
  });
  t.not(r.code, 0, 'the tree did not run as declared');
  const events = ndjson(r.stdout);
  const errors = events.filter(ofKind('error'));
  t.is(errors.length, 1);
  t.regex(
    errors[0]?.message ?? '',
    /Too many open files \(EMFILE\): .*RLIMIT_NOFILE soft 1024, hard 1024.*raise `ulimit -n` \(hard\) or spread the processes/,
  );
  const starts = events.filter(ofKind('start')).filter((e) => e.process !== 'init');
  const exits = events.filter(ofKind('exit')).filter((e) => e.process !== 'init');
  t.true(starts.length > 100, 'it got part of the way');
  t.is(exits.length, starts.length, 'every process that started has its exit');
  for (const s of starts) t.false(alive(s), `${s.process} is gone`);
  t.like(events.at(-1), { event: 'end' });
});
