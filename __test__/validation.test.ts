/** Bad input: every kind of invalid spec is refused with its JSON path, position and a hint. */
import test from 'ava';

import { PidnsTreeError } from '../src/errors.js';
import { spawnTree } from '../src/index.js';
import { RunningTree } from '../src/running-tree.js';
import { checkSpecText } from '../src/spec.js';
import { runCli } from './helpers/cli.js';
import { ofKind } from './helpers/events.js';
import { chain, plan } from './helpers/specs.js';
import { watch } from './helpers/watch.js';

function issuesOf(text: string): PidnsTreeError {
  const error = (() => {
    try {
      checkSpecText(text, 'tree.json');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof PidnsTreeError)) throw new Error(`expected a PidnsTreeError for ${text}`);
  return error;
}

const cases: [string, string, { path: string; message: RegExp; line?: number; column?: number }][] = [
  [
    'not JSON, with line and column',
    '{"name": "r",\n  "processes": [1,]\n}',
    { path: '$', message: /not valid JSON: trailing comma/, line: 2, column: 18 },
  ],
  ['an empty document', '', { path: '$', message: /not valid JSON: .*empty/ }],
  [
    'a missing command',
    '{"name":"r","processes":[{"name":"p"}]}',
    { path: '$.processes[0]', message: /missing required field "command"/ },
  ],
  [
    'an empty command',
    '{"name":"r","processes":[{"name":"p","command":[]}]}',
    { path: '$.processes[0].command', message: /must not be empty/ },
  ],
  [
    'an empty program name',
    '{"name":"r","processes":[{"name":"p","command":[""]}]}',
    { path: '$.processes[0].command[0]', message: /must not be empty/ },
  ],
  [
    'a command given as a string',
    '{"name":"r","processes":[{"name":"p","command":"sleep 1"}]}',
    { path: '$.processes[0].command', message: /expected an array of strings, found a string/ },
  ],
  [
    'duplicate sibling namespaces',
    '{"name":"r","children":[{"name":"a"},{"name":"a"}]}',
    { path: '$.children[1].name', message: /already a namespace named "a"/ },
  ],
  [
    'duplicate process names',
    '{"name":"r","processes":[{"name":"p","command":["true"]},{"name":"p","command":["true"]}]}',
    { path: '$.processes[1].name', message: /already has a process named "p"/ },
  ],
  ['an unknown field', '{"name":"r","procesess":[]}', { path: '$.procesess', message: /unknown field "procesess"/ }],
  [
    'a name with a slash',
    '{"name":"r","children":[{"name":"a/b"}]}',
    { path: '$.children[0].name', message: /'\/' is not allowed/ },
  ],
  [
    'the reserved process name init',
    '{"name":"r","processes":[{"name":"init","command":["true"]}]}',
    { path: '$.processes[0].name', message: /reserved/ },
  ],
  [
    'a relative cwd',
    '{"name":"r","processes":[{"name":"p","command":["true"],"cwd":"tmp"}]}',
    { path: '$.processes[0].cwd', message: /absolute path/ },
  ],
  ['duplicate JSON keys', '{"name":"r","name":"s"}', { path: '$.name', message: /duplicate key "name"/ }],
];

for (const [what, text, expected] of cases) {
  test(`refuses ${what}`, (t) => {
    const error = issuesOf(text);
    t.is(error.code, 'INVALID_SPEC');
    const issue = error.issues.find((i) => i.path === expected.path);
    t.truthy(issue, `an issue at ${expected.path}: ${JSON.stringify(error.issues)}`);
    t.regex(issue?.message ?? '', expected.message);
    if (expected.line !== undefined) t.like(issue, { line: expected.line, column: expected.column });
  });
}

test('every problem is reported at once, in document order', (t) => {
  const error = issuesOf('{"name":"r","x":1,"processes":[{"name":"p","command":[]}],"children":[{"name":""}]}');
  t.deepEqual(
    error.issues.map((i) => i.path),
    ['$.x', '$.processes[0].command', '$.children[0].name'],
  );
});

test('rule 8: a tree one level deeper than the kernel allows is refused before anything starts', (t) => {
  const limit = plan(chain(1)).maxDepth;
  const error = issuesOf(JSON.stringify(chain(limit + 1)));
  t.is(error.code, 'DEPTH_LIMIT');
  t.is(error.issues[0]?.kind, 'depth', 'told by the kind of its one issue, not by its text');
  // Too deep and wrong besides: a mistake in the file, which comes first.
  const both = chain(limit + 1) as { processes?: unknown };
  both.processes = 'none';
  const mixed = issuesOf(JSON.stringify(both));
  t.is(mixed.code, 'INVALID_SPEC');
  t.deepEqual(mixed.issues.map((i) => i.kind).sort(), ['depth', 'invalid']);
  t.regex(
    error.issues[0]?.message ?? '',
    new RegExp(`${limit + 1} levels deep but only ${limit} PID-namespace levels are left`),
  );
});

test('rule 8: the deepest tree the kernel allows runs, with a PID at every one of its levels', async (t) => {
  const p = plan(chain(1));
  const tree = RunningTree.start(plan(chain(p.maxDepth)));
  const w = watch(tree);
  const end = await w.ended;
  t.is(end.code, 0);
  const leaf = w.events.filter(ofKind('start')).find((e) => e.process === 'p');
  t.is(Object.keys(leaf?.pids ?? {}).length, p.maxDepth + 1, 'host + every level');
});

test('the CLI exits 2 and shows file:line:column, the JSON path and a hint', async (t) => {
  const r = await runCli(['spawn', '-'], { input: '{"name":"r",\n "processes":[{"name":"p","command":"sleep 1"}]}' });
  t.is(r.code, 2);
  t.regex(r.stderr, /<stdin> is not a valid tree \(1 problem\)/);
  t.regex(r.stderr, /<stdin>:2:37 {2}\$\.processes\[0\]\.command/);
  t.regex(r.stderr, /hint: write the program and its arguments as an array: \["sleep", "1"\]/);
  t.is(r.stdout, '');
});

test('validate --json gives the issues as data, each with its kind', async (t) => {
  const r = await runCli(['validate', '-', '--json'], { input: '{"name":"r","bogus":true}' });
  t.is(r.code, 2);
  const out = JSON.parse(r.stdout) as { valid: boolean; code: string; issues: { path: string; kind: string }[] };
  t.false(out.valid);
  t.is(out.code, 'INVALID_SPEC');
  t.like(out.issues[0], { path: '$.bogus', kind: 'invalid' });
  const syntax = await runCli(['validate', '-', '--json'], { input: '{"name":' });
  t.like((JSON.parse(syntax.stdout) as typeof out).issues[0], { path: '$', kind: 'syntax' });
});

test('init.command on the root namespace: validate, plan, simulate and spawn refuse it, naming the field and where to put it', async (t) => {
  const input = '{"name":"r",\n "init":{"command":["sleep","9"]},\n "processes":[{"name":"p","command":["true"]}]}';
  for (const command of ['validate', 'plan', 'simulate', 'spawn']) {
    const r = await runCli([command, '-'], { input });
    t.is(r.code, 2, command);
    t.regex(r.stderr, /<stdin>:2:20 {2}\$\.init\.command\n/, command);
    t.regex(
      r.stderr,
      /the root namespace r cannot have your command as PID 1: pidns-tree's init is PID 1 there/,
      command,
    );
    t.regex(
      r.stderr,
      /hint: move "init" into a child namespace, with the processes it should have: \{"name": "r", "children": \[\{"name": "app", "init": \{"command": \[\.\.\.\]\}/,
      command,
    );
    t.is(r.stdout, '', command);
  }
  // The API checks with the same validator, before anything starts.
  const error = await t.throwsAsync(spawnTree({ name: 'r', init: { command: ['sleep', '9'] } }), {
    instanceOf: PidnsTreeError,
  });
  t.is(error?.code, 'INVALID_SPEC');
  t.deepEqual(
    error?.issues.map((i) => i.path),
    ['$.init.command'],
  );
  // What the hint says to write runs, with the command as PID 1 one level down.
  const r = await runCli(['spawn', '--json', '-'], {
    input: '{"name":"r","children":[{"name":"app","init":{"command":["sh","-c","echo pid $$"]}}]}',
  });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /"node":"r\/app","process":"init","stream":"stdout","line":"pid 1"/);
});

test('a missing spec file is named', async (t) => {
  const r = await runCli(['spawn', 'no/such/tree.json']);
  t.is(r.code, 2);
  t.regex(r.stderr, /cannot read no\/such\/tree\.json: no such file/);
});
