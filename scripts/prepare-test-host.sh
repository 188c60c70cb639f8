#!/usr/bin/env bash
# Makes this machine able to run the test suite, so that `npm test` (whose pretest runs this)
# is the one command the README gives, also on a fresh machine with Linux, Node, Rust and root.
#
# Idempotent: it checks each thing the suite needs and only acts on what is missing. As root
# with apt (Debian, Ubuntu), it installs missing packages and creates the `pidns-test` user;
# it adds Rust's musl target with rustup. Anything it cannot do is listed with what to run,
# and it exits 1 before the build and the tests start.
#
# Usage: scripts/prepare-test-host.sh   (PIDNS_PREPARE_DRY_RUN=1: only report what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run="${PIDNS_PREPARE_DRY_RUN:-}"
if [ "$(id -u)" = 0 ]; then root=1; else root=; fi
if command -v apt-get >/dev/null 2>&1; then apt=1; else apt=; fi

# Any Chromium the browser tests find will do (GitHub's Ubuntu runners have google-chrome, and
# Ubuntu's chromium package is a snap wrapper): apt's chromium only when there is none.
have_chromium() {
  [ -n "${PIDNS_TREE_CHROMIUM:-}" ] || command -v chromium || command -v google-chrome || command -v chromium-browser
}

# What the suite runs, each as: check command | Debian package | what it is for.
# A check is a command that succeeds when the need is met.
requirements=(
  "test -x /usr/bin/tini|tini|Debian's tini, the reference __test__/tini-compat.test.ts compares pidns-init with"
  "test -x /usr/bin/python3|python3|python3 at /usr/bin/python3 (launchers and probes in the rule, CLI, live and tini tests)"
  "command -v setpriv|util-linux|setpriv (tests that drop privileges or run as pidns-test)"
  "command -v unshare|util-linux|unshare (the tini tests run each init in a PID namespace of its own)"
  "command -v script|bsdutils|script (the live tests give exec a terminal)"
  "command -v mkfifo|coreutils|mkfifo"
  "command -v bash|bash|bash"
  "command -v perl|perl-base|perl (the PID 1 of examples/checks/orphans.json waits for its zombies with it)"
  "command -v cc|gcc|a C compiler and linker (cc) for Rust to link with"
  "test -e /usr/include/stdio.h|libc6-dev|the C library's headers and startup files (libc6-dev), for linking"
  "have_chromium|chromium|a Chromium (Debian's chromium, or Chrome; PIDNS_TREE_CHROMIUM names another): the browser tests (pidns-tree/model, pidns-tree ui, the playground, the Mermaid export) run in it"
  # For `pidns-tree test` (issue 15): its JUnit reports are checked against the JUnit schemas.
  "command -v xmllint|libxml2-utils|xmllint (__test__/selfcheck-cli.test.ts checks JUnit reports against the JUnit schemas)"
)

missing_packages=()
missing_text=()
for requirement in "${requirements[@]}"; do
  IFS='|' read -r check package what <<<"$requirement"
  if ! eval "$check" >/dev/null 2>&1; then
    missing_text+=("$what: apt-get install $package")
    [[ " ${missing_packages[*]} " == *" $package "* ]] || missing_packages+=("$package")
  fi
done

if [ ${#missing_packages[@]} -gt 0 ] && [ -n "$root" ] && [ -n "$apt" ] && [ -z "$dry_run" ]; then
  echo "prepare-test-host: installing ${missing_packages[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  missing_text=()
  for requirement in "${requirements[@]}"; do
    IFS='|' read -r check package what <<<"$requirement"
    eval "$check" >/dev/null 2>&1 || missing_text+=("$what: apt-get install $package (installed, still missing)")
  done
fi

# The unprivileged user the rootless and install tests run as.
if ! id pidns-test >/dev/null 2>&1; then
  if [ -n "$root" ] && [ -z "$dry_run" ]; then
    echo "prepare-test-host: creating the user pidns-test"
    useradd --system --no-create-home --shell /usr/sbin/nologin pidns-test
  else
    missing_text+=("the unprivileged user the rootless tests run as: useradd --system --no-create-home --shell /usr/sbin/nologin pidns-test")
  fi
fi

# pidns-init is linked statically with musl (scripts/build-init.sh): Rust's std for that target.
musl_target="$(uname -m)-unknown-linux-musl"
if command -v rustc >/dev/null 2>&1 && [ -d "$(rustc --print target-libdir --target "$musl_target" 2>/dev/null || echo /nonexistent)" ]; then
  :
elif command -v rustup >/dev/null 2>&1 && [ -z "$dry_run" ]; then
  echo "prepare-test-host: adding Rust's $musl_target target"
  rustup target add "$musl_target"
else
  missing_text+=("Rust's std for $musl_target (pidns-init is linked with musl): rustup target add $musl_target (install Rust with rustup)")
fi

# What cannot be installed from here.
command -v cargo >/dev/null 2>&1 || missing_text+=("cargo: install Rust (stable >= 1.88) with rustup, https://rustup.rs")
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  missing_text+=("Node.js >= 20.19 (this is $(node --version 2>/dev/null || echo 'no node'))")
fi

if [ ${#missing_text[@]} -gt 0 ]; then
  {
    echo "prepare-test-host: the test suite needs what is missing here:"
    printf '  - %s\n' "${missing_text[@]}"
    if [ -z "$root" ]; then
      echo "Run npm test as root (PID namespaces need CAP_SYS_ADMIN): with apt, this script installs the packages itself."
    elif [ -z "$apt" ]; then
      echo "No apt here: install the equivalent packages of your distribution."
    fi
  } >&2
  exit 1
fi
echo "prepare-test-host: everything the tests need is here"
