/** `pidns-tree kill <id> [node[:process]] [-s SIG]`: a signal through the process's pidfd. */
import { splitTarget } from '../api/targets.js';
import { request } from '../live/client.js';
import { findTree } from '../live/state-dir.js';
import { parseSignal } from '../signals.js';
import { EXIT } from './exit-codes.js';

export function killCommand(options: {
  id: string;
  target: string | undefined;
  signal: string;
  json: boolean;
}): number {
  // Before anything else: a signal that is not one is refused (BAD_SIGNAL, exit 2), never
  // wrapped into another (4294967305 used to arrive as 9, SIGKILL).
  const signal = parseSignal(options.signal);
  const tree = findTree(options.id);
  const target = options.target ?? tree.info.root;
  const { node, process: process_ } = splitTarget(target);
  const sent = request(tree, { t: 'kill', node, process: process_, signal })['sent'] === true;
  if (options.json)
    process.stdout.write(`${JSON.stringify({ id: tree.info.id, node, process: process_, signal, sent })}\n`);
  else if (!sent) process.stderr.write(`pidns-tree: ${node}:${process_} is not running in tree ${tree.info.id}\n`);
  return sent ? EXIT.ok : 1;
}
