#!/usr/bin/env node
// A process using pidns-tree's API as a program would: spawnTree, then a consumer that reads
// every event from events() until `end`. Run by the harness (processes.mjs), which reads this
// process's peak memory at its exit.
// Usage: node api-worker.mjs ROOT SPEC.json   (ROOT: the package, built)
// Prints { ms, lines, bytes, starts, exits, failed, code }: ms from spawnTree to the end; the
// output lines and their bytes (without newlines); start and exit events; exits not 0.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [root, specFile] = process.argv.slice(2);
const { spawnTree } = await import(path.join(root, 'dist', 'src', 'index.js'));
const spec = JSON.parse(readFileSync(specFile, 'utf8'));

// One small tree first: the binding loaded and the event path compiled, as in a program that
// has been running for a while.
const warm = await spawnTree({ name: 'warm', processes: [{ name: 'p', command: ['true'] }] });
for await (const event of warm.events()) void event;

const t0 = process.hrtime.bigint();
const tree = await spawnTree(spec);
const report = { ms: 0, lines: 0, bytes: 0, starts: 0, exits: 0, failed: 0, code: -1 };
for await (const event of tree.events()) {
  switch (event.event) {
    case 'output':
      report.lines += 1;
      report.bytes +=
        event.base64 === undefined ? Buffer.byteLength(event.line) : Buffer.from(event.base64, 'base64').length;
      break;
    case 'start':
      report.starts += 1;
      break;
    case 'exit':
      report.exits += 1;
      if (event.code !== 0) report.failed += 1;
      break;
    case 'end':
      report.code = event.code;
      break;
    default:
  }
}
report.ms = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(`${JSON.stringify(report)}\n`);
