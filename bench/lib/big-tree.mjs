// The live tree of the translation and ui families: 1,032 processes over 32 levels (32 inits,
// 31 sleepers in each of the first 31 namespaces, 39 in the last), as a spec.

/** Processes and inits in it. */
export const BIG_TREE_PROCESSES = 1032;

export function bigTreeSpec() {
  const sleepers = (n) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, command: ['sleep', 'infinity'] }));
  let spec = { name: 'l32', processes: sleepers(BIG_TREE_PROCESSES - 32 - 31 * 31) };
  for (let d = 31; d >= 1; d -= 1) spec = { name: `l${d}`, processes: sleepers(31), children: [spec] };
  return spec;
}
