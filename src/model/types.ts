/**
 * What `plan` and `simulate` take and give (README: "plan and simulate"). Types only.
 */
import type { EndEvent, ExitEvent, ReapEvent, StartEvent, ZombiesEvent } from '../events.js';
import type { Plan } from '../spec-types.js';

/** A PID range where sibling namespaces race at start-up: the lowest and highest possible. */
export type PidRange = readonly [number, number];

/** An init or a process of the tree, with the PIDs it will get. */
export interface PredictedProcess {
  readonly node: string;
  /** `init` for the namespace's PID 1. */
  readonly process: string;
  /** True for a PID 1 that is your `init.command`. */
  readonly userInit: boolean;
  /** Its PID at every level where the start order decides it (its own namespace always). */
  readonly pids: Readonly<Record<string, number>>;
  /** Levels where it can get any of several PIDs (never with `reproduciblePids`). */
  readonly ranges: Readonly<Record<string, PidRange>>;
  readonly command: readonly string[];
}

/** A checked tree with the PIDs `spawn` will give it (nothing started). */
export interface PlannedTree extends Plan {
  readonly namespaces: number;
  readonly processes: number;
  readonly depth: number;
  /** Every init and process in plan order. */
  readonly predicted: readonly PredictedProcess[];
}

/** A process as a step names it: `node:process`, or `node` for its PID 1. */
export type ProcessPath = string;

/** One step of a simulation (README: "Simulating a tree: the steps"). */
export type Step =
  /** The process forks; the child is named `child`, or `<name>.<n>` (its n-th fork). */
  | { readonly op: 'fork'; readonly process: ProcessPath; readonly child?: string }
  /** The process exits with `code` (0 to 255; default 0). */
  | { readonly op: 'exit'; readonly process: ProcessPath; readonly code?: number }
  /** The process execs another program (same PID; `command` renames it in the final tree). */
  | { readonly op: 'exec'; readonly process: ProcessPath; readonly command?: readonly string[] }
  /** setsid(2): EPERM for a process group leader (every process the spec starts is one). */
  | { readonly op: 'setsid'; readonly process: ProcessPath }
  /** prctl(PR_SET_CHILD_SUBREAPER): orphans below it come to it, not to PID 1. */
  | { readonly op: 'subreaper'; readonly process: ProcessPath }
  /**
   * kill(2) from a process (`target`: a path, or a PID as its namespace sees it: N, 0, -1,
   * -N) or from the host (`target`: a path; through a pidfd). `signal`: a name or number,
   * 0 to probe; default SIGTERM.
   */
  | {
      readonly op: 'kill';
      /** `host`, or a process. */
      readonly from: ProcessPath;
      readonly target: ProcessPath | number;
      readonly signal?: string | number;
    }
  /** SIGTERM from the host to the namespace's PID 1 (`pidns-tree kill ID NODE`). */
  | { readonly op: 'stop'; readonly node: string }
  /** A host process joins the namespace (setns) and forks into it: ENOMEM once its PID 1 died. */
  | { readonly op: 'enter'; readonly node: string; readonly name?: string };

/** A steps document: the steps, and optionally start-up PIDs to assume (as a real run got them). */
export interface Steps {
  readonly steps: readonly Step[];
  /** `{ "root/c:init": { "root": 6 } }`: pins PIDs the start order leaves open. */
  readonly pids?: Readonly<Record<ProcessPath, Readonly<Record<string, number>>>>;
}

/** Events of a simulation: those of a real run, without host PIDs and without output. */
export type SimulatedEvent = StartEvent | ExitEvent | ReapEvent | ZombiesEvent | EndEvent;

export type StepResult = 'ok' | 'ESRCH' | 'ENOMEM' | 'EPERM' | 'skipped';

/** How a step went. */
export type StepOutcome = Step & {
  readonly step: number;
  readonly result: StepResult;
  /** Why it was skipped (its process is not running, or the tree has ended). */
  readonly message?: string;
  /** The process a fork or enter made. */
  readonly created?: { readonly node: string; readonly process: string; readonly pids: Record<string, number> };
  /** Who a kill or stop reached. */
  readonly signalled?: readonly ProcessPath[];
  /** What followed, until nothing more did. */
  readonly events: readonly SimulatedEvent[];
  /**
   * Inits whose exit depends on which of this step's races a real run sees first (which exit
   * comes first; whose stop deadline fires first): every way it may end.
   */
  readonly racing?: readonly {
    readonly node: string;
    readonly process: string;
    readonly exits: readonly { readonly code: number; readonly signal: string | null }[];
  }[];
  /**
   * Orphans an init reaps in this step (a `reap` event) that a real run may not show: their
   * parent entered the namespace from outside (or descends from one that did), so the init does
   * not wait for it, and the init may end before that parent's death hands them over; the kernel
   * then reaps them unseen.
   */
  readonly racingReaps?: readonly { readonly node: string; readonly process: string }[];
};

export type ProcessState = 'running' | 'stopped' | 'exiting' | 'zombie' | 'gone';

export interface SimulatedProcess {
  readonly node: string;
  readonly process: string;
  readonly kind: 'init' | 'user-init' | 'process' | 'forked' | 'entered';
  readonly pids: Readonly<Record<string, number>>;
  readonly state: ProcessState;
  readonly exit: { readonly code: number; readonly signal: string | null } | null;
  /** `node:process`, or `host`. */
  readonly parent: string;
  /** `node:process`, `host`, `kernel` (its parent was a dying PID 1), or null. */
  readonly reapedBy: string | null;
  /** Its process group and session as its own namespace sees them (0: led from outside). */
  readonly pgid: number;
  readonly sid: number;
  readonly command: readonly string[];
}

export interface SimulatedNamespace {
  readonly node: string;
  readonly init: ProcessState | 'none';
  /** False once its PID 1 has exited: a fork into it fails with ENOMEM. */
  readonly accepting: boolean;
  /** What `ls /proc` lists there: its own /proc, or (mountProc false) an ancestor's, or the host's. */
  readonly proc: { readonly of: string; readonly pids: readonly number[] | null };
}

/** A played simulation. */
export interface Simulation {
  readonly hostLevels: number;
  readonly maxDepth: number;
  /** Every event, start-up first. */
  readonly events: readonly SimulatedEvent[];
  /** The start-up's events: every start, and the end of a namespace with nothing to run. */
  readonly startup: readonly SimulatedEvent[];
  /** Start-up processes whose PIDs were one possibility among several (see `Steps.pids`). */
  readonly assumedPids: readonly ProcessPath[];
  readonly steps: readonly StepOutcome[];
  /** When the tree ended: the codes it can end with (several when failing exits race). */
  readonly endCodes?: readonly number[];
  readonly tree: {
    readonly ended: boolean;
    /** Simulated milliseconds (stop deadlines move it). */
    readonly clockMs: number;
    readonly namespaces: readonly SimulatedNamespace[];
    readonly processes: readonly SimulatedProcess[];
  };
}
