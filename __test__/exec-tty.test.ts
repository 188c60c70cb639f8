/**
 * `pidns-tree exec` on a terminal, used as a user would: the CLI runs on a real pseudo-terminal
 * (helpers/pty.ts) and the test types on it and waits for what it shows, never on a clock.
 */
import test, { type ExecutionContext } from 'ava';

import { bin, runCli } from './helpers/cli.js';
import { detachTree, liveHostPid, uniqueName } from './helpers/live.js';
import { membersOf, pidNamespace, Terminal } from './helpers/pty.js';
import { sleeper } from './helpers/specs.js';

const spec = {
  name: 'root',
  processes: [sleeper('w')],
  children: [{ name: 'a', processes: [sleeper('x')] }],
};

/** `pidns-tree exec <args>` on a new terminal of 100x30. */
function execOnTerminal(args: readonly string[]) {
  return Terminal.start([process.execPath, bin, 'exec', ...args], {
    env: { TERM: 'xterm', NO_COLOR: '1' },
    cols: 100,
    rows: 30,
  });
}

/** Types a command line and waits for the prompt (set to `P> ` first) to come back. */
async function run_(term: Terminal, line: string): Promise<string> {
  await term.send(`${line}\r`);
  return (await term.expect('P> ')).before;
}

/** A bash without rc files, its prompt made `P> ` (typed as `P''> `, so the echo never matches). */
async function shell(id: string, node: string) {
  const started = await execOnTerminal([id, node, '--', 'bash', '--norc', '--noprofile', '-i']);
  await started.term.expect('[#$] ');
  await run_(started.term, "PS1='P''> '");
  return started;
}

/** That bash in `node` of a new detached tree; the tree is stopped and the terminal closed when the test ends. */
async function session(t: ExecutionContext, name: string, node: string, args: readonly string[] = []) {
  const { id } = await detachTree(uniqueName(name), spec, { args, stopAfter: t });
  const started = await shell(id, node);
  t.teardown(() => started.term.close());
  return { id, ...started };
}

/**
 * The live processes of `node`'s namespace that the tree did not start: not its init, not its
 * process `own`. Those a session on it has started.
 */
async function startedBySession(id: string, node: string, own: string) {
  const init = await liveHostPid(id, node, 'init');
  const ns = pidNamespace(init);
  const mine = await liveHostPid(id, node, own);
  return { init, ns, mine, started: membersOf(ns).filter((p) => p.pid !== init && p.pid !== mine) };
}

/** Ctrl-C ends the job in the foreground, not the shell (nor the CLI): bash says 130. */
async function ctrlCEndsTheJob(t: ExecutionContext, term: Terminal): Promise<void> {
  await term.send("sh -c 'echo READY-$((1+1)); exec sleep 100'\r");
  await term.expect('READY-2');
  await term.send('\x03');
  await term.expect('P> ');
  t.regex(await run_(term, 'echo "alive-$((3+4)) $?"'), /alive-7 130/);
}

