/**
 * The live protocol's version. A detached tree keeps the supervisor of the build that started
 * it, and a later CLI may speak to it differently (crates/core/src/wire/live.rs says what the
 * version covers). Its supervisor writes the version it speaks in info.json; a client compares
 * it with its own before it sends anything, and sends nothing to a tree of another version (or
 * of none: a tree started before versions existed). `stop` still stops such a tree, by signals.
 */
import { PidnsTreeError } from '../errors.js';
import { live } from './native-live.js';
import type { LiveTree } from './state-dir.js';

let ours: number | undefined;

/** The version this build speaks (the binding's, which is the supervisor's of this build). */
export function ourProtocol(): number {
  ours ??= live.protocol();
  return ours;
}

/** True when the tree's supervisor speaks our version of the protocol. */
export function speaksOurs(tree: LiveTree): boolean {
  return tree.info.protocol === ourProtocol();
}

/** How a tree's version is said: `protocol 3`, or `no protocol version` (older than versions). */
export function describeProtocol(tree: LiveTree): string {
  return typeof tree.info.protocol === 'number' ? `protocol ${tree.info.protocol}` : 'no protocol version';
}

/** What is wrong when the tree does not speak our version (which versions, what to do); undefined when it does. */
export function protocolMismatch(tree: LiveTree): string | undefined {
  if (speaksOurs(tree)) return undefined;
  const id = tree.info.id;
  const theirs =
    typeof tree.info.protocol === 'number'
      ? `was started by a pidns-tree that speaks live protocol ${tree.info.protocol}`
      : 'was started by a pidns-tree from before live protocol versions';
  return (
    `tree ${id} ${theirs}; this pidns-tree speaks live protocol ${ourProtocol()}, so nothing was sent to it. ` +
    `Use the pidns-tree that started it (ps, exec, kill, ui), or stop the tree with \`pidns-tree stop ${id}\`, ` +
    `which stops a tree of any version by signals (its processes get SIGTERM, then SIGKILL after --grace-ms).`
  );
}

/** Throws PROTOCOL_MISMATCH (protocolMismatch's words) unless the tree speaks our version. */
export function checkProtocol(tree: LiveTree): void {
  const why = protocolMismatch(tree);
  if (why !== undefined) throw new PidnsTreeError('PROTOCOL_MISMATCH', why);
}
