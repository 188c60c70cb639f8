/**
 * Loading the native part: the napi binding (`.node`) and the `pidns-init` binary beside it.
 * Nothing native is loaded until a command needs it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { PidnsTreeError, type SpecIssue } from './errors.js';

export interface NativeTree {
  /** The root init's PID on the host. */
  readonly pid: number;
  /** Read end of the NDJSON event pipe; the caller owns and closes it. */
  readonly eventsFd: number;
  /** Signals the root init through its pidfd; false once the tree is gone. */
  signal(signal: number): boolean;
  /** Signals a process (`init` for a namespace's init) through its pidfd; false if not alive. */
  signalProcess(node: string, process: string, signal: number): boolean;
  /** Starts a command in a namespace as a child of its PID 1; returns the caller's stdio ends. */
  exec(node: string, name: string, command: string[], env: Record<string, string>, cwd: string | null): { stdin: number; stdout: number; stderr: number };
}

export interface NativeSpecCheck {
  plan?: string;
  errors: SpecIssue[];
  hostLevels: number;
  maxDepth: number;
}

interface NativeBinding {
  checkSpec(text: string): NativeSpecCheck;
  spawnTree(initPath: string, planJson: string): NativeTree;
}

/** The package root: this file is dist/src/native.js. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nativeDir = path.join(packageRoot, 'native');

let binding: NativeBinding | undefined;

function platformTag(): string {
  if (process.platform !== 'linux') {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `pidns-tree spawns Linux PID namespaces and cannot run on ${process.platform}; ` +
        'use `pidns-tree validate` there, or run on Linux',
    );
  }
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
  if (arch === undefined) {
    throw new PidnsTreeError('NATIVE_MISSING', `no native build of pidns-tree for ${process.arch}; supported: x64, arm64`);
  }
  return `linux-${arch}`;
}

export function native(): NativeBinding {
  if (binding !== undefined) return binding;
  const tag = platformTag();
  const candidates = ['gnu', 'musl'].map((libc) => path.join(nativeDir, `pidns-tree.${tag}-${libc}.node`));
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `the native binding for ${tag} is not built (looked for ${candidates.join(', ')}): ` +
        'run `npm run build` in the pidns-tree checkout',
    );
  }
  binding = createRequire(import.meta.url)(found) as NativeBinding;
  return binding;
}

/** The init binary; PIDNS_TREE_INIT overrides it (to test another build). */
export function initPath(): string {
  const file = process.env['PIDNS_TREE_INIT'] ?? path.join(nativeDir, 'pidns-init');
  if (!existsSync(file)) {
    throw new PidnsTreeError('NATIVE_MISSING', `pidns-init is not built (no ${file}): run \`npm run build\``);
  }
  return file;
}
