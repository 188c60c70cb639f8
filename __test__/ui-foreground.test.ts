/**
 * The source behind `spawn --ui`, on a real tree: its picture is the spawn's own state (each
 * event applied once, by the spawn), and a page's kill goes through RunningTree.signalProcess,
 * so that a refusal carries the code the detached path's does (not the server's INTERNAL).
 */
import test from 'ava';

import { PidnsTreeError } from '../src/errors.js';
import type { TreeEvent } from '../src/events.js';
import { LiveState } from '../src/render/diagram/live-state.js';
import { RunningTree } from '../src/running-tree.js';
import { ForegroundSource } from '../src/ui/foreground-source.js';
import type { Update } from '../src/ui/source.js';
import { plan } from './helpers/specs.js';

test("spawn --ui's source: the spawn's picture, each event once; kill through RunningTree, with its codes", async (t) => {
  const tree = RunningTree.start(
    plan({
      name: 'root',
      processes: [
        { name: 'web', command: ['sleep', 'infinity'] },
        // Leaves an orphan for root's init to reap.
        { name: 'parent', command: ['sh', '-c', 'sleep 0.01 & exit 0'] },
      ],
    }),
  );
  // What spawn's Observer does: apply each event to its state, then hand it to the source.
  const state = new LiveState();
  const source = new ForegroundSource(tree, 'root', state);
  const sent: Update[] = [];
  source.subscribe((u) => sent.push(u));
  let reaps = 0;
  const waiting: { ready: () => boolean; resolve: () => void }[] = [];
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve) => (ready() ? resolve() : waiting.push({ ready, resolve })));
  const running = (async () => {
    for await (const batch of tree.eventBatches()) {
      for (const e of batch) {
        state.apply(e);
        if (e.event === 'reap') reaps += 1;
      }
      source.push(batch);
      for (const w of waiting) if (w.ready()) w.resolve();
    }
  })();
  try {
    await until(() => reaps === 1 && state.process('root:web')?.state === 'running');
    t.is(source.picture().snapshot.reaped?.['root'], 1, 'the reap counted once');
    const events = sent.flatMap((u) => (u.kind === 'events' ? u.events : []));
    t.is(events.filter((e: TreeEvent) => e.event === 'reap').length, 1);

    const refused = await t.throwsAsync(source.kill('root', 'web', 4294967305), { instanceOf: PidnsTreeError });
    t.is(refused?.code, 'BAD_SIGNAL');
    t.false(await source.kill('root', 'nobody', 15));
    t.true(await source.kill('root', 'web', 15));
    await until(() => state.process('root:web')?.exit?.signal === 'SIGTERM');
    t.is(source.picture().snapshot.processes.find((p) => p.start.process === 'web')?.exit?.code, 143);
  } finally {
    tree.signal('SIGKILL');
    await running;
  }
});
