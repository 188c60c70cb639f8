/**
 * Starting the native supervisor of a detached tree (`pidns-init --supervise`): `spawn
 * --detach` does it, and so does the benchmark, which measures the supervisor itself.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

import { initPath, type SpawnMode } from '../native.js';
import type { Plan } from '../spec.js';

/**
 * Starts a supervisor for `plan` under `id` (see newId), in a session of its own so that it
 * outlives its caller, and hands it the plan. Its stdout then gives one line: `ready` once every
 * process is up, or `taken|refused|failed: why` once it has torn down what it started.
 */
export function startSupervisor(
  plan: Plan,
  id: string,
  name: string | undefined,
  mode: SpawnMode,
): ChildProcessByStdio<Writable, Readable, null> {
  const child = spawn(initPath(), ['--supervise', '--id', id, '--name', name ?? '', '--mode', mode], {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.end(plan.json);
  return child;
}
