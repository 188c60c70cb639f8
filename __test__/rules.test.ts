/**
 * The kernel's rules for PID namespaces, each proven against the real kernel (see README,
 * "The rules"). Rules 4, 5 and 8 also have tests in pid-translation and validation.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

import type { StartEvent, ZombiesEvent } from '../src/events.js';
import { RunningTree } from '../src/running-tree.js';
import type { TreeSpec } from '../src/spec.js';
import { stdoutIncludes } from './helpers/cli.js';
import { hostPid, isExit, isOutput, isStart, ofKind } from './helpers/events.js';
import { alive, gate, mountTable, tempDir } from './helpers/host.js';
import { plan } from './helpers/specs.js';
import { watch, type Watch } from './helpers/watch.js';

type Mode = 'privileged' | 'rootless';
type Run = (spec: TreeSpec) => { tree: RunningTree; w: Watch };

/**
 * Registers a rule's test twice: privileged (CAP_SYS_ADMIN), and rootless (a user namespace
 * that maps us to root first): the kernel's rules must hold both ways.
 */
function both(title: string, body: (t: import('ava').ExecutionContext, run: Run, mode: Mode) => Promise<void>): void {
  for (const mode of ['privileged', 'rootless'] as const) {
    test(`${title} [${mode}]`, (t) =>
      body(
        t,
        (spec) => {
          const tree = RunningTree.start(plan(spec), mode);
          return { tree, w: watch(tree) };
        },
        mode,
      ));
  }
}

async function started(w: Watch, node: string, process = 'init'): Promise<StartEvent> {
  return w.waitFor(isStart(node, process), `${node}:${process} to start`);
}

both(
  'rule 1: numbering starts at 1 in a new namespace; PID 1 has parent 0, and leads session and group 1',
  async (t, run) => {
    const { w } = run({
      name: 'root',
      processes: [
        {
          name: 'look',
          command: [
            'sh',
            '-c',
            'read -r pid comm state ppid pgrp sid rest < /proc/1/stat; echo "$pid $ppid $pgrp $sid"',
          ],
        },
      ],
      children: [
        {
          name: 'mine',
          init: {
            command: [
              'sh',
              '-c',
              'echo "$$ $PPID"; read -r pid comm state ppid pgrp sid rest < /proc/1/stat; echo "$pgrp $sid"',
            ],
          },
        },
      ],
    });
    await w.ended;
    t.truthy(w.events.find(isOutput('root', 'look', '1 0 1 1')), 'our init: pid 1, parent 0, group 1, session 1');
    t.truthy(
      w.events.find(isOutput('root/mine', 'init', '1 0')),
      "the user's PID 1 sees getpid() == 1 and getppid() == 0",
    );
    t.truthy(w.events.find(isOutput('root/mine', 'init', '1 1')));
    t.is(w.events.find(isStart('root', 'look'))?.pid, 2, 'the first process after the init is PID 2');
  },
);

both(
  'rule 2: from inside, unhandled signals to PID 1 (even SIGKILL) do nothing; from the parent SIGKILL kills it',
  async (t, run) => {
    const { tree, w } = run({
      name: 'root',
      children: [
        {
          name: 'stubborn',
          init: { command: ['sleep', 'infinity'] },
          processes: [{ name: 'try', command: ['sh', '-c', 'kill -TERM 1; kill -KILL 1; echo sent'] }],
        },
      ],
    });
    const init = await started(w, 'root/stubborn');
    await w.waitFor(isOutput('root/stubborn', 'try', 'sent'), 'the signals to be sent');
    await w.waitFor(isExit('root/stubborn', 'try'), 'try to exit');
    t.true(alive(init), 'PID 1 ignored SIGTERM and SIGKILL from inside');
    t.notThrows(() => process.kill(hostPid(init), 'SIGKILL'), 'it was still there for the parent to kill');
    const exit = await w.waitFor(isExit('root/stubborn', 'init'), 'the namespace to end');
    t.is(exit.signal, 'SIGKILL');
    tree.signal('SIGTERM');
    await w.ended;
  },
);

