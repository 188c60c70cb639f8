/**
 * Starting the native supervisor of a detached tree (`pidns-init --supervise`): `spawn
 * --detach` does it, and so does the benchmark, which measures the supervisor itself.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

import { initPath, type SpawnMode } from '../native.js';
import type { Plan } from '../spec.js';
import { stateRoot } from './state-dir.js';

export interface StartedSupervisor {
  /** Its stdout gives one line: `ready` once every process is up, or `failed: why`. */
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  /** The tree's state directory, which the supervisor creates and removes. */
  readonly dir: string;
}

/**
 * Starts a supervisor for `plan` under `id` (checked and free: see newId and listTrees), in a
 * session of its own so that it outlives its caller, and hands it the plan.
 */
export function startSupervisor(plan: Plan, id: string, name: string | undefined, mode: SpawnMode): StartedSupervisor {
  const dir = path.join(stateRoot(), id);
  const child = spawn(initPath(), ['--supervise', dir, '--id', id, '--name', name ?? '', '--mode', mode], {
    detached: true,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin.end(plan.json);
  return { child, dir };
}
