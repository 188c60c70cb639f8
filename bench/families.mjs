// The registration point: the benchmark modules `npm run bench` runs, in this order. To add one,
// write a module whose default export is a Family (see bench/lib/family.mjs) and add its path
// here, relative to this file; `npm run bench -- --only NAME` then runs it alone.
export const FAMILY_MODULES = [
  './families/shapes.mjs',
  './families/startup.mjs',
  './families/reaping.mjs',
  './families/translation.mjs',
  './families/output.mjs',
  './families/scale.mjs',
  './families/memory.mjs',
  './families/wasm.mjs',
  './families/selfcheck.mjs',
  './families/ui.mjs',
];
