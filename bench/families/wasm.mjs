// The WebAssembly model (issue 13): instantiating it, validate+plan against the native
// binding, and the simulator's speed. The measurements are bench/wasm.mjs's (which also runs
// alone); this module gives them to the harness in its contract (bench/lib/family.mjs).
import { wasmGroups } from '../wasm.mjs';

/** An id from a label: lowercase words joined by '-'. */
const slug = (text) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);

export default {
  name: 'wasm',
  title: 'The model as WebAssembly',
  async prepare(ctx) {
    const old = await wasmGroups({ root: ctx.root });
    const groups = old.map((g, i) => {
      const ids = new Map(Object.keys(g.entries).map((label) => [label, slug(label)]));
      const steps = g.extra !== undefined;
      return {
        id: `wasm-${i}`,
        title: g.name,
        baseline: ids.get(g.baseline),
        contenders: Object.entries(g.entries).map(([label, run]) => ({
          id: ids.get(label),
          label,
          run: async () => {
            const got = await run();
            return { ms: typeof got === 'number' ? got : got.ms };
          },
        })),
        ...(steps ? { rate: { count: 10_000, unit: 'steps' } } : {}),
        targets: [
          ...Object.entries(g.targets).map(([label, ratio]) => ({ contender: ids.get(label), ratio })),
          ...Object.entries(g.absoluteTargets ?? {}).map(([label, atMost]) => ({ contender: ids.get(label), atMost })),
        ],
      };
    });
    return { groups };
  },
};
