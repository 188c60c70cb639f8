/** What the host sees: /proc, mounts, FIFOs that tell when processes are gone. */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Pids } from '../../src/events.js';
import { hostPid } from './events.js';

/** NSpid of a host PID, outermost first; undefined once it is gone. */
export function nspid(hostPid: number): number[] | undefined {
  try {
    const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
    const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
    return line?.slice('NSpid:'.length).trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

/** What /proc/PID/stat says of a process; undefined once it is gone (reaped). */
export interface ProcStat {
  /** R, S, D, T, Z (a zombie: dead, not yet reaped), X... */
  readonly state: string;
  readonly ppid: number;
  /** When it started, in clock ticks since boot (field 22). */
  readonly startTime: number;
}

export function procStat(hostPid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${hostPid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': fields 3 on
  // come after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), startTime: Number(fields[19]) };
}

/** The argv of a process, from /proc/PID/cmdline; undefined once it is gone. */
export function cmdline(hostPid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Now, in the unit of ProcStat.startTime (clock ticks since boot), rounded down. */
export function ticksSinceBoot(): number {
  const seconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Math.floor(seconds * CLOCK_TICKS);
}

/** The numeric entries of the /proc that `hostPid` sees (its own mount of /proc). */
export function procSeenBy(hostPid: number): number[] {
  return readdirSync(`/proc/${hostPid}/root/proc`)
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The host's mount table, without the per-mount IDs that differ between reads. */
export function mountTable(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}

/** True while a process with this host PID and this exact NSpid exists (PID reuse-proof). */
export function stillRunning(hostPid: number, pids: readonly number[]): boolean {
  const now = nspid(hostPid);
  return now !== undefined && now.join(' ') === pids.join(' ');
}

/**
 * True while the process `s` stands for (its `start`, or anything with its PIDs) runs: its host
 * PID with the same PID at every level (`stillRunning`). A test that did not find the process
 * fails here (`hostPid`), whichever way it asks.
 */
export function alive(s: { readonly pids: Pids } | undefined): boolean {
  return stillRunning(hostPid(s), Object.values(s?.pids ?? {}));
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'pidns-tree-test-'));
}

/**
 * A FIFO whose read side ends when every process that opened it for writing has exited: give
 * tree processes `3>FIFO` and await `gone` to know (from the kernel, not a timer) they died.
 */
export function deathWatch(): { fifo: string; gone: Promise<void> } {
  const fifo = path.join(tempDir(), 'watch.fifo');
  execFileSync('mkfifo', [fifo]);
  const gone = new Promise<void>((resolve, reject) => {
    const stream = createReadStream(fifo);
    stream.on('data', () => undefined);
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  return { fifo, gone };
}

export function exists(file: string): boolean {
  return existsSync(file);
}

/**
 * A gate for tree processes: `read _ < GATE` blocks until the test calls `open(n)`, which lets
 * n readers through (shell `read` takes exactly one line). The test holds the FIFO open for
 * writing from the start, so readers never block on opening it.
 */
export function gate(): { path: string; open(readers: number): void; close(): void } {
  const file = path.join(tempDir(), 'gate.fifo');
  execFileSync('mkfifo', [file]);
  const fd = openSync(file, 'r+');
  return {
    path: file,
    open: (readers) => writeSync(fd, 'go\n'.repeat(readers)),
    close: () => closeSync(fd),
  };
}
