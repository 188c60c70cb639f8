/**
 * The PID-namespace levels of a node: the keys of a process's `pids` (events.ts) below `host`.
 * A node's path is its ancestors' names and its own joined by `/`, and a name holds no `/` (the
 * schema), so the levels are the prefixes of the path that end at a `/` or at its end.
 */

/** The paths of a node and its ancestors, root first: `root`, `root/a`, `root/a/b`. */
export function levelsOf(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}
