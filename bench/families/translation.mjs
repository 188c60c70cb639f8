// Translation in a live tree of 1,032 processes over 32 levels, owned by a detached supervisor:
// `ps` (the supervisor's answer, asked through src/live/client.ts as the CLI asks it; and the
// cold CLI), and `inspect` of each process from nothing but its host PID.
import { readdirSync } from 'node:fs';

import { BIG_TREE_PROCESSES, bigTreeSpec } from '../lib/big-tree.mjs';

function timeSync(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

export default {
  name: 'translation',
  title: 'Translation in a live tree',
  async prepare(ctx) {
    const { findTree, request, ps } = ctx.pkg;
    const { inspectPid } = ctx.pkg.native();
    const file = ctx.writeSpec('big', bigTreeSpec());
    const count = BIG_TREE_PROCESSES;
    // The tree lives only while this family is measured (enter/leave, each round): its 1,032
    // processes and 32 /proc mounts would otherwise sit under every other family's runs.
    let id;
    let tree;
    let pids = [];
    let rounds = 0;
    const stopTree = () => {
      if (id === undefined) return;
      try {
        tree ??= findTree(id);
        request(tree, { t: 'stop', graceMs: 2000 });
        request(tree, { t: 'wait' });
      } catch (error) {
        // Said: a tree left running would sit under the families measured after this one.
        ctx.log(`translation: stopping tree ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
      id = undefined;
      tree = undefined;
    };
    // A detached supervisor outlives us: whatever happens from here on, the tree goes.
    ctx.onCleanup(stopTree);
    const enter = async () => {
      id = `bench-${process.pid}-big-${rounds++}`;
      await ctx.command([process.execPath, ctx.cli, 'spawn', '--detach', '--name', id, file]);
      tree = findTree(id);
      pids = ps(tree).processes.map((p) => p.start.pids.host);
      if (pids.length !== count) throw new Error(`ps lists ${pids.length} processes, not the ${count} of the tree`);
    };
    const leave = async () => stopTree();
    return {
      enter,
      leave,
      groups: [
        {
          id: 'big',
          title: `translation: a live tree of ${count} processes over 32 levels`,
          baseline: 'ps',
          contenders: [
            { id: 'ps', label: 'ps (supervisor work, in-process client)', run: async () => timeSync(() => ps(tree)) },
            {
              id: 'ps-cli',
              label: 'pidns-tree ps --json (cold CLI)',
              run: () => ctx.command([process.execPath, ctx.cli, 'ps', '--json', id]),
            },
            {
              id: 'inspect-tree',
              label: `inspect of all ${count} processes of the tree (in-process)`,
              run: async () => timeSync(() => pids.forEach((pid) => inspectPid(pid))),
            },
            {
              // Every process on the host, the tree's included; one that ends meanwhile is skipped.
              id: 'inspect-host',
              label: 'inspect of every process on the host (in-process)',
              run: async () => {
                const all = readdirSync('/proc')
                  .filter((name) => /^\d+$/.test(name))
                  .map(Number);
                return timeSync(() =>
                  all.forEach((pid) => {
                    try {
                      inspectPid(pid);
                    } catch {}
                  }),
                );
              },
            },
          ],
          targets: [{ contender: 'ps', atMost: 50 }],
        },
      ],
    };
  },
};
