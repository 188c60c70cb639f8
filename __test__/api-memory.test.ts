/**
 * The API's memory and its replay: a flood read by a consumer stays under a stated resident
 * bound, lines kept for later come back exactly as `spawn --json` prints them, and the
 * `keepOutput` window holds exactly the lines it says. Sizes and counts; no timing.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import test from 'ava';

import { spawnTree, type TreeEvent } from '../src/index.js';
import { root, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';
import { isOutput, ndjson, ofKind } from './helpers/events.js';

const run = promisify(execFile);

test('a 50 MB flood read by one consumer keeps the API process under 100 MiB resident', async (t) => {
  const dir = tempDir();
  const script = path.join(dir, 'flood.mjs');
  // A program using the API as a user would, in a process of its own: its peak resident size
  // (VmHWM) is read when the consumer has seen the end.
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
    import { spawnTree } from ${JSON.stringify(path.join(root, 'dist/src/index.js'))};
    const line = 'abcdefghij klmnopqrst uvwxyz abcdefghij klmnopq';
    const tree = await spawnTree({ name: 'r', processes: [{ name: 'p',
      command: ['sh', '-c', 'yes "${'$'}0" | head -c 50000000', line] }] });
    let lines = 0, bytes = 0, code = -1;
    for await (const e of tree.events()) {
      if (e.event === 'output') { lines += 1; bytes += e.line.length + 1; }
      if (e.event === 'end') code = e.code;
    }
    const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    console.log(JSON.stringify({ lines, bytes, code, hwmKiB: hwm }));`,
  );
  const { stdout } = await run(process.execPath, [script], { cwd: root });
  const r = JSON.parse(stdout) as { lines: number; bytes: number; code: number; hwmKiB: number };
  // head cuts the last line short: every byte but the newline it never wrote.
  t.deepEqual([r.code, r.bytes], [0, 50_000_001]);
  t.is(r.lines, Math.ceil(50_000_000 / 48));
  t.true(r.hwmKiB < 100 * 1024, `peak resident ${Math.round(r.hwmKiB / 1024)} MiB`);
});

test("the API's output events are spawn --json's, also for bytes that are not UTF-8", async (t) => {
  // Truncated and overlong sequences, a surrogate, a lone continuation byte, NUL, \r, a line
  // left without its newline: each decoded to text the same way, and exact in base64.
  const printf = String.raw`printf 'ok é\n\342\202\n\300\257\355\240\200x\n\200\000\r\n\360\237\230\n\377\376end'; printf 'err\351\n' >&2`;
  const spec = { name: 'r', processes: [{ name: 'p', command: ['sh', '-c', printf] }] };
  const cli = await runCli(['spawn', '--json', '-'], { input: JSON.stringify(spec) });
  t.is(cli.code, 0, cli.stderr);
  await using tree = await spawnTree(spec);
  const api: TreeEvent[] = [];
  for await (const e of tree.events()) api.push(e);
  const expected = ndjson(cli.stdout).filter(ofKind('output'));
  t.is(expected.length, 7);
  t.deepEqual(api.filter(ofKind('output')), expected);
  t.is(JSON.stringify(api.filter(ofKind('output'))), JSON.stringify(expected), 'the same fields in the same order');
});

test('keepOutput holds exactly the last lines; waits see output lines; a reader that breaks holds nothing up', async (t) => {
  await using tree = await spawnTree(
    { name: 'r', processes: [{ name: 'p', command: ['seq', '100000'] }] },
    { keepOutput: 3 },
  );
  const line = await tree.waitFor(isOutput('r', 'p', '99999'));
  t.like(line, { event: 'output', node: 'r', process: 'p', stream: 'stdout', line: '99999' });
  // One reader stops after two events and closes its iterator; another reads on.
  let taken = 0;
  for await (const e of tree.events()) {
    void e;
    if (++taken === 2) break;
  }
  t.is((await tree.wait()).code, 0);
  const late: TreeEvent[] = [];
  for await (const e of tree.events()) late.push(e);
  t.deepEqual(
    late.filter(ofKind('output')).map((e) => e.line),
    ['99998', '99999', '100000'],
  );
  t.deepEqual(
    late.map((e) => e.event),
    ['start', 'start', 'output', 'output', 'output', 'exit', 'exit', 'end'],
  );
});

test('keepOutput 0 keeps no line for a late reader, and an iterator ends after end', async (t) => {
  await using tree = await spawnTree(
    { name: 'r', processes: [{ name: 'p', command: ['seq', '1000'] }] },
    { keepOutput: 0 },
  );
  await tree.wait();
  // A reader from a later turn of the event loop: one in the same turn as spawnTree's
  // resolution still gets what was printed while the tree started, and seq may be done by then.
  await new Promise((resolve) => setImmediate(resolve));
  const iterator = tree.events();
  const events: TreeEvent[] = [];
  for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) events.push(r.value);
  t.deepEqual(
    events.map((e) => e.event),
    ['start', 'start', 'exit', 'exit', 'end'],
  );
  t.deepEqual(await iterator.next(), { done: true, value: undefined });
});
