/**
 * Where detached trees keep their state: a directory per tree (mode 0700) with info.json and
 * the control socket. Root's trees live in /run/pidns-tree, others' in $XDG_RUNTIME_DIR.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { PidnsTreeError } from '../errors.js';

/** info.json, written by the supervisor once its tree is up. */
export interface LiveInfo {
  readonly id: string;
  readonly name: string;
  /** The supervisor's PID and start time (clock ticks since boot): together, its identity. */
  readonly pid: number;
  readonly startTime: number;
  /** The root init's PID on the host. */
  readonly rootPid: number;
  readonly root: string;
  readonly namespaces: number;
  readonly mode: 'privileged' | 'rootless';
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export interface LiveTree {
  readonly info: LiveInfo;
  readonly dir: string;
  readonly socket: string;
}

export function stateRoot(): string {
  if (process.getuid?.() === 0) return '/run/pidns-tree';
  const runtime = process.env['XDG_RUNTIME_DIR'];
  return runtime !== undefined && runtime !== ''
    ? path.join(runtime, 'pidns-tree')
    : `/tmp/pidns-tree-${process.getuid?.() ?? 'user'}`;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The id for a new tree: its --name (checked), or 8 random hex digits. */
export function newId(name: string | undefined): string {
  if (name === undefined) return randomBytes(4).toString('hex');
  if (!ID.test(name)) {
    throw new PidnsTreeError(
      'BAD_TARGET',
      `--name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-' (at most 64), starting with a letter or digit`,
    );
  }
  return name;
}

/** State and start time of a process (/proc/PID/stat fields 3 and 22), if it exists. */
function stat(pid: number): { state: string; startTime: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

/**
 * Whether the supervisor that wrote `info` is still that same process, and not a zombie: a
 * killed supervisor stays one until whoever adopted it reaps it.
 */
function alive(info: LiveInfo): boolean {
  const s = stat(info.pid);
  return s !== undefined && s.startTime === info.startTime && s.state !== 'Z';
}

/** Every tree with state here. Stale state (its supervisor is gone) is removed and reported. */
export function listTrees(): { trees: LiveTree[]; cleaned: string[] } {
  const root = stateRoot();
  const trees: LiveTree[] = [];
  const cleaned: string[] = [];
  if (!existsSync(root)) return { trees, cleaned };
  for (const id of readdirSync(root)) {
    const dir = path.join(root, id);
    let info: LiveInfo;
    try {
      info = JSON.parse(readFileSync(path.join(dir, 'info.json'), 'utf8')) as LiveInfo;
    } catch {
      continue; // still starting (no info yet), or not ours
    }
    if (alive(info)) trees.push({ info, dir, socket: path.join(dir, 'control.sock') });
    else {
      rmSync(dir, { recursive: true, force: true });
      cleaned.push(id);
    }
  }
  return { trees, cleaned };
}

export function findTree(id: string): LiveTree {
  const found = listTrees().trees.find((t) => t.info.id === id);
  if (found === undefined) {
    throw new PidnsTreeError('UNKNOWN_TREE', `no running tree ${JSON.stringify(id)} here (see pidns-tree ls)`);
  }
  return found;
}
