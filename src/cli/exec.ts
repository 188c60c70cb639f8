/**
 * `pidns-tree exec [-t | -T] <id> <node> -- cmd ...`: run cmd in that namespace of a detached
 * tree, as a child of its PID 1; exit with its status.
 *
 * On a terminal (`-t`, or by default when stdin, stdout and stderr are all terminals) the
 * command gets a pseudo-terminal of its own, with job control (exec-terminal.ts). Otherwise
 * (`-T`, or anything redirected) this process's own stdin, stdout and stderr travel to the tree
 * as they are, so bytes pass exactly and stdout and stderr stay apart.
 */
import { isatty } from 'node:tty';

import { request } from '../live/client.js';
import { findTree } from '../live/state-dir.js';
import type { ExitEvent } from '../events.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

const USAGE = 'usage: pidns-tree exec [-t | -T] <id> <node> -- command [args...]\n';

interface ExecArgs {
  id: string;
  node: string;
  command: string[];
  tty: 'auto' | 'on' | 'off';
}

/** The command line, or a message saying what is wrong with it. */
export function parseExecArgs(args: readonly string[]): ExecArgs | string {
  const dash = args.indexOf('--');
  const head = dash === -1 ? args : args.slice(0, dash);
  const positional: string[] = [];
  const flags = new Set<'on' | 'off'>();
  let i = 0;
  for (; i < head.length && positional.length < 2; i++) {
    const arg = head[i] ?? '';
    if (arg === '-t' || arg === '--tty') flags.add('on');
    else if (arg === '-T' || arg === '--no-tty') flags.add('off');
    else if (arg.startsWith('-')) return `unknown option ${arg} (exec takes -t/--tty and -T/--no-tty)`;
    else positional.push(arg);
  }
  // Without `--`, the command is what follows the node; with it, exactly what follows `--`.
  if (dash !== -1 && i < head.length) return `unexpected ${head[i]} before --`;
  const command = dash === -1 ? head.slice(i) : args.slice(dash + 1);
  const [id, node] = positional;
  if (id === undefined || node === undefined || command.length === 0) {
    return 'exec needs a tree id, a namespace and a command';
  }
  if (flags.size === 2) return '-t (a terminal) and -T (no terminal) contradict each other';
  const tty = flags.has('on') ? 'on' : flags.has('off') ? 'off' : 'auto';
  return { id, node, command, tty };
}

export async function execCommand(args: readonly string[]): Promise<number> {
  const parsed = parseExecArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`pidns-tree: ${parsed}\n${USAGE}`);
    return EXIT.usage;
  }
  const { id, node, command, tty } = parsed;
  if (tty === 'on' || (tty === 'auto' && isatty(0) && isatty(1) && isatty(2))) {
    const { execOnTerminal } = await import('./exec-terminal.js');
    return execOnTerminal(id, node, command);
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
