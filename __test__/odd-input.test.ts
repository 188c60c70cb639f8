/**
 * Odd input gets a clear refusal, never a guess: signals that are not signals (`kill`,
 * `tree.kill`, the supervisor's requests, the native binding) and PIDs that are not PIDs
 * (`inspect`), and "no such process" is told from "not allowed to look".
 */
import { execFileSync, spawn } from 'node:child_process';

import test from 'ava';

import { PidnsTreeError, spawnTree } from '../src/index.js';
import { native } from '../src/native.js';
import { parseSignal } from '../src/signals.js';
import { runCli } from './helpers/cli.js';
import { isExit, ndjson } from './helpers/events.js';
import { detachTree, psJson, uniqueName } from './helpers/live.js';
import { oneSleeper } from './helpers/specs.js';

const NOT_SIGNALS = ['4294967305', '0', '65', '1.5', '0x9', '-9', 'NOPE', 'SIGSIGTERM', 'RTMIN+31', 'RTMAX+1', ''];

test('signal names and numbers are read as the kernel has them, anything else is refused', (t) => {
  for (const [text, n] of [
    ['term', 15],
    ['sigterm', 15],
    ['SIGTERM', 15],
    ['Kill', 9],
    ['9', 9],
    ['usr1', 10],
    ['RTMIN', 34],
    ['rtmin+3', 37],
    ['SIGRTMAX-1', 63],
    ['64', 64],
  ] as const) {
    t.is(parseSignal(text), n, text);
  }
  for (const text of NOT_SIGNALS) {
    const error = t.throws(() => parseSignal(text), { instanceOf: PidnsTreeError }, text);
    t.is(error?.code, 'BAD_SIGNAL');
    t.regex(error?.message ?? '', /is not a signal|past the real-time range/);
  }
});

test('tree.kill refuses what is not a signal (the process lives on) and takes names in any case', async (t) => {
  await using tree = await spawnTree(oneSleeper);
  for (const bad of [4294967305, 0, 65, -9, 1.5, Number.NaN]) {
    t.is(t.throws(() => tree.kill('root:p', bad), { instanceOf: PidnsTreeError })?.code, 'BAD_SIGNAL', String(bad));
  }
  const host = tree.pids('root:p')['host'];
  t.truthy(host);
  t.notThrows(() => process.kill(host ?? -1, 0), 'still running');
  t.true(tree.kill('root:p', 'term' as 'SIGTERM'));
  const exit = await tree.waitFor(isExit('root', 'p'));
  t.like(exit, { signal: 'SIGTERM', code: 143 });
});

test('the native binding refuses a signal number that is not one, before napi could wrap it', async (t) => {
  const { RunningTree } = await import('../src/running-tree.js');
  const { checkSpecText } = await import('../src/spec.js');
  const tree = RunningTree.start(checkSpecText(JSON.stringify(oneSleeper), 'x'));
  // One iterator, read by hand: leaving a for-await loop would close the event pipe.
  const events = tree.events();
  const next = async (event: string, process?: string): Promise<void> => {
    for (let r = await events.next(); !r.done; r = await events.next()) {
      if (r.value.event === event && (process === undefined || ('process' in r.value && r.value.process === process)))
        return;
    }
  };
  try {
    await next('start', 'p');
    for (const bad of [4294967305, 0, 65, 1.5]) {
      t.throws(() => tree.native.signal(bad), { message: /is not a signal/, code: 'BAD_SIGNAL' }, String(bad));
      t.throws(
        () => tree.native.signalProcess('root', 'p', bad),
        { message: /is not a signal/, code: 'BAD_SIGNAL' },
        String(bad),
      );
    }
    t.true(tree.native.signalProcess('root', 'p', 15), 'a real signal still goes through');
  } finally {
    tree.signal('SIGKILL');
    await next('end');
  }
});

/** A detached tree with one sleeping process `root:p`, stopped at the end of the test. */
const detached = (t: import('ava').ExecutionContext) =>
  detachTree(uniqueName('odd'), oneSleeper, { stopAfter: t, graceMs: 0 });

async function state(id: string): Promise<string | undefined> {
  return (await psJson(id)).processes.find((p) => p.process === 'p')?.state;
}

test('kill -s refuses what is not a signal (exit 2, nothing sent); names in any case are taken', async (t) => {
  const { id } = await detached(t);
  for (const bad of NOT_SIGNALS.filter((s) => !s.startsWith('-'))) {
    const r = await runCli(['kill', id, 'root:p', '-s', bad]);
    t.is(r.code, 2, `kill -s ${JSON.stringify(bad)}: ${r.stderr}`);
    t.regex(r.stderr, /is not a signal|past the real-time range/);
    t.is(r.stdout, '');
  }
  t.is(await state(id), 'running', 'nothing was delivered');
  const json = await runCli(['kill', '--json', id, 'root:p', '-s', 'sigterm']);
  t.is(json.code, 0, `${json.stdout}${json.stderr}`);
  t.like(JSON.parse(json.stdout) as object, { signal: 15, sent: true });
});

