/**
 * Self-checking trees on the real kernel: each kind of expectation holding and failing, with
 * the line and column the report gives checked against the file; bounds that stop what hangs,
 * with nothing left behind. Trees that must wait do so on a FIFO gate the test opens when the
 * events say so, never on a timer.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import type { ExpectationResult, TreeResult } from '../src/check/results.js';
import { testTree } from '../src/check/test-tree.js';
import type { StartEvent, TreeEvent } from '../src/events.js';
import { alive, gate, mountTable, tempDir } from './helpers/host.js';
import { runCli } from './helpers/cli.js';
import { ndjson, ofKind } from './helpers/events.js';

/** Writes a tree.json and returns its path. */
function treeFile(text: string): string {
  const file = path.join(tempDir(), 'tree.json');
  writeFileSync(file, text);
  return file;
}

/** Line and column (1-based) of the value after `key` in the text, found by the test itself. */
function valueAt(text: string, key: string, nth = 0): { line: number; column: number } {
  let i = -1;
  for (let k = 0; k <= nth; k += 1) {
    i = text.indexOf(key, i + 1);
    if (i === -1) throw new Error(`${key} not in the text`);
  }
  let v = i + key.length;
  while (text[v] === ' ' || text[v] === ':') v += 1;
  const before = text.slice(0, v).split('\n');
  return { line: before.length, column: (before.at(-1) ?? '').length + 1 };
}

function result(r: TreeResult, title: string): ExpectationResult {
  const found = r.results.find((e) => e.title === title);
  if (found === undefined) throw new Error(`no result "${title}" in ${JSON.stringify(r.results.map((e) => e.title))}`);
  return found;
}

/** Checks one result: held or not, what happened, and where the file says it. */
function check(
  t: import('ava').ExecutionContext,
  r: TreeResult,
  title: string,
  passed: boolean,
  actual: RegExp,
  where: { line: number; column: number },
): void {
  const e = result(r, title);
  t.is(e.passed, passed, `${title}: ${e.actual}`);
  t.regex(e.actual, actual, title);
  t.deepEqual({ line: e.expectation.line, column: e.expectation.column }, where, `${title}: its position`);
}

const EXITS = `{
  "name": "root",
  "expect": {"code": [3, 127, 143]},
  "processes": [
    {"name": "ok", "command": ["true"], "expect": {"exitCode": 0}},
    {"name": "three", "command": ["sh", "-c", "exit 3"], "expect": {"exitCode": [0, 1]}},
    {"name": "term", "command": ["sh", "-c", "kill -TERM $$"], "expect": {"signal": "SIGTERM"}},
    {"name": "term2", "command": ["sh", "-c", "kill -TERM $$"], "expect": {"signal": "SIGKILL"}},
    {"name": "nothere", "command": ["no-such-program-here"], "expect": {"exitCode": 127}}
  ]
}`;

test('exitCode, signal and the tree code: holding and failing, at their line and column', async (t) => {
  const r = await testTree(treeFile(EXITS));
  t.is(r.status, 'failed');
  check(t, r, 'root:ok exits with code 0', true, /^exited 0$/, valueAt(EXITS, '"exitCode"'));
  check(t, r, 'root:three exits with code 0 or 1', false, /^exited 3$/, valueAt(EXITS, '"exitCode"', 1));
  check(t, r, 'root:term is killed by SIGTERM', true, /^was killed by SIGTERM \(143\)$/, valueAt(EXITS, '"signal"'));
  check(
    t,
    r,
    'root:term2 is killed by SIGKILL',
    false,
    /^was killed by SIGTERM \(143\)$/,
    valueAt(EXITS, '"signal"', 1),
  );
  check(
    t,
    r,
    'root:nothere exits with code 127',
    true,
    /^could not run: .*no-such-program-here/,
    valueAt(EXITS, '"exitCode"', 2),
  );
  // The first process to fail decides the tree's status: any of them, in the order they exit.
  check(
    t,
    r,
    'tree root exits with 3, 127 or 143',
    true,
    /^it exited (3|127|143): root:(three|term|term2|nothere) /,
    valueAt(EXITS, '"code"'),
  );
});

const OUTPUT = `{
  "name": "root",
  "processes": [
    {"name": "talker", "command": ["sh", "-c", "printf 'one\\\\ntwo\\\\n'; printf 'no newline'; echo oops >&2"],
     "expect": {
       "stdout": {"contains": ["two\\nno", "three"], "matches": ["^t.o$", "^x"]},
       "stderr": {"lines": ["oops", "more"]}
     }},
    {"name": "liner", "command": ["sh", "-c", "printf 'one\\\\ntwo\\\\n'; printf 'no newline'"],
     "expect": {"stdout": {"lines": ["one", "two", "no newline"]}}}
  ]
}`;

