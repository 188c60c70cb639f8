/**
 * `spawnTree(spec, { onEvent })`: every event, live, from the first, before spawnTree resolves;
 * the order events() replays; a callback that throws ends the tree and says why; and nothing is
 * held for a callback that already saw the output. Sizes, counts and order; no timing.
 */
import test from 'ava';

import { EventLog } from '../src/api/event-log.js';
import { PidnsTreeError, spawnTree, type TreeEvent } from '../src/index.js';
import { RunningTree } from '../src/running-tree.js';
import { checkSpecObject, type TreeSpec } from '../src/spec.js';
import { deathWatch, gate, stillRunning } from './helpers/host.js';
import { isOutput, ofKind } from './helpers/events.js';

/** A chain of `depth` nested namespaces, the deepest with one process: its starts come late. */
function chain(depth: number, last: { name: string; command: string[] }): TreeSpec {
  let node: TreeSpec = { name: `n${depth}`, processes: [last] };
  for (let i = depth - 1; i >= 1; i--) node = { name: `n${i}`, children: [node] };
  return node;
}

test('onEvent gets every event from the first, an early line before spawnTree resolves, in the order events() replays', async (t) => {
  // The root's process prints at once; the root's init relays it while 12 nested namespaces
  // are still being made, one inside the other, before the last process can start.
  const spec: TreeSpec = {
    name: 'root',
    processes: [{ name: 'early', command: ['sh', '-c', 'echo early; seq 2000'] }],
    children: [chain(12, { name: 'last', command: ['echo', 'late'] })],
  };
  const seen: { event: TreeEvent; resolved: boolean }[] = [];
  let resolved = false;
  await using tree = await spawnTree(spec, {
    keepOutput: 'all',
    onEvent: (event) => seen.push({ event, resolved }),
  });
  resolved = true;
  const replayed: TreeEvent[] = [];
  for await (const e of tree.events()) replayed.push(e);
  t.is((await tree.wait()).code, 0);

  const events = seen.map((s) => s.event);
  t.like(events[0], { event: 'start', node: 'root', process: 'init' });
  t.like(events.at(-1), { event: 'end', code: 0 });
  t.deepEqual(events, replayed, 'the same events in the same order as events()');
  t.is(JSON.stringify(events), JSON.stringify(replayed), 'the same fields in the same order');
  t.is(events.filter(ofKind('output')).length, 2002);
  // Up to the last start, which spawnTree waits for, every event reached onEvent before
  // spawnTree resolved: the early line too.
  const lastStart = events.findLastIndex((e) => e.event === 'start');
  const early = events.findIndex(isOutput('root', 'early', 'early'));
  t.true(
    early !== -1 && early < lastStart,
    `the early line (event ${early}) came before the last start (${lastStart})`,
  );
  t.deepEqual(
    seen.slice(0, lastStart + 1).filter((s) => s.resolved),
    [],
    'nothing up to the last start came after spawnTree resolved',
  );
});

test('an onEvent that throws while the tree starts: spawnTree rejects with ON_EVENT_FAILED, its cause, and nothing is left', async (t) => {
  const boom = new Error('callback bug');
  const spec: TreeSpec = {
    name: 'root',
    processes: [{ name: 'a', command: ['sleep', 'infinity'] }],
    children: [{ name: 'c', processes: [{ name: 'b', command: ['sleep', 'infinity'] }] }],
  };
  const seen: TreeEvent[] = [];
  const error = await t.throwsAsync(
    spawnTree(spec, {
      onEvent: (event) => {
        seen.push(event);
        if (event.event === 'start' && event.node === 'root/c') throw boom;
      },
    }),
    { instanceOf: PidnsTreeError },
  );
  t.is(error?.code, 'ON_EVENT_FAILED');
  t.is(error?.cause, boom);
  t.regex(
    error?.message ?? '',
    /^onEvent threw on the start event of root\/c:init: callback bug; the tree was killed$/,
  );
  t.like(seen.at(-1), { event: 'start', node: 'root/c', process: 'init' }, 'it is called no more once it threw');
  const starts = seen.filter(ofKind('start'));
  t.true(starts.length >= 2);
  // spawnTree has waited for the tree's end: every process it started is gone.
  for (const s of starts) {
    const host = s.pids['host'] ?? -1;
    t.false(stillRunning(host, Object.values(s.pids)), `${s.node}:${s.process}`);
  }
});

