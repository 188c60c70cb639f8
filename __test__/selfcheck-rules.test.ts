/**
 * The checking rules without a kernel: an Observation fed synthetic events, judged by evaluate;
 * the pool's order; inputs (files, dirs, globs); the reporters' options and escaping.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { evaluate } from '../src/check/evaluate.js';
import type { Expectation } from '../src/check/expectations.js';
import { resolveInputs, segmentPattern } from '../src/check/inputs.js';
import { Observation } from '../src/check/observe.js';
import { inOrder } from '../src/check/pool.js';
import { escapeData, escapeProperty, GithubReporter } from '../src/check/reporters/github.js';
import { xmlText } from '../src/check/reporters/junit.js';
import { parseReporters } from '../src/check/reporters/reporter.js';
import { totals, type TreeResult } from '../src/check/results.js';
import type { OutputEvent, TreeEvent } from '../src/events.js';
import { LineRun } from '../src/frames.js';
import { tempDir } from './helpers/host.js';
import { plan } from './helpers/specs.js';

const spec = plan({
  name: 'root',
  processes: [{ name: 'p', command: ['x'] }],
  children: [{ name: 'u', init: { command: ['y'] } }],
});

const start = (node: string, process: string, pid: number): TreeEvent => ({
  event: 'start',
  node,
  process,
  pid,
  pids: { host: 100 + pid, root: pid },
  command: [],
});

const at = { node: 'root', path: '$.x', line: 3, column: 7 } as const;
const p = { ...at, subject: 'process', process: 'p' } as const;
const ns = (node: string) => ({ ...at, node, subject: 'namespace' }) as const;

/** The results of `expectations` after `events`, one per ms. */
function judge(expectations: Expectation[], events: TreeEvent[], keep = ['root:p']) {
  const obs = new Observation(spec, new Set(keep));
  events.forEach((e, i) => obs.event(e, i));
  return { obs, results: evaluate(expectations, obs) };
}

const ran: TreeEvent[] = [
  start('root', 'init', 1),
  start('root', 'p', 2),
  start('root/u', 'init', 3),
  { event: 'output', node: 'root', process: 'p', stream: 'stdout', line: 'hello' },
  { event: 'output', node: 'root', process: 'p', stream: 'stdout', line: 'wor', newline: false },
  { event: 'output', node: 'root', process: 'p', stream: 'stdout', line: 'ld' },
  {
    event: 'output',
    node: 'root',
    process: 'p',
    stream: 'stderr',
    line: '',
    base64: Buffer.from([0xff]).toString('base64'),
  },
  { event: 'zombies', node: 'root/u', count: 2, pids: [4, 5] },
  { event: 'zombies', node: 'root/u', count: 1, pids: [5] },
  { event: 'reap', node: 'root', pid: 7, code: 0, signal: null },
  { event: 'exit', node: 'root', process: 'p', code: 143, signal: 'SIGTERM' },
  { event: 'exit', node: 'root/u', process: 'init', code: 0, signal: null },
  { event: 'exit', node: 'root', process: 'init', code: 143, signal: null },
  { event: 'end', code: 143 },
];

