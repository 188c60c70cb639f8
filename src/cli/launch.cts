/**
 * What bin/pidns-tree.js runs: the CLI bundle (dist/cli/pidns-tree.cjs, see
 * scripts/build-cli.mjs) with its compiled code kept between runs, so that a start does not
 * parse and compile yargs again.
 *
 * A V8 code cache made with vm.Script at the end of a run, so that it also holds the functions
 * that ran, in $XDG_CACHE_HOME/pidns-tree or ~/.cache/pidns-tree, one file per Node version,
 * architecture and bundle path: two copies of pidns-tree (a global install and an npx one, two
 * checkouts) each keep their own, instead of replacing each other's at every alternate run
 * (a run without its cache compiles the whole bundle again and writes ~1 MB: 1.5x the work of
 * a run with it). A cache whose bundle is gone is removed when another is written.
 * Node >= 22.1 has a compile cache of its own (module.enableCompileCache), but it is made when
 * the file is compiled, before anything runs, and holds a third as much: on Node 22.23
 * validate took x1.82 of `node -e 0` with it and x1.48 with this.
 *
 * The file holds the bundle it was made from, byte for byte, and its path: it is used only for
 * exactly that bundle at that path, only whole (see readCache), and only when this user owns it and nobody else may
 * write it (the cache is code that runs). A missing, read-only or foreign cache directory means
 * a run without a cache, never an error. NODE_DISABLE_COMPILE_CACHE turns it off, as it does
 * Node's.
 *
 * CommonJS (.cts) because a CommonJS entry skips Node's ESM loader, which a start pays for.
 */
import fs = require('node:fs');
import Module = require('node:module');
import path = require('node:path');
import vm = require('node:vm');

/**
 * Ctrl-C (or SIGTERM, SIGHUP) ends the CLI with 128+N from our first line on, as it does once
 * `spawn` has stopped its tree: not sometimes 130 and sometimes death by the signal, depending
 * on whether it came before the command installed its own handler (a caller that looks at
 * how we ended, e.g. Python's returncode, saw -2). Nothing to stop or clean up yet, so: exit.
 * A command that handles the signal itself (spawn, init) has a listener of its own, and this
 * one then does nothing. Commands that block in a native call (exec, the live-tree requests)
 * give the signal back its default action first (main.ts calls `releaseStopSignals`): a
 * JavaScript handler only runs between calls, never during one (so a spec file that is a FIFO
 * nobody writes, read synchronously, holds the signal until the read returns). Before this
 * line, Node itself is still starting, and a signal then ends it by the signal's default action
 * (a shell shows 130 all the same).
 */
const STOP_SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
type StopSignal = keyof typeof STOP_SIGNALS;
const stopSignals = Object.keys(STOP_SIGNALS) as StopSignal[];
function exitOnStopSignal(signal: StopSignal): void {
  if (process.listenerCount(signal) > 1) return;
  process.exit(128 + STOP_SIGNALS[signal]);
}
stopSignals.forEach((s) => process.on(s, exitOnStopSignal));
function releaseStopSignals(): void {
  stopSignals.forEach((s) => process.off(s, exitOnStopSignal));
}

const {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} = fs;

interface Cli {
  main(argv: readonly string[], launcher?: { releaseStopSignals(): void }): Promise<number>;
}

type CommonJsWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dirname: string,
) => void;

const bundle = path.join(__dirname, '..', '..', 'cli', 'pidns-tree.cjs');

function run(cli: Cli): void {
  // If main() never settles, the event loop empties with nothing decided: fail, as an ES module
  // entry with an unsettled top-level await does (13), rather than exit 0 from beforeExit.
  process.exitCode = 13;
  void cli.main(process.argv.slice(2), { releaseStopSignals }).then((code) => {
    process.exitCode = code;
  });
  // Once nothing is left to run, exit as process.exit() does: without tearing down the
  // JavaScript heap first, which a natural exit does and which costs this short-lived
  // process ~2 ms. Same exit code and 'exit' event; everything pending has run by then.
  process.once('beforeExit', () => process.exit());
}

/** The code cache's file for this Node, or none. */
function cacheFile(): string | undefined {
  if (process.env['NODE_DISABLE_COMPILE_CACHE'] !== undefined) return undefined;
  const home = process.env['HOME'];
  // The XDG spec: a relative XDG_CACHE_HOME is to be ignored.
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg && path.isAbsolute(xdg) ? xdg : home ? path.join(home, '.cache') : undefined;
  if (base === undefined || !path.isAbsolute(base)) return undefined;
  return path.join(base, 'pidns-tree', `${CACHE_PREFIX}${process.version}-${process.arch}-${pathHash(bundle)}.v8cache`);
}

const CACHE_PREFIX = 'cli-';
const CACHE_SUFFIX = '.v8cache';

/**
 * FNV-1a of the bundle's path, 8 hex digits: a name per copy. Not a check (the file's first
 * line is: see origin()); two paths that collide only share a file, as every copy once did.
 */