test('an onEvent that throws later kills the tree: wait() rejects with its cause, every process dies, disposal does not throw it twice', async (t) => {
  const { fifo, gone } = deathWatch();
  const go = gate();
  t.teardown(() => go.close());
  const holder = (name: string) => ({ name, command: ['sh', '-c', `exec 3>${fifo}; echo held; exec sleep infinity`] });
  const boom = new Error('bad line');
  let calls = 0;
  let failure: unknown;
  {
    await using tree = await spawnTree(
      {
        name: 'root',
        processes: [
          holder('p'),
          { name: 'trigger', command: ['sh', '-c', `read _ < ${go.path}; echo boom; seq 1000`] },
        ],
        children: [{ name: 'c', processes: [holder('q')] }],
      },
      {
        onEvent: (event) => {
          calls += 1;
          if (event.event === 'output' && event.line === 'boom') throw boom;
        },
      },
    );
    await tree.waitFor(isOutput('root', 'p', 'held'));
    await tree.waitFor(isOutput('root/c', 'q', 'held'));
    const before = calls;
    go.open(1);
    failure = await t.throwsAsync(tree.wait(), { instanceOf: PidnsTreeError, code: 'ON_EVENT_FAILED' });
    t.is((failure as Error).cause, boom);
    await t.throwsAsync(tree.stop(), { is: failure as Error }, 'stop() says so too');
    t.true(calls > before);
    const events: TreeEvent[] = [];
    for await (const e of tree.events()) events.push(e);
    const boomAt = events.findIndex(isOutput('root', 'trigger', 'boom'));
    t.is(calls, boomAt + 1, 'nothing was given to it after the event it threw on');
    t.like(events.at(-1), { event: 'end' });
  }
  // Every process that held the FIFO has died.
  await gone;
});

test('an onEvent failure nobody was told of is thrown by disposal', async (t) => {
  const boom = new Error('unseen');
  const tree = await spawnTree(
    { name: 'root', processes: [{ name: 'p', command: ['sh', '-c', 'echo one; exec sleep infinity'] }] },
    {
      onEvent: (event) => {
        if (event.event === 'output') throw boom;
      },
    },
  );
  // A wait that finds its event (the end) does not report the failure.
  await tree.waitFor((e) => e.event === 'end');
  const error = await t.throwsAsync(tree[Symbol.asyncDispose](), { instanceOf: PidnsTreeError });
  t.is(error?.cause, boom);
  await t.notThrowsAsync(tree[Symbol.asyncDispose](), 'once told, disposal is quiet');
});

test('an onEvent that throws on the end: wait() rejects with it, and says the tree had ended', async (t) => {
  const boom = new Error('at the end');
  const tree = await spawnTree(
    { name: 'root', processes: [{ name: 'p', command: ['true'] }] },
    {
      onEvent: (event) => {
        if (event.event === 'end') throw boom;
      },
    },
  );
  const error = await t.throwsAsync(tree.wait(), { instanceOf: PidnsTreeError });
  t.is(error?.cause, boom);
  t.is(error?.message, 'onEvent threw on the end event: at the end; the tree had ended');
  await t.throwsAsync(tree.stop(), { is: error });
});

test('with onEvent, output is not held while the tree starts: a flood keeps only keepOutput lines', async (t) => {
  // The log as spawnTree makes it, never handed out: a start-up that lasts the whole flood.
  // Without onEvent, all of it is held for a reader that might start when spawnTree resolves.
  const spec: TreeSpec = { name: 'root', processes: [{ name: 'flood', command: ['seq', '500000'] }] };
  const held = async (onEvent?: (event: TreeEvent) => void): Promise<number> => {
    const running = RunningTree.start(checkSpecObject(spec), 'auto', { format: 'lines' });
    const log = new EventLog(running, { keepOutput: 100, onEvent });
    await log.find((e) => (e.event === 'end' ? e : undefined), 'its end', undefined, true);
    return log.heldBytes;
  };
  let lines = 0;
  let inOrder = true;
  const withCallback = await held((e) => {
    if (e.event === 'output' && Number(e.line) !== ++lines) inOrder = false;
  });
  t.is(lines, 500_000);
  t.true(inOrder);
  const without = await held();
  // seq 500000 is 3.4 MB of text; held, each line costs 8 bytes more (a header in its frame
  // and an offset) and 1 less (its newline).
  t.true(without > 6_500_000, `without onEvent, the whole flood is held: ${without} bytes`);
  // The last 100 lines, in the last frame or two (a frame is at most ~256 KiB of lines).
  t.true(withCallback < 1024 * 1024, `with onEvent, ${withCallback} bytes are held`);
});
