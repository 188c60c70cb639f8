// Zombies pile up under a PID 1 that does not reap; pidns-tree's own init reaps them all.
import test from 'ava';
import { withTree } from 'pidns-tree/ava';

const leaveOrphans = ['sh', '-c', 'true & true & true & exit 0'];

test(
  'under `sleep` as PID 1, three orphans stay zombies',
  withTree(
    {
      name: 'root',
      children: [
        {
          name: 'noreap',
          init: { command: ['sleep', 'infinity'] },
          processes: [{ name: 'parent', command: leaveOrphans }],
        },
      ],
    },
    async (t, tree) => {
      const zombies = await tree.waitFor((e) => e.event === 'zombies' && e.count === 3, { timeoutMs: 10_000 });
      t.is(zombies.node, 'root/noreap');
      t.is(zombies.pids.length, 3);
    },
  ),
);

test(
  "under pidns-tree's init, they are reaped",
  withTree(
    {
      name: 'root',
      processes: [{ name: 'parent', command: leaveOrphans }],
    },
    async (t, tree) => {
      const end = await tree.wait();
      t.is(end.code, 0);
      const reaped = [];
      for await (const e of tree.events()) if (e.event === 'reap') reaped.push(e);
      t.is(reaped.length, 3);
    },
  ),
);
