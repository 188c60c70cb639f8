// Realistic output for the output benchmarks: lines of words of varying length (1 to 11 letters,
// mostly 3 to 8), 1 to 14 words a line, about 50 bytes a line on average. Deterministic (a seeded
// PRNG), so every run and every contender gets the same bytes. Lowercase ASCII only: the same
// bytes in every format (no JSON escapes), so the counts can be checked exactly.
import { closeSync, openSync, writeSync } from 'node:fs';

/** mulberry32: a small, fast, seeded PRNG; floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vocabulary(random) {
  const words = [];
  for (let i = 0; i < 4096; i += 1) {
    // Short words are common, long ones rare: the sum of two dice.
    const len = 1 + Math.floor(random() * 5.5) + Math.floor(random() * 5.5);
    let w = '';
    for (let j = 0; j < len; j += 1) w += String.fromCharCode(97 + Math.floor(random() * 26));
    words.push(Buffer.from(w));
  }
  return words;
}

/**
 * Writes complete lines to `file`: at least `bytes` of them, or exactly `lines`. Returns
 * { lines, bytes } (bytes including the newlines).
 */
export function writeLines(file, { bytes: minBytes = Infinity, lines: maxLines = Infinity }, seed = 12) {
  const random = prng(seed);
  const words = vocabulary(random);
  const chunk = Buffer.alloc(1 << 20);
  const fd = openSync(file, 'w', 0o600);
  let lines = 0;
  let bytes = 0;
  try {
    while (bytes < minBytes && lines < maxLines) {
      let at = 0;
      // A line is at most 14 words of 11 letters and their separators: 168 bytes.
      while (at < chunk.length - 200 && bytes + at < minBytes && lines < maxLines) {
        const n = 1 + Math.floor(random() * 14);
        for (let k = 0; k < n; k += 1) {
          if (k > 0) chunk[at++] = 0x20;
          const w = words[Math.floor(random() * words.length)];
          for (let j = 0; j < w.length; j += 1) chunk[at++] = w[j]; // faster than copy() for short words
        }
        chunk[at++] = 0x0a;
        lines += 1;
      }
      writeSync(fd, chunk, 0, at);
      bytes += at;
    }
  } finally {
    closeSync(fd);
  }
  return { lines, bytes };
}
