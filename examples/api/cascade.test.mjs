// Kill the init in the middle of a tree: the kernel kills its namespace and all below, nothing else.
import test from 'ava';
import { withTree } from 'pidns-tree/ava';

const sleeper = (name) => ({ name, command: ['sleep', 'infinity'] });
const spec = {
  name: 'root',
  processes: [sleeper('top')],
  children: [
    { name: 'mid', processes: [sleeper('m')], children: [{ name: 'low', processes: [sleeper('l')] }] },
    { name: 'side', processes: [sleeper('s')] },
  ],
};

test(
  "SIGKILL to root/mid's init takes root/mid and root/mid/low down",
  withTree(spec, async (t, tree) => {
    t.true(tree.kill('root/mid', 'SIGKILL'));
    const gone = [];
    for await (const e of tree.events()) {
      if (e.event === 'exit') gone.push(`${e.node}:${e.process} ${e.signal}`);
      if (gone.length === 4) break;
    }
    t.deepEqual(gone.sort(), [
      'root/mid/low:init SIGKILL',
      'root/mid/low:l SIGKILL',
      'root/mid:init SIGKILL',
      'root/mid:m SIGKILL',
    ]);
    const alive = tree
      .processes()
      .filter((p) => p.exit === undefined)
      .map((p) => `${p.node}:${p.name}`);
    t.deepEqual(alive.sort(), ['root/side:s', 'root:top']);
  }),
);
