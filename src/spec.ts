/**
 * tree.json: checking it into a plan. The checking is the Rust model's (the same code the
 * native init trusts), built to WebAssembly: the same path on every OS, no native part needed.
 */
import { promises as fsPromises, readFileSync } from 'node:fs';

import { PidnsTreeError } from './errors.js';
import { hostLevels } from './host-level.js';
import { modelSync } from './model/node-loader.js';
import type { Plan, PlanNode, PlanProcess, TreeSpec } from './spec-types.js';

export type { InitSpec, Plan, PlanInit, PlanNode, PlanProcess, ProcessSpec, TreeSpec } from './spec-types.js';

/**
 * Checks tree.json text against the levels this host has left; throws PidnsTreeError
 * INVALID_SPEC (or DEPTH_LIMIT) with every issue.
 */
export function checkSpecText(text: string, source: string): Plan {
  return modelSync().check(text, source, hostLevels());
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

/**
 * The spec with `reproduciblePids` set, for `--reproducible-pids`. Only when it is an object:
 * otherwise the model reports the document as it is.
 */
export function withReproduciblePids(text: string): string {
  try {
    const spec = JSON.parse(text) as unknown;
    if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
      return JSON.stringify({ ...spec, reproduciblePids: true });
    }
  } catch {
    // Not JSON: validation says where.
  }
  return text;
}
