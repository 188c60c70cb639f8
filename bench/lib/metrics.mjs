// Metrics more than one family shows (see Metric in family.mjs).

/** Wall time, the default main metric. */
export const TIME = { key: 'ms', label: 'ms', unit: 'ms' };

/** Peak resident set of the process that matters (VmHWM at its exit; samples in KiB). */
export const PEAK_RSS = { key: 'peakKiB', label: 'peak RSS', unit: 'MiB', scale: 1 / 1024 };
