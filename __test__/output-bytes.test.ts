/**
 * Output arrives byte for byte: whatever a process writes (UTF-8, binary, carriage returns,
 * lines of any length, a last line without a newline) comes back exactly from its `output`
 * events, through the API and through `spawn --json`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import type { TreeEvent } from '../src/events.js';
import { spawnTree } from '../src/index.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';
import { ndjson, ofKind } from './helpers/events.js';

/** A deterministic generator (xorshift), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Lines of 0 to 200 KiB of random binary, random UTF-8, or text with \r; maybe no final newline. */
function randomOutput(seed: number): Buffer {
  const next = random(seed);
  const parts: Buffer[] = [];
  const utf8 = ['a', 'é', '€', '😀', '\r', ' ', 'z', '\t'];
  for (let line = 0; line < 12; line += 1) {
    const len = Math.floor(next() ** 3 * 200 * 1024);
    const kind = Math.floor(next() * 3);
    if (kind === 0) {
      const bytes = Buffer.alloc(len);
      for (let i = 0; i < len; i += 1) {
        const b = Math.floor(next() * 256);
        bytes[i] = b === 10 ? 11 : b;
      }
      parts.push(bytes);
    } else {
      const chars: string[] = [];
      for (let bytes = 0; bytes < len;) {
        const c = utf8[Math.floor(next() * utf8.length)] ?? 'a';
        chars.push(c);
        bytes += Buffer.byteLength(c);
      }
      parts.push(Buffer.from(chars.join('')));
    }
    if (line < 11 || next() < 0.5) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** The bytes a stream's `output` events stand for. */
function bytesOf(events: readonly TreeEvent[], stream: 'stdout' | 'stderr'): Buffer {
  const parts: Buffer[] = [];
  for (const e of events) {
    if (e.event !== 'output' || e.stream !== stream) continue;
    parts.push(e.base64 === undefined ? Buffer.from(e.line, 'utf8') : Buffer.from(e.base64, 'base64'));
    if (e.newline !== false) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

function files(count: number): { dir: string; outputs: Buffer[] } {
  const dir = tempDir();
  const outputs = Array.from({ length: count }, (_, i) => randomOutput(1000 + i));
  outputs.forEach((bytes, i) => writeFileSync(path.join(dir, `out-${i}`), bytes));
  return { dir, outputs };
}

test('random binary and UTF-8 output, lines of 0 to 200 KiB, comes back byte for byte (API)', async (t) => {
  const { dir, outputs } = files(6);
  await using tree = await spawnTree(
    {
      name: 'r',
      processes: outputs.map((_, i) => ({
        name: `w${i}`,
        command: ['sh', '-c', `cat ${dir}/out-${i}; cat ${dir}/out-${(i + 1) % outputs.length} >&2`],
      })),
    },
    { keepOutput: 'all' },
  );
  await tree.wait();
  const events: TreeEvent[] = [];
  for await (const e of tree.events()) events.push(e);
  outputs.forEach((bytes, i) => {
    const mine = events.filter((e) => 'process' in e && e.process === `w${i}`);
    t.true(bytesOf(mine, 'stdout').equals(bytes), `w${i} stdout`);
    t.true(bytesOf(mine, 'stderr').equals(outputs[(i + 1) % outputs.length] ?? Buffer.alloc(0)), `w${i} stderr`);
  });
  const pieces = events.filter(ofKind('output'));
  t.true(
    pieces.every((e) => Buffer.byteLength(e.base64 === undefined ? e.line : Buffer.from(e.base64, 'base64')) <= 65536),
  );
});

test('the same through spawn --json, and a line of exactly 64 KiB is one line', async (t) => {
  const { dir, outputs } = files(2);
  const exact = Buffer.concat([Buffer.alloc(65536, 'x'), Buffer.from('\n')]);
  writeFileSync(path.join(dir, 'exact'), exact);
  const spec = {
    name: 'r',
    processes: [
      { name: 'a', command: ['cat', `${dir}/out-0`] },
      { name: 'b', command: ['cat', `${dir}/out-1`] },
      // Written in two parts, so the line arrives in two reads.
      { name: 'exact', command: ['sh', '-c', `head -c 40000 ${dir}/exact; sleep 0.1; tail -c +40001 ${dir}/exact`] },
    ],
  };
  const r = await runCli(['spawn', '--json', '-'], { input: JSON.stringify(spec) });
  t.is(r.code, 0, r.stderr);
  const events = ndjson(r.stdout);
  const of = (p: string) => events.filter((e) => 'process' in e && e.process === p);
  t.true(bytesOf(of('a'), 'stdout').equals(outputs[0] ?? Buffer.alloc(0)));
  t.true(bytesOf(of('b'), 'stdout').equals(outputs[1] ?? Buffer.alloc(0)));
  const exactLines = of('exact').filter((e) => e.event === 'output');
  t.is(exactLines.length, 1);
  t.true(bytesOf(of('exact'), 'stdout').equals(exact));
});
