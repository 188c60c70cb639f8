// The Node binding's types, generated from crates/napi by `npm run build:native` (src/native.ts
// uses them): change the Rust, not this file.

/** A new pseudo-terminal for one exec, with its relay running. */
export declare class NativeTerminal {
  /**
   * The caller's end of the relay, once: a stream socket (what is written is typed, what is
   * read was output); JavaScript owns it. Closing it hangs the terminal up.
   */
  takeSocket(): number
  /**
   * Sets the window size; the kernel sends SIGWINCH inside when it changes. False once the
   * terminal's relay has ended.
   */
  resize(cols: number, rows: number): boolean
  /**
   * Gives it the size of terminal `fd` (the CLI's own, on SIGWINCH), pixels included.
   * False when `fd` is not a terminal or the relay has ended.
   */
  resizeFrom(fd: number): boolean
  /** The command has exited: the socket ends once what it wrote has been relayed. */
  finish(): void
}

export declare class NativeTree {
  /** The root init's PID on the host. */
  get pid(): number
  /** True when the tree runs in a user namespace (rootless mode). */
  get rootless(): boolean
  /** The read end of the frame pipe; JavaScript owns (and closes) it. */
  get eventsFd(): number
  /** Sends `signal` to the root init through its pidfd. False once the tree is gone. */
  signal(signal: number): boolean
  /**
   * Signals process `process` of namespace `node` ("init" for its PID 1), through a pidfd
   * checked against the process's start time. False when no such process is running.
   */
  signalProcess(node: string, process: string, signal: number): boolean
  /**
   * Starts `command` in namespace `node` as a child of the init serving it, named `name`;
   * its `start` and `exit` come as events. Resolves once it runs. With `terminal`, the
   * terminal's slave is its stdin, stdout and stderr, and it leads a new session with it as
   * its controlling terminal.
   */
  exec(node: string, name: string, command: Array<string>, env: Record<string, string>, cwd?: string | undefined | null, terminal?: NativeTerminal | undefined | null): Promise<ExecFds>
}

/**
 * A terminal of the CLI's (its stdin) in raw mode: every key, Ctrl-C included, is a byte
 * for the terminal inside. `restore` gives back the exact settings it had.
 */
export declare class RawTerminal {
  /** Back to the settings it had before raw mode. */
  restore(): void
  /** Raw mode again (after SIGCONT: whoever stopped us may have changed it). */
  reapply(): void
}

/** Parses and validates a tree.json text against the limits of the calling process. */
export declare function checkSpec(text: string): SpecCheck

/**
 * The caller's ends of an exec'd process's stdin, stdout and stderr (JavaScript owns them);
 * all -1 for an exec on a terminal, whose one stream is the terminal's socket.
 */
export interface ExecFds {
  stdin: number
  stdout: number
  stderr: number
  /** Its slot in the node (the process is named as asked). */
  slot: number
}

export interface Inspected {
  pid: number
  /** Its command name (/proc/PID/comm). */
  name: string
  /** From the caller's namespace (first) down to the process's own (last). */
  levels: Array<PidLevel>
}

/**
 * The PID-namespace chain of host process `pid` and its PID in each namespace. `pid` is taken
 * as a JavaScript number, not an i32, which napi would wrap (4294967298 would become 2).
 */
export declare function inspectPid(pid: number): Inspected

export interface LiveEntry {
  id: string
  /** The tree's directory (for display: every access goes through checked descriptors). */
  dir: string
  /** Its info.json, as written by the supervisor. */
  info: string
}

/**
 * An exec on a terminal (`request` has `"tty": true`): the terminal's slave goes to the command
 * as its stdin, stdout and stderr (and is closed here once sent). Resolves with the reply once
 * the command has exited; JavaScript relays the terminal meanwhile. The wait runs on a thread of
 * its own, not in libuv's pool: a session lasts as long as the user likes, and a process exit
 * (SIGTERM) must not wait for it.
 */
export declare function liveExecOnTerminal(id: string, request: string, terminal: NativeTerminal): Promise<string>

/**
 * The detached trees running here; the state of dead ones is removed (only pidns-tree's own
 * files, by name) and reported.
 */
export declare function liveList(): LiveListing

