/**
 * The numbered rules of the README as guided examples: each opens its examples/rules file and
 * plays, step by step, what its programs do (the simulator does not run them: each step says
 * what a process does), with what to look at. `expect` is the result each step must have: the
 * tests play every guide on the model and check it, so a guide cannot drift from the rules.
 */
import type { Step, StepResult } from '../../model/types.js';

export interface GuideStep {
  readonly step: Step;
  readonly expect: StepResult;
  readonly caption: string;
}

export interface Guide {
  /** examples/rules/<file> */
  readonly file: string;
  readonly title: string;
  /** What the tree shows before any step. */
  readonly intro: string;
  readonly steps: readonly GuideStep[];
}

export const GUIDES: readonly Guide[] = [
  {
    file: '1-pid-one.json',
    title: '1. Numbering starts at 1 in a new namespace',
    intro:
      "Each box is a namespace with its own numbers. root's init is PID 1 in root; root/mine's PID 1 (your command) is 1 in root/mine and 3 in root: one process, a number at each level.",
    steps: [
      {
        step: { op: 'fork', process: 'root:look', child: 'child' },
        expect: 'ok',
        caption: 'A fork in root takes the next number of root: 4.',
      },
      {
        step: { op: 'fork', process: 'root/mine', child: 'inner' },
        expect: 'ok',
        caption: 'A fork in root/mine gets 2 there, and the next number of root (5): every level counts on its own.',
      },
    ],
  },
  {
    file: '2-signals.json',
    title: '2. PID 1 is special',
    intro:
      "root/stubborn's PID 1 is `sleep`, which has no signal handlers. The simulator gives every program its default actions.",
    steps: [
      {
        step: { op: 'kill', from: 'root/stubborn:try', target: 1, signal: 'TERM' },
        expect: 'ok',
        caption:
          'SIGTERM from inside its namespace: PID 1 has no handler, so the kernel drops it. It is still running.',
      },
      {
        step: { op: 'kill', from: 'root/stubborn:try', target: 1, signal: 'KILL' },
        expect: 'ok',
        caption: 'Not even SIGKILL, from inside.',
      },
      {
        step: { op: 'kill', from: 'root:poker', target: 1, signal: 'USR1' },
        expect: 'ok',
        caption:
          "SIGUSR1 to root's init (pidns-tree's): it passes it on to its processes and to the inits below. With default actions, they die of it (the real waiter traps it).",
      },
      {
        step: { op: 'kill', from: 'host', target: 'root/stubborn', signal: 'KILL' },
        expect: 'ok',
        caption: 'SIGKILL from the host, an ancestor namespace, does kill a PID 1.',
      },
    ],
  },
  {
    file: '3-pid1-exit.json',
    title: '3. If PID 1 exits, the namespace dies',
    intro: 'root/a holds a1 and the namespace root/a/b; root/c is beside it.',
    steps: [
      {
        step: { op: 'kill', from: 'root:killer', target: 'root/a', signal: 'KILL' },
        expect: 'ok',
        caption:
          "killer SIGKILLs root/a's PID 1: the kernel kills everything in root/a and below it (a1, root/a/b's init, b1). root/c runs on.",
      },
      {
        step: { op: 'enter', node: 'root/a', name: 'late' },
        expect: 'ENOMEM',
        caption: 'Nothing can enter root/a any more: a fork into it fails with ENOMEM.',
      },
    ],
  },
  {
    file: '4-visibility.json',
    title: '4. Namespaces form a tree with one-way visibility',
    intro: "root sees every process; root/a sees its own and root/a/b's; root/a/b only its own.",
    steps: [
      {
        step: { op: 'kill', from: 'root:look', target: 'root/a/b:look', signal: 0 },
        expect: 'ok',
        caption: 'From root, a process of root/a/b has a PID (5 in root/a... every level above it): signal 0 finds it.',
      },
      {
        step: { op: 'kill', from: 'root/a/b:look', target: 'root:idle', signal: 0 },
        expect: 'ESRCH',
        caption: "From root/a/b, root's processes have no PID at all: ESRCH.",
      },
    ],
  },
  {
    file: '5-translation.json',
    title: '5. A process has one PID per level',
    intro:
      'Read a row from the left: its PID on the host (when it runs), in root, in root/a... down to its own namespace. The deepest p has four PIDs.',
    steps: [
      {
        step: { op: 'fork', process: 'root/a/b/c:p', child: 'q' },
        expect: 'ok',
        caption: 'A fork in root/a/b/c gets a new number in each of the four namespaces around it.',
      },
    ],
  },
  {
    file: '6-zombies.json',
    title: '6. Orphans go to PID 1, which must reap them',
    intro: "The same shell leaves two orphans in root (pidns-tree's init) and in root/noreap (PID 1: sleep).",
    steps: [
      {
        step: { op: 'fork', process: 'root:parent', child: 'o1' },
        expect: 'ok',
        caption: 'parent starts a child in the background…',
      },
      { step: { op: 'fork', process: 'root:parent', child: 'o2' }, expect: 'ok', caption: '…and another.' },
      {
        step: { op: 'exit', process: 'root:parent', code: 0 },
        expect: 'ok',
        caption: "parent exits: o1 and o2 are orphans, adopted by root's PID 1.",
      },
      { step: { op: 'exit', process: 'root:o1' }, expect: 'ok', caption: "o1 ends: root's init reaps it at once." },
      {
        step: { op: 'fork', process: 'root/noreap:parent', child: 'z1' },
        expect: 'ok',
        caption: 'The same in root/noreap…',
      },
      { step: { op: 'fork', process: 'root/noreap:parent', child: 'z2' }, expect: 'ok', caption: '' },
      {
        step: { op: 'exit', process: 'root/noreap:parent' },
        expect: 'ok',
        caption: 'The orphans go to sleep, PID 1 there.',
      },
      {
        step: { op: 'exit', process: 'root/noreap:z1' },
        expect: 'ok',
        caption: 'z1 ends, and stays a zombie: sleep never reaps.',
      },
      {
        step: { op: 'exit', process: 'root/noreap:z2' },
        expect: 'ok',
        caption: 'Zombies pile up under a PID 1 that does not reap.',
      },
    ],
  },
  {
    file: '7-isolation.json',
    title: '7. A PID namespace isolates PIDs only',
    intro:
      'Files, the network, UTS and IPC are shared: nothing for the simulator to show. Run it for real: npx pidns-tree spawn examples/rules/7-isolation.json',
    steps: [],
  },
  {
    file: '8-depth-32.json',
    title: '8. There is a depth limit',
    intro:
      '32 nested namespaces: the deepest tree possible from the host. Add one more level (a child of n32) and the validator refuses it, at its line.',
    steps: [],
  },
  {
    file: '9-kill-all.json',
    title: '9. kill(-1) from PID 1 reaches everyone in its namespace but itself',
    intro: "root/ns's PID 1 is a shell that runs kill -TERM -1.",
    steps: [
      {
        step: { op: 'kill', from: 'root/ns', target: -1, signal: 'TERM' },
        expect: 'ok',
        caption: 's1 and s2 die of SIGTERM; PID 1 itself is not among those signalled.',
      },
    ],
  },
];
