/**
 * How many PID-namespace levels the host already uses, for the depth limit (32 in all).
 * NSpid in /proc/self/status lists this process's PID in every namespace the /proc it reads
 * can see: the count, less one, is the level when that /proc is the initial namespace's (on a
 * host, or under `unshare --pid --fork` without a /proc of its own). A /proc mounted inside a
 * container shows one entry: there the level reads 0, and a tree too deep for what is left
 * fails at start with DEPTH_LIMIT (the kernel's ENOSPC) instead of at validation. The native
 * binding's check (crates/core/src/sys/nslevel.rs) reads the same line.
 */
import { readFileSync } from 'node:fs';

export function hostLevels(): number {
  if (process.platform !== 'linux') return 0;
  try {
    const line = /^NSpid:\s+(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return line?.[1] === undefined ? 0 : line[1].trim().split(/\s+/).length - 1;
  } catch {
    return 0;
  }
}
