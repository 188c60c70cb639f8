// The summary as BENCHMARKS.md (markdown) and as JSON. Rendering only: every number here was
// computed by summarise.mjs.

const f = (x) => {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 10_000) return Math.round(x).toLocaleString('en-US');
  return Math.abs(x) < 10 ? x.toFixed(2) : x.toFixed(1);
};
const ratio = (x) => (Number.isFinite(x) ? `${f(x)}×` : 'n/a');

/** `ms`, or `peak RSS, MiB`: a metric's name in a header. */
const named = (m) => (m.unit ? (m.label === m.unit ? m.unit : `${m.label}, ${m.unit}`) : m.label);

/** `≤ 1.3× met`, `≤ 50 ms met`, `peak RSS ≤ 100 MiB **not met**`. */
function targetText(t, group) {
  const metric = group.metrics.find((m) => m.key === t.metric) ?? { label: t.metric, scale: 1 };
  const what = t.metric === group.metrics[0].key ? '' : `${metric.label} `;
  const scaled = t.atMost * metric.scale;
  const bound =
    t.ratio !== undefined ? `${t.ratio}×` : `${Number.isInteger(scaled) ? scaled : f(scaled)} ${metric.unit ?? ''}`;
  return `${what}≤ ${bound.trim()} ${t.met ? 'met' : '**not met**'}`;
}

/** A table cell: a `|` would end it. */
const cell = (text) => String(text).replaceAll('|', '\\|');

function labelOf(group, id) {
  return group.contenders.find((c) => c.id === id)?.label ?? id;
}

function groupTable(g) {
  const [main, ...others] = g.metrics;
  const head = [
    'contender',
    `median ${named(main)}`,
    `min–max ${named(main)}`,
    `ratio to ${labelOf(g, main.baseline)}`,
  ];
  if (g.per) head.push(`${named(main)} per ${g.per.unit}`);
  if (g.rate) head.push(`${g.rate.unit}/s`);
  for (const m of others) {
    head.push(`${named(m)}: median`);
    if (m.baseline !== null) head.push(`ratio to ${labelOf(g, m.baseline)}`);
  }
  head.push('target');
  const rows = g.contenders.map((c) => {
    const v = c.values[main.key];
    const s = main.scale;
    const row = [c.label, f(v.median * s), `${f(v.min * s)}–${f(v.max * s)}`, ratio(v.ratio)];
    if (g.per) row.push(f(c.values.msPer.median * s));
    if (g.rate) row.push(f(c.values.rate.median));
    for (const m of others) {
      const mv = c.values[m.key];
      row.push(mv.n === 0 ? '' : f(mv.median * m.scale));
      if (m.baseline !== null) row.push(mv.n === 0 ? '' : ratio(mv.ratio));
    }
    row.push(
      g.targets
        .filter((t) => t.contender === c.id)
        .map((t) => targetText(t, g))
        .join('; '),
    );
    return row;
  });
  const align = head.map((_, i) => (i === 0 || i === head.length - 1 ? '---' : '---:'));
  return [head.map(cell), align, ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function failuresText(g) {
  return g.contenders
    .filter((c) => c.failures.length > 0)
    .map((c) => {
      const first = c.failures[0].error;
      return `- ${c.label}: failed in ${c.failures.length} of ${c.runs} rounds (${first})`;
    })
    .join('\n');
}

/** BENCHMARKS.md: `machine` describes the run, `notes` (markdown) is appended as it is. */
export function renderMarkdown(summary, { machine, resultsFile, notes }) {
  let md = '# Benchmarks\n\n';
  md += `Written by \`npm run bench\` (bench/run.mjs)${resultsFile ? `; raw numbers in \`${resultsFile}\`` : ''}.\n\n`;
  md += `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}; ${machine.rounds} interleaved rounds, ${machine.date}.\n`;
  md +=
    'Absolute times on a shared machine move; the ratios against the baseline measured in the same rounds are the result.\n\n';
  for (const fam of summary.families) {
    md += `## ${fam.title}\n\n`;
    for (const g of fam.groups) {
      if (g.title !== fam.title) md += `### ${g.title}\n\n`;
      if (g.note) md += `${g.note}\n\n`;
      md += `${groupTable(g)}\n\n`;
      if (g.busy.rounds > 0) {
        md += `The machine was still busy (up to ${g.busy.maxPercent}% of its cores) when this family started in ${g.busy.rounds} of ${g.busy.of} rounds: other work was running; these numbers are less sure than the rest.\n\n`;
      }
      const failed = failuresText(g);
      if (failed) md += `Failed measurements (not numbers):\n${failed}\n\n`;
    }
    if (fam.checks.length > 0) {
      md += '| across sizes | value | target |\n| --- | ---: | --- |\n';
      for (const c of fam.checks) {
        const target = c.met === null ? '' : `≤ ${c.atMost}× ${c.met ? 'met' : '**not met**'}`;
        md += `| ${c.label} | ${ratio(c.value)} | ${target} |\n`;
      }
      md += '\n';
    }
  }
  if (notes) md += notes.endsWith('\n') ? notes : `${notes}\n`;
  return md;
}

/** The JSON next to it: the machine, the summary and every raw sample. */
export function renderJson(summary, { machine, records }) {
  const clean = (x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x);
  return `${JSON.stringify({ machine, ...summary, records }, (_, v) => clean(v), 2)}\n`;
}
