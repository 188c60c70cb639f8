#!/usr/bin/env node
// The CLI's fixed start-up cost alone, without building or running anything else (npm run
// bench has it as its "CLI start-up" group): `node -e 0` against `pidns-tree validate
// <tiny.json>`, `--version` and `--help`, in interleaved rounds (A B C D A B C D ...) so that a
// busy machine slows each alike; medians, and each command's ratio to `node -e 0`.
// Usage: node bench/cli-startup.mjs [ROUNDS]   (default 21; needs `npm run build:ts` first)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'pidns-tree.js');
const rounds = Number(process.argv[2] ?? 21);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pidns-tree-startup-'));
const tiny = path.join(dir, 'tiny.json');
writeFileSync(tiny, JSON.stringify({ name: 'r' }));

const commands = {
  'node -e 0': [process.execPath, '-e', '0'],
  'validate tiny.json': [process.execPath, cli, 'validate', tiny],
  '--version': [process.execPath, cli, '--version'],
  '--help': [process.execPath, cli, '--help'],
};

/** Runs a command to its end; resolves with wall milliseconds. */
function time(argv) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
// One run each first: the page cache, and the CLI's code cache (made at the end of a run).
for (const argv of Object.values(commands)) await time(argv);
for (let round = 0; round < rounds; round += 1) {
  for (const [name, argv] of Object.entries(commands)) times[name].push(await time(argv));
}
rmSync(dir, { recursive: true, force: true });

const base = times['node -e 0'];
for (const [name, ms] of Object.entries(times)) {
  const perRound = median(ms.map((t, i) => t / base[i]));
  console.log(
    `${name.padEnd(20)} ${median(ms).toFixed(1).padStart(7)} ms   x${(median(ms) / median(base)).toFixed(2)} (median of per-round ratios x${perRound.toFixed(2)})`,
  );
}
console.log(`${rounds} rounds, Node ${process.version}`);
