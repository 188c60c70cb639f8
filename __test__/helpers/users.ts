/**
 * Other local users, for the tests that assume one of them is hostile: the attacker is the
 * unprivileged `pidns-test` (as `.ci/run` makes it); each victim is a fresh uid that no account
 * and no other test uses, with a home of its own and no XDG_RUNTIME_DIR, so its trees live in
 * /tmp/pidns-tree-<uid>, where anyone could have been first.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';

import { bin, type CliResult } from './cli.js';

export interface User {
  readonly uid: number;
  readonly gid: number;
  /** Its home (victims only; the attacker's is /tmp). */
  readonly home: string;
}

/** The attacker: `pidns-test`, or nobody (65534) where that account is missing. */
export function attacker(): User {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'pidns-test'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g'), home: '/tmp' };
  } catch {
    return { uid: 65534, gid: 65534, home: '/tmp' };
  }
}

/** A fresh victim: a uid of its own, a home (0700) with nothing in it. Removed by `t.teardown(v.remove)`. */
export function victim(): User & { readonly stateRoot: string; readonly remove: () => void } {
  const uid = 3_000_000 + Math.floor(Math.random() * 900_000);
  const home = mkdtempSync('/tmp/pidns-tree-victim-');
  chownSync(home, uid, uid);
  chmodSync(home, 0o700);
  const stateRoot = `/tmp/pidns-tree-${uid}`;
  return {
    uid,
    gid: uid,
    home,
    stateRoot,
    remove: () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(stateRoot, { recursive: true, force: true });
    },
  };
}

/** argv to run `argv` as `user`, with a clean environment (no XDG_RUNTIME_DIR). */
function asUser(user: User, argv: readonly string[], env: Record<string, string> = {}): string[] {
  const vars = Object.entries({ PATH: '/usr/local/bin:/usr/bin:/bin', HOME: user.home, NO_COLOR: '1', ...env }).map(
    ([k, v]) => `${k}=${v}`,
  );
  return [
    'setpriv',
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    '--',
    'env',
    '-i',
    ...vars,
    ...argv,
  ];
}

/** Starts a program as `user`. */
export function spawnAs(user: User, argv: readonly string[], env: Record<string, string> = {}): ChildProcess {
  const [file, ...args] = asUser(user, argv, env) as [string, ...string[]];
  return spawn(file, args, { cwd: user.home, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `pidns-tree ...args` as `user`, with `input` on its stdin. */
export function cliAs(
  user: User,
  args: readonly string[],
  input = '',
  env: Record<string, string> = {},
): Promise<CliResult> {
  const child = spawnAs(user, [process.execPath, bin, ...args], env);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin?.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs a program as `user`; its stdout. */
export function runAs(user: User, argv: readonly string[]): string {
  const [file, ...args] = asUser(user, argv) as [string, ...string[]];
  return execFileSync(file, args, { encoding: 'utf8', cwd: user.home });
}

/** Runs a shell command as `user` (to plant things, as that user would). */
export function shAs(user: User, script: string): string {
  return runAs(user, ['sh', '-ec', script]);
}
