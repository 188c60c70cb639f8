/**
 * `pidns-tree ui` ends soon after Ctrl-C, also while it follows a tree. Its watcher waits in the
 * supervisor's `events` long poll, in Node's thread pool, which a process that exits waits for:
 * with the protocol's 20 s poll, Ctrl-C took 17-20 s. Not a speed measurement: a bound a person
 * at a terminal would call broken (10 s), far above the half second it takes.
 */
import test from 'ava';

import { detachTree } from './helpers/live.js';
import { sleeper } from './helpers/specs.js';
import { startUi } from './helpers/ui.js';

test('pidns-tree ui ends soon after SIGINT while it follows a tree', async (t) => {
  const id = `ui-exit-${process.pid}`;
  await detachTree(id, { name: 'root', processes: [sleeper('idle')] }, { stopAfter: t });
  const ui = await startUi([id]);
  t.teardown(() => ui.child.kill('SIGKILL'));
  // It follows the tree from its start (ui ID): by the time it prints its address, its
  // watcher waits for news from an idle tree.
  const ended = new Promise<number | null>((resolve) => ui.child.once('exit', (code) => resolve(code)));
  const sent = Date.now();
  ui.child.kill('SIGINT');
  const bound = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000).unref());
  const code = await Promise.race([ended, bound]);
  t.is(code, 0, `exit code 0 within 10 s of SIGINT (after ${Date.now() - sent} ms)`);
});
