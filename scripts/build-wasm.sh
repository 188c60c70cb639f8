#!/usr/bin/env bash
# Builds the model and the simulator (crates/wasm) for wasm32-unknown-unknown and puts the
# module where the package ships it and the loaders find it: dist/wasm/pidns_tree.wasm.
# No wasm-bindgen, no runtime: the module has no imports (crates/wasm/src/lib.rs, the ABI).
set -euo pipefail
cd "$(dirname "$0")/.."
target=wasm32-unknown-unknown
if [ ! -d "$(rustc --print target-libdir --target "$target")" ]; then
  if ! command -v rustup >/dev/null; then
    echo "build-wasm: Rust's std for $target is not installed, and there is no rustup to add it" >&2
    exit 1
  fi
  rustup target add "$target"
fi
# The `wasm` profile (Cargo.toml): release, optimised for size.
cargo build -p pidns-wasm --target "$target" --profile wasm
mkdir -p dist/wasm
cp "target/$target/wasm/pidns_wasm.wasm" dist/wasm/pidns_tree.wasm
