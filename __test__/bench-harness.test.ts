/**
 * The benchmark harness's rounds (bench/lib/measure.mjs) and what it says about a busy machine
 * (bench/lib/summarise.mjs), driven with made-up families: no tree, no timing.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { root } from './helpers/cli.js';

interface BenchRecord {
  readonly family: string;
  readonly group: string;
  readonly contender: string;
  readonly round: number;
  readonly sample?: Record<string, number>;
  readonly error?: string;
  readonly busyPercent?: number;
}
type Quiet = () => Promise<{ quiet: boolean; busyPercent: number; waitedMs: number }>;
interface Prepared {
  groups: { id: string; baseline: string; contenders: { id: string; run: () => Promise<Record<string, number>> }[] }[];
  enter?: () => Promise<void>;
  leave?: () => Promise<void>;
}
type Measure = (
  families: { family: { name: string }; prepared: Prepared }[],
  options: { rounds: number; log: (m: string) => void; quiet: Quiet },
) => Promise<BenchRecord[]>;
type Summarise = (
  families: { family: { name: string; title: string }; prepared: Prepared }[],
  records: BenchRecord[],
) => { families: { groups: { busy: { rounds: number; of: number; maxPercent: number | null } }[] }[] };

const load = async <T>(file: string, name: string): Promise<T> =>
  ((await import(pathToFileURL(path.join(root, 'bench', 'lib', file)).href)) as Record<string, T>)[name] as T;

/** A family whose every step is written to `steps`. */
function family(name: string, steps: string[], options: { enterFails?: boolean; runFails?: boolean } = {}) {
  const prepared: Prepared = {
    enter: () => {
      steps.push(`${name}:enter`);
      return options.enterFails === true ? Promise.reject(new Error('no tree')) : Promise.resolve();
    },
    leave: () => {
      steps.push(`${name}:leave`);
      return Promise.resolve();
    },
    groups: [
      {
        id: 'g',
        baseline: 'a',
        contenders: [
          {
            id: 'a',
            run: () => {
              steps.push(`${name}:a`);
              return options.runFails === true ? Promise.reject(new Error('lost a line')) : Promise.resolve({ ms: 1 });
            },
          },
        ],
      },
    ],
  };
  return { family: { name, title: name }, prepared };
}

const quietAt =
  (busy: number[]): Quiet =>
  () => {
    const busyPercent = busy.shift() ?? 0;
    return Promise.resolve({ quiet: busyPercent <= 15, busyPercent, waitedMs: 0 });
  };

test("each family's enter and leave run around its own groups, in every round, after a quiet machine", async (t) => {
  const measureRounds = await load<Measure>('measure.mjs', 'measureRounds');
  const steps: string[] = [];
  const waits: string[] = [];
  const quiet: Quiet = () => {
    waits.push(`wait before ${steps.length}`);
    return Promise.resolve({ quiet: true, busyPercent: 3, waitedMs: 0 });
  };
  const records = await measureRounds([family('x', steps), family('y', steps)], {
    rounds: 2,
    log: () => undefined,
    quiet,
  });
  t.deepEqual(steps, [
    'x:enter',
    'x:a',
    'x:leave',
    'y:enter',
    'y:a',
    'y:leave',
    'x:enter',
    'x:a',
    'x:leave',
    'y:enter',
    'y:a',
    'y:leave',
  ]);
  t.deepEqual(waits, ['wait before 0', 'wait before 3', 'wait before 6', 'wait before 9']);
  t.true(records.every((r) => r.busyPercent === 3 && r.sample?.['ms'] === 1));
});

test('a family that cannot set up fails its contenders that round, and still leaves; a failed run still leaves', async (t) => {
  const measureRounds = await load<Measure>('measure.mjs', 'measureRounds');
  const steps: string[] = [];
  const records = await measureRounds(
    [family('x', steps, { enterFails: true }), family('y', steps, { runFails: true })],
    { rounds: 1, log: () => undefined, quiet: quietAt([]) },
  );
  t.deepEqual(steps, ['x:enter', 'x:leave', 'y:enter', 'y:a', 'y:leave']);
  t.is(records.length, 2);
  t.regex(records[0]?.error ?? '', /could not set up \(no tree\)/);
  t.is(records[1]?.error, 'lost a line');
});

test('a table says in how many rounds the machine was busy when its family started', async (t) => {
  const measureRounds = await load<Measure>('measure.mjs', 'measureRounds');
  const summarise = await load<Summarise>('summarise.mjs', 'summarise');
  const steps: string[] = [];
  const families = [family('x', steps)];
  const records = await measureRounds(families, { rounds: 3, log: () => undefined, quiet: quietAt([5, 60, 20]) });
  t.deepEqual(summarise(families, records).families[0]?.groups[0]?.busy, { rounds: 2, of: 3, maxPercent: 60 });
  const calm = await measureRounds(families, { rounds: 2, log: () => undefined, quiet: quietAt([0, 15]) });
  t.deepEqual(summarise(families, calm).families[0]?.groups[0]?.busy, { rounds: 0, of: 2, maxPercent: null });
});
