// Waiting for a quiet machine before a family is measured: the kernel tears namespaces and
// mounts down after the processes are gone (in its own workers), and a family measured while
// the previous one's teardown still runs would be charged for it. Bounded: a machine that is
// busy for other reasons is measured anyway, and the busy share is kept with each sample.
import { readFileSync } from 'node:fs';

/** Quiet: at most this share of all cores busy. */
export const QUIET_PERCENT = 15;
const QUIET_BUSY = QUIET_PERCENT / 100;
const SPAN_MS = 500; // over this long
const MAX_WAIT_MS = 20_000;

/** Jiffies busy and in total, from /proc/stat's first line (all cores). */
function cpuTimes() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** The share of the machine busy over `ms`. */
async function busyOver(ms) {
  const a = cpuTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = cpuTimes();
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
}

/** Resolves when the machine has been quiet for SPAN_MS, or after MAX_WAIT_MS. */
export async function waitQuiet() {
  const started = Date.now();
  let busy = 1;
  while (Date.now() - started < MAX_WAIT_MS) {
    busy = await busyOver(SPAN_MS);
    if (busy <= QUIET_BUSY) break;
  }
  return { quiet: busy <= QUIET_BUSY, busyPercent: Math.round(busy * 100), waitedMs: Date.now() - started };
}
