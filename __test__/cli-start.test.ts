/**
 * How the CLI starts and ends as a process: its V8 code cache (src/cli/launch.cts) and a reader
 * that goes away. The cache is code that runs, so what it must refuse matters as much as that
 * it is used.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { bin, root } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';

const example = path.join(root, 'examples', 'nested.json');

/** Runs the CLI with its cache in `cacheHome`; `via` runs another copy of the launcher. */
function cli(cacheHome: string, args: readonly string[], via = bin) {
  const r = spawnSync(process.execPath, [via, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', NODE_DISABLE_COMPILE_CACHE: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The cache file of the bundle under `packageRoot` (one per copy: its path's FNV-1a). */
const cacheOf = (home: string, packageRoot = root): string => {
  const bundle = path.join(packageRoot, 'dist', 'cli', 'pidns-tree.cjs');
  let h = 0x811c9dc5;
  for (let i = 0; i < bundle.length; i += 1) h = Math.imul(h ^ bundle.charCodeAt(i), 0x01000193);
  const hash = (h >>> 0).toString(16).padStart(8, '0');
  return path.join(home, 'pidns-tree', `cli-${process.version}-${process.arch}-${hash}.v8cache`);
};

test('the first run writes the code cache; later runs use it and say the same', (t) => {
  const home = tempDir();
  const first = cli(home, ['validate', example]);
  const file = cacheOf(home);
  t.true(existsSync(file), 'written at the end of the first run');
  t.is(statSync(file).mode & 0o777, 0o600);
  const written = statSync(file).mtimeMs;
  const second = cli(home, ['validate', example]);
  t.deepEqual(second, first);
  t.is(statSync(file).mtimeMs, written, 'a cache that was used is not rewritten');
});

test('a damaged or group-writable cache is not used, and is replaced', (t) => {
  const home = tempDir();
  const expected = cli(home, ['validate', example]);
  const file = cacheOf(home);
  const good = readFileSync(file);
  // Flip a byte near the end: in the second copy of V8's data, which must equal the first.
  const damaged = Buffer.from(good);
  damaged[damaged.length - 10] = (damaged[damaged.length - 10] ?? 0) ^ 0xff;
  writeFileSync(file, damaged, { mode: 0o600 });
  t.deepEqual(cli(home, ['validate', example]), expected);
  const replaced = statSync(file).mtimeMs;
  t.false(readFileSync(file).equals(damaged), 'replaced');
  cli(home, ['validate', example]);
  t.is(statSync(file).mtimeMs, replaced, 'by a whole one, which the next run uses');

  writeFileSync(file, good.subarray(0, good.length - 1), { mode: 0o600 });
  t.deepEqual(cli(home, ['validate', example]), expected, 'a truncated cache is ignored');

  chmodSync(file, 0o620);
  t.deepEqual(cli(home, ['validate', example]), expected);
  t.is(statSync(file).mode & 0o022, 0, 'a cache others may write is not trusted, and is rewritten');
});

test('two copies of the bundle keep a cache each; a copy that is gone loses its cache', (t) => {
  const home = tempDir();
  const copy = path.join(tempDir(), 'pkg');
  mkdirSync(copy);
  for (const part of ['bin', 'dist', 'native', 'package.json'])
    cpSync(path.join(root, part), path.join(copy, part), { recursive: true });
  const copyBin = path.join(copy, 'bin', 'pidns-tree.js');
  const expected = cli(home, ['validate', example]);
  const ours = statSync(cacheOf(home)).mtimeMs;
  t.deepEqual(cli(home, ['validate', example], copyBin), expected);
  const fromCopy = readFileSync(cacheOf(home, copy));
  t.true(
    fromCopy.includes(Buffer.from(path.join(copy, 'dist', 'cli', 'pidns-tree.cjs'))),
    'stack traces name that copy',
  );
  // Each run uses its own copy's cache: neither is rewritten.
  t.deepEqual(cli(home, ['validate', example]), expected);
  t.deepEqual(cli(home, ['validate', example], copyBin), expected);
  t.is(statSync(cacheOf(home)).mtimeMs, ours, "this copy's cache was used, not replaced");
  t.true(readFileSync(cacheOf(home, copy)).equals(fromCopy), "the other copy's cache was used, not replaced");
  // The copy is deleted (an npx cache cleaned): its cache goes when another is next written.
  rmSync(copy, { recursive: true });
  rmSync(cacheOf(home));
  cli(home, ['validate', example]);
  t.true(existsSync(cacheOf(home)));
  t.false(existsSync(cacheOf(home, copy)), 'the cache of a bundle that is gone is removed');
});

test('output whose reader has gone ends the CLI with 141, quietly', (t) => {
  // stdout is a pipe whose read end is already closed: the first write fails with EPIPE.
  const py = `import os, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.execv(sys.argv[1], sys.argv[1:])`;
  for (const args of [['validate', '--json', example], ['ls']]) {
    const r = spawnSync('python3', ['-c', py, process.execPath, bin, ...args], { encoding: 'utf8' });
    t.is(r.status, 141, `${args.join(' ')}: ${r.stderr}`);
    t.notRegex(r.stderr, /Unhandled|EPIPE/, args.join(' '));
  }
});

test("run with another user's HOME (sudo -E), the CLI leaves that user's cache alone", (t) => {
  // Root with a HOME it does not own: no ~/.cache, no root-owned directory or file in it.
  const home = tempDir();
  const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();
  chownSync(home, Number(nobody), Number(nobody));
  const r = spawnSync(process.execPath, [bin, 'validate', example], {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_CACHE_HOME: undefined, NODE_DISABLE_COMPILE_CACHE: undefined },
  });
  t.is(r.status, 0, r.stderr);
  t.false(existsSync(path.join(home, '.cache')), 'no ~/.cache made for the user');

  // An existing ~/.cache of the user's: still nothing of root's in it.
  mkdirSync(path.join(home, '.cache'));
  chownSync(path.join(home, '.cache'), Number(nobody), Number(nobody));
  t.is(
    spawnSync(process.execPath, [bin, 'validate', example], {
      env: { ...process.env, HOME: home, XDG_CACHE_HOME: undefined },
    }).status,
    0,
  );
  t.false(existsSync(path.join(home, '.cache', 'pidns-tree')));
});

test('a relative XDG_CACHE_HOME is ignored, as the XDG spec says: the cache goes to ~/.cache', (t) => {
  const home = tempDir();
  const r = spawnSync(process.execPath, [bin, 'validate', example], {
    encoding: 'utf8',
    cwd: home,
    env: { ...process.env, HOME: home, XDG_CACHE_HOME: 'relative', NODE_DISABLE_COMPILE_CACHE: undefined },
  });
  t.is(r.status, 0, r.stderr);
  t.false(existsSync(path.join(home, 'relative')));
  t.true(existsSync(cacheOf(path.join(home, '.cache'))), 'in our own home, ~/.cache is made (0700)');
  t.is(statSync(path.join(home, '.cache')).mode & 0o777, 0o700);
});
