/**
 * The types of tree.json and of its checked plan. Types only: the model entry
 * (`pidns-tree/model`, for browsers) shares them without loading anything of Node.
 */
import type { NamespaceExpect, ProcessExpect, TreeExpect } from './check/expect-spec.js';

/** A process of a namespace. */
export interface ProcessSpec {
  /** Unique within its namespace; `init` is reserved. Letters, digits, `.`, `_`, `-`. */
  name: string;
  /** argv; the first element is looked up in PATH. */
  command: string[];
  /** Added to (and overriding) the environment pidns-tree runs with. */
  env?: Record<string, string>;
  /** Absolute working directory. */
  cwd?: string;
  /** A pseudo-terminal of its own (stdin, stdout and stderr); its output is reported as stdout. */
  tty?: boolean;
  /** What should happen to it, checked by `pidns-tree test` and `testTree`. */
  expect?: ProcessExpect;
}

/**
 * PID 1 of a namespace: pidns-tree's init with options, or your own command instead.
 * `forward`/`stopTimeout` are options of our init; `command`/`env`/`cwd` replace it.
 */
export type InitSpec =
  | {
      /** Where our init sends the signals it receives: each process, or its process group. */
      forward?: 'process' | 'group';
      /** Seconds from SIGTERM to SIGKILL when stopping (default 10). */
      stopTimeout?: number;
    }
  | {
      /** Your program as PID 1 of this namespace; its output is reported as process `init`. */
      command: string[];
      env?: Record<string, string>;
      cwd?: string;
      /** What should happen to your PID 1, checked by `pidns-tree test` and `testTree`. */
      expect?: ProcessExpect;
    };

/** A namespace: its processes and the namespaces nested in it. */
export interface TreeSpec {
  $schema?: string;
  /**
   * Start every init and process in plan order, each held until the tree is complete, so that
   * every PID is the one `plan` predicts, run after run (top level only).
   */
  reproduciblePids?: boolean;
  /** Unique among its siblings; the node's path is the names joined by `/` (`root/a/b`). */
  name: string;
  processes?: ProcessSpec[];
  children?: (Omit<TreeSpec, '$schema' | 'reproduciblePids' | 'expect'> & { expect?: NamespaceExpect })[];
  /** Mount a fresh /proc for this namespace (default true). */
  mountProc?: boolean;
  init?: InitSpec;
  /** What should happen in this namespace and, at the top, to the whole tree (`code`, `within`). */
  expect?: TreeExpect;
}

export interface PlanProcess {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | null;
  /** Present (true) only for a process with a terminal. */
  readonly tty?: true;
}

export interface PlanInit {
  readonly forward: 'process' | 'group';
  readonly stopTimeoutMs: number;
  /** The user's PID 1, when there is one. */
  readonly command: PlanProcess | null;
}

/** One namespace of a checked tree. */
export interface PlanNode {
  /** `root/a/b` */
  readonly path: string;
  readonly name: string;
  /** The root is 1. */
  readonly depth: number;
  readonly parent: number | null;
  readonly children: readonly number[];
  readonly mountProc: boolean;
  readonly processes: readonly PlanProcess[];
  readonly init: PlanInit;
}

/** A checked tree: its namespaces in pre-order (the root first). */
export interface Plan {
  readonly nodes: readonly PlanNode[];
  /** Whether the tree starts in plan order with reproducible PIDs. */
  readonly reproduciblePids: boolean;
  /** The plan as the native init reads it. */
  readonly json: string;
  /** Levels this tree may use here (32 minus the levels the host already uses). */
  readonly maxDepth: number;
  readonly hostLevels: number;
}
