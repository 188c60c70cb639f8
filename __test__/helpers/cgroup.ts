/** A pids cgroup of the test's own, to put a command under a process limit (cgroup v2 or v1). */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface PidsCgroup {
  /** The cgroup's directory; write a PID to its cgroup.procs to move that process in. */
  readonly dir: string;
  /** Removes it (once nothing runs in it any more). */
  remove(): void;
}

/** A new cgroup whose pids.max is `max`, or undefined when no pids controller is available. */
export function pidsCgroup(max: number): PidsCgroup | undefined {
  const name = `pidns-tree-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  let parent: string;
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    if (!readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('pids')) return undefined;
    writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+pids');
    parent = '/sys/fs/cgroup';
  } else if (existsSync('/sys/fs/cgroup/pids/pids.current') || existsSync('/sys/fs/cgroup/pids/cgroup.procs')) {
    parent = '/sys/fs/cgroup/pids';
  } else {
    return undefined;
  }
  const dir = path.join(parent, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'pids.max'), String(max));
  return {
    dir,
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still busy: the test reports what is left
      }
    },
  };
}
