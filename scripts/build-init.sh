#!/usr/bin/env bash
# Builds pidns-init statically linked (glibc's crt-static), so that the same binary runs as
# PID 1 of any namespace and can be copied into a minimal container, and puts it in native/.
# Usage: scripts/build-init.sh [TARGET]   (default: this machine's target)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-$(rustc -vV | sed -n 's/^host: //p')}"
# The flag only reaches artifacts of --target, not build scripts or the napi cdylib.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" cargo build --release -p pidns-init --target "$target"
mkdir -p native
# Replace rather than overwrite: a running tree may be executing the old file.
cp --remove-destination "target/$target/release/pidns-init" native/pidns-init
