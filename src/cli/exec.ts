/**
 * `pidns-tree exec <id> <node> -- cmd ...`: run cmd in that namespace of a detached tree, as a
 * child of its PID 1, with this terminal's (or pipes') stdin, stdout and stderr; exit with its
 * status. The descriptors themselves travel to the tree, so a terminal stays a terminal.
 */
import { request } from '../live/client.js';
import { findTree } from '../live/state-dir.js';
import type { ExitEvent } from '../events.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export function execCommand(args: readonly string[]): number {
  const dash = args.indexOf('--');
  const [id, node] = args;
  const command = dash === -1 ? args.slice(2) : args.slice(dash + 1);
  if (id === undefined || node === undefined || command.length === 0 || (dash !== -1 && dash !== 2)) {
    process.stderr.write('usage: pidns-tree exec <id> <node> -- command [args...]\n');
    return EXIT.usage;
  }
  try {
    const reply = request(findTree(id), { t: 'exec', node, command, env: {}, cwd: null }, true);
    const exit = reply['exit'] as ExitEvent;
    if (exit.error !== undefined) process.stderr.write(`pidns-tree: ${exit.error}\n`);
    return exit.code;
  } catch (error) {
    return reportError(error, false);
  }
}
