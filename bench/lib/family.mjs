// What a benchmark module gives the harness (bench/families.mjs lists the modules). The module's
// default export is a Family; the harness calls `prepare` once, measures every group in
// interleaved rounds, then summarises and renders. A family never renders anything itself.
//
// @typedef {object} Family
// @property {string} name            for `--only NAME` (letters, digits, '-')
// @property {string} title           the heading in BENCHMARKS.md
// @property {(ctx: import('./context.mjs').Context) => Promise<Prepared>} prepare
//           builds what its groups need (specs, data, a live tree); the context gives the
//           floor, the peers, temp space and the measuring helpers (see context.mjs).
//
// @typedef {object} Prepared
// @property {Group[]} groups
// @property {Check[]} [checks]       targets across groups
// @property {() => Promise<void>} [enter]   in each round, before its groups: start what they
//           measure against (a live tree, a storm, a browser); it throwing fails them that round
// @property {() => Promise<void>} [leave]   in each round, after its groups (also when they
//           failed): stop it all, so that nothing of this family runs while another is measured
// @property {() => void} [cleanup]   synchronous (it also runs on Ctrl-C); undo what prepare did,
//           and what enter started if leave did not run
//
// @typedef {object} Group            contenders measured in the same rounds
// @property {string} id              unique in the family
// @property {string} title
// @property {string} baseline        the id of the contender the ratios are to
// @property {Contender[]} contenders
// @property {Metric[]} [metrics]     default: [{ key: 'ms', label: 'ms', unit: 'ms' }]; the first
//                                    is the main one
// @property {{ count: number, unit: string }} [per]    adds "ms per <unit>" (metric key 'msPer')
// @property {{ count: number, unit: string }} [rate]   adds "<unit>/s" (metric key 'rate')
// @property {Target[]} [targets]
// @property {number} [rounds]        measured in the first N rounds only (e.g. 1 for idle memory)
// @property {string} [note]          a paragraph (markdown) under the title
//
// @typedef {object} Contender
// @property {string} id
// @property {string} label
// @property {() => Promise<Sample>} run   one measurement; throws when it is not valid (lost
//           lines, a wrong exit code): a failed measurement, never a number
//
// @typedef {Record<string, number>} Sample   e.g. { ms: 412.5, peakKiB: 61234 }
//
// @typedef {object} Metric
// @property {string} key
// @property {string} label           e.g. 'peak RSS'
// @property {string} [unit]          e.g. 'MiB' (after scaling)
// @property {string} [baseline]      contender whose median this metric's ratios are to
//           (default: the group's baseline for the first metric, none for the others)
// @property {number} [scale]         shown as value × scale (e.g. 1/1024 for KiB as MiB)
//
// @typedef {object} Target           met when the value is at most the bound
// @property {string} contender
// @property {string} [metric]        default: the group's first metric; or 'msPer', 'rate'
// @property {number} [ratio]         bound on the ratio to the metric's baseline
// @property {number} [atMost]        bound on the median itself (in the metric's unit, unscaled)
//
// @typedef {object} Check            a ratio across groups: of's median / over's median
// @property {string} label
// @property {{ group: string, contender: string, metric: string }} of
// @property {{ group: string, contender: string, metric: string }} over
// @property {number} [atMost]        the target (without one, the ratio is only shown)

const NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Throws a clear error when a module's family or its prepared groups do not fit the contract. */
export function checkFamily(family, where) {
  const fail = (why) => {
    throw new Error(`bench: ${where}: ${why} (see bench/lib/family.mjs)`);
  };
  if (family === null || typeof family !== 'object') fail('the default export is not a family object');
  if (typeof family.name !== 'string' || !NAME.test(family.name)) fail(`name ${JSON.stringify(family.name)}`);
  if (typeof family.title !== 'string') fail('title is missing');
  if (typeof family.prepare !== 'function') fail('prepare(ctx) is missing');
}

export function checkPrepared(family, prepared) {
  const fail = (why) => {
    throw new Error(`bench: family ${family.name}: ${why} (see bench/lib/family.mjs)`);
  };
  if (!Array.isArray(prepared?.groups)) fail('prepare() must resolve with { groups: [...] }');
  for (const hook of ['enter', 'leave', 'cleanup']) {
    if (prepared[hook] !== undefined && typeof prepared[hook] !== 'function') fail(`${hook} is not a function`);
  }
  const groups = new Map();
  for (const g of prepared.groups) {
    if (typeof g.id !== 'string' || groups.has(g.id)) fail(`group id ${JSON.stringify(g.id)} is missing or repeated`);
    groups.set(g.id, g);
    const ids = new Set();
    for (const c of g.contenders ?? []) {
      if (typeof c.id !== 'string' || ids.has(c.id)) fail(`${g.id}: contender id ${JSON.stringify(c.id)}`);
      if (typeof c.run !== 'function') fail(`${g.id}/${c.id}: run() is missing`);
      ids.add(c.id);
    }
    if (!ids.has(g.baseline)) fail(`${g.id}: baseline ${JSON.stringify(g.baseline)} is not one of its contenders`);
    for (const m of g.metrics ?? []) {
      if (m.baseline !== undefined && !ids.has(m.baseline)) fail(`${g.id}: metric ${m.key}: baseline ${m.baseline}`);
    }
    for (const t of g.targets ?? []) {
      if (!ids.has(t.contender)) fail(`${g.id}: target for unknown contender ${JSON.stringify(t.contender)}`);
      if ((t.ratio === undefined) === (t.atMost === undefined)) fail(`${g.id}: a target has ratio or atMost`);
    }
  }
  for (const c of prepared.checks ?? []) {
    for (const ref of [c.of, c.over]) {
      if (!groups.get(ref?.group)?.contenders.some((x) => x.id === ref.contender)) {
        fail(`check ${JSON.stringify(c.label)}: no ${ref?.group}/${ref?.contender}`);
      }
    }
  }
}
