/**
 * Where detached trees keep their state: a directory per tree with info.json, the control
 * socket and the supervisor's lock, in a state root that must be yours with mode 0700 (root:
 * /run/pidns-tree; others: $XDG_RUNTIME_DIR/pidns-tree, /run/user/<uid>/pidns-tree or
 * /tmp/pidns-tree-<uid>). Finding, checking and cleaning it is pidns-core's job (the
 * supervisor's own code, through the binding): see crates/core/src/live/state_root.rs.
 */
import { randomBytes } from 'node:crypto';

import { PidnsTreeError } from '../errors.js';
import { live } from './native-live.js';

/** info.json, written by the supervisor once its tree is up. */
export interface LiveInfo {
  /**
   * The version of the live protocol its supervisor speaks (crates/core/src/wire/live.rs);
   * absent for a tree started before versions existed.
   */
  readonly protocol?: number;
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
  /** Its directory, for display: every access goes through descriptors pidns-core checked. */
  readonly dir: string;
}

/** The path of the state root (not created, not checked). */
export function stateRoot(): string {
  return live.stateRoot();
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

/**
 * Every tree running here. The state of dead ones (their supervisor's lock is free) is removed,
 * only pidns-tree's own files by name, and reported; `problems` says what was left and why.
 */
export function listTrees(): {
  trees: LiveTree[];
  cleaned: string[];
  problems: { id: string; message: string }[];
} {
  const listing = live.list();
  const trees: LiveTree[] = [];
  for (const t of listing.trees) {
    try {
      trees.push({ info: JSON.parse(t.info) as LiveInfo, dir: t.dir });
    } catch {
      // an info.json that is not JSON is not a tree we can show
    }
  }
  return { trees, cleaned: listing.cleaned, problems: listing.problems };
}

export function findTree(id: string): LiveTree {
  const { trees, problems } = listTrees();
  const found = trees.find((t) => t.info.id === id);
  const problem = problems.find((p) => p.id === id);
  if (found === undefined && problem !== undefined) throw new PidnsTreeError('STATE_UNSAFE', problem.message);
  if (found === undefined) {
    throw new PidnsTreeError('UNKNOWN_TREE', `no running tree ${JSON.stringify(id)} here (see pidns-tree ls)`);
  }
  return found;
}
