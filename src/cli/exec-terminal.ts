/**
 * `pidns-tree exec` on a terminal (`-t`, or when stdin, stdout and stderr are all terminals):
 * the command gets a new pseudo-terminal inside the tree and leads a session on it, so a shell
 * has job control and Ctrl-C, Ctrl-Z and Ctrl-\ reach the job in the foreground inside.
 *
 * Here: the pty is opened (crates/core/src/host/terminal.rs: its slave goes to the command, its
 * master is relayed to a socket), the user's terminal is put in raw mode (every key becomes a
 * byte for the terminal inside), bytes are relayed both ways, the window size follows
 * SIGWINCH, and the user's terminal settings are restored on every way out: the command's exit,
 * an error or the tree's end, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP (and raw mode again
 * after SIGCONT), and process exit whatever the cause. (SIGKILL leaves nothing to run: `stty
 * sane` or `reset` repairs the terminal then.)
 */
import net from 'node:net';
import { constants } from 'node:os';
import { isatty } from 'node:tty';

import { nativeError } from '../errors.js';
import type { ExitEvent } from '../events.js';
import { native, type NativeTerminal, type RawTerminal } from '../native.js';
import { requestOnTerminal } from '../live/client.js';
import { checkProtocol } from '../live/protocol.js';
import { findTree, type LiveTree } from '../live/state-dir.js';
import { reportError } from './report-error.js';

/** The signals that end the session here: the terminal is restored, then we exit 128+N. */
const ENDING = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as const;

/** The user's terminal: raw while the session runs, restored exactly once per raw phase. */
class UserTerminal {
  #raw: RawTerminal | null;
  #isRaw: boolean;

  constructor(raw: RawTerminal | null) {
    this.#raw = raw;
    this.#isRaw = raw !== null;
  }

  restore(): void {
    if (this.#raw === null || !this.#isRaw) return;
    this.#isRaw = false;
    try {
      this.#raw.restore();
    } catch {
      // The terminal is gone (SIGHUP after its window closed): nothing left to restore.
    }
  }

  reapply(): void {
    if (this.#raw === null || this.#isRaw) return;
    try {
      this.#raw.reapply();
      this.#isRaw = true;
    } catch {
      // As above.
    }
  }
}

interface Session {
  tree: LiveTree;
  terminal: NativeTerminal;
  socket: net.Socket;
  user: UserTerminal;
  /** The descriptor whose window size the terminal inside follows, or -1. */
  sizeFd: number;
}

/**
 * The tree, the new terminal and its stream, and the user's terminal in raw mode. Everything
 * that can fail here fails before the user's terminal is touched (raw mode comes last); a
 * failure is thrown, after the terminal made here is hung up.
 */
function openSession(id: string): Session {
  const tree = findTree(id);
  // Before the terminal is made: a tree of another protocol version gets nothing.
  checkProtocol(tree);
  const binding = native();
  const sizeFd = isatty(0) ? 0 : isatty(1) ? 1 : -1;
  const [cols = 80, rows = 24] = (sizeFd >= 0 ? binding.terminalSize(sizeFd) : null) ?? [];
  const terminal = binding.openTerminal(cols, rows);
  const socket = new net.Socket({ fd: terminal.takeSocket(), readable: true, writable: true });
  try {
    return { tree, terminal, socket, user: new UserTerminal(binding.makeRaw(0)), sizeFd };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

export async function execOnTerminal(id: string, node: string, command: readonly string[]): Promise<number> {
  let session: Session;
  try {
    session = openSession(id);
  } catch (error) {
    // As an exec without a terminal reports it (a tree that is not running: exit 2); the
    // terminal's own failures with the code the binding gave them.
    return reportError(nativeError(error, 'SYSCALL_FAILED'), false);
  }
  const { tree, terminal, socket, user, sizeFd } = session;

  const resize = (): void => {
    if (sizeFd >= 0) terminal.resizeFrom(sizeFd);
  };
  const onEnding = (signal: NodeJS.Signals): void => {
    user.restore();
    // Our exit closes the master (the session is hung up) and our connection to the
    // supervisor, which then kills the command; its init ends the rest of its session.
    process.exit(128 + constants.signals[signal]);
  };
  const onStop = (): void => {
    user.restore();
    process.kill(process.pid, 'SIGSTOP');
  };
  const onContinue = (): void => {
    user.reapply();
    resize();
  };
  const onExit = (): void => user.restore();
  for (const signal of ENDING) process.on(signal, onEnding);
  process.on('SIGWINCH', resize);
  process.on('SIGTSTP', onStop);
  process.on('SIGCONT', onContinue);
  process.on('exit', onExit);

  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  process.stdin.pipe(socket);
  socket.pipe(process.stdout, { end: false });
  // Nobody reads what it shows any more (`| head`): hang the terminal up.
  const onOutputError = (): void => void socket.destroy();
  process.stdout.on('error', onOutputError);

  const env: Record<string, string> = {};
  if (process.env['TERM'] !== undefined) env['TERM'] = process.env['TERM'];
  let outcome: { exit: ExitEvent } | { error: unknown };
  try {
    const reply = await requestOnTerminal(tree, { t: 'exec', node, command, env, cwd: null, tty: true }, terminal);
    outcome = { exit: reply['exit'] as ExitEvent };
  } catch (error) {
    outcome = { error };
  }
  // The command has exited (or never ran, or the tree is gone): what it wrote is relayed,
  // then the stream ends, also if a process that left its session still holds the terminal.
  terminal.finish();
  await closed;

  user.restore();
  process.stdin.unpipe(socket);
  process.stdin.destroy();
  process.stdout.off('error', onOutputError);
  for (const signal of ENDING) process.off(signal, onEnding);
  process.off('SIGWINCH', resize);
  process.off('SIGTSTP', onStop);
  process.off('SIGCONT', onContinue);
  process.off('exit', onExit);

  if ('error' in outcome) return reportError(outcome.error, false);
  if (outcome.exit.error !== undefined) process.stderr.write(`pidns-tree: ${outcome.exit.error}\n`);
  return outcome.exit.code;
}