test.serial(
  'exec from a terminal: bash has job control, Ctrl-C, Ctrl-Z and Ctrl-\\ reach its jobs, the size follows, the status is its own, nothing is left and the terminal is as before',
  async (t) => {
    const { id, term, stty } = await session(t, 'tty-shell', 'root/a');

    // A session of its own on a terminal of its own, with job control, of our window's size.
    const modes = await run_(term, 'set -o | grep monitor; tty; stty size; echo "leads $(ps -o sid= -p $$) is $$"');
    t.regex(modes, /monitor\s+on/);
    t.regex(modes, /\/dev\/pts\/\d+/);
    t.regex(modes, /30 100/);
    const leads = /leads\s+(\d+) is (\d+)/.exec(modes);
    t.is(leads?.[1], leads?.[2], 'bash leads its session');

    await ctrlCEndsTheJob(t, term);

    // Ctrl-Z stops it; jobs shows it stopped.
    await term.send("sh -c 'echo Z-$((2+2)); exec sleep 101'\r");
    await term.expect('Z-4');
    await term.send('\x1a');
    await term.expect('Stopped');
    await term.expect('P> ');
    t.regex(await run_(term, 'jobs'), /\[1\]\+\s+Stopped\s+sh -c/);

    // Ctrl-\ quits the foreground job.
    await term.send("sh -c 'echo Q-$((1+4)); exec sleep 102'\r");
    await term.expect('Q-5');
    await term.send('\x1c');
    await term.expect('Quit');
    await term.expect('P> ');

    // A resize of our window reaches the program in the foreground inside (SIGWINCH).
    await term.send(
      "perl -e '$| = 1; $SIG{WINCH} = sub { system q(stty size); exit 0 }; print q(W-), 3 * 3, qq(\\n); sleep while 1'\r",
    );
    await term.expect('W-9');
    await term.resize(120, 40);
    await term.expect('40 120');
    await term.expect('P> ');

    // What the user leaves behind: a background job, a disowned one, a nohup'd one.
    await run_(term, 'sleep 103 & sleep 104 & disown $!; nohup sleep 105 >/dev/null 2>&1 & echo bg-$((4*4))');
    const { init, ns, mine: x, started } = await startedBySession(id, 'root/a', 'x');
    const bash = await liveHostPid(id, 'root/a', 'exec-1');
    // bash, the stopped job and the three in the background: each was forked before the prompt
    // came back, but may not have exec'd sleep yet, so they are counted, not named.
    t.true(
      started.some((p) => p.pid === bash),
      JSON.stringify(started),
    );
    t.is(started.length, 5, JSON.stringify(started));

    // bash warns once about the stopped job, then exits with our status.
    await term.send('exit 7\r');
    await term.expect('There are stopped jobs');
    await term.expect('P> ');
    await term.send('exit 7\r');
    t.is((await term.wait()).code, 7);

    // Everything the session started is gone; the tree's own processes are not.
    t.deepEqual(await term.gone(started.map((p) => p.pid)), []);
    t.deepEqual(
      membersOf(ns)
        .map((p) => p.pid)
        .sort(),
      [init, x].sort(),
    );

    // The terminal's settings are exactly what they were.
    t.is(await term.stty(), stty);
  },
);

test.serial(
  'exec from a terminal into a rootless detached tree: job control, Ctrl-C inside, its status, nothing left, the terminal as before',
  async (t) => {
    const { id, term, stty } = await session(t, 'tty-rootless', 'root/a', ['--rootless']);
    t.regex((await runCli(['ps', id])).stdout, /\(rootless\)/);
    const modes = await run_(term, 'set -o | grep monitor; tty; id -u');
    t.regex(modes, /monitor\s+on/);
    t.regex(modes, /\/dev\/pts\/\d+/);
    t.regex(modes, /^0\r$/m, 'root in its user namespace');
    await ctrlCEndsTheJob(t, term);
    const left = await run_(term, 'nohup sleep 107 >/dev/null 2>&1 & echo "bg $(ps -o pid= -p $!)"');
    t.regex(left, /bg\s+\d+/);
    const { started } = await startedBySession(id, 'root/a', 'x');
    t.is(started.length, 2, JSON.stringify(started));
    await term.send('exit 7\r');
    t.is((await term.wait()).code, 7);
    t.deepEqual(await term.gone(started.map((p) => p.pid)), []);
    t.is(await term.stty(), stty);
  },
);

test.serial(
  'SIGTERM to exec on a terminal: the terminal is restored, it exits 143, and the session inside ends',
  async (t) => {
    const { id, term, stty } = await session(t, 'tty-term', 'root');
    // nohup: the hang-up does not end it; the end of the session does.
    await run_(term, 'nohup sleep 106 >/dev/null 2>&1 & echo bg-$((2*8))');
    const { started } = await startedBySession(id, 'root', 'w');
    const bash = await liveHostPid(id, 'root', 'exec-1');
    // bash and the nohup'd job (forked before the prompt came back; counted, as it may not
    // have exec'd sleep yet).
    t.true(
      started.some((p) => p.pid === bash),
      JSON.stringify(started),
    );
    t.is(started.length, 2, JSON.stringify(started));
    t.not(await term.stty(), stty, 'raw while the session runs');
    await term.signal(15);
    t.is((await term.wait()).code, 143);
    t.is(await term.stty(), stty);
    t.deepEqual(await term.gone(started.map((p) => p.pid)), []);
  },
);

