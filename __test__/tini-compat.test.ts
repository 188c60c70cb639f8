/**
 * pidns-init as a drop-in for tini: the same command lines give the same exit statuses and the
 * same messages (names and PIDs aside) as Debian's tini, as PID 1 of a new namespace and not.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { root } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';

const ours = path.join(root, 'native', 'pidns-init');
const tini = '/usr/bin/tini';
const inits = { tini, 'pidns-init': ours } as const;

interface Run {
  code: number | null;
  /** The signal that killed the init (or unshare, which dies of what killed its child). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Default: PID 1 of a new namespace. false: PID 2, a child of a shell that is PID 1. */
  asPid1?: boolean;
  env?: NodeJS.ProcessEnv;
  /** A launcher that execs the rest of its command line: the init's parent sets something up. */
  wrap?: string[];
  /** Sees each line of stdout, with the init's PID (on the host). */
  onLine?: (line: string, init: number) => void;
}

/** The first child of `pid`, or -1. */
function firstChild(pid: number): number {
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const child = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(' ')[0];
      if (child) return Number(child);
    }
  } catch {
    // Gone.
  }
  return -1;
}

/**
 * Runs `init args` in a new PID namespace, as its PID 1 unless asPid1 is false; `onLine` sees
 * stdout. Always in a namespace of its own: whatever an init leaves running (tini leaves what
 * its program leaves), and whatever a failing test leaves, dies with the namespace.
 */
