/**
 * `pidns-tree init [options] -- cmd ...`: run a command under pidns-init in tini-compatible
 * mode, with tini's options (-s -g -e -p -w -v -l) and TINI_* variables. Signals this command
 * receives go on to pidns-init, which forwards them to the command. Node is its parent, so
 * pass -s (or TINI_SUBREAPER) for orphans to be reaped, as tini would tell you.
 */
import { spawn } from 'node:child_process';

import { initPath } from '../native.js';
import { signalNumber } from '../running-tree.js';
import { reportError } from './report-error.js';

const PASSED_ON: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function initCommand(args: readonly string[]): Promise<number> {
  let file: string;
  try {
    file = initPath();
  } catch (error) {
    return reportError(error, false);
  }
  // `--help` is ours to understand; pidns-init (like tini) only knows -h.
  const argv = args.length === 1 && args[0] === '--help' ? ['-h'] : [...args];
  // Handlers first: the child writes to our stdout directly, so whoever reads it may signal us
  // before spawn() has returned. Without a listener Node would take SIGUSR1 for its debugger.
  // eslint-disable-next-line prefer-const -- `passOn` reads it before it is set (a const would throw there)
  let child: ReturnType<typeof spawn> | undefined;
  const early: NodeJS.Signals[] = [];
  const passOn = (signal: NodeJS.Signals): void => {
    if (child === undefined) early.push(signal);
    else child.kill(signal);
  };
  PASSED_ON.forEach((s) => process.on(s, passOn));
  child = spawn(file, argv, { stdio: 'inherit', argv0: 'pidns-init' });
  const running = child;
  early.forEach((signal) => running.kill(signal));
  try {
    return await new Promise<number>((resolve, reject) => {
      running.on('error', reject);
      running.on('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal ?? 'SIGKILL')));
    });
  } finally {
    PASSED_ON.forEach((s) => process.off(s, passOn));
  }
}
