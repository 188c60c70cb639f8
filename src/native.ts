/**
 * Loading the native part: the napi binding (`.node`) and the `pidns-init` binary beside it.
 * Only what needs syscalls loads it (spawn, live trees, inspect, init); validate, plan and
 * simulate run on the WebAssembly model everywhere. PIDNS_TREE_NO_NATIVE=1 makes it missing
 * on purpose, as on macOS or Windows (the tests use it to prove that path on Linux).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { PidnsTreeError } from './errors.js';
import type * as Binding from './native-binding.js';
import { packageRoot } from './package-root.js';

/**
 * How a tree gets to create PID namespaces: `privileged` needs CAP_SYS_ADMIN (root) and never
 * falls back; `rootless` first enters a user namespace that maps you to root (as `unshare -r`
 * does); `auto` is privileged when it can be and rootless otherwise.
 */
export type SpawnMode = 'auto' | 'rootless' | 'privileged';

/**
 * The binding as napi generated its types from the Rust (src/native-binding.ts, written by
 * `npm run build:native`): a change there that TypeScript does not follow breaks the build.
 */
type NativeBinding = typeof Binding;

export type { Inspected, NativeTerminal, NativeTree, RawTerminal } from './native-binding.js';

const requireHere = createRequire(import.meta.url);

let binding: NativeBinding | undefined;
let files: { binding: string; init: string } | undefined;

function libc(): 'gnu' | 'musl' {
  // The libraries this process has mapped name its libc, for the cost of one small read.
  try {
    const maps = readFileSync('/proc/self/maps', 'latin1');
    if (/\/ld-musl-[^/\n]*\.so\.1$/m.test(maps)) return 'musl';
    if (/\/libc\.so\.6$/m.test(maps)) return 'gnu';
  } catch {
    // No /proc here: ask the diagnostic report below (it takes milliseconds to gather).
  }
  // glibc reports its version here; musl-based Node builds (Alpine) do not.
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime === undefined ? 'musl' : 'gnu';
}

/** What works without the native part, for every message that says it is missing. */
const WITHOUT_NATIVE = 'validate, plan, simulate and the playground (ui --playground) work without it';

const NEEDS_NATIVE = 'spawn, test, ls, ps, exec, kill, stop, ui, inspect and init';

/**
 * The platform package's tag (`linux-x64-gnu`), or NATIVE_MISSING saying why there is none:
 * pidns-tree's native part creates Linux PID namespaces, so it exists for Linux only.
 */
export function platformTag(platform: string = process.platform, arch: string = process.arch): string {
  if (platform !== 'linux') {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `${NEEDS_NATIVE} need Linux: they create Linux PID namespaces, and this is ${platform}-${arch}. ` +
        `On Linux x64 or arm64 npm installs the native part with pidns-tree (the package ` +
        `pidns-tree-linux-${arch === 'arm64' ? 'arm64' : 'x64'}-gnu, or -musl); here, ${WITHOUT_NATIVE}`,
    );
  }
  if (arch !== 'x64' && arch !== 'arm64') {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `pidns-tree has no native build for linux-${arch} (only x64 and arm64, glibc and musl), which ` +
        `${NEEDS_NATIVE} need; ${WITHOUT_NATIVE}`,
    );
  }
  return `linux-${arch}-${libc()}`;
}

/** PIDNS_TREE_NO_NATIVE=1: behave as if this platform had no native part. */
function turnedOff(): void {
  if (process.env['PIDNS_TREE_NO_NATIVE'] === '1') {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `the native part of pidns-tree (here the package pidns-tree-${platformTag()}) is turned off ` +
        `(PIDNS_TREE_NO_NATIVE=1): ${NEEDS_NATIVE} need it and Linux; ${WITHOUT_NATIVE}`,
    );
  }
}

/**
 * Where the binding and pidns-init are: a local build (native/, after `npm run build` in a
 * checkout) or the per-platform package npm installed (pidns-tree-linux-x64-gnu, ...).
 */
function nativeFiles(): { binding: string; init: string } {
  turnedOff();
  if (files !== undefined) return files;
  const tag = platformTag();
  const local = path.join(packageRoot, 'native');
  const localBinding = path.join(local, `pidns-tree.${tag}.node`);
  if (existsSync(localBinding)) return (files = { binding: localBinding, init: path.join(local, 'pidns-init') });
  const pkg = `pidns-tree-${tag}`;
  let dir: string;
  try {
    dir = path.dirname(requireHere.resolve(`${pkg}/package.json`));
  } catch {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `the native part of pidns-tree for ${tag} is missing: install ${pkg} (npm installs it with pidns-tree ` +
        'unless optional dependencies are omitted), or build it in a checkout with `npm run build`; ' +
        `${NEEDS_NATIVE} need it, ${WITHOUT_NATIVE}`,
    );
  }
  return (files = { binding: path.join(dir, `pidns-tree.${tag}.node`), init: path.join(dir, 'pidns-init') });
}

/**
 * Throws NATIVE_MISSING (saying why and which package) unless the native part is here, without
 * loading it: what the commands that need it check first, so that they all say the same.
 */
export function requireNative(): void {
  nativeFiles();
}

export function native(): NativeBinding {
  turnedOff();
  if (binding !== undefined) return binding;
  binding = requireHere(nativeFiles().binding) as NativeBinding;
  return binding;
}

/** The init binary; PIDNS_TREE_INIT overrides it (to test another build). */
export function initPath(): string {
  turnedOff();
  const file = process.env['PIDNS_TREE_INIT'] ?? nativeFiles().init;
  if (!existsSync(file)) {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `pidns-init is missing (no ${file}): reinstall pidns-tree, or run \`npm run build\` in a checkout`,
    );
  }
  return file;
}