test.serial('when the tree dies under exec on a terminal, the terminal is restored and the CLI says why', async (t) => {
  const { id, supervisor } = await detachTree(uniqueName('tty-dies'), spec);
  const { term, stty } = await shell(id, 'root/a');
  t.teardown(() => term.close());
  // The supervisor killed: the kernel kills the whole tree with it.
  process.kill(supervisor, 'SIGKILL');
  const exit = await term.wait();
  t.is(exit.code, 125);
  t.regex(exit.output, /pidns-tree: tree tty-dies-\w+: the supervisor closed the connection/);
  t.is(await term.stty(), stty);
});

test.serial(
  'exec keeps passing stdin, stdout and stderr as they are with -T, or when one is redirected; -t makes a terminal anyway',
  async (t) => {
    const { id } = await detachTree(uniqueName('tty-choice'), spec, { stopAfter: t });
    // -T from a terminal: the command gets our terminal itself.
    const plain = await execOnTerminal(['-T', id, 'root', '--', 'tty']);
    t.is((await plain.term.wait()).output.trim(), plain.tty);
    plain.term.close();
    // stdout redirected: no terminal of its own either (bytes stay exact, stderr apart).
    const cmd = (flag: string) => `${process.execPath} ${bin} exec ${flag} ${id} root -- tty | cat`;
    const piped = await Terminal.start(['sh', '-c', cmd('')]);
    t.is((await piped.term.wait()).output.trim(), piped.tty);
    piped.term.close();
    // -t: a terminal of its own, whatever is redirected.
    const forced = await Terminal.start(['sh', '-c', cmd('-t')]);
    const output = (await forced.term.wait()).output.trim();
    t.regex(output, /^\/dev\/pts\/\d+$/);
    t.not(output, forced.tty);
    forced.term.close();
  },
);

test.serial('exec -t with stdin from a pipe: it is typed on the terminal, and its end is typed as ^D', async (t) => {
  const { id } = await detachTree(uniqueName('tty-pipe'), spec, { stopAfter: t });
  // cat reads lines until end-of-file: the ^D typed when our stdin ends.
  const cat = await runCli(['exec', '-t', id, 'root/a', '--', 'cat'], { input: 'line one\nline two\n' });
  t.is(cat.code, 0);
  // The terminal echoes what is typed, and cat writes it back (in an order that depends on when
  // cat reads); a terminal ends lines with \r\n.
  t.deepEqual(cat.stdout.split('\r\n').sort(), ['', 'line one', 'line one', 'line two', 'line two']);
  t.is(cat.stderr, '');
  const sh = await runCli(
    ['exec', '-t', id, 'root/a', '--', 'sh', '-c', 'read x; test -t 0 && echo "got $x"; exit 5'],
    {
      input: 'abc\n',
    },
  );
  t.is(sh.code, 5);
  t.regex(sh.stdout, /got abc\r\n$/);
});

test('exec -t names a tree that is not running as exec -T does: one line, exit 2, no stack trace', async (t) => {
  const missing = uniqueName('tty-missing');
  const plain = await runCli(['exec', '-T', missing, 'root', '--', 'true']);
  const onTerminal = await runCli(['exec', '-t', missing, 'root', '--', 'true']);
  t.is(plain.code, 2);
  t.is(plain.stderr, `pidns-tree: no running tree "${missing}" here (see pidns-tree ls)\n`);
  t.is(onTerminal.code, plain.code);
  t.is(onTerminal.stderr, plain.stderr);
  t.is(onTerminal.stdout, '');
});

test('exec --help lists -t and -T', async (t) => {
  const r = await runCli(['exec', '--help']);
  t.is(r.code, 0);
  t.regex(r.stdout, /-t, --tty\s+a terminal of its own/);
  t.regex(r.stdout, /-T, --no-tty\s+no terminal/);
});
