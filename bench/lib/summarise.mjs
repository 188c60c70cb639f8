// From the raw samples to what the tables say: per contender and metric the median, min and
// max; the ratio to the baseline measured in the same rounds; each target and check, met or not.
// Pure: no I/O, so what is rendered is exactly what was measured.
import { TIME } from './metrics.mjs';
import { QUIET_PERCENT } from './quiet.mjs';
import { stats } from './stats.mjs';

const DEFAULT_METRICS = [TIME];

/** The group's metrics, each with the contender its ratios are to (or null). */
export function metricsOf(group) {
  return (group.metrics ?? DEFAULT_METRICS).map((m, i) => ({
    ...m,
    baseline: m.baseline ?? (i === 0 ? group.baseline : null),
  }));
}

function summariseGroup(family, group, records) {
  const mine = records.filter((r) => r.family === family.name && r.group === group.id);
  const metrics = metricsOf(group);
  const contenders = group.contenders.map((c) => {
    const runs = mine.filter((r) => r.contender === c.id);
    const values = {};
    for (const m of metrics) {
      values[m.key] = stats(runs.filter((r) => r.sample !== undefined).map((r) => r.sample[m.key] ?? Number.NaN));
    }
    const ms = values.ms?.median ?? Number.NaN;
    if (group.per) values.msPer = { median: ms / group.per.count };
    if (group.rate) values.rate = { median: group.rate.count / (ms / 1000) };
    return {
      id: c.id,
      label: c.label,
      runs: runs.length,
      failures: runs.filter((r) => r.error !== undefined).map((r) => ({ round: r.round, error: r.error })),
      values,
    };
  });
  const byId = new Map(contenders.map((c) => [c.id, c]));
  // Ratios: of each metric to its baseline's median; ms per unit and rate follow the main metric.
  const ratioKeys = metrics.filter((m) => m.baseline !== null).map((m) => [m.key, m.baseline]);
  if (group.per) ratioKeys.push(['msPer', group.baseline]);
  if (group.rate) ratioKeys.push(['rate', group.baseline]);
  for (const c of contenders) {
    for (const [key, baseline] of ratioKeys) {
      const base = byId.get(baseline).values[key]?.median ?? Number.NaN;
      c.values[key].ratio = c.values[key].median / base;
    }
  }
  const targets = (group.targets ?? []).map((t) => {
    const metric = t.metric ?? metrics[0].key;
    const v = byId.get(t.contender).values[metric] ?? { median: Number.NaN };
    const value = t.ratio !== undefined ? v.ratio : v.median;
    const bound = t.ratio !== undefined ? { ratio: t.ratio } : { atMost: t.atMost };
    return {
      contender: t.contender,
      metric,
      ...bound,
      value,
      met: Number.isFinite(value) && value <= (t.ratio ?? t.atMost),
    };
  });
  return {
    id: group.id,
    title: group.title,
    note: group.note ?? null,
    baseline: group.baseline,
    per: group.per ?? null,
    rate: group.rate ?? null,
    metrics: metrics.map(({ key, label, unit, baseline, scale }) => ({
      key,
      label,
      unit: unit ?? null,
      baseline,
      scale: scale ?? 1,
    })),
    contenders,
    targets,
    busy: busyOf(mine),
  };
}

/**
 * The rounds in which the machine was still busy when the family started (measure.mjs waits
 * for a quiet machine, for a bounded time): how many, of how many, and the busiest.
 */
function busyOf(records) {
  const byRound = new Map();
  for (const r of records) if (r.busyPercent !== undefined) byRound.set(r.round, r.busyPercent);
  const busy = [...byRound.values()].filter((b) => b > QUIET_PERCENT);
  return { rounds: busy.length, of: byRound.size, maxPercent: busy.length === 0 ? null : Math.max(...busy) };
}

function summariseCheck(check, groups) {
  const median = (ref) =>
    groups.find((g) => g.id === ref.group)?.contenders.find((c) => c.id === ref.contender)?.values[ref.metric]
      ?.median ?? Number.NaN;
  const value = median(check.of) / median(check.over);
  const met = check.atMost === undefined ? null : Number.isFinite(value) && value <= check.atMost;
  return { label: check.label, of: check.of, over: check.over, atMost: check.atMost ?? null, value, met };
}

/**
 * `families`: [{ family, prepared }] as measured; `records`: every sample, { family, group,
 * contender, round, sample } or { ..., error }.
 */
export function summarise(families, records) {
  const out = families.map(({ family, prepared }) => {
    const groups = prepared.groups.map((g) => summariseGroup(family, g, records));
    return {
      name: family.name,
      title: family.title,
      groups,
      checks: (prepared.checks ?? []).map((c) => summariseCheck(c, groups)),
    };
  });
  return { families: out, failures: records.filter((r) => r.error !== undefined) };
}
