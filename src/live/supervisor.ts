/**
 * Starting the native supervisor of a detached tree (`pidns-init --supervise`): `spawn
 * --detach` does it, and so does the benchmark, which measures the supervisor itself.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

import { isErrorCode, PidnsTreeError } from '../errors.js';
import { initPath, type SpawnMode } from '../native.js';
import type { Plan } from '../spec.js';

/**
 * Starts a supervisor for `plan` under `id` (see newId), in a session of its own so that it
 * outlives its caller, and hands it the plan. Its stdout then gives one JSON line (read it with
 * `supervisorAnswer`): `{"t":"ready"}` once every process is up, or `{"t":"failed","code",
 * "message"}` once it has torn down what it started (crates/core/src/live/supervise.rs).
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

/**
 * The supervisor's first line: undefined when the tree is up, else the error it failed with
 * (its code is the supervisor's: BAD_TARGET for a name that is taken, STATE_UNSAFE, or the
 * start's own, such as NO_PRIVILEGE). `undefined` for `line` means it exited without a word.
 */
export function supervisorAnswer(line: string | undefined): PidnsTreeError | undefined {
  let answer: { t?: unknown; code?: unknown; message?: unknown } = {};
  try {
    if (line !== undefined) answer = JSON.parse(line) as typeof answer;
  } catch {
    // Not the supervisor's JSON: said as it came, below.
  }
  if (answer.t === 'ready') return undefined;
  if (answer.t === 'failed' && isErrorCode(answer.code) && typeof answer.message === 'string') {
    return new PidnsTreeError(answer.code, answer.message);
  }
  const why = line === undefined ? 'the supervisor exited before the tree was up' : `the supervisor said ${line}`;
  return new PidnsTreeError('SPAWN_FAILED', `the tree could not be started: ${why}`);
}
