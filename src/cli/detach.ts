/**
 * `pidns-tree spawn --detach [--name N]`: hand the tree to a native supervisor (pidns-init
 * --supervise) that outlives this command, wait until the tree is up, print its id.
 */
import readline from 'node:readline';

import { PidnsTreeError } from '../errors.js';
import type { SpawnMode } from '../native.js';
import type { Plan } from '../spec.js';
import { listTrees, newId } from '../live/state-dir.js';
import { startSupervisor } from '../live/supervisor.js';
import { EXIT } from './exit-codes.js';

export async function detach(
  plan: Plan,
  options: { name: string | undefined; mode: SpawnMode; json: boolean },
): Promise<number> {
  const id = newId(options.name);
  if (listTrees().trees.some((t) => t.info.id === id)) {
    throw new PidnsTreeError('BAD_TARGET', `a tree named ${id} is already running: stop it, or choose another --name`);
  }
  const { child, dir } = startSupervisor(plan, id, options.name, options.mode);
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve) => {
    lines.once('line', resolve);
    child.once('close', () => resolve('failed: the supervisor exited'));
  });
  lines.close();
  child.stdout.destroy();
  child.unref();
  if (first !== 'ready')
    throw new PidnsTreeError('SPAWN_FAILED', `the tree could not be started: ${first.replace(/^failed: /, '')}`);
  if (options.json) process.stdout.write(`${JSON.stringify({ event: 'detached', id, supervisor: child.pid, dir })}\n`);
  else process.stdout.write(`${id}\n`);
  return EXIT.ok;
}
