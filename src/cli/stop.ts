/** `pidns-tree stop <id>`: SIGTERM (every namespace stops), SIGKILL after the grace; waits for the end. */
import { request } from '../live/client.js';
import { live } from '../live/native-live.js';
import { describeProtocol, ourProtocol, speaksOurs } from '../live/protocol.js';
import { findTree, type LiveTree } from '../live/state-dir.js';
import { EXIT } from './exit-codes.js';

/**
 * A tree whose supervisor speaks another protocol version gets no request: it is stopped by
 * signals to the processes proved to be its own (crates/core/src/live/signal_stop.rs). Its
 * exit code is its supervisor's to know, not ours: none is said.
 */
function stopBySignal(tree: LiveTree, options: { graceMs: number; json: boolean }): number {
  const bySignal = live.stopBySignal(tree.info.id, options.graceMs);
  const how = bySignal === 'SIGKILL' ? `SIGKILL after ${options.graceMs} ms` : bySignal;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ id: tree.info.id, stopped: true, code: null, bySignal })}\n`);
  } else {
    process.stdout.write(
      `pidns-tree: tree ${tree.info.id} stopped by signals (${how}): it speaks ${describeProtocol(tree)}, ` +
        `this pidns-tree speaks protocol ${ourProtocol()}, so its exit code is not known\n`,
    );
  }
  return EXIT.ok;
}

export function stopCommand(options: { id: string; graceMs: number; json: boolean }): number {
  const tree = findTree(options.id);
  if (!speaksOurs(tree)) return stopBySignal(tree, options);
  request(tree, { t: 'stop', graceMs: options.graceMs });
  let code = 0;
  try {
    code = Number(request(tree, { t: 'wait' })['code'] ?? 0);
  } catch {
    // it ended before we asked
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ id: tree.info.id, stopped: true, code })}\n`);
  else process.stdout.write(`pidns-tree: tree ${tree.info.id} stopped (exit ${code})\n`);
  return EXIT.ok;
}