function pathHash(p: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < p.length; i += 1) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The file is the bundle's path, the bundle it was made from, byte for byte, then V8's data twice. V8 trusts that
 * data (corrupt data makes it abort, not reject it): the two copies must agree, which any
 * damage to one of them breaks, for the price of a memcmp (a CRC would need node:zlib, whose
 * loading costs a start ~2 ms). Writes are fsynced before the rename, so that a crash cannot
 * leave both copies zeroed alike.
 */
function cacheContents(source: Buffer, data: Buffer): Buffer[] {
  return [origin(), source, data, data];
}

/**
 * The bundle's path, first in the file: V8 restores the script's name from its data, so a cache
 * made by another copy of the same bundle (another checkout or install) would show that copy's
 * path in every stack trace.
 */
function origin(): Buffer {
  return Buffer.from(`${bundle}\0`);
}

/** V8's data from the cache file, if the file is ours, whole, and was made from exactly `source`. */
function readCache(file: string, source: Buffer): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== process.geteuid?.() || (stat.mode & 0o022) !== 0) return undefined;
    const file = readFileSync(fd);
    const from = origin();
    if (!from.equals(file.subarray(0, from.length))) return undefined;
    const contents = file.subarray(from.length);
    const size = (contents.length - source.length) / 2;
    if (!Number.isInteger(size) || size <= 0 || !source.equals(contents.subarray(0, source.length))) return undefined;
    const data = contents.subarray(source.length, source.length + size);
    return data.equals(contents.subarray(source.length + size)) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Replaces the cache file whole (write aside, then rename), or leaves it be. */
function writeCache(file: string, source: Buffer, data: Buffer): void {
  const dir = path.dirname(file);
  // Only in directories of our own: root with a user's HOME (sudo -E, su without -) must not
  // create root-owned directories or files in that user's home.
  const ours = (p: string): boolean => {
    const stat = statSync(p, { throwIfNoEntry: false });
    return stat !== undefined && stat.isDirectory() && stat.uid === process.geteuid?.();
  };
  // ~/.cache (or XDG_CACHE_HOME), then pidns-tree/ in it: each made (0700) only inside a
  // directory of ours, and used only if ours. One level at a time: a recursive mkdirSync
  // spins forever where mkdir says ENOENT under an existing directory (/proc).
  const ensure = (p: string): boolean => {
    if (ours(p)) return true;
    if (!ours(path.dirname(p))) return false;
    try {
      mkdirSync(p, { mode: 0o700 });
    } catch {
      // Made meanwhile by someone else, or not possible: `ours` decides.
    }
    return ours(p);
  };
  try {
    if (!ensure(path.dirname(dir)) || !ensure(dir)) return;
  } catch {
    return;
  }
  const temporary = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    created = true;
    try {
      for (const part of cacheContents(source, data)) writeFileSync(fd, part);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
    removeOrphanedCaches(dir, file);
  } catch {
    // Only our own leftover: the same name may be another writer's (same PID, another PID
    // namespace, same HOME).
    if (created) {
      try {
        unlinkSync(temporary);
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * Removes, from our own cache directory, the caches whose bundle no longer exists (an npx
 * copy deleted, an old checkout): only regular files of ours, named as we name them, never
 * through a symlink. Runs only when a cache was written, which is rare.
 */
function removeOrphanedCaches(dir: string, ours: string): void {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!name.startsWith(CACHE_PREFIX) || !name.endsWith(CACHE_SUFFIX) || file === ours) continue;
    try {
      const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      let origin: string | undefined;
      try {
        const stat = fstatSync(fd);
        if (!stat.isFile() || stat.uid !== process.geteuid?.()) continue;
        const head = Buffer.alloc(4096);
        const end = head.subarray(0, readSync(fd, head, 0, head.length, 0)).indexOf(0);
        origin = end > 0 ? head.toString('utf8', 0, end) : undefined;
      } finally {
        closeSync(fd);
      }
      if (origin !== undefined && path.isAbsolute(origin) && !existsSync(origin)) unlinkSync(file);
    } catch {
      // Gone meanwhile, or not ours to read: left alone.
    }
  }
}

function runWithCodeCache(): void {
  const source = readFileSync(bundle);
  const file = cacheFile();
  const cachedData = file === undefined ? undefined : readCache(file, source);
  // CommonJS's wrapper (as Module.wrap has it), on the bundle's first line: same positions.
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source.toString('utf8')}\n});`;
  const script = new vm.Script(wrapped, { filename: bundle, ...(cachedData === undefined ? {} : { cachedData }) });
  if (file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit, so that the cache also holds what this run compiled (and for runs that end in
    // process.exit(), as --help does).
    process.once('exit', () => writeCache(file, source, script.createCachedData()));
  }
  const loaded = { exports: {} };
  (script.runInThisContext() as CommonJsWrapper)(
    loaded.exports,
    Module.createRequire(bundle),
    loaded,
    bundle,
    path.dirname(bundle),
  );
  run(loaded.exports as Cli);
}

runWithCodeCache();
