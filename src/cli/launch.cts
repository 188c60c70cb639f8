/**
 * What bin/pidns-tree.js runs: the CLI bundle (dist/cli/pidns-tree.cjs, see
 * scripts/build-cli.mjs) with its compiled code kept between runs, so that a start does not
 * parse and compile yargs again.
 *
 * - Node >= 22.1: Node's own compile cache (module.enableCompileCache()).
 * - Node 20: a V8 code cache made with vm.Script at the end of a run (so it also holds the
 *   functions that run compiled), in $XDG_CACHE_HOME/pidns-tree or ~/.cache/pidns-tree, one
 *   file per Node version and architecture. The file holds the bundle it was made from, byte
 *   for byte, then a checksum, then V8's data: it is used only for exactly that bundle, only
 *   whole (V8 trusts the data; corrupt data can crash it), and only when this user owns it and
 *   nobody else may write it (the cache is code that runs). A missing, read-only or foreign
 *   cache directory means a run without a cache, never an error. NODE_DISABLE_COMPILE_CACHE
 *   turns it off, as it does Node's.
 *
 * CommonJS (.cts) because a CommonJS entry skips Node's ESM loader, which a start pays for.
 */
import fs = require('node:fs');
import Module = require('node:module');
import path = require('node:path');
import vm = require('node:vm');
import type zlib = require('node:zlib');

const { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } = fs;

/** zlib.crc32 (Node >= 20.15), loaded only where the code cache is used. */
function crc32(data: Buffer): number {
  return (require('node:zlib') as typeof zlib).crc32(data);
}

interface Cli {
  main(argv: readonly string[]): Promise<number>;
}

type CommonJsWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

const bundle = path.join(__dirname, '..', '..', 'cli', 'pidns-tree.cjs');

function run(cli: Cli): void {
  void cli.main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

/** The code cache's file for this Node and a bundle of this size, or none. */
function cacheFile(bundleSize: number): string | undefined {
  if (process.env['NODE_DISABLE_COMPILE_CACHE'] !== undefined) return undefined;
  const home = process.env['HOME'];
  const base = process.env['XDG_CACHE_HOME'] || (home ? path.join(home, '.cache') : undefined);
  if (base === undefined || !path.isAbsolute(base)) return undefined;
  return path.join(base, 'pidns-tree', `cli-${process.version}-${process.arch}-${bundleSize}.v8cache`);
}

/**
 * The file is the bundle it was made from, byte for byte, then the CRC-32 of V8's data, then
 * V8's data. V8 trusts that data (corrupt data can crash it), hence the checksum.
 */
function cacheContents(source: Buffer, data: Buffer): Buffer[] {
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data));
  return [source, crc, data];
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
    const contents = readFileSync(fd);
    if (contents.length <= source.length + 4 || !source.equals(contents.subarray(0, source.length))) return undefined;
    const data = contents.subarray(source.length + 4);
    return contents.readUInt32BE(source.length) === crc32(data) ? data : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Replaces the cache file whole (write aside, then rename), or leaves it be. */
function writeCache(file: string, source: Buffer, data: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    // One level at a time: a recursive mkdirSync spins forever where mkdir says ENOENT under
    // an existing directory (/proc).
    for (const dir of [path.dirname(path.dirname(file)), path.dirname(file)]) {
      try {
        mkdirSync(dir, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      for (const part of cacheContents(source, data)) writeFileSync(fd, part);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written.
    }
  }
}

function runWithCodeCache(): void {
  const source = readFileSync(bundle);
  const file = cacheFile(source.length);
  const cachedData = file === undefined ? undefined : readCache(file, source);
  const script = new vm.Script(Module.wrap(source.toString('utf8')), { filename: bundle, ...(cachedData === undefined ? {} : { cachedData }) });
  if (file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit, so that the cache also holds what this run compiled (and for runs that end in
    // process.exit(), as --help does).
    process.once('exit', () => writeCache(file, source, script.createCachedData()));
  }
  const loaded = { exports: {} };
  (script.runInThisContext() as CommonJsWrapper)(loaded.exports, Module.createRequire(bundle), loaded, bundle, path.dirname(bundle));
  run(loaded.exports as Cli);
}

const nodeModule = Module as typeof Module & { enableCompileCache?: () => unknown };
if (typeof nodeModule.enableCompileCache === 'function') {
  nodeModule.enableCompileCache();
  run(require(bundle) as Cli);
} else {
  runWithCodeCache();
}