test('stdout and stderr: contains, matches, lines, holding and failing, at their line and column', async (t) => {
  const r = await testTree(treeFile(OUTPUT));
  check(t, r, 'root:talker stdout contains "two\\nno"', true, /^found on line 2$/, valueAt(OUTPUT, '"contains": ['));
  check(
    t,
    r,
    'root:talker stdout contains "three"',
    false,
    /^not found: 3 lines of stdout: it is "one", "two", "no newline"$/,
    valueAt(OUTPUT, '"two\\nno", '),
  );
  check(
    t,
    r,
    'root:talker stdout matches /^t.o$/m',
    true,
    /^matched "two" on line 2$/,
    valueAt(OUTPUT, '"matches": ['),
  );
  check(t, r, 'root:talker stdout matches /^x/m', false, /^no match: /, valueAt(OUTPUT, '"^t.o$", '));
  check(
    t,
    r,
    'root:liner stdout is exactly 3 lines: "one", "two", "no newline"',
    true,
    /^it is$/,
    valueAt(OUTPUT, '"lines"', 1),
  );
  check(
    t,
    r,
    'root:talker stderr is exactly 2 lines: "oops", "more"',
    false,
    /^it has 1 line: line 2 \("more"\) is missing$/,
    valueAt(OUTPUT, '"lines"'),
  );
});

test('within: a process that ends in time holds; one that does not is stopped at its bound (SIGTERM, then SIGKILL)', async (t) => {
  const g = gate(); // never opened: whoever reads it waits until stopped
  const text = `{
  "name": "root",
  "processes": [
    {"name": "quick", "command": ["true"], "expect": {"within": 30}},
    {"name": "stuck", "command": ["sh", "-c", "read _ < ${g.path}"], "expect": {"within": 0.2}},
    {"name": "deaf", "command": ["sh", "-c", "trap '' TERM; read _ < ${g.path}"], "expect": {"within": 0.2, "exitCode": 0}}
  ]
}`;
  const r = await testTree(treeFile(text));
  g.close();
  check(t, r, 'root:quick exits within 30 s', true, /^exited after \d+(\.\d+)? s$/, valueAt(text, '"within"'));
  check(
    t,
    r,
    'root:stuck exits within 0.2 s',
    false,
    /^still running after 0\.2 s: pidns-tree stopped it, and it was killed by SIGTERM \(143\)$/,
    valueAt(text, '"within"', 1),
  );
  check(
    t,
    r,
    'root:deaf exits within 0.2 s',
    false,
    /^still running after 0\.2 s: pidns-tree stopped it, and it was killed by SIGKILL \(137\)$/,
    valueAt(text, '"within"', 2),
  );
  check(
    t,
    r,
    'root:deaf exits with code 0',
    false,
    /^was killed by SIGKILL \(137\) \(pidns-tree stopped it: within 0\.2 s passed\)$/,
    valueAt(text, '"exitCode"'),
  );
});

/**
 * The zombies tree: under a PID 1 that waits on the gate and never reaps (head: a shell would
 * catch SIGCHLD), `parent` leaves three orphans.
 */
function zombiesTree(gatePath: string, expect: string): string {
  return `{
  "name": "root",
  "children": [
    {"name": "noreap",
     "init": {"command": ["head", "-n1", "${gatePath}"], "expect": {"exitCode": 0}},
     "processes": [{"name": "parent", "command": ["sh", "-c", "true & true & true & exit 0"]}],
     "expect": ${expect}}
  ]
}`;
}

/** Runs a tree, opening the gate (for `readers`) once `ready` says so. */
async function runGated(
  text: string,
  g: ReturnType<typeof gate>,
  readers: number,
  ready: (e: TreeEvent, seen: TreeEvent[]) => boolean,
): Promise<{ r: TreeResult; events: TreeEvent[] }> {
  const events: TreeEvent[] = [];
  let opened = false;
  const r = await testTree(treeFile(text), {
    onEvent: (e) => {
      events.push(e);
      if (!opened && ready(e, events)) {
        opened = true;
        g.open(readers);
      }
    },
  });
  g.close();
  return { r, events };
}

