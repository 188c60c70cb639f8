/**
 * The events of a running tree: the NDJSON lines of `pidns-tree spawn --json`, one object each
 * with an `event` field, in the order they happened.
 */

/**
 * A process's PID at every level: `host` (the namespace pidns-tree runs in) and each namespace
 * path from the root down to the process's own, e.g. `{ host: 48211, root: 9, 'root/a': 2 }`.
 */
export type Pids = Readonly<Record<string, number>>;

/** A process (or a namespace's init, process `init`) is up; sent before it runs its command. */
export interface StartEvent {
  readonly event: 'start';
  readonly node: string;
  readonly process: string;
  /** PID in its own namespace (1 for an init). */
  readonly pid: number;
  readonly pids: Pids;
  readonly command: readonly string[];
}

/**
 * One line a process wrote, without its newline; byte for byte, a carriage return included.
 * A line longer than 64 KiB comes in pieces; every piece but the last has `newline: false`,
 * as does a last line the stream ended without.
 */
export interface OutputEvent {
  readonly event: 'output';
  readonly node: string;
  readonly process: string;
  readonly stream: 'stdout' | 'stderr';
  /** The text (bytes that are not UTF-8 read as U+FFFD; `base64` then has them exactly). */
  readonly line: string;
  /** Present only when the line is not valid UTF-8: its exact bytes, in base64. */
  readonly base64?: string;
  /** Present (false) only when no newline follows this piece in what the process wrote. */
  readonly newline?: false;
}

/** A process ended; sent after its last output line. */
export interface ExitEvent {
  readonly event: 'exit';
  readonly node: string;
  readonly process: string;
  /** Exit code, or 128+N when killed by signal N. */
  readonly code: number;
  /** Name of the signal that killed it (`"SIGKILL"`), or null. */
  readonly signal: string | null;
  /**
   * Why the command could not run (code 126 or 127), or that its terminal was hung up before it
   * could start (SIGHUP, 129: see `TerminalProcess.hungUp`).
   */
  readonly error?: string;
  /** Why it died when its init could not report it (its namespace ended). */
  readonly reason?: string;
}

/** A namespace's init reaped an orphan it had adopted. */
export interface ReapEvent {
  readonly event: 'reap';
  readonly node: string;
  /** Its PID in that namespace. */
  readonly pid: number;
  /** Its PID at every level, as for `start` (absent if the kernel could not tell any more). */
  readonly pids?: Pids;
  readonly code: number;
  readonly signal: string | null;
}

/**
 * Zombies waiting under a namespace whose PID 1 is your command (`init.command`) and does not
 * reap them; sent when their number changes.
 */
export interface ZombiesEvent {
  readonly event: 'zombies';
  readonly node: string;
  readonly count: number;
  /** Their PIDs in that namespace. */
  readonly pids: readonly number[];
}

/** A namespace's init could not do its job (a mount or fork failed). */
export interface ErrorEvent {
  readonly event: 'error';
  readonly node: string;
  readonly message: string;
}

/** The tree is gone: every process has exited. Always the last event. */
export interface EndEvent {
  readonly event: 'end';
  /** 0 if every process exited 0, otherwise the code of the first that failed. */
  readonly code: number;
}

export type TreeEvent = StartEvent | OutputEvent | ExitEvent | ReapEvent | ZombiesEvent | ErrorEvent | EndEvent;
