/** Stable error codes: match on `error.code`, never on message text. */
export type PidnsTreeErrorCode =
  /** The spec is not valid JSON or not a valid tree; `issues` says where and why. */
  | 'INVALID_SPEC'
  /** A simulation's steps are not valid; `issues` says where and why. */
  | 'INVALID_STEPS'
  /** The spec file could not be read. */
  | 'SPEC_UNREADABLE'
  /** The kernel refused to create a PID namespace for lack of privileges. */
  | 'NO_PRIVILEGE'
  /** Rootless mode, but no user namespace is allowed here (the message says why and what to do). */
  | 'NO_USERNS'
  /** The kernel refused another nested PID namespace. */
  | 'DEPTH_LIMIT'
  /** The native binding or the pidns-init binary for this platform is missing. */
  | 'NATIVE_MISSING'
  /** Starting the tree failed for another reason. */
  | 'SPAWN_FAILED'
  /** The tree ended before every namespace and process was up (see the message). */
  | 'START_FAILED'
  /** No namespace has this path in the tree. */
  | 'UNKNOWN_NODE'
  /** No process has this name in that namespace. */
  | 'UNKNOWN_PROCESS'
  /** A target is not `node` or `node:process`. */
  | 'BAD_TARGET'
  /** Not a signal the kernel has (a number from 1 to 64, or a signal's name). */
  | 'BAD_SIGNAL'
  /** `inspect`: not a PID (a decimal number from 1 up). */
  | 'BAD_PID'
  /** `inspect`: the process exists, but you may not read its namespaces. */
  | 'NOT_PERMITTED'
  /** The tree (or that namespace) has already ended. */
  | 'TREE_GONE'
  /** What was awaited did not happen within `timeoutMs`. */
  | 'TIMEOUT'
  /** No detached tree with this id runs here. */
  | 'UNKNOWN_TREE'
  /**
   * The state of detached trees is not safe to use (a link, someone else's directory, loose
   * permissions, a socket served by another user), or its path holds something pidns-tree did
   * not make: nothing was used, sent or removed; the message names the path, its owner and
   * what to do.
   */
  | 'STATE_UNSAFE';

/** One problem found in a spec. */
export interface SpecIssue {
  /** JSON path of the offending value, e.g. `$.children[0].processes[1].command`. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
}

export class PidnsTreeError extends Error {
  override readonly name = 'PidnsTreeError';
  readonly code: PidnsTreeErrorCode;
  /** For INVALID_SPEC: every problem found, in document order. */
  readonly issues: readonly SpecIssue[];

  constructor(code: PidnsTreeErrorCode, message: string, issues: readonly SpecIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}