test('each kind judged, holding and failing, in words', (t) => {
  const { results } = judge(
    [
      { ...p, kind: 'exitCode', codes: [0, 143] },
      { ...p, kind: 'exitCode', codes: [0] },
      { ...p, kind: 'signal', signal: 'SIGTERM' },
      { ...p, kind: 'signal', signal: 'SIGKILL' },
      { ...p, kind: 'output', stream: 'stdout', match: 'contains', value: 'world' },
      { ...p, kind: 'output', stream: 'stdout', match: 'contains', value: 'bye' },
      { ...p, kind: 'output', stream: 'stdout', match: 'matches', value: '^w.r' },
      { ...p, kind: 'output', stream: 'stdout', match: 'lines', value: ['hello', 'world'] },
      { ...p, kind: 'output', stream: 'stdout', match: 'lines', value: ['hello'] },
      { ...p, kind: 'output', stream: 'stderr', match: 'lines', value: ['\uFFFD'] },
      { ...ns('root/u'), kind: 'zombies', bound: 'max', count: 2 },
      { ...ns('root/u'), kind: 'zombies', bound: 'max', count: 1 },
      { ...ns('root/u'), kind: 'zombies', bound: 'atEnd', count: 1 },
      { ...ns('root'), kind: 'reaped', min: 2 },
      { ...at, subject: 'tree', kind: 'code', codes: [143] },
    ],
    ran,
  );
  const got = results.map((r) => [r.passed, r.title, r.actual]);
  t.deepEqual(got, [
    [true, 'root:p exits with code 0 or 143', 'was killed by SIGTERM (143)'],
    [false, 'root:p exits with code 0', 'was killed by SIGTERM (143)'],
    [true, 'root:p is killed by SIGTERM', 'was killed by SIGTERM (143)'],
    [false, 'root:p is killed by SIGKILL', 'was killed by SIGTERM (143)'],
    [true, 'root:p stdout contains "world"', 'found on line 2'],
    [false, 'root:p stdout contains "bye"', 'not found: 2 lines of stdout: it is "hello", "world"'],
    [true, 'root:p stdout matches /^w.r/m', 'matched "wor" on line 2'],
    [true, 'root:p stdout is exactly 2 lines: "hello", "world"', 'it is'],
    [false, 'root:p stdout is exactly 1 line: "hello"', 'it has 2 lines: line 2 is "world", more than expected'],
    [true, 'root:p stderr is exactly 1 line: "\uFFFD"', 'it is'],
    [true, 'root/u has at most 2 zombies under its PID 1 at any time', '2 at once (pids 4, 5)'],
    [false, 'root/u has at most 1 zombie under its PID 1 at any time', '2 at once (pids 4, 5)'],
    [true, 'root/u ends with exactly 1 zombie under its PID 1', '1 when it ended (pid 5)'],
    [false, 'root reaps at least 2 orphans', 'it reaped 1 (pid 7)'],
    [true, 'tree root exits with 143', 'it exited 143: root:p was killed by SIGTERM (143)'],
  ]);
  t.true(results.every((r) => r.expectation.line === 3 && r.expectation.column === 7));
});

test('implicit expectations are reported only when they fail; a tree without any must exit 0', (t) => {
  const tree = { ...at, subject: 'tree' } as const;
  const quiet = judge(
    [
      { ...tree, kind: 'ranAsDeclared', implicit: 'always' },
      { ...tree, kind: 'within', ms: 60_000, implicit: 'timeout' },
      { ...tree, kind: 'code', codes: [0], implicit: 'noExpect' },
    ],
    ran,
  ).results;
  t.deepEqual(
    quiet.map((r) => [r.passed, r.title]),
    [[false, 'tree root exits with 0 (the file states no expectation)']],
  );
  const error: TreeEvent = { event: 'error', node: 'root/u', message: 'fork failed: pids.max (10) reached' };
  const { obs, results } = judge([{ ...tree, kind: 'ranAsDeclared', implicit: 'always' }], [error, ...ran]);
  obs.treeStopped = 'within 1 s (--timeout) passed';
  t.deepEqual(
    results.map((r) => r.actual),
    ['root/u: fork failed: pids.max (10) reached'],
  );
  const stopped = evaluate([{ ...tree, kind: 'within', ms: 1000, implicit: 'timeout' }], obs);
  t.deepEqual(
    stopped.map((r) => [r.title, r.actual]),
    [['tree root ends within 1 s (--timeout)', 'still running after 1 s: pidns-tree stopped it']],
  );
});

test('what never started says why; a process stopped at its bound says so', (t) => {
  const error: TreeEvent = { event: 'error', node: 'root', message: 'cannot fork' };
  const { results } = judge(
    [
      { ...p, kind: 'exitCode', codes: [0] },
      { ...ns('root'), kind: 'processesSeen', count: 2 },
    ],
    [
      start('root', 'init', 1),
      error,
      { event: 'exit', node: 'root', process: 'init', code: 1, signal: null },
      { event: 'end', code: 1 },
    ],
  );
  t.deepEqual(
    results.map((r) => r.actual),
    ['it never started: root: cannot fork', 'not read: the tree never was fully up (root: cannot fork)'],
  );
  const obs = new Observation(spec, new Set());
  ran.forEach((e, i) => obs.event(e, i * 100));
  obs.stopped.set('root:p', 'within 0.3 s passed');
  t.deepEqual(
    evaluate(
      [
        { ...p, kind: 'within', ms: 300 },
        { ...p, kind: 'exitCode', codes: [0] },
      ],
      obs,
    ).map((r) => r.actual),
    [
      'still running after 0.3 s: pidns-tree stopped it, and it was killed by SIGTERM (143)',
      'was killed by SIGTERM (143) (pidns-tree stopped it: within 0.3 s passed)',
    ],
  );
});

