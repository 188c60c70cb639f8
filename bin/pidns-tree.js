#!/usr/bin/env node
// The `pidns-tree` command: a thin shim over the compiled CLI.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
