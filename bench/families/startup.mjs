// The CLI's fixed start-up cost: `pidns-tree validate` of a one-line spec against `node -e 0`.
// (`npm run bench:cli` times it alone, with --version and --help, in more rounds.)
export default {
  name: 'startup',
  title: 'CLI start-up',
  async prepare(ctx) {
    await ctx.peers();
    const tiny = ctx.writeSpec('tiny', { name: 'r' });
    const node = process.execPath;
    // One run first, as bench:cli does: the page cache, and the CLI's code cache (made at the
    // end of a run, used by the next), so that every round measures the same start-up.
    await ctx.command([node, ctx.cli, 'validate', tiny]);
    return {
      groups: [
        {
          id: 'startup',
          title: 'CLI start-up',
          baseline: 'node',
          contenders: [
            { id: 'node', label: 'node -e 0', run: () => ctx.command([node, '-e', '0']) },
            {
              id: 'validate',
              label: 'pidns-tree validate (Node + yargs + binding)',
              run: () => ctx.command([node, ctx.cli, 'validate', tiny]),
            },
            {
              id: 'unshare32',
              label: 'unshare chain x32 (for the CLI target)',
              run: () =>
                ctx.command(
                  Array.from({ length: 32 }).reduce(
                    (argv) => ['unshare', '--fork', '--pid', '--mount-proc', ...argv],
                    ['true'],
                  ),
                ),
            },
          ],
          targets: [{ contender: 'validate', ratio: 1.2 }],
        },
      ],
    };
  },
};
