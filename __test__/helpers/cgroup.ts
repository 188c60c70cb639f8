/**
 * A pids cgroup of the test's own, to put a command under a process limit (cgroup v1 or v2).
 *
 * The tests that need one are skipped, saying why, only where it truly cannot be had (not root,
 * or a kernel without the pids controller: `whyNoPidsCgroup`, decided when the file loads).
 * Anywhere else `pidsCgroup` makes one, enabling the controller where it has to, or fails the
 * test with what to do: never a green test that tested nothing.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface PidsCgroup {
  /** The cgroup's directory; write a PID to its cgroup.procs to move that process in. */
  readonly dir: string;
  /** Removes it (once nothing runs in it any more). */
  remove(): void;
}

/** Why no test can have a pids cgroup here, or undefined when pidsCgroup must make one. */
export function whyNoPidsCgroup(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: only root can create a cgroup here';
  const pids = readFileSync('/proc/cgroups', 'utf8')
    .split('\n')
    .map((l) => l.split('\t'))
    .find((f) => f[0] === 'pids');
  if (pids === undefined) return 'this kernel has no pids cgroup controller (CONFIG_CGROUP_PIDS)';
  if (pids[3] !== '1') return 'the pids cgroup controller is disabled (cgroup_disable=pids on the kernel command line)';
  return undefined;
}

/** The cgroup file systems mounted here, from /proc/self/mountinfo. */
function cgroupMounts(): { type: 'cgroup' | 'cgroup2'; dir: string; options: string[] }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .flatMap((line) => {
      const [before = '', after = ''] = line.split(' - ');
      const [type, , superOptions = ''] = after.split(' ');
      const dir = before.split(' ')[4];
      if ((type !== 'cgroup' && type !== 'cgroup2') || dir === undefined) return [];
      return [{ type, dir: dir.replace(/\\040/g, ' '), options: superOptions.split(',') }];
    });
}

const hasPids = (file: string): boolean => existsSync(file) && readFileSync(file, 'utf8').split(/\s+/).includes('pids');

/**
 * Where a new pids cgroup can go, enabling the controller on the way when it must: a cgroup v1
 * pids hierarchy's root; on cgroup v2, the deepest cgroup on this process's own path whose
 * subtree_control has pids (a delegated subtree), else the root, after `+pids` in its
 * subtree_control (the root may distribute controllers while processes run in it).
 */
function pidsParent(): string {
  const mounts = cgroupMounts();
  const v1 = mounts.find((m) => m.type === 'cgroup' && m.options.includes('pids'));
  if (v1 !== undefined) return v1.dir;
  const v2 = mounts.find((m) => m.type === 'cgroup2');
  if (v2 === undefined) {
    throw new Error(
      'no cgroup file system with the pids controller is mounted: mount one (mount -t cgroup2 none /sys/fs/cgroup, or mount -t cgroup -o pids none /sys/fs/cgroup/pids)',
    );
  }
  if (!hasPids(path.join(v2.dir, 'cgroup.controllers'))) {
    throw new Error(
      `pids is not in ${v2.dir}/cgroup.controllers: it is bound to a cgroup v1 hierarchy that is not mounted (mount -t cgroup -o pids none /sys/fs/cgroup/pids), or this cgroup namespace does not get it`,
    );
  }
  const own =
    readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'))
      ?.slice(3) ?? '/';
  const parts = own.split('/').filter((p) => p !== '');
  for (let n = parts.length; n > 0; n -= 1) {
    const dir = path.join(v2.dir, ...parts.slice(0, n));
    if (hasPids(path.join(dir, 'cgroup.subtree_control'))) return dir;
  }
  const control = path.join(v2.dir, 'cgroup.subtree_control');
  try {
    writeFileSync(control, '+pids');
  } catch (error) {
    throw new Error(
      `cannot enable the pids controller for new cgroups (echo +pids > ${control}: ${String(error)}): in a container, move its processes out of its root cgroup first, or run the tests on the host`,
      { cause: error },
    );
  }
  return v2.dir;
}

/** A new cgroup whose pids.max is `max`; throws with what to do when none can be made. */
export function pidsCgroup(max: number): PidsCgroup {
  const parent = pidsParent();
  const dir = path.join(parent, `pidns-tree-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`);
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