/**
 * An `l` frame's payload as the collector writes it (crates/core/src/wire/frames.rs): whose
 * lines, then per line a header (length, 1<<30 not UTF-8, 1<<31 no newline) and its bytes.
 */
function lineFrame(node: string, process: string, stderr: boolean, lines: [Buffer, boolean][]): Buffer {
  const text = (s: string) => {
    const b = Buffer.from(s);
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return [n, b];
  };
  const records = lines.flatMap(([bytes, newline]) => {
    const header = Buffer.alloc(4);
    const utf8 = Buffer.from(bytes.toString('utf8')).equals(bytes);
    header.writeUInt32LE((bytes.length | (utf8 ? 0 : 1 << 30) | (newline ? 0 : 2 ** 31)) >>> 0);
    return [header, bytes];
  });
  return Buffer.concat([...text(node), ...text(process), Buffer.from([stderr ? 1 : 0]), ...records]);
}

test('output lines taken as a frame keep the same bytes as taken as events: not UTF-8, \\r, pieces without a newline, short and long', (t) => {
  const lines: [Buffer, boolean][] = [
    [Buffer.from('hello'), true],
    [Buffer.from([0x61, 0xff, 0x62, 0x0d]), true],
    [Buffer.from(''), true],
    [Buffer.from('wor'), false],
    [Buffer.from([0xe2, 0x82]), false],
    [Buffer.from('ld'), true],
    [Buffer.from(`${'y'.repeat(100)}\xff`, 'latin1'), true],
    [Buffer.from('z'.repeat(63)), true],
    [Buffer.from('last'), false],
  ];
  const run = new LineRun(lineFrame('root', 'p', false, lines));
  const events: OutputEvent[] = Array.from({ length: run.length }, (_, i) => run.event(i));
  const byEvents = new Observation(spec, new Set(['root:p']));
  events.forEach((e, i) => byEvents.event(e, i));
  const byFrame = new Observation(spec, new Set(['root:p']));
  byFrame.lines(run);
  // Another process's lines, and another stream's, are not this one's.
  byFrame.lines(new LineRun(lineFrame('root', 'p', true, [[Buffer.from('err'), true]])));
  byFrame.lines(new LineRun(lineFrame('root/u', 'init', false, [[Buffer.from('x'), true]])));
  const written = Buffer.concat(lines.map(([b, newline]) => (newline ? Buffer.concat([b, Buffer.from('\n')]) : b)));
  t.deepEqual(byFrame.output('root:p', 'stdout'), written);
  t.deepEqual(byEvents.output('root:p', 'stdout'), written);
  t.deepEqual(byFrame.output('root:p', 'stderr'), Buffer.from('err\n'));
  t.is(byFrame.output('root/u:init', 'stdout'), undefined, 'not kept: its output is not checked');
});

test('the start completes once every init and process has started', (t) => {
  const obs = new Observation(spec, new Set());
  t.deepEqual(
    ran.slice(0, 4).map((e, i) => obs.event(e, i)),
    [false, false, true, false],
  );
  t.is(obs.upAt, 2);
});

test('the pool runs `jobs` at a time and delivers in input order, each once', async (t) => {
  const releases: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const delivered: number[] = [];
  const done = inOrder(
    [0, 1, 2, 3, 4],
    2,
    (n) =>
      new Promise<number>((resolve) => {
        running += 1;
        most = Math.max(most, running);
        releases[n] = () => {
          running -= 1;
          resolve(n * 10);
        };
      }),
    (r, i) => delivered.push(i, r),
  );
  // Finish out of order: 1 before 0, then the rest as they start.
  await Promise.resolve();
  releases[1]?.();
  await new Promise(setImmediate);
  t.deepEqual(delivered, [], 'nothing before the first is done');
  releases[0]?.();
  for (const n of [3, 2, 4]) {
    await new Promise(setImmediate);
    releases[n]?.();
  }
  t.deepEqual(await done, [0, 10, 20, 30, 40]);
  t.deepEqual(delivered, [0, 0, 1, 10, 2, 20, 3, 30, 4, 40]);
  t.is(most, 2);
});