export interface LiveListing {
  /** The state root's path. */
  root: string
  trees: Array<LiveEntry>
  /** Ids of dead trees whose state was just removed. */
  cleaned: Array<string>
  /** Tree directories not safe to use, and stale state left in place, with why. */
  problems: Array<LiveProblem>
}

export interface LiveProblem {
  id: string
  message: string
}

/**
 * The version of the live protocol this build speaks (`wire::live::PROTOCOL`); a detached
 * tree's info.json says the version of its supervisor.
 */
export declare function liveProtocol(): number

/**
 * Sends one request to the supervisor of tree `id` (with our stdin, stdout and stderr when
 * `pass_stdio`) and returns its reply, once the supervisor has shown (SO_PEERCRED) that it
 * runs as us or root. Blocks until the reply comes (for exec, until the command has exited), or
 * until `timeout_ms` when given.
 */
export declare function liveRequest(id: string, request: string, passStdio: boolean, timeoutMs?: number | undefined | null): string

/**
 * `live_request` off the JavaScript thread (never with stdio): for requests that wait, such
 * as the `events` long poll of `pidns-tree ui`, which must not block a server's event loop.
 */
export declare function liveRequestAsync(id: string, request: string, timeoutMs?: number | undefined | null): Promise<string>

/** The path of the state root of detached trees (not checked, not created). */
export declare function liveStateRoot(): string

/**
 * Stops tree `id` by signals, without a word of its protocol (its supervisor speaks another
 * version): SIGTERM to its root init, SIGKILL after `grace_ms`, only to processes proved to be
 * the tree's (`live::signal_stop`). Says how it ended: `SIGTERM` (within the grace period),
 * `SIGKILL`, or `SIGTERM to its supervisor` (its root init could not be proved the tree's).
 * Returns once the supervisor has ended.
 */
export declare function liveStopBySignal(id: string, graceMs: number): string

/** Puts terminal `fd` in raw mode; null when it is not a terminal. */
export declare function makeRaw(fd: number): RawTerminal | null

/** Opens a terminal of `cols` x `rows` characters. */
export declare function openTerminal(cols: number, rows: number): NativeTerminal

export interface PidLevel {
  /** The namespace's inode, as in pid:[INODE] (lsns, /proc/PID/ns/pid). */
  namespace: number
  /** The process's PID in that namespace. */
  pid: number
}

/** How the events reach JavaScript. */
export interface SpawnOptions {
  /** "auto", "rootless" or "privileged". */
  mode: string
  /**
   * "events" (NDJSON to parse), "lines" (output lines in binary frames, other events as
   * NDJSON), "ndjson" (NDJSON to print) or "human" (output lines rendered for a person,
   * other events as NDJSON).
   */
  format: string
  /** human: ANSI colours in the rendered lines. */
  color?: boolean
  /** human: the width the `node:process` prefix is padded to. */
  prefixWidth?: number
  /**
   * A descriptor (the CLI's stdout) whose hang-up means nobody reads the events: the tree is
   * then killed, even while it prints nothing.
   */
  watchFd?: number
  /**
   * ndjson: the descriptor (the CLI's stdout) the events are written to, straight from the
   * collector; JavaScript then gets only the code.
   */
  outputFd?: number
}

/**
 * Starts the tree described by `plan_json` (a checked plan) with the init at `init_path`.
 * Must be called on the main JavaScript thread: the tree is bound to the life of the thread
 * that starts it (PR_SET_PDEATHSIG).
 */
export declare function spawnTree(initPath: string, planJson: string, options: SpawnOptions): NativeTree

export interface SpecCheck {
  /** The flat plan as JSON when the spec is valid. */
  plan?: string
  errors: Array<SpecIssue>
  /** PID-namespace levels the caller already sits below the initial namespace. */
  hostLevels: number
  /** Namespace levels a tree may use from here. */
  maxDepth: number
}

export interface SpecIssue {
  /** "syntax", "invalid", "depth" or "impossible" (see `pidns_model::IssueKind`). */
  kind: string
  /** JSON path of the offending value, e.g. `$.children[0].processes[1].command`. */
  path: string
  line?: number
  column?: number
  message: string
  hint?: string
}

/** The size of terminal `fd` as [cols, rows], or null when it is not a terminal (or says 0x0). */
export declare function terminalSize(fd: number): Array<number> | null