both('rule 2: signals our init receives are forwarded to its processes', async (t, run) => {
  const g = gate();
  const { tree, w } = run({
    name: 'root',
    processes: [
      { name: 'waiter', command: ['sh', '-c', "trap 'echo got USR1; exit 0' USR1; echo ready; sleep infinity & wait"] },
      { name: 'poker', command: ['sh', '-c', `trap '' USR1; read _ < ${g.path}; kill -USR1 1`] },
    ],
  });
  await w.waitFor(isOutput('root', 'waiter', 'ready'), 'the trap to be set');
  g.open(1);
  await w.waitFor(isOutput('root', 'waiter', 'got USR1'), 'SIGUSR1 sent to PID 1 to reach the waiter');
  t.like(await w.waitFor(isExit('root', 'waiter'), 'waiter to exit'), { code: 0 });
  tree.signal('SIGTERM');
  await w.ended;
  g.close();
});

both(
  'rule 3: when PID 1 exits, the kernel kills its namespace and all below, nothing above or beside; fork into it fails with ENOMEM',
  async (t, run) => {
    const { tree, w } = run({
      name: 'root',
      processes: [{ name: 'r1', command: ['sleep', 'infinity'] }],
      children: [
        {
          name: 'a',
          processes: [{ name: 'a1', command: ['sleep', 'infinity'] }],
          children: [{ name: 'b', processes: [{ name: 'b1', command: ['sleep', 'infinity'] }] }],
        },
        { name: 'c', processes: [{ name: 'c1', command: ['sleep', 'infinity'] }] },
      ],
    });
    const starts = await w.allStarted();
    const byName = (node: string, p: string) => starts.find((s) => s.node === node && s.process === p);
    const aInit = byName('root/a', 'init');
    // Hold the namespace itself open (an fd on its nsfs inode) to try fork into it afterwards.
    const holder = spawn('python3', ['-c', HOLD_AND_FORK, `/proc/${hostPid(aInit)}/ns/pid`], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let said = '';
    holder.stdout.setEncoding('utf8').on('data', (d: string) => (said += d));
    await stdoutIncludes(holder, 'held');
    process.kill(hostPid(aInit), 'SIGKILL');
    t.like(await w.waitFor(isExit('root/a', 'init'), 'root/a to end'), { signal: 'SIGKILL' });
    for (const [node, p] of [
      ['root/a', 'a1'],
      ['root/a/b', 'init'],
      ['root/a/b', 'b1'],
    ] as const) {
      const s = byName(node, p);
      t.false(alive(s), `${node}:${p} was killed with it`);
      t.like(await w.waitFor(isExit(node, p), `${node}:${p}'s exit`), {
        signal: 'SIGKILL',
        reason: "killed by the kernel when its namespace's init exited",
      });
    }
    for (const [node, p] of [
      ['root', 'r1'],
      ['root/c', 'init'],
      ['root/c', 'c1'],
    ] as const) {
      const s = byName(node, p);
      t.true(alive(s), `${node}:${p}, above or beside, lives on`);
    }
    holder.stdin.write('fork now\n');
    await new Promise((resolve) => holder.on('close', resolve));
    t.regex(said, /ENOMEM/, 'fork() into a namespace whose PID 1 has died');
    tree.signal('SIGTERM');
    await w.ended;
  },
);

const HOLD_AND_FORK = `
import ctypes, errno, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("held", flush=True)
sys.stdin.readline()
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(fd, 0x20000000) != 0:
    print("setns failed", errno.errorcode[ctypes.get_errno()], flush=True)
    sys.exit(1)
try:
    pid = os.fork()
except OSError as e:
    print("fork failed:", errno.errorcode[e.errno], flush=True)
    sys.exit(0)
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("fork worked", flush=True)
`;

both(
  "rule 4: a namespace can signal (kill -0) exactly its own processes and those below, never its parent's",
  async (t, run) => {
    const g = gate();
    // Builtins only (no child process to be seen), and it stays alive after answering so that
    // the other probe's answer does not depend on timing.
    const probe = [
      'sh',
      '-c',
      `read _ < ${g.path}; p=1; while [ $p -le 64 ]; do kill -0 $p 2>/dev/null && printf '%s ' $p; p=$((p+1)); done; echo; exec sleep infinity`,
    ];
    const { tree, w } = run({
      name: 'root',
      processes: [
        { name: 'r1', command: ['sleep', 'infinity'] },
        { name: 'r2', command: ['sleep', 'infinity'] },
      ],
      children: [
        {
          name: 'a',
          processes: [
            { name: 'probe', command: probe },
            { name: 'a1', command: ['sleep', 'infinity'] },
          ],
          children: [{ name: 'b', processes: [{ name: 'probe', command: probe }] }],
        },
      ],
    });
    const starts = await w.allStarted();
    g.open(2);
    for (const ns of ['root/a', 'root/a/b']) {
      const out = await w.waitFor(isOutput(ns, 'probe', /^[\d ]+$/), `${ns}'s probe`);
      const expected = starts
        .filter((s) => s.node === ns || s.node.startsWith(`${ns}/`))
        .map((s) => s.pids[ns])
        .sort((x, y) => (x ?? 0) - (y ?? 0));
      t.deepEqual(out.line.trim().split(' ').map(Number), expected, `what ${ns} can signal`);
    }
    tree.signal('SIGTERM');
    await w.ended;
    g.close();
  },
);

both(
  "rule 6: orphans go to the namespace's PID 1 and our init reaps them all (a storm of 200), reporting each with its PIDs",
  async (t, run) => {
    const { w } = run({
      name: 'root',
      processes: [{ name: 'spawner', command: ['sh', '-c', 'for i in $(seq 200); do (true &); done'] }],
    });
    const end = await w.ended;
    t.is(end.code, 0);
    const reaps = w.events.filter(ofKind('reap'));
    t.is(reaps.length, 200, 'one reap per orphan, in a storm of them');
    t.true(reaps.every((r) => r.node === 'root' && r.pids?.['root'] === r.pid && typeof r.pids['host'] === 'number'));
    // An orphan still alive when `spawner` (the node's only process) is done gets SIGTERM: the
    // init stops what is left rather than exit under it.
    t.true(reaps.every((r) => (r.code === 0 && r.signal === null) || r.signal === 'SIGTERM'));
  },
);

both('rule 6: under a PID 1 that does not reap, zombies pile up, and the tree shows them', async (t, run) => {
  const { tree, w } = run({
    name: 'root',
    children: [
      {
        name: 'noreap',
        init: { command: ['sleep', 'infinity'] },
        processes: [{ name: 'parent', command: ['sh', '-c', 'true & true & true & exit 0'] }],
      },
    ],
  });
  const init = await started(w, 'root/noreap');
  const zombies = await w.waitFor((e): e is ZombiesEvent => e.event === 'zombies' && e.count === 3, 'three zombies');
  t.is(zombies.node, 'root/noreap');
  const inNs = readFileSync(`/proc/${hostPid(init)}/task/${hostPid(init)}/children`, 'utf8')
    .trim()
    .split(/\s+/);
  t.is(inNs.length, 3, 'the kernel holds them as children of that PID 1');
  process.kill(hostPid(init), 'SIGKILL');
  await w.waitFor(isExit('root/noreap', 'init'), 'the namespace to end');
  tree.signal('SIGTERM');
  await w.ended;
});

both('rule 7: a PID namespace isolates PIDs only: files and the network are shared', async (t, run, mode) => {
  const dir = tempDir();
  const file = path.join(dir, 'written-inside.txt');
  const before = mountTable();
  const { w } = run({
    name: 'root',
    processes: [
      {
        name: 'p',
        command: [
          'sh',
          '-c',
          `echo hello > ${file}; mkdir ${dir}/m && mount -t tmpfs none ${dir}/m && echo mounted; for n in net uts ipc user mnt pid; do echo "$n $(readlink /proc/self/ns/$n)"; done`,
        ],
      },
    ],
  });
  await w.ended;
  t.is(readFileSync(file, 'utf8'), 'hello\n', 'a file written inside is there outside');
  const inside = new Map(
    w.events
      .filter(ofKind('output'))
      .filter((e) => / /.test(e.line) && !e.line.startsWith('mounted'))
      .map((e) => e.line.split(' ') as [string, string]),
  );
  for (const shared of ['net', 'uts', 'ipc'])
    t.is(inside.get(shared), readlinkSync(`/proc/self/ns/${shared}`), `same ${shared} namespace`);
  // Rootless mode adds the one namespace it needs: a user namespace that maps us to root.
  const sameUser = inside.get('user') === readlinkSync('/proc/self/ns/user');
  t.is(sameUser, mode === 'privileged', 'user namespace: shared, or its own when rootless');
  t.not(inside.get('pid'), readlinkSync('/proc/self/ns/pid'), 'its own PID namespace');
  t.not(inside.get('mnt'), readlinkSync('/proc/self/ns/mnt'), 'a mount namespace, because pidns-tree asks for one');
  t.truthy(w.events.find(isOutput('root', 'p', 'mounted')));
  t.is(mountTable(), before, 'so the tmpfs mounted inside never reached the host');
  t.false(existsSync(path.join(dir, 'm', 'anything')));
});

both('rule 9: kill(-1) from PID 1 reaches everyone in its namespace but itself', async (t, run) => {
  const g = gate();
  const { tree, w } = run({
    name: 'root',
    children: [
      {
        name: 'ns',
        init: {
          command: [
            'sh',
            '-c',
            `trap '' TERM; read _ < ${g.path}; kill -TERM -1; echo 'pid 1 is still here'; exec sleep infinity`,
          ],
        },
        processes: [
          { name: 's1', command: ['sleep', 'infinity'] },
          { name: 's2', command: ['sleep', 'infinity'] },
        ],
      },
    ],
  });
  const starts = await w.allStarted();
  g.open(1);
  for (const p of ['s1', 's2'])
    t.like(await w.waitFor(isExit('root/ns', p), `${p} to die`), { signal: 'SIGTERM', code: 143 });
  await w.waitFor(isOutput('root/ns', 'init', 'pid 1 is still here'), 'PID 1 to go on');
  const init = starts.find((s) => s.node === 'root/ns' && s.process === 'init');
  t.true(alive(init));
  process.kill(hostPid(init), 'SIGKILL');
  tree.signal('SIGTERM');
  await w.ended;
  g.close();
});

both('stopping a namespace: SIGTERM, then SIGKILL after stopTimeout, every exit reported', async (t, run) => {
  const { tree, w } = run({
    name: 'root',
    init: { stopTimeout: 0.3 },
    processes: [
      { name: 'polite', command: ['sleep', 'infinity'] },
      {
        name: 'stubborn',
        command: ['sh', '-c', "trap 'echo ignoring TERM' TERM; echo ready; while :; do sleep 1 & wait; done"],
      },
    ],
  });
  await w.waitFor(isOutput('root', 'stubborn', 'ready'), 'the trap');
  tree.signal('SIGTERM');
  const end = await w.ended;
  t.like(w.events.find(isExit('root', 'polite')), { signal: 'SIGTERM' });
  t.truthy(w.events.find(isOutput('root', 'stubborn', 'ignoring TERM')));
  t.like(w.events.find(isExit('root', 'stubborn')), { signal: 'SIGKILL' });
  t.not(end.code, 0);
});

both(
  'our init waits for orphans a process leaves behind, stopping them gracefully instead of letting the kernel SIGKILL them',
  async (t, run) => {
    const dir = tempDir();
    execFileSync('mkfifo', [path.join(dir, 'ready')]);
    // The daemon signals "ready" (its trap is set) through a FIFO before its parent exits.
    const daemon = `trap 'echo cleaned up > ${dir}/done; exit 0' TERM; echo > ${dir}/ready; sleep infinity & wait`;
    const { w } = run({
      name: 'root',
      init: { stopTimeout: 5 },
      processes: [
        { name: 'daemonizer', command: ['sh', '-c', `sh -c "${daemon}" & read _ < ${dir}/ready; echo started`] },
      ],
    });
    const end = await w.ended;
    t.is(end.code, 0);
    t.is(
      readFileSync(path.join(dir, 'done'), 'utf8'),
      'cleaned up\n',
      'the orphan got SIGTERM and finished its clean-up',
    );
    t.truthy(w.events.find((e) => e.event === 'reap' && e.code === 0));
  },
);
