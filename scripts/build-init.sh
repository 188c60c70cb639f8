#!/usr/bin/env bash
# Builds pidns-init statically linked, so that the same binary runs as PID 1 of any namespace
# and can be copied into a minimal container, and puts it in native/.
#
# It is linked with musl, whatever libc the platform (and the Node binding) uses: a static
# glibc with Rust's std is 1.5 MB, nearly all of it resident in every init, against 0.8 MB
# (about 0.5 MB resident) with musl. The init's own code keeps glibc's behaviour where the two
# libcs differ (sys::exec, sys::signals) and uses dlmalloc instead of musl's malloc.
#
# Usage: scripts/build-init.sh [TARGET]   (default: this machine's target)
# The init is built for the musl target of TARGET's architecture (x86_64-unknown-linux-musl
# for x86_64-unknown-linux-gnu); PIDNS_INIT_TARGET=... builds another one instead.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-$(rustc -vV | sed -n 's/^host: //p')}"
init_target="${PIDNS_INIT_TARGET:-${target%%-*}-unknown-linux-musl}"
# Rust's musl targets bring their own C runtime and libc.a (no musl-gcc needed); rustup adds
# the target's std once.
if [ ! -d "$(rustc --print target-libdir --target "$init_target")" ]; then
  if ! command -v rustup >/dev/null; then
    echo "build-init: Rust's std for $init_target is not installed, and there is no rustup to add it" >&2
    exit 1
  fi
  rustup target add "$init_target"
fi
# The flag only reaches artifacts of --target, not build scripts or the napi cdylib.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" cargo build --release -p pidns-init --target "$init_target"
mkdir -p native
# Replace rather than overwrite: a running tree may be executing the old file.
cp --remove-destination "target/$init_target/release/pidns-init" native/pidns-init
