// Order statistics of a contender's samples. Failed rounds are not numbers and are left out
// (the summary counts them separately).

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** { median, min, max, n } of the finite values. */
export function stats(values) {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(s), min: s[0], max: s.at(-1), n: s.length };
}