function runInit(init: string, args: string[], options: RunOptions = {}): Promise<Run> {
  const asPid1 = options.asPid1 !== false;
  // --kill-child: if this test fails or hangs, the namespace dies with unshare. Not PID 1: a
  // shell is, and exits with the init's status (128+N if signal N killed it).
  const argv = [
    ...(asPid1 ? (options.wrap ?? []) : []),
    ...['unshare', '--fork', '--pid', '--mount-proc', '--kill-child'],
    ...(asPid1 ? [] : ['sh', '-c', '"$@"; exit $?', 'sh', ...(options.wrap ?? [])]),
    init,
    ...args,
  ];
  const [file, ...rest] = argv as [string, ...string[]];
  const child = spawn(file, rest, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  // unshare's child is the init, or the shell whose child it is.
  const initPid = (): number => (asPid1 ? firstChild(child.pid ?? -1) : firstChild(firstChild(child.pid ?? -1)));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    d.split('\n')
      .filter(Boolean)
      .forEach((l) => options.onLine?.(l, initPid()));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** The same text for either init: names, versions, PIDs and paths made neutral. */
function neutral(text: string): string {
  return text
    .replaceAll(ours, 'INIT')
    .replaceAll(tini, 'INIT')
    .replace(/\b(pidns-init|[Tt]ini)\b/g, 'INIT')
    .replace(/\((?:INIT|tini) version [^)]*\)/g, '(VERSION)')
    .replace(/\(INIT \(\d+\)\)|INIT \(\d+\)/g, 'INIT (PID)')
    .replace(/pid=\d+/g, 'pid=N');
}

async function same(t: import('ava').ExecutionContext, args: string[], options: RunOptions = {}): Promise<Run> {
  // One after the other: a scenario may use a fixed file.
  const a = await runInit(inits.tini, args, options);
  const b = await runInit(inits['pidns-init'], args, options);
  t.is(b.code, a.code, `exit status of ${args.join(' ')}`);
  t.is(b.signal, a.signal, `signal that ended ${args.join(' ')}`);
  t.is(neutral(b.stderr), neutral(a.stderr), `stderr of ${args.join(' ')}`);
  t.is(neutral(b.stdout), neutral(a.stdout), `stdout of ${args.join(' ')}`);
  return b;
}

test.before((t) => {
  if (!existsSync(tini))
    t.fail('tini is not installed (apt-get install tini): npm test installs it (scripts/prepare-test-host.sh)');
});

// tini execs with glibc's execvp, which hands a file without #! to /bin/sh; pidns-init must do
// the same whatever libc it is linked with (musl's execvp does not).
const noShebang = path.join(tempDir(), 'no-shebang');
writeFileSync(noShebang, 'echo "sh ran $0 with $*"; exit 4\n', { mode: 0o755 });

/**
 * Launchers (python3 execs the rest of its command line): one that sets the child-subreaper
 * bit, which exec keeps; one that ignores SIGHUP (as nohup does) and SIGPIPE (as Python does)
 * and blocks SIGUSR2, which exec keeps too and tini hands on to its program unchanged.
 */
const SET_SUBREAPER = [
  'python3',
  '-c',
  'import ctypes, os, sys; assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0; os.execvp(sys.argv[1], sys.argv[1:])',
];
const IGNORE_AND_BLOCK = [
  'python3',
  '-c',
  'import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2}); os.execvp(sys.argv[1], sys.argv[1:])',
];
/** The program's signal mask and ignored signals, and how `yes | head -1` ends for `yes`. */
const SIGNAL_STATE = [
  '--',
  'bash',
  '-c',
  'yes | head -1; echo "yes: ${PIPESTATUS[0]}"; grep -E "^Sig(Blk|Ign)" /proc/self/status',
];

const cases: [string, string[], RunOptions?][] = [
  ['passes the exit code through', ['--', 'sh', '-c', 'exit 3']],
  ['remaps codes given with -e to 0', ['-e', '3', '-e', '4', '--', 'sh', '-c', 'exit 3']],
  ['exits 128+N when signal N kills the program', ['--', 'sh', '-c', 'kill -TERM $$']],
  ['exits 128+N when a real-time signal kills the program', ['--', 'bash', '-c', 'kill -s RTMIN+6 $$']],
  ['exits 127 with the message when the program does not exist', ['--', '/no/such/program']],
  ['exits 126 when the program is not executable', ['--', '/etc/passwd']],
  ['runs a program without #! with /bin/sh', ['--', noShebang, 'a', 'b']],
  [
    'finds a program without #! in PATH and runs it with /bin/sh',
    ['--', 'no-shebang', 'a'],
    { env: { PATH: `${path.dirname(noShebang)}:${process.env['PATH'] ?? ''}` } },
  ],
  ['warns when neither PID 1 nor a subreaper', ['--', 'true'], { asPid1: false }],
  ['-s makes it a subreaper and silences the warning', ['-s', '--', 'true'], { asPid1: false }],
  ['TINI_SUBREAPER does the same', ['--', 'true'], { asPid1: false, env: { TINI_SUBREAPER: '1' } }],
  ['TINI_VERBOSITY=0 silences warnings', ['--', 'true'], { asPid1: false, env: { TINI_VERBOSITY: '0' } }],

  [
    'with POSIXLY_CORRECT, stops reading options at the program (its -c is its own)',
    ['-e', '1', 'sh', '-c', 'echo "$0 $*"; exit 1', 'zero', '-s', '--', '-v'],
    { env: { POSIXLY_CORRECT: '1' } },
  ],
  [
    'with POSIXLY_CORRECT, still takes options before the program and --',
    ['-v', '--', 'sh', '-c', 'exit 3'],
    { env: { POSIXLY_CORRECT: '1' } },
  ],
  [
    'stays silent when not PID 1 but its parent made it a subreaper before exec',
    ['--', 'true'],
    { asPid1: false, wrap: SET_SUBREAPER },
  ],
  ['gives its program default signal actions and mask: yes dies of SIGPIPE (141)', SIGNAL_STATE],
  [
    'gives its program the ignored signals and mask it got itself (nohup), as tini does',
    SIGNAL_STATE,
    { wrap: IGNORE_AND_BLOCK },
  ],
  ['refuses a bad -p', ['-p', 'SIGNOPE', '--', 'true']],
  ['refuses a bad -e', ['-e', '300', '--', 'true']],
  // The signal goes out only once the background child really is `sleep` (until then it is
  // sh's fork, which would lose a trapped signal).
  [
    '-g sends signals to the whole group',
    [
      '-g',
      '--',
      'sh',
      '-c',
      'trap \'echo sh got TERM\' TERM; sleep infinity & p=$!; until [ "$(cat /proc/$p/comm)" = sleep ]; do :; done; kill -TERM 1; wait; wait; echo "sleep ended: $?"',
    ],
  ],
  // The orphan blocks on a FIFO until its parent subshell is gone (a quick `true &` is often
  // reaped by the shell itself: no orphan at all); the program ends once the init reaped it.
  [
    '-w warns for each zombie reaped',
    [
      '-w',
      '--',
      'sh',
      '-c',
      'rm -f /tmp/.pidns-w; mkfifo /tmp/.pidns-w; (sh -c "read _ < /tmp/.pidns-w" & echo $! > /tmp/.pidns-w.pid); echo > /tmp/.pidns-w; while kill -0 $(cat /tmp/.pidns-w.pid) 2>/dev/null; do :; done',
    ],
  ],
];

for (const [what, args, options] of cases) {
  test(`like tini, ${what}`, async (t) => {
    await same(t, args, options);
  });
}

test('like tini, forwards the signals it receives to the program', async (t) => {
  for (const init of [tini, ours]) {
    const r = await runInit(init, ['--', 'sh', '-c', "trap 'exit 7' USR1; echo ready; sleep infinity & wait"], {
      // Signalled from outside the namespace.
      onLine: (line, pid) => line === 'ready' && process.kill(pid, 'SIGUSR1'),
    });
    t.is(r.code, 7, init);
  }
});

for (const [signal, name] of [
  [34, 'RTMIN'],
  [40, 'RTMIN+6'],
] as const) {
  test(`like tini, passes on real-time signal ${signal} (${name}), also when not PID 1`, async (t) => {
    // musl's sigfillset leaves 34 out: an init that did not block it would die of it (which
    // Node reports as code 0: it has no name for signal 34). Real-time signals used to be
    // collected but dropped instead of passed on.
    const program = `trap 'exit 7' ${name}; echo ready; sleep infinity & wait`;
    await same(t, ['-s', '--', 'bash', '-c', program], {
      asPid1: false,
      onLine: (line, pid) => {
        if (line === 'ready') process.kill(pid, signal);
      },
    });
  });
}

for (const signal of ['SIGSEGV', 'SIGBUS'] as const) {
  test(`like tini, ${signal} sent to it ends it when it is not PID 1, and is ignored as PID 1`, async (t) => {
    // tini leaves the fault signals at their default action (tini.c: signals_for_tini).
    const program = ['--', 'sh', '-c', 'echo ready; exec sleep infinity'];
    const r = await same(t, ['-s', ...program], {
      asPid1: false,
      onLine: (line, pid) => {
        if (line === 'ready') process.kill(pid, signal);
      },
    });
    t.is(r.code, 128 + constants.signals[signal], `the init died of ${signal}`);
    // As PID 1 of a namespace, the kernel drops a signal whose action is the default; the
    // program then ends on SIGUSR1, passed on as usual.
    const trapped = ['--', 'sh', '-c', "trap 'exit 7' USR1; echo ready; sleep infinity & wait"];
    const pid1 = await same(t, trapped, {
      onLine: (line, pid) => {
        if (line !== 'ready') return;
        process.kill(pid, signal);
        process.kill(pid, 'SIGUSR1');
      },
    });
    t.is(pid1.code, 7);
  });
}

/**
 * The program leaves a shell that traps SIGTERM; in its trap, that shell starts one more
 * process, which the init adopts only once the shell has exited, after the first SIGTERMs went
 * out. Each must get SIGTERM (and clean up), none SIGKILL. Every `sleep` has exec'd before
 * anyone can signal it: a shell's fork that has not exec'd yet still has the shell's trap, and
 * would swallow the signal (the program's race, not the init's).
 */
function leavesOrphans(dir: string): string[] {
  execFileSync('mkfifo', [path.join(dir, 'ready'), path.join(dir, 'late')]);
  const sleeping = 'sleep infinity & p=$!; until [ "$(cat /proc/$p/comm)" = sleep ]; do :; done';
  writeFileSync(
    path.join(dir, 'late.sh'),
    `trap 'echo late cleaned up; exit 0' TERM
${sleeping}
echo > ${dir}/late
wait
`,
  );
  writeFileSync(
    path.join(dir, 'program.sh'),
    `child() {
  trap 'sh ${dir}/late.sh & read _ < ${dir}/late; echo child cleaned up; exit 0' TERM
  ${sleeping}
  echo > ${dir}/ready
  wait
}
child &
read _ < ${dir}/ready
exit 5
`,
  );
  return ['--', 'bash', path.join(dir, 'program.sh')];
}

for (const asPid1 of [true, false]) {
  test(`unlike tini, what the program leaves gets SIGTERM, orphans adopted later too (${asPid1 ? 'PID 1' : '-s'})`, async (t) => {
    const dir = tempDir();
    const args = asPid1 ? ['-t', '30', ...leavesOrphans(dir)] : ['-s', '-t', '30', ...leavesOrphans(dir)];
    const r = await runInit(ours, args, { asPid1 });
    t.is(r.code, 5, `the program's status: ${r.stderr}`);
    t.regex(r.stdout, /child cleaned up/);
    t.regex(r.stdout, /late cleaned up/, 'the process adopted during the stop got SIGTERM too, not SIGKILL');
  });
}

test('unlike tini, processes the program leaves get SIGTERM and time to clean up', async (t) => {
  const dir = tempDir();
  const script = `sh -c "trap 'echo cleaned up; exit 0' TERM; echo > ${dir}/ready; sleep infinity & wait" & read _ < ${dir}/ready; exit 5`;
  execFileSync('mkfifo', [path.join(dir, 'ready')]);
  const r = await runInit(ours, ['--', 'sh', '-c', script]);
  t.is(r.code, 5, "the program's status");
  t.regex(r.stdout, /cleaned up/);
  execFileSync('mkfifo', [path.join(dir, 'ready2')]);
  const withTini = await runInit(tini, ['--', 'sh', '-c', script.replaceAll('/ready', '/ready2')]);
  t.is(withTini.code, 5);
  t.notRegex(withTini.stdout, /cleaned up/, 'tini leaves them to the kernel: SIGKILL, no clean-up');
});

/** tini's usage lines, in order, then ours adds -t (its text is otherwise the same). */
async function sameUsage(t: import('ava').ExecutionContext, args: string[]): Promise<void> {
  const [a, b] = await Promise.all([runInit(tini, args), runInit(ours, args)]);
  t.is(b.code, a.code);
  const theirs = neutral(a.stderr + a.stdout).split('\n');
  const mine = neutral(b.stderr + b.stdout).split('\n');
  let at = 0;
  for (const line of theirs) {
    const found = mine.indexOf(line, at);
    t.true(found >= 0, `tini's line ${JSON.stringify(line)} is in ours, in order`);
    at = Math.max(at, found);
  }
  t.truthy(mine.find((l) => l.includes('-t SECONDS')));
}

test('like tini, -h shows usage (plus -t)', (t) => sameUsage(t, ['-h']));
test('like tini, shows usage and exits 1 without a program', (t) => sameUsage(t, []));
test('like tini, refuses options meant for the program unless -- comes first', (t) =>
  sameUsage(t, ['sh', '-c', 'true']));

test('-l shows the license', async (t) => {
  const r = await runInit(ours, ['-l'], { asPid1: false });
  t.is(r.code, 0);
  t.regex(r.stdout, /MIT License/);
});

test('--version', async (t) => {
  const r = await runInit(ours, ['--version'], { asPid1: false });
  t.is(r.code, 0);
  t.regex(r.stdout, /^pidns-init version \d+\.\d+\.\d+ \(tini-compatible\)$/m);
});

test("pidns-tree init passes tini's command line and the signals it gets to pidns-init", async (t) => {
  const { startCli, runCli } = await import('./helpers/cli.js');
  t.is((await runCli(['init', '-s', '-e', '3', '--', 'sh', '-c', 'exit 3'])).code, 0);
  const { child, result } = startCli([
    'init',
    '-s',
    '--',
    'sh',
    '-c',
    "trap 'exit 7' USR1; echo ready; sleep infinity & wait",
  ]);
  child.stdout?.on('data', (d: Buffer) => {
    if (d.toString().includes('ready')) child.kill('SIGUSR1');
  });
  t.is((await result).code, 7);
});
