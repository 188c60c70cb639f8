/**
 * The ui server's first picture and the event stream that follows it, without a browser or a
 * kernel: a tree source in memory (a LiveState fed with events, as the real sources are) behind
 * the real server, over real HTTP. The live page gets the picture of the tree the server follows
 * inside its HTML (a JSON data block, with its version), and asks the stream only for the events
 * after that version; a stream without a version it can resume from starts with a snapshot.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';

import test, { type ExecutionContext } from 'ava';

import type { TreeEvent } from '../src/events.js';
import { LiveState, packSnapshot, unpackSnapshot, type PackedSnapshot } from '../src/render/diagram/live-state.js';
import { snapshotJson } from '../src/ui/snapshot-json.js';
import { Broadcast, KEPT_EVENTS, type Update } from '../src/ui/source.js';
import { MemorySource, reap, serve, start } from './helpers/memory-source.js';
import { rawRequest } from './helpers/ui.js';

const get = (port: number, path: string) =>
  rawRequest(new URL(`http://127.0.0.1:${port}`), { path, headers: { host: `127.0.0.1:${port}` } });

/** The first `count` messages of an event stream, as [event name, parsed data]. */
function streamed(port: number, path: string, count: number): Promise<[string, unknown][]> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        const messages = text
          .split('\n\n')
          .slice(0, -1)
          .filter((m) => m.includes('data: '))
          .map((m): [string, unknown] => [
            /^event: (.*)$/m.exec(m)?.[1] ?? '',
            JSON.parse(/^data: (.*)$/m.exec(m)?.[1] ?? 'null') as unknown,
          ]);
        if (messages.length >= count) {
          req.destroy();
          resolve(messages.slice(0, count));
        }
      });
    });
    req.on('error', (e) => {
      if (!req.destroyed) reject(e);
    });
    req.end();
  });
}

test('the live page carries the picture of the tree the server follows, escaped, with its version', async (t) => {
  const source = new MemorySource();
  source.push([
    start('root', 'init', { host: 100, root: 1 }, ['pidns-init']),
    start('root', 'evil', { host: 101, root: 2 }, ['sh', '-c', 'echo "</script><script>alert(1)</script>" $&']),
    reap(7),
  ]);
  const { server, q } = await serve(source);
  t.teardown(() => server.close());

  const page = await get(server.port, `/?${q}`);
  t.is(page.status, 200);
  const block = /<script type="application\/json" id="first-picture">([\s\S]*?)<\/script>/.exec(page.body);
  t.truthy(block, 'the data block');
  t.false(block?.[1]?.includes('<'), 'nothing in the data can open or close an element');
  const first = JSON.parse(block?.[1] ?? 'null') as { tree: string; version: number; snapshot: PackedSnapshot };
  t.is(first.tree, 'mem');
  t.is(first.version, 3);
  const shown = unpackSnapshot(first.snapshot);
  t.deepEqual(
    shown.processes.map((p) => [p.start.process, p.start.pids, p.start.command]),
    [
      ['init', { host: 100, root: 1 }, ['pidns-init']],
      ['evil', { host: 101, root: 2 }, ['sh', '-c', 'echo "</script><script>alert(1)</script>" $&']],
    ],
  );
  t.is(shown.reaped?.['root'], 1);
  t.false(page.body.includes('__FIRST_PICTURE__'));
  // The playground has no such block.
  t.false((await get(server.port, `/playground?${q}`)).body.includes('first-picture'));
});

test('the live page carries its stylesheet and script, allowed by their hashes and nothing else inline', async (t) => {
  const source = new MemorySource();
  source.push([start('root', 'init', { host: 100, root: 1 }, ['pidns-init'])]);
  const { server, q } = await serve(source);
  t.teardown(() => server.close());
  const page = await get(server.port, `/?${q}`);
  const csp = String(page.headers['content-security-policy']);
  const sha = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const script = /<script type="module">([\s\S]*?)<\/script>/.exec(page.body)?.[1] ?? '';
  const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)?.[1] ?? '';
  t.true(script.length > 1000 && style.length > 1000);
  t.regex(csp, new RegExp(`script-src 'self' 'wasm-unsafe-eval' ${sha(script).replace(/[+/]/g, '\\$&')};`));
  t.regex(csp, new RegExp(`style-src 'self' ${sha(style).replace(/[+/]/g, '\\$&')};`));
  t.false(csp.includes('unsafe-inline'));
  t.false(/<script [^>]*src=|<link [^>]*stylesheet/.test(page.body), 'no request for assets');
  // The playground keeps its files, and the policy without hashes.
  const playground = await get(server.port, `/playground?${q}`);
  t.false(String(playground.headers['content-security-policy']).includes('sha256'));
});

test('the event stream sends a page only the events after the version it has; otherwise a snapshot first', async (t) => {
  const source = new MemorySource();
  source.push([start('root', 'init', { host: 100, root: 1 }, ['pidns-init'])]);
  const { server, q } = await serve(source);
  t.teardown(() => server.close());
  const version = source.picture().version;
  source.push([reap(10), reap(11)]);
  source.push([reap(12)]);

  const [first] = await streamed(server.port, `/api/trees/mem/events?after=${version}&${q}`, 1);
  t.is(first?.[0], 'events');
  const events = (first?.[1] as { events: TreeEvent[] }).events;
  t.deepEqual(
    events.map((e) => (e.event === 'reap' ? e.pid : -1)),
    [10, 11, 12],
  );

  for (const after of ['', 'after=abc&', `after=${source.picture().version + 1}&`]) {
    const [m] = await streamed(server.port, `/api/trees/mem/events?${after}${q}`, 1);
    t.is(m?.[0], 'snapshot', `with ${after || 'no version'}`);
  }
});