test('zombies under your PID 1: at most N at any time, exactly N at the end; its init exit code', async (t) => {
  const expect = `{"zombies": {"max": 3, "atEnd": 3}}`;
  const g = gate();
  const text = zombiesTree(g.path, expect);
  // The namespace ends (its PID 1 reads the gate) once pidns-tree has counted the three.
  const { r } = await runGated(text, g, 1, (e) => e.event === 'zombies' && e.count === 3);
  t.is(r.status, 'passed', JSON.stringify(r.results));
  check(t, r, 'root/noreap:init exits with code 0', true, /^exited 0$/, valueAt(text, '"exitCode"'));
  check(
    t,
    r,
    'root/noreap has at most 3 zombies under its PID 1 at any time',
    true,
    /^3 at once \(pids \d+, \d+, \d+\)$/,
    valueAt(text, '"max"'),
  );
  check(
    t,
    r,
    'root/noreap ends with exactly 3 zombies under its PID 1',
    true,
    /^3 when it ended/,
    valueAt(text, '"atEnd"'),
  );

  const g2 = gate();
  const failing = zombiesTree(g2.path, `{"zombies": {"max": 2, "atEnd": 1}}`);
  const { r: f } = await runGated(failing, g2, 1, (e) => e.event === 'zombies' && e.count === 3);
  t.is(f.status, 'failed');
  check(
    t,
    f,
    'root/noreap has at most 2 zombies under its PID 1 at any time',
    false,
    /^3 at once/,
    valueAt(failing, '"max"'),
  );
  check(
    t,
    f,
    'root/noreap ends with exactly 1 zombie under its PID 1',
    false,
    /^3 when it ended/,
    valueAt(failing, '"atEnd"'),
  );
});

test('reaped: the orphans our init reaps, between min and max', async (t) => {
  const text = `{
  "name": "root",
  "processes": [{"name": "parent", "command": ["sh", "-c", "true & true & exit 0"]}],
  "children": [
    {"name": "a", "processes": [{"name": "p", "command": ["sh", "-c", "true & exit 0"]}], "expect": {"reaped": {"max": 0}}}
  ],
  "expect": {"reaped": {"min": 2, "max": 2}}
}`;
  const r = await testTree(treeFile(text));
  check(t, r, 'root reaps exactly 2 orphans', true, /^it reaped 2 \(pids \d+, \d+\)$/, valueAt(text, '"reaped"', 1));
  check(t, r, 'root/a reaps at most 0 orphans', false, /^it reaped 1 \(pid \d+\)$/, valueAt(text, '"reaped"'));
});

for (const mode of ['privileged', 'rootless'] as const) {
  test(`processesSeen: what each namespace's /proc lists once the tree is up [${mode}]`, async (t) => {
    const g = gate();
    const wait = `["sh", "-c", "read _ < ${g.path}"]`;
    const text = `{
  "name": "root",
  "expect": {"processesSeen": 5},
  "processes": [{"name": "r1", "command": ${wait}}],
  "children": [
    {"name": "a", "expect": {"processesSeen": 4}, "processes": [{"name": "a1", "command": ${wait}}, {"name": "a2", "command": ${wait}}]}
  ]
}`;
    const starts = (seen: TreeEvent[]): StartEvent[] => seen.filter(ofKind('start'));
    // The tree is up at its fifth start: by then the runner has read /proc; let them go.
    const { r, events } = await runGated(text, g, 3, (_e, seen) => starts(seen).length === 5);
    const inA = starts(events)
      .filter((s) => s.node === 'root/a')
      .map((s) => s.pids['root/a'])
      .sort();
    check(
      t,
      r,
      'root lists 5 processes in its /proc once the tree is up',
      true,
      /^it listed 5 \(pids 1, 2, 3, 4, 5\)$/,
      valueAt(text, '"processesSeen"'),
    );
    check(
      t,
      r,
      'root/a lists 4 processes in its /proc once the tree is up',
      false,
      new RegExp(`^it listed 3 \\(pids ${inA.join(', ')}\\)$`),
      valueAt(text, '"processesSeen"', 1),
    );
  });
}

test('a hung tree is stopped at its bound and reported; nothing of it is left', async (t) => {
  const before = mountTable();
  const g = gate(); // never opened
  const hang = `["sh", "-c", "trap '' TERM; read _ < ${g.path}"]`;
  const text = `{
  "name": "root",
  "expect": {"within": 0.5, "code": 0},
  "processes": [{"name": "r", "command": ${hang}}],
  "children": [{"name": "a", "processes": [{"name": "p", "command": ${hang}}], "children": [{"name": "b", "processes": [{"name": "q", "command": ["sleep", "infinity"]}]}]}]
}`;
  const started: StartEvent[] = [];
  const r = await testTree(treeFile(text), { onEvent: (e) => e.event === 'start' && started.push(e) });
  g.close();
  t.is(r.status, 'failed');
  t.is(r.note, 'pidns-tree stopped it: within 0.5 s passed');
  check(
    t,
    r,
    'tree root ends within 0.5 s',
    false,
    /^still running after 0\.5 s: pidns-tree stopped it$/,
    valueAt(text, '"within"'),
  );
  check(t, r, 'tree root exits with 0', false, /^it exited \d+/, valueAt(text, '"code"'));
  t.is(started.length, 6);
  for (const s of started) t.false(alive(s), `${s.node}:${s.process}`);
  t.is(mountTable(), before);
});

