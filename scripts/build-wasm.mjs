#!/usr/bin/env node
// Builds the model and the simulator (crates/wasm) for wasm32-unknown-unknown and puts the
// module where the package ships it and the loaders find it: dist/wasm/pidns_tree.wasm.
// No wasm-bindgen, no runtime: the module has no imports (crates/wasm/src/lib.rs, the ABI).
// A Node script rather than shell: it runs on macOS and Windows too (the portable CI jobs).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = 'wasm32-unknown-unknown';

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (r.error !== undefined) throw new Error(`build-wasm: cannot run ${command}: ${r.error.message}`);
  return r.status ?? 1;
}

// Rust's std for the target, added by rustup once if it is missing.
const libdir = spawnSync('rustc', ['--print', 'target-libdir', '--target', target], { cwd: root, encoding: 'utf8' });
if (libdir.status !== 0 || !existsSync(libdir.stdout.trim())) {
  if (run('rustup', ['target', 'add', target]) !== 0) {
    console.error(`build-wasm: Rust's std for ${target} is missing and rustup could not add it`);
    process.exit(1);
  }
}
// The `wasm` profile (Cargo.toml): release, optimised for size.
if (run('cargo', ['build', '-p', 'pidns-wasm', '--target', target, '--profile', 'wasm']) !== 0) process.exit(1);
mkdirSync(path.join(root, 'dist', 'wasm'), { recursive: true });
copyFileSync(
  path.join(root, 'target', target, 'wasm', 'pidns_wasm.wasm'),
  path.join(root, 'dist', 'wasm', 'pidns_tree.wasm'),
);