test('a kill that ends the tree (its only process) still gets its answer, not a closed connection', async (t) => {
  // The supervisor exits when its tree ends: it waits for every request in flight first, not
  // only for `wait`s (this raced: the reply to the kill that ended the tree was sometimes lost).
  for (let round = 0; round < 12; round += 1) {
    const { id } = await detached(t);
    const reply = JSON.parse(
      native().liveRequest(id, '{"t":"kill","node":"root","process":"p","signal":15}', false),
    ) as { ok: boolean; sent?: boolean };
    t.like(reply, { ok: true, sent: true }, `round ${round}`);
  }
});

test('the supervisor refuses a request whose signal is not one, and sends nothing', async (t) => {
  const { id } = await detached(t);
  for (const signal of ['4294967305', '0', '65', '1.5', '"9"', 'null', '-1e300']) {
    const reply = JSON.parse(
      native().liveRequest(id, `{"t":"kill","node":"root","process":"p","signal":${signal}}`, false),
    ) as { ok: boolean; code?: string; error?: string };
    t.false(reply.ok, signal);
    t.is(reply.code, 'BAD_SIGNAL', 'the refusal says its code, as the binding does');
    t.regex(reply.error ?? '', /"signal" must be a signal number from 1 to 64/, signal);
  }
  t.is(await state(id), 'running');
  const absent = JSON.parse(native().liveRequest(id, '{"t":"kill","node":"root","process":"p"}', false)) as {
    sent: boolean;
  };
  t.true(absent.sent, 'no signal at all still means SIGTERM');
});

test('inspect reads a PID strictly: no wrapping, no number syntax but decimal digits', async (t) => {
  for (const bad of ['abc', '1.5', '0x10', '1e3', '0', '', ' 1', '+1']) {
    const r = await runCli(['inspect', bad]);
    t.is(r.code, 2, `inspect ${JSON.stringify(bad)}: ${r.stderr}`);
    t.regex(r.stderr, /is not a PID/);
  }
  // 2^32 + 2 used to show PID 2; a number past any PID names itself, not another.
  for (const big of ['4294967298', '99999999999999999999']) {
    const r = await runCli(['inspect', big]);
    t.is(r.code, 1);
    t.regex(r.stderr, new RegExp(`^pidns-tree: no process ${big}: Linux PIDs go up to 4194304`));
  }
});

test('inspect tells "no such process" from "not allowed to read it", and --json agrees with the exit status', async (t) => {
  // A process of root's, inspected by another user: it exists, its namespace is not theirs to read.
  const sleeper = spawn('sleep', ['infinity'], { stdio: 'ignore' });
  t.teardown(() => sleeper.kill('SIGKILL'));
  const uid = execFileSync('id', ['-u', 'pidns-test'], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', 'pidns-test'], { encoding: 'utf8' }).trim();
  const asUser = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];
  const denied = await runCli(['inspect', String(sleeper.pid)], { wrap: asUser });
  t.is(denied.code, 1, denied.stderr);
  t.regex(denied.stderr, new RegExp(`process ${sleeper.pid} exists, but you may not read /proc/${sleeper.pid}/ns/pid`));
  const deniedJson = await runCli(['inspect', '--json', String(sleeper.pid)], { wrap: asUser });
  const [error, end] = ndjson<Record<string, unknown>>(deniedJson.stdout);
  t.like(error, { event: 'error', code: 'NOT_PERMITTED' });
  t.deepEqual(end, { event: 'end', code: 1 });
  t.is(deniedJson.code, 1);

  // A PID that was just freed (reaped) names no process.
  const done = spawn('true', { stdio: 'ignore' });
  await new Promise((resolve) => done.on('exit', resolve));
  const gone = await runCli(['inspect', '--json', String(done.pid)]);
  t.is(gone.code, 1);
  const lines = ndjson<Record<string, unknown>>(gone.stdout);
  t.like(lines[0], { event: 'error', code: 'UNKNOWN_PROCESS', message: `no process ${done.pid}` });
  t.deepEqual(lines[1], { event: 'end', code: 1 }, 'the same code as the exit status (it said 125)');
  const bad = await runCli(['inspect', '--json', 'abc']);
  t.is(bad.code, 2);
  t.deepEqual(JSON.parse(bad.stdout.trim().split('\n')[1] ?? '{}'), { event: 'end', code: 2 });
});
