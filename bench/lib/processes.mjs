// How a contender is run and measured: wall time from its start until its output is consumed and
// it has exited; the peak resident set (VmHWM) of the process that matters, read by `floor peak`
// when it exits; its output counted by `floor count` (C, the same reader for every contender).
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Resolves with a child's { code, signal } once it has exited and its stdio closed. */
export function closed(child, what) {
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`${what}: ${error.message}`)));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function text(stream) {
  let out = '';
  stream.setEncoding('utf8').on('data', (d) => {
    out += d;
  });
  return new Promise((resolve) => stream.once('end', () => resolve(out)));
}

const describe = (argv) => argv.map((a) => (a.includes('/') ? a.slice(a.lastIndexOf('/') + 1) : a)).join(' ');

function mustSucceed(exit, argv) {
  if (exit.code !== 0) throw new Error(`${describe(argv)} exited ${exit.code ?? exit.signal}`);
}

/**
 * The peak resident set of process `pid`, from now until it exits: `floor peak` attaches to it
 * and reads its VmHWM at its exit stop. Call it right after spawning the process.
 */
export function peakOf(floor, pid) {
  const child = spawn(floor, ['peak', String(pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = text(child.stdout);
  return closed(child, 'floor peak').then(async (exit) => {
    const [kib, status] = (await out).trim().split(' ').map(Number);
    if (exit.code !== 0 || !Number.isFinite(kib)) throw new Error(`floor peak ${pid} failed`);
    return { peakKiB: kib, status };
  });
}

/** Runs `argv` to its end: { ms }, and { ms, stdout } when asked. Throws unless it exits 0. */
export async function timeCommand(argv, { stdout = false } = {}) {
  const t0 = process.hrtime.bigint();
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'inherit'] });
  const out = stdout ? text(child.stdout) : Promise.resolve('');
  const [exit, got] = await Promise.all([closed(child, describe(argv)), out]);
  const ms = msSince(t0);
  mustSucceed(exit, argv);
  return stdout ? { ms, stdout: got } : { ms };
}

/**
 * Runs `argv` with its stdout into `floor count PATTERNS...`: { ms, code, lines, bytes,
 * matches: [{ lines, bytes }] per pattern, peakKiB if `peak` }. The time runs until the count
 * is done, so it includes consuming every byte.
 */
export async function timePipeline(floor, argv, patterns, { peak = false } = {}) {
  const counter = spawn(floor, ['count', ...patterns], { stdio: ['pipe', 'pipe', 'inherit'] });
  const counted = text(counter.stdout);
  const t0 = process.hrtime.bigint();
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', counter.stdin, 'inherit'] });
  const peaked = peak ? peakOf(floor, child.pid) : Promise.resolve({});
  // Ours closed, the contender's copy is the only writer: the count ends when its output does.
  counter.stdin.destroy();
  const [exit, counterExit, out] = await Promise.all([
    closed(child, describe(argv)),
    closed(counter, 'floor count'),
    counted,
  ]);
  const ms = msSince(t0);
  const { peakKiB } = await peaked;
  if (counterExit.code !== 0) throw new Error(`floor count exited ${counterExit.code}`);
  const [total, ...each] = out
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number));
  return {
    ms,
    code: exit.code ?? 128,
    lines: total[0],
    bytes: total[1],
    matches: each.map(([lines, bytes]) => ({ lines, bytes })),
    ...(peak ? { peakKiB } : {}),
  };
}

/**
 * A process using the API: bench/lib/api-worker.mjs runs `specFile` with spawnTree and reads
 * every event; it times itself from spawnTree to the end. Resolves with its report and peakKiB.
 */
export async function runApiWorker(floor, worker, root, specFile) {
  const child = spawn(process.execPath, [worker, root, specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const peaked = peakOf(floor, child.pid);
  const [exit, out] = await Promise.all([closed(child, 'api-worker'), text(child.stdout)]);
  const { peakKiB } = await peaked;
  mustSucceed(exit, ['api-worker', specFile]);
  return { ...JSON.parse(out), peakKiB };
}

/**
 * A detached tree's supervisor, started as `spawn --detach` starts it: { ms (from its start to
 * its exit), code (the tree's), peakKiB }. `live` holds the ids of trees still running, for a
 * clean-up that stops them if we are interrupted.
 */
export async function runSupervisor(floor, startSupervisor, supervisorAnswer, plan, id, live) {
  const t0 = process.hrtime.bigint();
  const child = startSupervisor(plan, id, id, 'auto');
  live.add(id);
  try {
    const peaked = peakOf(floor, child.pid);
    const exit = closed(child, 'pidns-init --supervise');
    const lines = readline.createInterface({ input: child.stdout });
    const first = await new Promise((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(undefined));
    });
    lines.on('line', () => {});
    const { code } = await exit;
    const ms = msSince(t0);
    const { peakKiB } = await peaked;
    const failure = supervisorAnswer(first);
    if (failure !== undefined) throw new Error(`supervisor: ${failure.message}`);
    return { ms, code, peakKiB };
  } finally {
    live.delete(id);
  }
}
