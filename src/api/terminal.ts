/**
 * A process on a pseudo-terminal of its own (`tree.spawn(node, argv, { tty: true })`): one
 * duplex stream (what you write is typed on the terminal, what you read is what it shows),
 * its window size, its signals and its exit.
 */
import { closeSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';

import type { ExitEvent, Pids } from '../events.js';
import type { NativeTerminal } from '../native.js';
import type { SignalName } from '../running-tree.js';

export interface TerminalOptions {
  /** Run it on a new pseudo-terminal, as the leader of a new session with job control. */
  tty: true;
  /** Added to the environment pidns-tree runs with. */
  env?: Record<string, string>;
  /** Absolute working directory. */
  cwd?: string;
  /** The window's width in characters (default 80). */
  cols?: number;
  /** The window's height in lines (default 24). */
  rows?: number;
}

/**
 * The terminal as a duplex stream: written bytes are typed (`'\x03'` is Ctrl-C, `'\x1a'`
 * Ctrl-Z), read bytes are its output, `\r\n` line ends and echo included. Ending your side
 * types end-of-file (Ctrl-D) when the terminal reads lines. The stream ends after the last
 * byte the command wrote; destroying it hangs the terminal up (SIGHUP to the session).
 */
export interface TerminalProcess extends Duplex {
  /** Its namespace's path. */
  readonly node: string;
  /** Its name in events (`exec-1`, ...). */
  readonly name: string;
  /** Its PID at every level, as in `start` events. */
  readonly pids: Pids;
  /** Sets the window size; the program inside gets SIGWINCH. False once the terminal has ended. */
  resize(cols: number, rows: number): boolean;
  /** Signals it (the session leader) through its pidfd; false once it has exited. */
  kill(signal?: SignalName | number): boolean;
  /** Resolves with its `exit` event; when it ends, every process left in its session is killed. */
  wait(): Promise<ExitEvent>;
  /**
   * True when the stream was destroyed (by you, or by an error) before the command exited:
   * that hung its terminal up, and what followed is the hang-up's doing: the exit says SIGHUP
   * (129), and if the command had not started yet, its `error` says that its terminal was hung
   * up before it could start (it never ran).
   */
  readonly hungUp: boolean;
}

export interface TerminalProcessInfo {
  readonly node: string;
  readonly name: string;
  readonly pids: Pids;
  readonly kill: (signal?: SignalName | number) => boolean;
  readonly exited: Promise<ExitEvent>;
  /** What the caller's `wait()` returns: `exited`, as the tree hands waits to the caller. */
  readonly wait: () => Promise<ExitEvent>;
}

/** The size a terminal is opened with, checked. */
export function terminalSize(options: { cols?: number; rows?: number }): [number, number] {
  const check = (n: number | undefined, fallback: number, what: string): number => {
    const value = n ?? fallback;
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      throw new RangeError(`${what} must be an integer from 1 to 65535, not ${String(n)}`);
    }
    return value;
  };
  return [check(options.cols, 80, 'cols'), check(options.rows, 24, 'rows')];
}

/**
 * The stream of a terminal whose command runs. Make it only when someone will listen in the
 * same turn (as for pipes). Once the command has exited, the stream ends after what it wrote,
 * even while a process that left its session still holds the terminal.
 */
export function terminalProcess(terminal: NativeTerminal, info: TerminalProcessInfo): TerminalProcess {
  const socket = new net.Socket({ fd: terminal.takeSocket(), readable: true, writable: true });
  let exited = false;
  let hungUp = false;
  const finish = (): void => {
    exited = true;
    terminal.finish();
  };
  info.exited.then(finish, finish);
  // A stream that ends by itself has emitted 'end' (everything the terminal showed was read)
  // before it closes; one closed without it while the command ran was destroyed, which hangs
  // the terminal up.
  socket.once('close', () => (hungUp = !exited && !socket.readableEnded));
  Object.defineProperty(socket, 'hungUp', { get: () => hungUp, enumerable: true });
  return Object.assign(socket as net.Socket & { readonly hungUp: boolean }, {
    node: info.node,
    name: info.name,
    pids: info.pids,
    resize: (cols: number, rows: number): boolean => {
      const [c, r] = terminalSize({ cols, rows });
      return terminal.resize(c, r);
    },
    kill: info.kill,
    wait: info.wait,
  });
}

/** A terminal whose command never started: its relay ends with its socket. */
export function discardTerminal(terminal: NativeTerminal): void {
  closeSync(terminal.takeSocket());
}