test('inputs: files, directories, globs; sorted, once each; what matched nothing is said', (t) => {
  const dir = tempDir();
  const file = (rel: string): void => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), '{}');
  };
  ['a.json', 'b/c.json', 'b/d/e.json', 'b/x.txt', 'node_modules/m.json', '.hidden/h.json', 'f.json'].forEach(file);
  symlinkSync(path.join(dir, 'b'), path.join(dir, 'link'));
  const rel = (files: string[]) => files.map((f) => path.relative(dir, f));
  t.deepEqual(rel(resolveInputs([dir]).files), ['a.json', 'b/c.json', 'b/d/e.json', 'f.json']);
  t.deepEqual(rel(resolveInputs([`${dir}/*.json`, `${dir}/a.json`]).files), ['a.json', 'f.json']);
  t.deepEqual(rel(resolveInputs([`${dir}/**/*.json`]).files), ['a.json', 'b/c.json', 'b/d/e.json', 'f.json']);
  t.deepEqual(rel(resolveInputs([`${dir}/b/?/[a-e].json`]).files), ['b/d/e.json']);
  const none = resolveInputs([`${dir}/*.yaml`, `${dir}/missing.json`, `${dir}/b/d/e.json`]);
  t.deepEqual(rel(none.files), ['b/d/e.json']);
  t.deepEqual(
    none.unmatched.map((u) => u.why),
    ['no file matches this pattern', 'no such file or directory'],
  );
  t.true(segmentPattern('*.json').test('x.json'));
  t.false(segmentPattern('*.json').test('.x.json'), 'a leading dot is matched only by a dot, as in the shell');
});

test('--reporter: names, files, at most one on standard output, github implied in GitHub Actions', (t) => {
  t.deepEqual(parseReporters(['human', 'junit=r.xml'], false), [{ name: 'human' }, { name: 'junit', file: 'r.xml' }]);
  t.deepEqual(parseReporters(['tap'], true), [{ name: 'tap' }, { name: 'github' }]);
  t.throws(() => parseReporters(['html'], false), {
    message: /unknown reporter "html": choose human, tap, junit or github/,
  });
  t.throws(() => parseReporters(['human', 'tap'], false), {
    message: /human and tap would both write to standard output/,
  });
  t.throws(() => parseReporters(['junit'], true), { message: /write it to a file \(--reporter junit=report.xml\)/ });
  t.throws(() => parseReporters(['github=x'], false), { message: /github takes no file/ });
  t.throws(() => parseReporters(['junit='], false), { message: /needs a file name/ });
});

test('escaping: workflow commands and XML', (t) => {
  t.is(escapeData('50% done\r\nnext'), '50%25 done%0D%0Anext');
  t.is(escapeProperty('a:b,c'), 'a%3Ab%2Cc');
  t.is(xmlText('<a & "b">\u0001\u001b'), '&lt;a &amp; &quot;b&quot;&gt;\uFFFD\uFFFD');
});

test("the GitHub summary stays under GitHub's 1 MiB: the trees that passed lose their details first", (t) => {
  const summary = path.join(tempDir(), 'summary.md');
  const reporter = new GithubReporter({ workspace: '/w', summaryFile: summary, write: () => undefined });
  const expectation: Expectation = { ...p, kind: 'exitCode', codes: [0] };
  const tree = (i: number, passed: boolean): TreeResult => ({
    source: `/w/t${i}.json`,
    file: `/w/t${i}.json`,
    name: 'root',
    status: passed ? 'passed' : 'failed',
    durationMs: 1,
    issues: [],
    results: [{ expectation, title: `root:p ${'x'.repeat(400)}`, passed, expected: 'e', actual: passed ? 'ok' : 'no' }],
  });
  const results = [tree(0, false), ...Array.from({ length: 2000 }, (_, i) => tree(i + 1, true))];
  reporter.start({ files: [], jobs: 2, startedAt: new Date() });
  reporter.end(totals(results, 1), results);
  const md = readFileSync(summary, 'utf8');
  t.true(Buffer.byteLength(md) < 1024 * 1024);
  t.true(md.includes('(Details of the trees that passed are left out: GitHub takes a summary of at most 1 MiB.)'));
  t.true(md.includes('<details open><summary>❌ <code>t0.json</code></summary>'));
  t.false(md.includes('<summary>✅'));
  t.is((md.match(/^\| ✅ \| <code>t\d+\.json<\/code>/gm) ?? []).length, 2000, 'every tree is still in the table');
});
