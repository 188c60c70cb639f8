#!/usr/bin/env node
// The `pidns-tree` command: a thin shim over the bundled CLI (scripts/build-cli.mjs). CommonJS
// (bin/package.json), like what it loads: an ES module entry would start Node's ESM loader.
require('../dist/src/cli/launch.cjs');
