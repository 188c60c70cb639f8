/**
 * schema/tree.schema.json says what the validator accepts: for every kind of object, the fields
 * the schema lists are the fields the validator allows (it names them when it refuses an
 * unknown one), and every signal name the schema offers is one the validator takes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import { PidnsTreeError } from '../src/errors.js';
import { checkSpecText } from '../src/spec.js';
import { root } from './helpers/cli.js';

interface SchemaObject {
  properties?: Record<string, SchemaObject>;
  oneOf?: SchemaObject[];
  enum?: string[];
}

const schema = JSON.parse(readFileSync(path.join(root, 'schema', 'tree.schema.json'), 'utf8')) as SchemaObject & {
  $defs: Record<string, SchemaObject>;
};
const defs = schema.$defs;

/** The fields the validator allows where `{"zzzUnknown": 1}` is put (read from its hint). */
function allowed(spec: (unknown: string) => string): string[] {
  try {
    checkSpecText(spec('"zzzUnknown": 1'), 'tree.json');
  } catch (error) {
    if (!(error instanceof PidnsTreeError)) throw error;
    const hint = error.issues.find((i) => i.message === 'unknown field "zzzUnknown"')?.hint ?? '';
    const list = /allowed fields here: (.*)$/.exec(hint)?.[1] ?? '';
    return list.split(', ').map((f) => JSON.parse(f) as string);
  }
  throw new Error('an unknown field was accepted');
}

const keys = (o: SchemaObject | undefined): string[] => Object.keys(o?.properties ?? {});
const proc = (expect: string) => `{"name": "r", "processes": [{"name": "p", "command": ["x"], ${expect}}]}`;

const shapes: [string, (u: string) => string, string[]][] = [
  ['the top level', (u) => `{"name": "r", ${u}}`, keys(schema)],
  ['a namespace', (u) => `{"name": "r", "children": [{"name": "a", ${u}}]}`, keys(defs['node'])],
  ['a process', (u) => proc(u), keys(defs['process'])],
  ['init', (u) => `{"name": "r", "init": {${u}}}`, keys(defs['init'])],
  ['a process expect', (u) => proc(`"expect": {${u}}`), keys(defs['processExpect'])],
  [
    'a namespace expect',
    (u) => `{"name": "r", "children": [{"name": "a", "expect": {${u}}}]}`,
    keys(defs['namespaceExpect']),
  ],
  ['the top-level expect', (u) => `{"name": "r", "expect": {${u}}}`, keys(defs['treeExpect'])],
  ['stdout', (u) => proc(`"expect": {"stdout": {${u}}}`), keys(defs['output'])],
  [
    'zombies',
    (u) => `{"name": "r", "expect": {"zombies": {${u}}}}`,
    keys(defs['namespaceExpect']?.properties?.['zombies']),
  ],
  [
    'reaped',
    (u) => `{"name": "r", "expect": {"reaped": {${u}}}}`,
    keys(defs['namespaceExpect']?.properties?.['reaped']?.oneOf?.[1]),
  ],
];

for (const [where, spec, inSchema] of shapes) {
  test(`the fields of ${where}: the schema's are the validator's`, (t) => {
    t.true(inSchema.length > 0);
    t.deepEqual([...allowed(spec)].sort(), [...inSchema].sort());
  });
}

test('every signal the schema offers is one the validator takes, and only those', (t) => {
  const names = defs['processExpect']?.properties?.['signal']?.enum ?? [];
  t.is(names.length, 31);
  for (const name of names)
    t.notThrows(() => checkSpecText(proc(`"expect": {"signal": "${name}"}`), 'tree.json'), name);
  t.throws(() => checkSpecText(proc(`"expect": {"signal": "SIGRTMIN"}`), 'tree.json'));
});

test('init.command: the schema takes it where the validator does (a child namespace), not on the root', (t) => {
  const top = schema.properties?.['init'] as (SchemaObject & { $ref?: string; not?: unknown }) | undefined;
  // A schema nothing matches: the root's init is the general one, without "command".
  t.deepEqual((top?.properties?.['command'] as { not?: unknown } | undefined)?.not, {});
  t.is(top?.$ref, '#/$defs/init');
  t.is((defs['node']?.properties?.['init'] as { $ref?: string } | undefined)?.$ref, '#/$defs/init');
  const error = t.throws(() => checkSpecText('{"name": "r", "init": {"command": ["x"]}}', 'tree.json'), {
    instanceOf: PidnsTreeError,
  });
  t.deepEqual(
    error?.issues.map((i) => i.path),
    ['$.init.command'],
  );
  t.notThrows(() =>
    checkSpecText('{"name": "r", "children": [{"name": "a", "init": {"command": ["x"]}}]}', 'tree.json'),
  );
});
