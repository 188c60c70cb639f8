/**
 * Stable error codes: match on `error.code`, never on message text. The native part gives its
 * errors these codes itself (crates/core/src/error_code.rs, as the JavaScript error's `code`),
 * and the model gives each spec issue a `kind`: nothing here reads a message to sort an error.
 */
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
  /** An argument cannot be used (an empty command, ...); the message says which and why. */
  | 'BAD_ARGUMENT'
  /** A system call failed where nothing else explains it (out of descriptors or memory); the message names it. */
  | 'SYSCALL_FAILED'
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
  /** `spawnTree`'s `onEvent` threw: the tree was killed; `cause` is what it threw. */
  | 'ON_EVENT_FAILED'
  /** No detached tree with this id runs here. */
  | 'UNKNOWN_TREE'
  /**
   * A detached tree's supervisor speaks another version of the live protocol (it was started
   * by another build of pidns-tree, or by one from before versions existed): nothing was sent
   * to it; the message names the versions and how to stop it.
   */
  | 'PROTOCOL_MISMATCH'
  /**
   * The state of detached trees is not safe to use (a link, someone else's directory, loose
   * permissions, a socket served by another user), or its path holds something pidns-tree did
   * not make: nothing was used, sent or removed; the message names the path, its owner and
   * what to do.
   */
  | 'STATE_UNSAFE';

/**
 * What sort of problem a spec issue is: `syntax` (not JSON), `invalid` (a value breaks a rule),
 * `depth` (deeper than the PID-namespace levels left), `impossible` (an expectation that can
 * never hold).
 */
export type SpecIssueKind = 'syntax' | 'invalid' | 'depth' | 'impossible';

/** One problem found in a spec. */
export interface SpecIssue {
  readonly kind: SpecIssueKind;
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

  constructor(code: PidnsTreeErrorCode, message: string, issues: readonly SpecIssue[] = [], options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.issues = issues;
  }
}

/** Every code, to tell ours from what else an error's `code` may hold. */
const CODES: Readonly<Record<PidnsTreeErrorCode, true>> = {
  INVALID_SPEC: true,
  INVALID_STEPS: true,
  SPEC_UNREADABLE: true,
  NO_PRIVILEGE: true,
  NO_USERNS: true,
  DEPTH_LIMIT: true,
  NATIVE_MISSING: true,
  SPAWN_FAILED: true,
  BAD_ARGUMENT: true,
  SYSCALL_FAILED: true,
  START_FAILED: true,
  UNKNOWN_NODE: true,
  UNKNOWN_PROCESS: true,
  BAD_TARGET: true,
  BAD_SIGNAL: true,
  BAD_PID: true,
  NOT_PERMITTED: true,
  TREE_GONE: true,
  TIMEOUT: true,
  ON_EVENT_FAILED: true,
  UNKNOWN_TREE: true,
  STATE_UNSAFE: true,
  PROTOCOL_MISMATCH: true,
};

export function isErrorCode(code: unknown): code is PidnsTreeErrorCode {
  return typeof code === 'string' && Object.hasOwn(CODES, code);
}

/**
 * A native call's error as a PidnsTreeError with the code the binding gave it. `fallback` is
 * for errors napi makes itself before our code runs (an argument of the wrong type); `prefix`
 * says what was being done.
 */
export function nativeError(error: unknown, fallback: PidnsTreeErrorCode, prefix = ''): PidnsTreeError {
  if (error instanceof PidnsTreeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return new PidnsTreeError(isErrorCode(code) ? code : fallback, `${prefix}${message}`);
}
