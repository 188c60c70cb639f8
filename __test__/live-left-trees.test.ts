/**
 * The test helpers stop the detached trees a test worker started, even when the worker dies
 * before ava's teardowns can run: of an uncaught exception, or of the SIGTERM ava sends a worker
 * that timed out. Here a child node process that runs the helper stands for that worker.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import test from 'ava';

import { bin, root, runCli } from './helpers/cli.js';
import { stillRunning } from './helpers/host.js';
import { uniqueName, type Detached } from './helpers/live.js';

const helpers = path.join(root, 'dist', '__test__', 'helpers');
const spec = { name: 'root', processes: [{ name: 'p', command: ['sleep', 'infinity'] }] };

/**
 * A worker that detaches `left` and `stopped` with detachTree, stops `stopped` itself, prints
 * both trees (and the host PID and NSpid of `left`'s process) as one JSON line, then, with
 * `throws`, dies of an uncaught exception, or else waits to be signalled.
 */
const worker = `import { detachTree, liveHostPid } from ${JSON.stringify(path.join(helpers, 'live.js'))};
import { nspid } from ${JSON.stringify(path.join(helpers, 'host.js'))};
import { execFileSync } from 'node:child_process';
const [left, stopped, ending] = JSON.parse(process.argv[1]);
const spec = ${JSON.stringify(spec)};
const trees = { left: await detachTree(left, spec), stopped: await detachTree(stopped, spec) };
const p = await liveHostPid(trees.left.id, 'root', 'p');
execFileSync(process.execPath, [${JSON.stringify(bin)}, 'stop', trees.stopped.id]);
console.log(JSON.stringify({ ...trees, p: { host: p, nspid: nspid(p) } }));
if (ending === 'throws') setImmediate(() => { throw new Error('a test bug'); });
else setInterval(() => undefined, 60_000);`;

interface Printed {
  left: Detached;
  stopped: Detached;
  p: { host: number; nspid: number[] };
}

for (const ending of ['throws', 'SIGTERM'] as const) {
  test(`a worker that dies (${ending === 'throws' ? 'an uncaught exception' : 'SIGTERM'}) leaves no detached tree running`, async (t) => {
    const names = [uniqueName('left-on-exit'), uniqueName('stopped-first')];
    // Were the hook to fail, this test would not leave them behind either.
    t.teardown(async () => {
      for (const name of names) await runCli(['stop', name]);
    });
    const child = spawn(process.execPath, ['--input-type=module', '-e', worker, JSON.stringify([...names, ending])], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const printed = new Promise<Printed>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.endsWith('\n')) resolve(JSON.parse(stdout) as Printed);
      });
    });
    const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('close', (code, signal) => resolve([code, signal])),
    );
    const trees = await Promise.race([printed, closed.then(() => undefined)]);
    if (trees === undefined) return t.fail(`the worker ended before it printed its trees: ${stderr}`);
    t.is(trees.p.nspid.length, 2, 'the worker saw its process running');
    if (ending === 'SIGTERM') child.kill('SIGTERM');
    const [code, signal] = await closed;
    if (ending === 'throws') {
      t.is(code, 1);
      t.regex(stderr, /Error: a test bug/);
    } else {
      t.is(signal, 'SIGTERM', 'it still dies of the signal');
    }
    const ls = JSON.parse((await runCli(['ls', '--json'])).stdout) as { trees: { id: string }[] };
    for (const tree of [trees.left, trees.stopped]) {
      t.false(
        ls.trees.some((x) => x.id === tree.id),
        `${tree.id} is not listed`,
      );
      t.is((await runCli(['ps', tree.id])).code, 2, `ps ${tree.id} finds no tree`);
    }
    t.false(stillRunning(trees.p.host, trees.p.nspid), `${trees.left.id}'s process is gone`);
    // Only the tree still running was stopped on the way out, not the one the worker had stopped.
    t.regex(stderr, new RegExp(`stopped the detached trees this process left running: ${trees.left.id}\\n`));
  });
}
