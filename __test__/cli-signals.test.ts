/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP end `spawn` with 128+N whenever they come once our code
 * runs: before the tree is started as well as after (it used to die of the signal then, which
 * a caller looking at how it ended saw as -2, not 130).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

import test from 'ava';

import { bin, startCli } from './helpers/cli.js';
import { ndjson, ofKind } from './helpers/events.js';
import { alive } from './helpers/host.js';
import { detachTree, uniqueName } from './helpers/live.js';
import { oneSleeper } from './helpers/specs.js';

const SPEC = JSON.stringify(oneSleeper);

/** Resolves once `check` holds for the running CLI; rejects if it ends first. */
function until(child: ChildProcess, check: () => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve();
      else if (child.exitCode !== null || child.signalCode !== null) reject(new Error('the CLI ended first'));
      else setTimeout(poll, 1);
    };
    poll();
  });
}

/** Whether the CLI reads its stdin: Node makes the pipe non-blocking (O_NONBLOCK) when it does. */
function readsStdin(pid: number): boolean {
  try {
    const flags = /^flags:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/0`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & 0o4000) !== 0;
  } catch {
    return false;
  }
}

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`${signal} while spawn still reads its spec (no tree yet) exits ${code}, not death by the signal`, async (t) => {
    // `spawn -` with a stdin that stays open and empty: once the CLI reads it, it waits there
    // for good, before any tree exists. Deterministic: no timing involved.
    const child = spawn(process.execPath, [bin, 'spawn', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const ended = new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    await until(child, () => readsStdin(child.pid ?? -1));
    child.kill(signal);
    t.deepEqual(await ended, [code, null], stderr);
    t.is(stdout, '', 'no tree was started');
    child.stdin.end();
  });
}

/** Whether `pid` has a handler for SIGHUP (SigCgt bit 0): launch.cts has installed its own. */
function catchesSighup(pid: number): boolean {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('SigCgt:'));
    return line !== undefined && (BigInt(`0x${line.slice(7).trim()}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

test("Ctrl-C at any moment from the CLI's first line on exits 130 and leaves no process", async (t) => {
  // Node itself registers no SIGHUP handler while it starts: once one is there, our code runs.
  // Then SIGINT at moments spread over reading the spec, starting and running the tree.
  const delays = [0, 1, 2, 5, 10, 20, 40, 80, 160];
  for (const delay of delays) {
    const { child, result } = startCli(['spawn', '--json', '-'], { input: SPEC });
    await until(child, () => catchesSighup(child.pid ?? -1));
    await new Promise((resolve) => setTimeout(resolve, delay));
    child.kill('SIGINT');
    const r = await result;
    t.deepEqual([r.code, r.signal], [130, null], `SIGINT ${delay} ms after our first line: ${r.stderr}`);
    // Every process the tree started has ended, its end reported (or none was started).
    const events = ndjson(r.stdout);
    for (const start of events.filter(ofKind('start'))) t.false(alive(start), `${delay} ms: a process is left`);
    if (events.length > 0) t.is(events.at(-1)?.event, 'end');
  }
});

test('exec still dies of Ctrl-C while it waits for its command: the handler is not in its way', async (t) => {
  // exec blocks in a native call until its command ends: a JavaScript handler could only run
  // afterwards, so exec gives Ctrl-C back its default action (and the command dies with it).
  const { id: name } = await detachTree(uniqueName('sig'), SPEC, { stopAfter: t, graceMs: 0 });
  const { child, result } = startCli(['exec', name, 'root', '--', 'sh', '-c', 'echo ready; exec sleep infinity']);
  await new Promise<void>((resolve) => child.stdout?.on('data', (d: Buffer) => d.includes('ready') && resolve()));
  child.kill('SIGINT');
  const r = await result;
  t.deepEqual([r.code, r.signal], [null, 'SIGINT'], r.stderr);
});
