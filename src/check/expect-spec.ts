/**
 * `expect` in tree.json: what should happen when the tree runs. `pidns-tree test` and
 * `testTree` check it; `spawn` and `spawnTree` run the tree without checking.
 */

/** What a stream of a process should hold (every field given must hold). */
export interface OutputExpect {
  /** Text that must appear in the stream (it may span lines); a list: each must appear. */
  contains?: string | string[];
  /** A JavaScript regular expression the stream must match, with the `m` flag; a list: each. */
  matches?: string | string[];
  /** The stream's exact lines, without their newlines; `[]`: nothing written at all. */
  lines?: string[];
}

/** What should happen to a process, or to your own PID 1 (`init.command`). */
export interface ProcessExpect {
  /** The code it exits with (128+N when killed by signal N), or the codes that are fine. */
  exitCode?: number | number[];
  /** The signal that kills it, by name (`"SIGTERM"`). */
  signal?: string;
  stdout?: OutputExpect;
  stderr?: OutputExpect;
  /** Seconds from its start to its exit; when they pass it is stopped and this fails. */
  within?: number;
}

/** What should happen in a namespace. */
export interface NamespaceExpect {
  /**
   * Zombies under the namespace's PID 1 (your command): at most `max` at any time, exactly
   * `atEnd` when the namespace ends.
   */
  zombies?: { max?: number; atEnd?: number };
  /** How many orphans pidns-tree's init reaps there: exactly, or between `min` and `max`. */
  reaped?: number | { min?: number; max?: number };
  /** How many processes its /proc lists once the whole tree is up. */
  processesSeen?: number;
}

/** The top-level `expect`: the root namespace's, and the whole tree's. */
export interface TreeExpect extends NamespaceExpect {
  /** The tree's exit status (as `pidns-tree spawn` exits), or the statuses that are fine. */
  code?: number | number[];
  /** Seconds from the start to the tree's end; when they pass it is stopped and this fails. */
  within?: number;
}
