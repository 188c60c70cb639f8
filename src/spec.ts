/**
 * tree.json: its types, and checking it into a plan. The checking is the Rust model's (the same
 * code the native init trusts), reached through the binding.
 */
import { promises as fsPromises, readFileSync } from 'node:fs';

import { PidnsTreeError } from './errors.js';
import { native } from './native.js';

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
    };

/** A namespace: its processes and the namespaces nested in it. */
export interface TreeSpec {
  $schema?: string;
  /** Unique among its siblings; the node's path is the names joined by `/` (`root/a/b`). */
  name: string;
  processes?: ProcessSpec[];
  children?: Omit<TreeSpec, '$schema'>[];
  /** Mount a fresh /proc for this namespace (default true). */
  mountProc?: boolean;
  init?: InitSpec;
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
  /** The plan as the native init reads it. */
  readonly json: string;
  /** Levels this tree may use here (32 minus the levels the host already uses). */
  readonly maxDepth: number;
  readonly hostLevels: number;
}

/** Checks tree.json text; throws PidnsTreeError INVALID_SPEC (or DEPTH_LIMIT) with every issue. */
export function checkSpecText(text: string, source: string): Plan {
  const result = native().checkSpec(text);
  if (result.plan === undefined) {
    const depth = result.errors.some((e) => e.message.includes('levels deep'));
    const count = result.errors.length;
    throw new PidnsTreeError(
      depth && count === 1 ? 'DEPTH_LIMIT' : 'INVALID_SPEC',
      `${source} is not a valid tree (${count} ${count === 1 ? 'problem' : 'problems'})`,
      result.errors,
    );
  }
  const parsed = JSON.parse(result.plan) as { nodes: PlanNode[] };
  return { nodes: parsed.nodes, json: result.plan, maxDepth: result.maxDepth, hostLevels: result.hostLevels };
}

/** Checks a spec given as an object (the API's form) with the same rules as a file. */
export function checkSpecObject(spec: TreeSpec): Plan {
  return checkSpecText(JSON.stringify(spec), 'the spec');
}

function unreadable(file: string, error: unknown): PidnsTreeError {
  const reason = error instanceof Error && 'code' in error && error.code === 'ENOENT' ? 'no such file' : String(error);
  return new PidnsTreeError('SPEC_UNREADABLE', `cannot read ${file}: ${reason}`);
}

/** Reads a spec file, or standard input for `-`. */
export async function readSpecSource(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await fsPromises.readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
}

/**
 * readSpecSource for the CLI, which reads a file synchronously: for a command that reads one
 * small file and ends, loading fs/promises and starting libuv's thread pool is ~3 ms of its
 * start. Standard input (`-`) as readSpecSource.
 */
export async function readSpecSourceForCli(file: string): Promise<string> {
  if (file === '-') return readSpecSource(file);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
}

/** Every process of the plan with its node, in plan order. */
export function planProcesses(plan: Plan): { node: PlanNode; process: PlanProcess }[] {
  return plan.nodes.flatMap((node) => node.processes.map((process) => ({ node, process })));
}

/** How many `start` events a whole tree sends: one for each namespace's init and each process. */
export function planStartCount(plan: Plan): number {
  return plan.nodes.reduce((n, node) => n + 1 + node.processes.length, 0);
}
