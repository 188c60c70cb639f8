// Self-checking trees: 100 small tree.json files, each a namespace with one process and one
// expectation, checked by `pidns-tree test --jobs 2` (one Node process runs them all, two at a
// time) against what a user would do without it: a shell loop of `pidns-tree spawn` over the
// same files (a Node start per tree). Target: at least 5x faster than the loop.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const TREES = 100;
const JOBS = 2;

export default {
  name: 'selfcheck',
  title: 'Self-checking trees: pidns-tree test against a shell loop of spawn',
  async prepare(ctx) {
    const dir = path.join(ctx.tmp, 'selfcheck');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < TREES; i += 1) {
      const spec = { name: `t${i}`, processes: [{ name: 'p', command: ['true'], expect: { exitCode: 0 } }] };
      writeFileSync(path.join(dir, `t${String(i).padStart(3, '0')}.json`), JSON.stringify(spec));
    }
    // Outside GitHub Actions' reporter even when benchmarked there: the same work in every run.
    const env = ['env', 'GITHUB_ACTIONS=', 'NO_COLOR=1'];
    const loop = [
      ...env,
      'sh',
      '-c',
      `for f in "$1"/*.json; do "$2" "$3" spawn "$f" >/dev/null || exit 1; done`,
      'loop',
      dir,
      process.execPath,
      ctx.cli,
    ];
    const test = [...env, process.execPath, ctx.cli, 'test', '--jobs', String(JOBS), dir];
    // One run each first: the page cache, and the CLI's code cache (made at the end of a run).
    await ctx.command(loop);
    await ctx.command(test);
    return {
      groups: [
        {
          id: 'trees100',
          title: `${TREES} self-checking trees`,
          baseline: 'loop',
          contenders: [
            {
              id: 'loop',
              label: `shell loop of pidns-tree spawn (${TREES} Node starts)`,
              run: () => ctx.command(loop),
            },
            { id: 'test', label: `pidns-tree test --jobs ${JOBS}`, run: () => ctx.command(test) },
          ],
          // At least 5x faster than the loop.
          targets: [{ contender: 'test', ratio: 0.2 }],
        },
      ],
    };
  },
};