test('a Broadcast replays what a listener missed only while it keeps it, and not across a snapshot', (t) => {
  const b = new Broadcast();
  const got: Update[] = [];
  const listen = (after?: number) => {
    got.length = 0;
    const r = b.add((u) => got.push(u), after);
    r.remove();
    return r.caughtUp;
  };
  t.true(listen(0), 'nothing sent yet: version 0 is current');
  t.is(got.length, 0);
  b.send({ kind: 'events', events: [reap(1), reap(2)] });
  b.send({ kind: 'events', events: [reap(3)] });
  t.is(b.version, 3);
  t.true(listen(1));
  t.deepEqual(
    got.flatMap((u) => (u.kind === 'events' ? u.events.map((e) => (e.event === 'reap' ? e.pid : 0)) : [])),
    [2, 3],
  );
  t.true(listen(3));
  t.is(got.length, 0, 'up to date: nothing to send');
  t.false(listen(4), 'a version not made yet');
  t.false(listen(undefined));

  // More than it keeps: the oldest cannot be replayed.
  for (let i = 0; i < 2 * KEPT_EVENTS; i += 1) b.send({ kind: 'events', events: [reap(100 + i)] });
  t.false(listen(3));
  t.true(listen(b.version - KEPT_EVENTS));
  t.is(got[0]?.kind === 'events' ? got[0].events.length : 0, KEPT_EVENTS);

  // A snapshot (the source fell behind and read ps again) starts a new version.
  const before = b.version;
  b.send({ kind: 'snapshot', snapshot: new LiveState().snapshot() });
  t.false(listen(before));
  t.true(listen(b.version));
});

test('a snapshot packed for the pages is what packSnapshot makes, its processes written once while only counts change', (t) => {
  const state = new LiveState();
  state.apply(start('root', 'init', { host: 100, root: 1 }, ['pidns-init']));
  state.apply(start('root', 'web', { host: 101, root: 2 }, ['echo', '<b>']));
  const first = state.snapshot();
  t.deepEqual(JSON.parse(snapshotJson(first)), JSON.parse(JSON.stringify(packSnapshot(first))));
  t.false(snapshotJson(first).includes('<'));

  state.apply(reap(9));
  const reaped = state.snapshot();
  t.is(reaped.processes, first.processes, 'a reap changes counts, not the list of processes');
  t.deepEqual(JSON.parse(snapshotJson(reaped)), JSON.parse(JSON.stringify(packSnapshot(reaped))));
  t.is(reaped.reaped?.['root'], 1);

  state.apply({ event: 'exit', node: 'root', process: 'web', code: 0, signal: null });
  const exited = state.snapshot();
  t.not(exited.processes, first.processes);
  t.deepEqual(JSON.parse(snapshotJson(exited)), JSON.parse(JSON.stringify(packSnapshot(exited))));
  t.is(unpackSnapshot(JSON.parse(snapshotJson(exited)) as PackedSnapshot).processes[1]?.state, 'exited');
});

/**
 * A raw reader of the event stream of `mem` that takes its headers, then stops reading (behind,
 * as a page that cannot keep up); `finish` reads the rest until the connection closes.
 */
async function laggingReader(
  t: Pick<ExecutionContext, 'teardown'>,
  server: { port: number },
  q: string,
): Promise<{ finish: () => Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.teardown(() => socket.destroy());
  socket.write(`GET /api/trees/mem/events?${q} HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\n\r\n`);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) =>
    socket.once('data', (d: Buffer) => {
      chunks.push(d);
      socket.pause();
      resolve();
    }),
  );
  return {
    finish: async () => {
      socket.on('data', (d: Buffer) => chunks.push(d));
      const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.resume();
      await ended;
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** `n` starts with a 4 KiB command each: more than the kernel's buffers on both sides hold. */
function pushMany(source: MemorySource, n: number): void {
  const long = 'x'.repeat(4096);
  for (let i = 0; i < n; i += 1) source.push([start('root', `p${i}`, { host: 1000 + i, root: 2 + i }, ['sh', long])]);
}

test('closing the server ends each event stream whole, even for a reader that is behind', async (t) => {
  const source = new MemorySource();
  source.push([start('root', 'init', { host: 100, root: 1 }, ['pidns-init'])]);
  const { server, q } = await serve(source);
  const reader = await laggingReader(t, server, q);
  // The rest waits in the server.
  pushMany(source, 4000);
  const closed = server.close();
  const text = await reader.finish();
  await closed;
  t.true(text.includes('"process":"p3999"'), 'the last event arrived');
  t.true(
    text.endsWith('\r\n0\r\n\r\n'),
    `the stream ended with its last chunk, not cut off: …${JSON.stringify(text.slice(-40))}`,
  );
});

test('an event that comes while the server closes is not written to a stream it has ended', async (t) => {
  const source = new MemorySource();
  source.push([start('root', 'init', { host: 100, root: 1 }, ['pidns-init'])]);
  const { server, q } = await serve(source);
  const reader = await laggingReader(t, server, q);
  // The reader is behind, so the server waits for it after ending the stream; an event then
  // (a storm goes on while pidns-tree ui stops) was a write after end: an uncaught 'error'.
  pushMany(source, 2000);
  const closed = server.close();
  source.push([start('root', 'late', { host: 9000, root: 9000 }, ['true'])]);
  const text = await reader.finish();
  await closed;
  t.true(text.includes('"process":"p1999"'), 'what came before the close arrived');
  t.false(text.includes('"process":"late"'), 'nothing after the end');
  t.true(text.endsWith('\r\n0\r\n\r\n'), 'the stream ended whole');
});
