/**
 * `pidns-tree spawn --detach [--name N]`: hand the tree to a native supervisor (pidns-init
 * --supervise) that outlives this command, wait until the tree is up, print its id. The
 * supervisor claims the name itself, atomically, in the checked state root; when it cannot
 * (the name is taken, the state is unsafe, the tree failed to start) it says why in one line,
 * after it has torn down whatever it started, and this command waits for it to be gone.
 */
import path from 'node:path';
import readline from 'node:readline';

import type { SpawnMode } from '../native.js';
import type { Plan } from '../spec.js';
import { newId, stateRoot } from '../live/state-dir.js';
import { startSupervisor, supervisorAnswer } from '../live/supervisor.js';
import { EXIT } from './exit-codes.js';

export async function detach(
  plan: Plan,
  options: { name: string | undefined; mode: SpawnMode; json: boolean },
): Promise<number> {
  const id = newId(options.name);
  const child = startSupervisor(plan, id, options.name, options.mode);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const lines = readline.createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    closed.then(() => undefined),
  ]);
  lines.close();
  const failure = supervisorAnswer(first);
  if (failure !== undefined) {
    // It has torn down what it started; wait until it is gone itself.
    await closed;
    throw failure;
  }
  child.stdout.destroy();
  child.unref();
  if (options.json) {
    const dir = path.join(stateRoot(), id);
    process.stdout.write(`${JSON.stringify({ event: 'detached', id, supervisor: child.pid, dir })}\n`);
  } else process.stdout.write(`${id}\n`);
  return EXIT.ok;
}
