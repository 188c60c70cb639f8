/**
 * The API on a terminal: `tree.spawn`/`tree.exec` with `{ tty: true }` give a duplex stream a
 * test drives as a user would drive a terminal, and `"tty": true` in tree.json.
 */
import { once } from 'node:events';
import type { Duplex } from 'node:stream';

import test from 'ava';

import { spawnTree, testTree, type OutputEvent, type Tree } from '../src/index.js';
import { isExit } from './helpers/events.js';
import { sleeper } from './helpers/specs.js';

const spec = { name: 'root', processes: [sleeper('web')], children: [{ name: 'a', processes: [sleeper('worker')] }] };

/** What a terminal stream shows, and a wait for what it will show. */
class Screen {
  #text = '';
  #cursor = 0;
  #ended = false;
  #waiters: (() => void)[] = [];
  readonly ended: Promise<string>;

  constructor(stream: Duplex) {
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      this.#text += d;
      this.#wake();
    });
    this.ended = new Promise((resolve) =>
      stream.on('end', () => {
        this.#ended = true;
        this.#wake();
        resolve(this.#text);
      }),
    );
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves with the text before `pattern`'s next match; rejects at the stream's end. */
  async expect(pattern: RegExp | string): Promise<string> {
    const regex = new RegExp(pattern, 'g');
    for (;;) {
      regex.lastIndex = this.#cursor;
      const m = regex.exec(this.#text);
      if (m !== null) {
        const before = this.#text.slice(this.#cursor, m.index);
        this.#cursor = m.index + m[0].length;
        return before;
      }
      if (this.#ended) throw new Error(`the terminal ended without showing ${String(pattern)}:\n${this.#text}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

/** Types a line, then waits for the prompt (`P> `). */
async function line(term: Duplex, screen: Screen, text: string): Promise<string> {
  term.write(`${text}\r`);
  return screen.expect('P> ');
}

const reaped = (tree: Tree, node: string, pid: number) =>
  tree.waitFor((e) => e.event === 'reap' && e.node === node && e.pid === pid, { timeoutMs: 10_000 });

for (const mode of ['privileged', 'rootless'] as const) {
  test(`tree.spawn with { tty: true }: bash with job control, Ctrl-C and Ctrl-Z inside, resize(), its status, and its session ended with it [${mode}]`, async (t) => {
    await using tree = await spawnTree(spec, { mode });
    t.is(tree.rootless, mode === 'rootless');
    const term = await tree.spawn('root/a', ['bash', '--norc', '--noprofile', '-i'], {
      tty: true,
      cols: 90,
      rows: 20,
      env: { PS1: 'P> ', TERM: 'xterm' },
    });
    const screen = new Screen(term);
    await screen.expect('P> ');
    t.is(term.pids['root/a'], 3);

    const modes = await line(term, screen, 'set -o | grep monitor; tty; stty size');
    t.regex(modes, /monitor\s+on/);
    t.regex(modes, /\/dev\/pts\/\d+/);
    t.regex(modes, /20 90/);

    term.write("sh -c 'echo READY-$((1+1)); exec sleep 100'\r");
    await screen.expect('READY-2');
    term.write('\x03');
    await screen.expect('P> ');
    t.regex(await line(term, screen, 'echo "alive $?"'), /alive 130/);

    term.write('sh -c \'echo "Z-$((2+2)) $$"; exec sleep 101\'\r');
    await screen.expect(/Z-4 \d+/);
    term.write('\x1a');
    await screen.expect('Stopped');
    await screen.expect('P> ');

    term.write(
      "perl -e '$| = 1; $SIG{WINCH} = sub { system q(stty size); exit 0 }; print q(W-), 3 * 3, qq(\\n); sleep while 1'\r",
    );
    await screen.expect('W-9');
    t.true(term.resize(132, 50));
    await screen.expect('50 132');
    await screen.expect('P> ');

    const jobs = await line(
      term,
      screen,
      'sleep 200 & echo "bg $!"; nohup sleep 201 >/dev/null 2>&1 & echo "nohup $!"; jobs -p',
    );
    const pids = [/bg (\d+)/, /nohup (\d+)/].map((r) => Number(r.exec(jobs)?.[1]));
    // jobs -p lists each job's process group: the stopped one's is its pid, the others' too.
    pids.push(...[...jobs.matchAll(/^(\d+)\r$/gm)].map((m) => Number(m[1])));
    t.is(new Set(pids).size, 3, jobs);

    // Right after `jobs`, bash exits at once (and hangs its stopped job up itself, and may reap
    // it itself).
    term.write('exit 7\r');
    const exit = await term.wait();
    t.is(exit.code, 7);
    // What it left running, in the background or nohup'd, was killed by the end of its session
    // (SIGKILL) and reaped by the namespace's init, as orphans.
    for (const pid of pids.slice(0, 2)) t.like(await reaped(tree, 'root/a', pid), { signal: 'SIGKILL' });
    // The stream ends after the last byte.
    t.regex(await screen.ended, /exit\r\n$/);
    t.false(term.kill());
  });
}

test('tree.exec with { tty: true, input } types the input; ending the stream types ^D', async (t) => {
  await using tree = await spawnTree(spec);
  const term = await tree.exec('root', ['cat'], { tty: true, input: 'hello\n' });
  const screen = new Screen(term);
  await screen.expect('hello\r\n');
  term.end();
  const output = await screen.ended;
  // The terminal's echo and cat's copy, each ended \r\n by the terminal.
  t.deepEqual(output.split('\r\n').sort(), ['', 'hello', 'hello']);
  t.is((await term.wait()).code, 0);
  // One that cannot run: its terminal ends too.
  const missing = await tree.spawn('root', ['no-such-command'], { tty: true });
  const shown = new Screen(missing);
  const exit = await missing.wait();
  t.is(exit.code, 127);
  t.regex(exit.error ?? '', /cannot execute "no-such-command"/);
  t.is(await shown.ended, '');
});

test('a terminal stream destroyed right after spawn: the command ends by SIGHUP (never 126, "cannot execute"), hungUp says the stream did it, and the tree lives on', async (t) => {
  await using tree = await spawnTree(spec);
  // The hang-up races the command's start: before its terminal became its controlling terminal
  // (it never ran: the error says so), or after (SIGHUP from the kernel). Both, many times.
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 25; i++) {
    const term = await tree.spawn('root', ['sleep', '30'], { tty: true });
    term.on('error', () => undefined);
    term.destroy();
    const exit = await term.wait();
    t.like(exit, { code: 129, signal: 'SIGHUP' }, JSON.stringify(exit));
    if (exit.error !== undefined) {
      t.is(
        exit.error,
        "its terminal was hung up before the command could start (the terminal's other end was closed): it did not run",
      );
    }
    t.true(term.hungUp);
    const key = exit.error === undefined ? 'hung up while it ran' : 'hung up before it started';
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  t.log(Object.fromEntries(outcomes));
  // Nothing else got the hang-up: the tree's own process runs, and execs still work.
  t.is((await tree.exec('root', ['true'])).code, 0);
  const web = tree.processes().find((p) => p.node === 'root' && p.name === 'web');
  t.true(web !== undefined && !('exit' in web), JSON.stringify(web));
  // A stream destroyed after its command exited hung nothing up.
  const done = await tree.spawn('root', ['true'], { tty: true });
  done.resume();
  t.is((await done.wait()).code, 0);
  const closed = done.closed ? Promise.resolve() : once(done, 'close');
  done.destroy();
  await closed;
  t.false(done.hungUp);
});

test('"tty": true in tree.json: the process leads a session on a pty of its own; one stream, reported as stdout, lines as written', async (t) => {
  await using tree = await spawnTree({
    name: 'root',
    processes: [
      {
        name: 'term',
        command: [
          'sh',
          '-c',
          'tty; test -t 0 && test -t 1 && test -t 2 && echo all three; echo "leads $(ps -o sid= -p $$) is $$"; echo err >&2; printf tail',
        ],
        tty: true,
      },
      {
        // It closes its terminal, then works on: that is no hang-up (the init keeps the
        // terminal until the process has exited), so it exits with its own status.
        name: 'closer',
        command: [
          'sh',
          '-c',
          'echo bye; exec 0<&- 1>&- 2>&-; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exit 4',
        ],
        tty: true,
      },
      // While a process of the namespace runs, its init leaves orphans alone.
      sleeper('w'),
      {
        // It exits at once; what it started (in the background, ignoring the hang-up from
        // before its fork on) waits until it is gone, then writes on the terminal.
        name: 'orphaned',
        command: [
          'sh',
          '-c',
          'trap "" HUP; leader=$$; (while kill -0 $leader 2>/dev/null; do :; done; echo late) & echo early',
        ],
        tty: true,
      },
    ],
  });
  const closer = await tree.waitFor(isExit('root', 'closer'));
  t.like(closer, { code: 4, signal: null });
  // What a process it left behind writes on its terminal after it exited still comes, before
  // its exit (which waits for the end of its output).
  const orphaned = await tree.waitFor(isExit('root', 'orphaned'));
  t.like(orphaned, { code: 0, signal: null });
  const said: string[] = [];
  for await (const e of tree.events()) {
    if (e.event === 'output' && e.process === 'orphaned') said.push(e.line);
    if (e.event === 'exit' && e.process === 'orphaned') break;
  }
  t.deepEqual(said, ['early', 'late']);
  const exit = await tree.waitFor(isExit('root', 'term'));
  t.is(exit.code, 0);
  const lines: OutputEvent[] = [];
  for await (const e of tree.events()) {
    if (e.event === 'output' && e.process === 'term') lines.push(e);
    if (e === exit || (e.event === 'exit' && e.process === 'term')) break;
  }
  t.true(
    lines.every((l) => l.stream === 'stdout'),
    'a terminal has one stream',
  );
  const text = lines.map((l) => l.line);
  t.regex(text[0] ?? '', /^\/dev\/pts\/\d+$/);
  t.is(text[1], 'all three');
  const leads = /^leads\s+(\d+) is (\d+)$/.exec(text[2] ?? '');
  t.is(leads?.[1], leads?.[2]);
  t.deepEqual(text.slice(3), ['err', 'tail']);
  t.is(lines.at(-1)?.newline, false);
});

test('testTree on a "tty": true process: its expect checks the terminal as stdout; a stderr expectation is refused', async (t) => {
  const tty = (expect: Record<string, unknown>) => ({
    name: 'root',
    processes: [
      { name: 't', command: ['sh', '-c', 'test -t 1 && echo on a tty; echo oops >&2; exit 3'], tty: true, expect },
    ],
  });
  const ran = await testTree(tty({ exitCode: 3, stdout: { lines: ['on a tty', 'oops'] } }));
  t.is(ran.status, 'passed', JSON.stringify(ran.results));
  t.is(ran.results.length, 2);
  const refused = await testTree(tty({ stderr: { contains: 'oops' } }));
  t.is(refused.status, 'invalid');
  t.like(refused.issues[0], { path: '$.processes[0].expect.stderr.contains' });
  t.regex(refused.issues[0]?.message ?? '', /"tty": true: .* its stderr is always empty/);
});
