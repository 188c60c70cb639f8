// PID 1's reaping: a burst of 10,000 zombies handed over at once, and a storm of 5,000 orphans
// one by one, under pidns-init, tini, dumb-init, catatonit and a bare wait() loop (the floor).
import { TIME } from '../lib/metrics.mjs';

const asPid1 = (...argv) => ['unshare', '--fork', '--pid', '--mount-proc', ...argv];

export default {
  name: 'reaping',
  title: 'Reaping as PID 1',
  async prepare(ctx) {
    const [floor, { catatonit }] = await Promise.all([ctx.floor(), ctx.peers()]);
    const under = (workload) => ({
      floor: asPid1(floor, 'reaper', '--', ...workload),
      init: asPid1(ctx.init, '--', ...workload),
      tini: asPid1('tini', '--', ...workload),
      'dumb-init': asPid1('dumb-init', ...workload),
      catatonit: asPid1(catatonit, '--', ...workload),
    });
    const labels = {
      floor: 'floor: bare wait() loop',
      init: 'pidns-init (tini mode)',
      tini: 'tini',
      'dumb-init': 'dumb-init',
      catatonit: 'catatonit',
    };
    const burst = under([floor, 'burst', '10000']);
    const storm = under([floor, 'storm', '5000']);
    // `floor storm` prints the CPU time PID 1 spent per orphan (ns, from its schedstat).
    const timeStorm = async (argv) => {
      const { ms, stdout } = await ctx.command(argv, { stdout: true });
      const ns = Number(stdout.trim().split('\n').at(-1));
      if (!Number.isFinite(ns)) throw new Error(`${argv.join(' ')} printed no CPU time`);
      return { ms, cpuUs: ns / 1000 };
    };
    return {
      groups: [
        {
          id: 'burst',
          title: 'reaping a burst of 10,000 zombies handed to PID 1 at once',
          baseline: 'floor',
          contenders: Object.entries(burst).map(([id, argv]) => ({
            id,
            label: labels[id],
            run: () => ctx.command(argv),
          })),
          targets: [{ contender: 'init', ratio: 1.1 }],
        },
        {
          id: 'storm',
          title: 'a storm of 5,000 orphans, one by one (wall time until all are reaped)',
          baseline: 'floor',
          metrics: [TIME, { key: 'cpuUs', label: 'init CPU per orphan', unit: 'µs', baseline: 'tini' }],
          contenders: Object.entries(storm).map(([id, argv]) => ({
            id,
            label: labels[id],
            run: () => timeStorm(argv),
          })),
          targets: [{ contender: 'init', metric: 'cpuUs', ratio: 1 }],
        },
      ],
    };
  },
};
