/**
 * `processesSeen`: what a namespace's /proc lists, read from the host once the tree is up.
 *
 * Read through its PID 1: /proc/PID/root is that process's root directory in its own mount
 * namespace, so /proc/PID/root/proc is the very /proc its processes see (the fresh mount of
 * `mountProc`, or whatever /proc is there without it). Nothing is started in the namespace to
 * look (an `ls` would list itself), and the init needs no change.
 *
 * The PID is the init's host PID from its `start` event. Before and after reading, its NSpid
 * must still be the chain that event gave (its PID at every level, 1 at the bottom): a reused
 * PID would have another chain, so what was read is that init's /proc. The directory read must
 * be a procfs (statfs), not anything mounted over /proc.
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';

import type { Pids } from '../events.js';
import { levelsOf } from '../pid-levels.js';
import type { ProcSeen } from './observe.js';

/** PROC_SUPER_MAGIC (linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;

/** NSpid of a host PID, outermost first; undefined once it is gone. */
function nspid(hostPid: number): number[] | undefined {
  try {
    const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
    const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
    return line?.slice('NSpid:'.length).trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

/** The PIDs a namespace's /proc lists, read through its init (`pids`: from its `start` event). */
export function procSeen(node: string, pids: Pids): ProcSeen {
  const host = pids['host'];
  // Outermost first, as NSpid lists them: the host, then each namespace down to this one.
  const chain = [host, ...levelsOf(node).map((level) => pids[level])];
  if (host === undefined || chain.some((p) => p === undefined)) {
    return { unread: `the start of ${node}'s init gave no PID for every level` };
  }
  const same = (): boolean => nspid(host)?.join(' ') === chain.join(' ');
  if (!same()) return { unread: `${node}'s init had already exited` };
  const dir = `/proc/${host}/root/proc`;
  let entries: string[];
  try {
    if (statfsSync(dir).type !== PROC_SUPER_MAGIC) return { unread: `${node}'s /proc is not a procfs` };
    entries = readdirSync(dir);
  } catch (error) {
    return { unread: `${dir} could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!same()) return { unread: `${node}'s init exited while its /proc was read` };
  const seen = entries.filter((e) => /^[0-9]+$/.test(e)).map(Number);
  return { pids: seen.sort((a, b) => a - b) };
}
