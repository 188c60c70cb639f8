/**
 * The life of a detached tree's state, whatever happens: a supervisor killed at the worst
 * moment, many `spawn -d` racing for one name, a start that fails half-way (a pids limit).
 * Nothing of it may be left behind, and exactly one tree may hold a name.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  constants,
  createReadStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
} from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import test from 'ava';

import { bin, root, runCli, type CliResult } from './helpers/cli.js';
import { pidsCgroup } from './helpers/cgroup.js';
import { oneSleeper } from './helpers/specs.js';
import { cliAs, victim } from './helpers/users.js';

const run_ = Math.random().toString(16).slice(2, 8);
const sleeper = JSON.stringify(oneSleeper);

/** `pidns-tree ...args` with extra environment, or wrapped in `wrap` (a shell that moves it first). */
function cli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; wrap?: readonly string[] } = {},
): Promise<CliResult> {
  const argv = [...(options.wrap ?? []), process.execPath, bin, ...args];
  const [file, ...rest] = argv as [string, ...string[]];
  const child = spawn(file, rest, { cwd: root, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

interface LsJson {
  trees: { id: string }[];
  cleaned: string[];
}

/** PIDs of the supervisors of tree `id` (their command line names it). */
function supervisorsOf(id: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv.includes('--supervise') && argv[argv.indexOf('--id') + 1] === id;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('a supervisor SIGKILLed right after it claimed its directory: ls cleans it, the name is free again', async (t) => {
  // A victim's own state root: no other test's ls can clean (and report) this state first.
  const v = victim();
  t.teardown(v.remove);
  const fifo = path.join(v.home, 'paused.fifo');
  execFileSync('mkfifo', [fifo]);
  chownSync(fifo, v.uid, v.gid);
  // The supervisor writes its PID here and stops itself (SIGSTOP) right after its claim.
  const paused = new Promise<string>((resolve) => {
    const lines = readline.createInterface({ input: createReadStream(fifo) });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
  });
  t.teardown(() => {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); // frees a reader still waiting
    } catch {
      // nobody waits
    }
  });
  const started = cliAs(v, ['spawn', '-d', '--name', 'web', '-'], sleeper, { PIDNS_TREE_SUPERVISOR_PAUSE: fifo });
  const pid = Number(
    await Promise.race([
      paused,
      started.then((r) => {
        t.teardown(() => cliAs(v, ['stop', 'web', '--grace-ms', '1000']));
        throw new Error(`the supervisor never paused after its claim: ${JSON.stringify(r)}`);
      }),
    ]),
  );
  const lsAsVictim = async () => JSON.parse((await cliAs(v, ['ls', '--json'])).stdout) as LsJson;
  // While it lives, even stopped before it wrote anything, its claim stands.
  const during = await lsAsVictim();
  t.deepEqual(during, { trees: [], cleaned: [], problems: [] }, 'a live claim is neither cleaned nor listed yet');
  const second = await cliAs(v, ['spawn', '-d', '--name', 'web', '-'], sleeper);
  t.is(second.code, 2);
  t.regex(second.stderr, /the name web is taken/);

  process.kill(pid, 'SIGKILL');
  const first = await started;
  t.is(first.code, 125);
  t.regex(first.stderr, /the supervisor exited before the tree was up/);
  t.deepEqual((await lsAsVictim()).cleaned, ['web'], 'ls removed the dead claim, and said so');
  t.deepEqual(readdirSync(v.stateRoot), []);
  const again = await cliAs(v, ['spawn', '-d', '--json', '--name', 'web', '-'], sleeper);
  t.is(again.code, 0, again.stderr);
  t.teardown(() => cliAs(v, ['stop', 'web', '--grace-ms', '1000']));
  t.true(existsSync((JSON.parse(again.stdout) as { dir: string }).dir));
});

test.serial(
  'of many spawn -d --name X at once exactly one wins; the others say the name is taken, leaving nothing',
  async (t) => {
    const name = `race-${run_}`;
    const results = await Promise.all(
      Array.from({ length: 16 }, () => runCli(['spawn', '-d', '--json', '--name', name, '-'], { input: sleeper })),
    );
    t.teardown(() => runCli(['stop', name, '--grace-ms', '1000']));
    const all = results.map((r) => `${r.code}: ${r.stdout}${r.stderr}`).join('');
    const winners = results.filter((r) => r.code === 0);
    t.is(winners.length, 1, all);
    // Every loser's supervisor is gone (the CLI waits for it); the winner's tree is reachable.
    t.is(supervisorsOf(name).length, 1);
    const ps = await runCli(['ps', '--json', name]);
    t.is(ps.code, 0, ps.stderr);
    for (const r of results.filter((x) => x.code !== 0)) {
      t.is(r.code, 2, all);
      // --json: the error is an event on stdout.
      t.regex(
        r.stdout,
        new RegExp(`"code":"BAD_TARGET","message":"the name ${name} is taken: a tree named ${name} is already running`),
      );
    }
    const dir = (JSON.parse(winners[0]?.stdout ?? '{}') as { dir: string }).dir;
    t.deepEqual(
      readdirSync(path.dirname(dir)).filter((n) => n.includes(name)),
      [name],
      'no half-made claim is left',
    );
  },
);

function procsIn(cgroup: string): number[] {
  return readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
}

test.serial('spawn -d under a pids limit: a readable error, and nothing it started survives', async (t) => {
  const made = pidsCgroup(60);
  if (made === undefined)
    throw new Error('no pids cgroup controller (v1 or v2) under /sys/fs/cgroup: this test needs one');
  const cgroup = made.dir;
  t.teardown(async () => {
    // Only if the test failed is anything still in there: kill it, then remove the cgroup.
    for (let i = 0; i < 100 && existsSync(cgroup); i += 1) {
      procsIn(cgroup).forEach((pid) => process.kill(pid, 'SIGKILL'));
      made.remove();
      if (existsSync(cgroup)) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  // 8 namespaces of 8 processes: more than 60 tasks with the CLI's own threads. They ignore
  // SIGTERM: what a failed start started must be gone when spawn -d returns, not after a grace.
  const stubborn = ['sh', '-c', 'trap "" TERM; exec sleep infinity'];
  const children = Array.from({ length: 8 }, (_, i) => ({
    name: `c${i}`,
    processes: Array.from({ length: 8 }, (_, j) => ({ name: `p${j}`, command: stubborn })),
  }));
  const name = `pids-${run_}`;
  const r = await cli(['spawn', '-d', '--name', name, '-'], {
    input: JSON.stringify({ name: 'root', children }),
    wrap: ['sh', '-c', `echo $$ > ${cgroup}/cgroup.procs && exec "$@"`, 'sh'],
  });
  t.teardown(() => runCli(['stop', name, '--grace-ms', '500']));
  t.is(r.code, 125, r.stderr);
  t.regex(r.stderr, /^pidns-tree: the tree could not be started: root\/c\d: cannot fork p\d: /);
  t.notRegex(r.stderr, /[{}]/, 'no raw JSON event');
  t.deepEqual(procsIn(cgroup), [], 'no process of the tree, nor its supervisor, is left');
  const after = JSON.parse((await runCli(['ls', '--json'])).stdout) as LsJson;
  t.false(after.trees.some((x) => x.id === name));
  t.deepEqual(supervisorsOf(name), []);
});