test('a tree stopped by --timeout (no within) fails with the default bound named', async (t) => {
  const r = await testTree(
    treeFile(`{"name": "root", "processes": [{"name": "s", "command": ["sleep", "infinity"]}]}`),
    {
      timeoutMs: 300,
    },
  );
  t.is(r.status, 'failed');
  t.deepEqual(
    r.results.map((e) => [e.passed, e.title, e.actual]),
    [
      [false, 'tree root ends within 0.3 s (--timeout)', 'still running after 0.3 s: pidns-tree stopped it'],
      [
        false,
        'tree root exits with 0 (the file states no expectation)',
        'it exited 143: root:s was killed by SIGTERM (143) (pidns-tree stopped the tree: within 0.3 s (--timeout) passed)',
      ],
    ],
  );
  t.deepEqual([r.results[0]?.expectation.line, r.results[0]?.expectation.column], [1, 1], 'the root object');
});

test('a spec object has paths but no positions; an invalid file is a result with its problems', async (t) => {
  const r = await testTree({
    name: 'root',
    processes: [{ name: 'p', command: ['true'], expect: { exitCode: 0, stdout: { lines: [] } } }],
  });
  t.is(r.status, 'passed');
  t.is(r.source, 'the spec');
  t.deepEqual(
    r.results.map((e) => [e.title, e.expectation.path, e.expectation.line]),
    [
      ['root:p exits with code 0', '$.processes[0].expect.exitCode', undefined],
      ['root:p stdout is empty', '$.processes[0].expect.stdout.lines', undefined],
    ],
  );
  const bad = `{"name": "r", "processes": [{"name": "p", "command": ["true"], "expect": {"stdout": {"matches": "a("}}}]}`;
  const invalid = await testTree(treeFile(bad));
  t.is(invalid.status, 'invalid');
  t.deepEqual(
    invalid.issues.map((i) => [i.path, i.line, i.column]),
    [['$.processes[0].expect.stdout.matches', 1, bad.indexOf('"a("') + 1]],
  );
  t.regex(invalid.issues[0]?.message ?? '', /^not a valid regular expression: \/a\(\/m: Unterminated group$/);
  const missing = await testTree('/nonexistent/tree.json');
  t.is(missing.status, 'invalid');
  t.is(missing.note, 'cannot read /nonexistent/tree.json: no such file');
});

test('output is checked byte for byte (not UTF-8, \\r, a line in pieces, no last newline); onEvent gets what spawn --json prints', async (t) => {
  const long = 'x'.repeat(70_000);
  const printf = String.raw`printf 'a\377b\r\n'; head -c 70000 /dev/zero | tr '\0' x; echo; printf 'tail'; printf 'err\351\n' >&2`;
  const spec = {
    name: 'root',
    processes: [
      {
        name: 'bytes',
        command: ['sh', '-c', printf],
        expect: {
          stdout: { lines: ['a\uFFFDb\r', long, 'tail'], contains: `\r\n${long}\ntail` },
          stderr: { lines: ['err\uFFFD'] },
        },
      },
    ],
  };
  const seen: TreeEvent[] = [];
  const r = await testTree(spec, { onEvent: (e) => seen.push(e) });
  t.is(r.status, 'passed', JSON.stringify(r.results.filter((e) => !e.passed)));
  t.is(r.results.filter((e) => e.expectation.kind === 'output').length, 3);
  const cli = await runCli(['spawn', '--json', '-'], { input: JSON.stringify(spec) });
  t.is(cli.code, 0, cli.stderr);
  const expected = ndjson(cli.stdout).filter(ofKind('output'));
  // The 70 000 bytes come in two pieces (64 KiB at most each), the first without a newline.
  t.is(expected.length, 5);
  t.is(JSON.stringify(seen.filter(ofKind('output'))), JSON.stringify(expected));
  t.deepEqual(
    seen.filter((e) => e.event !== 'output').map((e) => e.event),
    ['start', 'start', 'exit', 'exit', 'end'],
  );
});
