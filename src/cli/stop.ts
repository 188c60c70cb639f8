/** `pidns-tree stop <id>`: SIGTERM (every namespace stops), SIGKILL after the grace; waits for the end. */
import { request } from '../live/client.js';
import { findTree } from '../live/state-dir.js';
import { EXIT } from './exit-codes.js';

export function stopCommand(options: { id: string; graceMs: number; json: boolean }): number {
  const tree = findTree(options.id);
  request(tree, { t: 'stop', graceMs: options.graceMs });
  let code = 0;
  try {
    code = Number(request(tree, { t: 'wait' })['code'] ?? 0);
  } catch {
    // it ended before we asked
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ id: tree.info.id, stopped: true, code })}\n`);
  else process.stdout.write(`pidns-tree: tree ${tree.info.id} stopped (exit ${code})\n`);
  return EXIT.ok;
}
