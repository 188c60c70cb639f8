// A 32-deep chain and 256 siblings, each namespace running one trivial process: pidns-tree
// (API, native path, cold CLI) against the floor (bench/floor.c: the same shapes with raw
// syscalls) and the tools a user would pick instead (unshare, bwrap).
const trivial = [{ name: 'p', command: ['true'] }];

function chainSpec(depth) {
  let spec = { name: `n${depth}`, processes: trivial };
  for (let d = depth - 1; d >= 1; d -= 1) spec = { name: `n${d}`, processes: trivial, children: [spec] };
  return spec;
}

const nest = (n, wrap, inner) => Array.from({ length: n }).reduce((argv) => [...wrap, ...argv], inner);
const unshare = ['unshare', '--fork', '--pid', '--mount-proc'];
const bwrap = ['bwrap', '--unshare-pid', '--dev-bind', '/', '/', '--proc', '/proc'];

/** The API in this process (Node running): spawnTree to its end. */
async function timeApi(spawnTree, spec) {
  const t0 = process.hrtime.bigint();
  const tree = await spawnTree(spec);
  const end = await tree.wait();
  if (end.code !== 0) throw new Error(`tree exited ${end.code}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

export default {
  name: 'shapes',
  title: 'Shapes: a chain of 32 namespaces, 256 siblings',
  async prepare(ctx) {
    const [floor, runSpec] = await Promise.all([ctx.floor(), ctx.runSpec(), ctx.peers()]);
    const chain = chainSpec(32);
    const wide = {
      name: 'root',
      children: Array.from({ length: 256 }, (_, i) => ({ name: `c${i}`, processes: trivial })),
    };
    const chainFile = ctx.writeSpec('chain32', chain);
    const wideFile = ctx.writeSpec('wide256', wide);
    const { spawnTree } = ctx.pkg;
    const fan = (argv) => [floor, 'fan', '256', '--', ...argv, floor, 'gate'];
    const cold = (file) => ctx.command([process.execPath, ctx.cli, 'spawn', '--json', file]);
    return {
      groups: [
        {
          id: 'chain32',
          title: 'chain of 32 nested namespaces (spawn + teardown)',
          baseline: 'floor',
          contenders: [
            { id: 'floor', label: 'floor (raw syscalls, C)', run: () => ctx.command([floor, 'chain', '32']) },
            { id: 'api', label: 'pidns-tree API (Node running)', run: () => timeApi(spawnTree, chain) },
            {
              id: 'native',
              label: 'pidns-tree native path, no Node (run_spec)',
              run: () => ctx.command([runSpec, chainFile, ctx.init]),
            },
            {
              id: 'api-reproducible',
              label: 'pidns-tree API, "reproduciblePids": true',
              run: () => timeApi(spawnTree, { ...chain, reproduciblePids: true }),
            },
            { id: 'cli', label: 'pidns-tree CLI, cold (node bin/pidns-tree.js spawn)', run: () => cold(chainFile) },
            {
              id: 'unshare',
              label: 'unshare --fork --pid --mount-proc x32',
              run: () => ctx.command(nest(32, unshare, ['true'])),
            },
            { id: 'bwrap', label: 'bwrap --unshare-pid x32', run: () => ctx.command(nest(32, bwrap, ['true'])) },
          ],
          targets: [{ contender: 'api', ratio: 1.3 }],
        },
        {
          id: 'wide256',
          title: '256 sibling namespaces',
          note: "The floor here holds all 256 namespaces alive at once (`floor wide`), as the peers do (`floor fan`); the scale benchmarks compare with a floor of the tree's own shape.",
          baseline: 'floor',
          contenders: [
            { id: 'floor', label: 'floor (raw syscalls, C)', run: () => ctx.command([floor, 'wide', '256']) },
            { id: 'api', label: 'pidns-tree API (Node running)', run: () => timeApi(spawnTree, wide) },
            {
              id: 'api-reproducible',
              label: 'pidns-tree API, "reproduciblePids": true (siblings one after the other)',
              run: () => timeApi(spawnTree, { ...wide, reproduciblePids: true }),
            },
            { id: 'cli', label: 'pidns-tree CLI, cold (node bin/pidns-tree.js spawn)', run: () => cold(wideFile) },
            { id: 'unshare', label: 'unshare --fork --pid --mount-proc x256', run: () => ctx.command(fan(unshare)) },
            { id: 'bwrap', label: 'bwrap --unshare-pid x256', run: () => ctx.command(fan(bwrap)) },
          ],
          targets: [{ contender: 'api', ratio: 1.5 }],
        },
      ],
    };
  },
};
