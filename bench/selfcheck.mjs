#!/usr/bin/env node
// Self-checking trees: 100 small tree.json files, each a namespace with one process and one
// expectation, checked by `pidns-tree test --jobs 2` (one Node process runs them all, two at a
// time) against what a user would do without it: a shell loop of `pidns-tree spawn` over the
// same files (a Node start per tree). Rounds are interleaved (loop, test, loop, test, ...) so
// a busy machine slows both alike; the result is the speedup, loop / test, per round and of
// the medians. Target: at least 5x.
//
// Alone: node bench/selfcheck.mjs [ROUNDS]  (default BENCH_ROUNDS or 5; needs `npm run build`)
// From a harness: `import { benchSelfcheck } from './selfcheck.mjs'` and await it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'pidns-tree.js');

export const TARGET_SPEEDUP = 5;

/** Runs a command to its end; resolves with wall milliseconds, rejects unless it exits 0. */
function time(argv, env = process.env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s.at(-1), n: s.length };
}

/** Writes `count` small trees to a new directory. */
function writeTrees(count) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pidns-tree-bench-selfcheck-'));
  for (let i = 0; i < count; i += 1) {
    const spec = {
      name: `t${i}`,
      processes: [{ name: 'p', command: ['true'], expect: { exitCode: 0 } }],
    };
    writeFileSync(path.join(dir, `t${String(i).padStart(3, '0')}.json`), JSON.stringify(spec));
  }
  return dir;
}

/**
 * Measures both, `rounds` times each, interleaved; resolves with a group for the harness:
 * the loop is the baseline, and `speedup` is how many times faster `pidns-tree test` is.
 */
export async function benchSelfcheck({ rounds = 5, trees = 100, jobs = 2 } = {}) {
  const dir = writeTrees(trees);
  // Outside GitHub Actions' reporter even when benchmarked there: the same work in every run.
  const env = { ...process.env, GITHUB_ACTIONS: '', NO_COLOR: '1' };
  const contenders = {
    [`shell loop of pidns-tree spawn (${trees} Node starts)`]: [
      'sh',
      '-c',
      `for f in "$1"/*.json; do "$2" "$3" spawn "$f" >/dev/null || exit 1; done`,
      'loop',
      dir,
      process.execPath,
      cli,
    ],
    [`pidns-tree test --jobs ${jobs}`]: [process.execPath, cli, 'test', '--jobs', String(jobs), dir],
  };
  const names = Object.keys(contenders);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  try {
    // One run each first: the page cache, and the CLI's code cache (made at the end of a run).
    for (const argv of Object.values(contenders)) await time(argv, env);
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, argv] of Object.entries(contenders)) samples[name].push(await time(argv, env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const [loopName, testName] = names;
  const loop = stats(samples[loopName]);
  const test = stats(samples[testName]);
  const speedup = loop.median / test.median;
  const perRound = stats(samples[loopName].map((ms, i) => ms / samples[testName][i]));
  return {
    group: `${trees} self-checking trees`,
    baseline: loopName,
    entries: [
      { name: loopName, ...loop, ratio: 1 },
      { name: testName, ...test, ratio: test.median / loop.median },
    ],
    speedup,
    speedupPerRound: perRound,
    target: `≥ ${TARGET_SPEEDUP}× faster`,
    met: speedup >= TARGET_SPEEDUP,
    rounds,
    cores: os.availableParallelism(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.argv[2] ?? process.env.BENCH_ROUNDS ?? 5);
  const r = await benchSelfcheck({ rounds });
  for (const e of r.entries) {
    console.log(
      `${e.name.padEnd(48)} median ${e.median.toFixed(0).padStart(6)} ms  (${e.min.toFixed(0)}–${e.max.toFixed(0)} ms)`,
    );
  }
  console.log(
    `speedup of pidns-tree test: ${r.speedup.toFixed(1)}× (per round: median ${r.speedupPerRound.median.toFixed(1)}×, ` +
      `${r.speedupPerRound.min.toFixed(1)}–${r.speedupPerRound.max.toFixed(1)}×); target ${r.target}: ${r.met ? 'met' : 'NOT met'}`,
  );
  console.log(`${r.rounds} rounds, ${r.cores} cores, Node ${process.version}`);
}
