// Scale (issue 12): 256, 1,000 and 4,000 sibling namespaces, and 10,000 processes over 100
// namespaces, each process trivial (`true`), against the floor doing the same work with raw
// syscalls (`floor tree N P`: a root namespace whose PID 1 creates N child namespaces, each with
// its /proc, each running P processes, everything waited for). The cost per namespace (per
// process) must stay flat: the kernel's does.
import { expectEqual } from '../lib/expect.mjs';
import { PEAK_RSS, TIME } from '../lib/metrics.mjs';

/** `root` with `n` child namespaces of `per` processes each. */
function treeSpec(n, per) {
  return {
    name: 'root',
    children: Array.from({ length: n }, (_, i) => ({
      name: `c${i}`,
      processes: Array.from({ length: per }, (_, j) => ({ name: `p${j}`, command: ['true'] })),
    })),
  };
}

function group(ctx, floor, { id, title, n, per, unit }) {
  const spec = treeSpec(n, per);
  const file = ctx.writeSpec(id, spec);
  const inits = 1 + n;
  const processes = n * per;
  return {
    id,
    title,
    baseline: 'floor',
    per: { count: unit === 'namespace' ? n : processes, unit },
    metrics: [TIME, PEAK_RSS],
    contenders: [
      {
        id: 'floor',
        label: `floor (raw syscalls, C: floor tree ${n} ${per})`,
        run: () => ctx.command([floor, 'tree', String(n), String(per)]),
      },
      {
        id: 'api',
        label: 'pidns-tree API (Node running; spawnTree to end, every event read)',
        run: async () => {
          const r = await ctx.api(file);
          expectEqual('API: end code', r.code, 0);
          expectEqual('API: starts', r.starts, inits + processes);
          expectEqual('API: exits', r.exits, inits + processes);
          expectEqual('API: failed exits', r.failed, 0);
          return { ms: r.ms, peakKiB: r.peakKiB };
        },
      },
      {
        id: 'cli',
        label: 'pidns-tree spawn --json (cold CLI)',
        run: async () => {
          const r = await ctx.pipeline(
            [process.execPath, ctx.cli, 'spawn', '--json', file],
            ['0:{"event":"start"', '0:{"event":"exit"', '0:{"event":"end","code":0}'],
            { peak: true },
          );
          expectEqual('spawn --json: exit code', r.code, 0);
          expectEqual('spawn --json: starts', r.matches[0].lines, inits + processes);
          expectEqual('spawn --json: exits', r.matches[1].lines, inits + processes);
          expectEqual('spawn --json: end with code 0', r.matches[2].lines, 1);
          return { ms: r.ms, peakKiB: r.peakKiB };
        },
      },
      {
        id: 'supervisor',
        label: 'supervisor (detached, no Node): start to end',
        run: async () => {
          const r = await ctx.supervisor(spec);
          expectEqual('supervisor: tree exit code', r.code, 0);
          return { ms: r.ms, peakKiB: r.peakKiB };
        },
      },
    ],
    targets: [{ contender: 'api', ratio: 1.3 }],
  };
}

export default {
  name: 'scale',
  title: 'Scale: siblings 256 / 1,000 / 4,000, and 10,000 processes over 100 namespaces',
  async prepare(ctx) {
    const floor = await ctx.floor();
    const sizes = [
      { id: 'siblings-256', title: '256 sibling namespaces, one process each', n: 256, per: 1, unit: 'namespace' },
      { id: 'siblings-1000', title: '1,000 sibling namespaces, one process each', n: 1000, per: 1, unit: 'namespace' },
      { id: 'siblings-4000', title: '4,000 sibling namespaces, one process each', n: 4000, per: 1, unit: 'namespace' },
      { id: 'procs-10000', title: '10,000 processes over 100 namespaces', n: 100, per: 100, unit: 'process' },
    ];
    const flat = (contender) => ({
      label: `${contender === 'api' ? 'API' : 'floor'}: ms per namespace at 4,000 siblings / at 256`,
      of: { group: 'siblings-4000', contender, metric: 'msPer' },
      over: { group: 'siblings-256', contender, metric: 'msPer' },
      atMost: 1.2,
    });
    return {
      groups: sizes.map((s) => group(ctx, floor, s)),
      // The floor's own ratio says how much of any growth is the kernel's.
      checks: [flat('api'), { ...flat('floor'), atMost: undefined }],
    };
  },
};
