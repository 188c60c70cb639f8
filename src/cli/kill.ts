/** `pidns-tree kill <id> [node[:process]] [-s SIG]`: a signal through the process's pidfd. */
import { splitTarget } from '../api/targets.js';
import { PidnsTreeError } from '../errors.js';
import { request } from '../live/client.js';
import { findTree } from '../live/state-dir.js';
import { signalNumber, type SignalName } from '../running-tree.js';
import { EXIT } from './exit-codes.js';

export function killCommand(options: {
  id: string;
  target: string | undefined;
  signal: string;
  json: boolean;
}): number {
  const tree = findTree(options.id);
  const target = options.target ?? tree.info.root;
  const { node, process: process_ } = splitTarget(target);
  const name = (options.signal.startsWith('SIG') ? options.signal : `SIG${options.signal}`).toUpperCase() as SignalName;
  let signal: number;
  try {
    signal = /^\d+$/.test(options.signal) ? Number(options.signal) : signalNumber(name);
  } catch {
    throw new PidnsTreeError('BAD_TARGET', `unknown signal ${options.signal}`);
  }
  const sent = request(tree, { cmd: 'kill', node, process: process_, signal })['sent'] === true;
  if (options.json)
    process.stdout.write(`${JSON.stringify({ id: tree.info.id, node, process: process_, signal, sent })}\n`);
  else if (!sent) process.stderr.write(`pidns-tree: ${node}:${process_} is not running in tree ${tree.info.id}\n`);
  return sent ? EXIT.ok : 1;
}
