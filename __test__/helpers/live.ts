/** Detached trees as the tests use them: started with `spawn --detach`, read with `ps --json`. */
import type { ExecutionContext } from 'ava';

import { runCli } from './cli.js';

/** What `spawn --detach --json` prints. */
export interface Detached {
  readonly id: string;
  readonly supervisor: number;
  readonly dir: string;
}

/** A process as `ps --json` shows it. */
export interface PsProcess {
  readonly node: string;
  readonly process: string;
  /** Its PID in its own namespace. */
  readonly pid: number;
  /** Its PID at every level, `host` first. */
  readonly pids: Record<string, number>;
  readonly state: string;
  readonly exit: { readonly code: number; readonly signal: string | null } | null;
}

export interface PsJson {
  readonly processes: readonly PsProcess[];
}

/** `prefix-` and six hex digits: a tree name no other run (nor a tree a failed run left behind) has. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
}

/**
 * `spawn --detach --json --name NAME [...args] -` of `spec` (an object, or JSON text); throws
 * with what the CLI said when it fails. With `stopAfter`, the tree is stopped (`stop
 * --grace-ms`) when that test ends, however it ends.
 */
export async function detachTree(
  name: string,
  spec: object | string,
  options: {
    args?: readonly string[];
    stopAfter?: Pick<ExecutionContext, 'teardown'>;
    graceMs?: number;
  } = {},
): Promise<Detached> {
  const r = await runCli(['spawn', '--detach', '--json', '--name', name, ...(options.args ?? []), '-'], {
    input: typeof spec === 'string' ? spec : JSON.stringify(spec),
  });
  if (r.code !== 0) throw new Error(`spawn --detach ${name} exited ${r.code}: ${r.stdout}${r.stderr}`);
  const tree = JSON.parse(r.stdout) as Detached;
  options.stopAfter?.teardown(async () => {
    await runCli(['stop', tree.id, '--grace-ms', String(options.graceMs ?? 1000)]);
  });
  return tree;
}

/** `ps --json` of tree `id`; throws with what the CLI said when it fails. */
export async function psJson(id: string): Promise<PsJson> {
  const r = await runCli(['ps', '--json', id]);
  if (r.code !== 0) throw new Error(`ps --json ${id} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as PsJson;
}

/** The host PID of `node:process` (`init` for the namespace's PID 1) in tree `id`, from `ps --json`. */
export async function liveHostPid(id: string, node: string, process: string): Promise<number> {
  const found = (await psJson(id)).processes.find((p) => p.node === node && p.process === process);
  const pid = found?.pids['host'];
  if (pid === undefined) throw new Error(`no ${node}:${process} in ps --json ${id}`);
  return pid;
}
