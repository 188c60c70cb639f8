/**
 * The diagram without a browser: the layout puts every PID of every process in the gutter of
 * the namespace it belongs to, boxes nest, the SVG is XML that names every process, the Mermaid
 * text holds every process, the live state follows events, and the playground's guided examples
 * play on the model as their captions say. Also the ui server's request guard, rule by rule.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import type { StartEvent } from '../src/events.js';
import { modelSync } from '../src/model/node-loader.js';
import { layoutDiagram } from '../src/render/diagram/layout.js';
import { LiveState } from '../src/render/diagram/live-state.js';
import { drawnRows } from '../src/render/diagram/live-view.js';
import { renderMermaid } from '../src/render/diagram/mermaid.js';
import { KeptReaps, markdownSummary, SUMMARY_ROWS } from '../src/render/diagram/summary.js';
import { diagramFromPlan, diagramFromSimulation, diagramProcesses } from '../src/render/diagram/model.js';
import { renderSvg } from '../src/render/diagram/svg.js';
import { checkRequest, parseHost, sameToken } from '../src/ui/guard.js';
import { GUIDES } from '../src/ui/web/guides.js';
import { eventSubject, eventWords } from '../src/render/event-words.js';
import { describeEvent } from '../src/render/model-view.js';
import { pidText } from '../src/render/words.js';
import { root } from './helpers/cli.js';

const spec = {
  name: 'root',
  processes: [{ name: 'web', command: ['sleep', 'infinity'] }],
  children: [
    {
      name: 'a',
      processes: [{ name: 'worker', command: ['sh', '-c', 'echo "<&>"'] }],
      children: [{ name: 'b', processes: [{ name: 'leaf', command: ['sleep', '1'] }] }],
    },
    { name: 'c', processes: [{ name: 'other', command: ['true'] }] },
  ],
};

test('layout: every PID of every process sits in the gutter of its namespace, boxes nest', (t) => {
  const planned = modelSync().plan(spec);
  const layout = layoutDiagram(diagramFromPlan(planned, 'plan'));
  const boxes = new Map(layout.boxes.map((b) => [b.path, b]));
  for (const p of planned.predicted) {
    const row = layout.lines.find((r) => r.key === `${p.node}:${p.process}`);
    if (row === undefined) return t.fail(`no row for ${p.node}:${p.process}`);
    const levels = Object.keys({ ...p.pids, ...p.ranges });
    t.deepEqual(
      row.pids.map((c) => c.level),
      levels.sort((x, y) => x.length - y.length),
    );
    for (const cell of row.pids) {
      t.is(cell.text, pidText(p.pids[cell.level] ?? p.ranges[cell.level]));
      // Inside the box of that level, left of the next one.
      const box = boxes.get(cell.level);
      if (box === undefined) return t.fail(`no box ${cell.level}`);
      t.true(cell.col > box.left && cell.col + cell.text.length <= box.right, `${row.key} ${cell.level}`);
      t.true(row.row > box.top && row.row < box.bottom);
    }
  }
  for (const b of layout.boxes) {
    const parent = boxes.get(b.path.slice(0, b.path.lastIndexOf('/')));
    if (parent === undefined) continue;
    t.true(b.left > parent.left && b.right < parent.right && b.top > parent.top && b.bottom < parent.bottom, b.path);
  }
});

test("layout: a namespace's states and commands line up just after its names (and its parents'), inside its box, whatever is deeper", (t) => {
  // A chain 12 deep under root: one column for the whole tree put root's states past every
  // deeper namespace's PIDs.
  type Namespace = { name: string; processes: { name: string; command: string[] }[]; children?: Namespace[] };
  let deep: Namespace = { name: 'l12', processes: [{ name: 'leaf', command: ['sleep', '1'] }] };
  for (let d = 11; d >= 1; d -= 1) deep = { name: `l${d}`, processes: [], children: [deep] };
  const layout = layoutDiagram(
    diagramFromPlan(modelSync().plan({ ...spec, children: [...spec.children, deep] }), 'plan'),
  );
  const boxes = new Map(layout.boxes.map((b) => [b.path, b]));
  const byDepth = new Map<number, Set<number>>();
  for (const r of layout.lines) {
    const box = boxes.get(r.node);
    if (box === undefined) return t.fail(`no box ${r.node}`);
    t.is(
      r.state.col,
      Math.max(...layout.lines.filter((o) => o.depth <= r.depth).map((o) => o.name.col + o.name.text.length)) + 2,
      `${r.key}: just after the names of its depth and of those above it`,
    );
    t.true(r.command.col + r.command.text.length < box.right, `${r.key}: its command is inside its box`);
    byDepth.set(r.depth, (byDepth.get(r.depth) ?? new Set()).add(r.state.col));
  }
  for (const [depth, cols] of byDepth) t.is(cols.size, 1, `one state column at depth ${depth}`);
  const web = layout.lines.find((r) => r.key === 'root:web');
  const leaf = layout.lines.find((r) => r.key.endsWith('l12:leaf'));
  t.true((web?.state.col ?? Infinity) < (leaf?.pids.at(-1)?.col ?? 0), "root's states are left of the deepest PIDs");
});

test('SVG: well-formed XML (xmllint), escapes commands, names every process', (t) => {
  const planned = modelSync().plan(spec);
  const svg = renderSvg(layoutDiagram(diagramFromPlan(planned, 'a <plan> & "quotes"')), { standalone: true });
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pidns-svg-')), 'plan.svg');
  writeFileSync(file, svg);
  execFileSync('xmllint', ['--noout', file]);
  for (const p of planned.predicted) t.true(svg.includes(`>${p.process}<`) || p.process === 'init', p.process);
  t.true(svg.includes('&#60;&#38;&#62;'), 'the command text is escaped');
});

test('Mermaid: a subgraph per namespace and a node per process, labels escaped', (t) => {
  const planned = modelSync().plan(spec);
  const text = renderMermaid(diagramFromPlan(planned, 'plan'));
  t.true(text.startsWith('flowchart TB\n'));
  t.is(text.match(/^\s*subgraph /gm)?.length, 4);
  for (const p of planned.predicted) t.regex(text, new RegExp(`<b>${p.process === 'init' ? 'init' : p.process}</b>`));
  t.false(/"[^"\n]*<&>[^"\n]*"/.test(text), 'no raw < & > inside a label');
});

test('simulation: the cascade of a killed middle init shows in the diagram', (t) => {
  const model = modelSync();
  const planned = model.plan(spec);
  const sim = model.simulate(spec, [{ op: 'kill', from: 'host', target: 'root/a', signal: 'KILL' }]);
  const d = diagramFromSimulation(sim, planned.nodes, 'after');
  const state = new Map(diagramProcesses(d).map((p) => [p.key, p]));
  for (const key of ['root/a:init', 'root/a:worker', 'root/a/b:init', 'root/a/b:leaf']) {
    t.is(state.get(key)?.exit?.signal, 'SIGKILL', key);
  }
  t.is(state.get('root:web')?.state, 'running');
  t.is(state.get('root/c:other')?.state, 'running');
});

const start = (node: string, process: string, pids: Record<string, number>): StartEvent => ({
  event: 'start',
  node,
  process,
  pid: pids[node] ?? 0,
  pids,
  command: process === 'init' ? ['pidns-init'] : ['sleep', '1'],
});

test('live state: starts, exits, reaps and zombies, from a snapshot on', (t) => {
  const s = LiveState.fromSnapshot({
    processes: [{ start: start('root', 'init', { host: 10, root: 1 }), state: 'running', exit: null }],
    zombies: {},
    reaped: { root: 2 },
  });
  t.is(s.apply(start('root/a', 'init', { host: 11, root: 2, 'root/a': 1 })), 'structure');
  t.is(s.apply({ event: 'exit', node: 'root/a', process: 'init', code: 137, signal: 'SIGKILL' }), 'state');
  t.is(s.apply({ event: 'reap', node: 'root', pid: 5, code: 0, signal: null }), 'state');
  t.is(s.apply({ event: 'zombies', node: 'root/a', count: 2, pids: [3, 4] }), 'state');
  const d = s.diagram('t');
  t.is(d.root.path, 'root');
  t.is(d.root.reaped, 3);
  t.is(d.root.init?.role, 'init');
  t.is(d.root.children[0]?.init?.exit?.signal, 'SIGKILL');
  t.deepEqual(d.root.children[0]?.zombies, { count: 2, pids: [3, 4] });
});

test("Mermaid: a namespace's title counts as the SVG's box does: one zombie, one orphan, in the singular", (t) => {
  const s = new LiveState();
  s.apply(start('root', 'init', { host: 10, root: 1 }));
  s.apply(start('root/a', 'init', { host: 11, root: 2, 'root/a': 1 }));
  s.apply({ event: 'reap', node: 'root', pid: 5, code: 0, signal: null });
  s.apply({ event: 'zombies', node: 'root/a', count: 1, pids: [3] });
  s.apply({ event: 'reap', node: 'root/a', pid: 4, code: 0, signal: null });
  s.apply({ event: 'reap', node: 'root/a', pid: 6, code: 0, signal: null });
  const text = renderMermaid(s.diagram('t'));
  const titles = [...text.matchAll(/subgraph \w+\["([^"]*)"\]/g)].map((m) => m[1]);
  t.deepEqual(titles, ['root · reaped 1 orphan', 'root/a · reaped 2 orphans · 1 zombie']);
});

test("events in words: spawn's, simulate's and the live page's (one zombie in the singular, an exit's error)", (t) => {
  const zombies = { event: 'zombies', node: 'root/a', count: 1, pids: [3] } as const;
  t.is(eventSubject(zombies), 'root/a:init');
  t.is(eventWords(zombies), '1 zombie (pid 3): this PID 1 does not reap');
  t.is(eventWords({ ...zombies, count: 0, pids: [] }), 'no zombies left');
  t.is(eventWords({ ...zombies, count: 2, pids: [3, 4] }), '2 zombies (pid 3, 4): this PID 1 does not reap');
  const reap = { event: 'reap', node: 'root', pid: 5, pids: { host: 40, root: 5 }, code: 0, signal: null } as const;
  t.is(eventWords(reap), 'reaped orphan pid 5 in root · 40 on host, exited 0');
  t.is(eventWords(reap, 'own'), 'reaped orphan pid 5, exited 0');
  const failed = {
    event: 'exit',
    node: 'root',
    process: 'web',
    code: 127,
    signal: null,
    error: 'nope: not found',
  } as const;
  t.is(eventWords(failed), 'exited 127: nope: not found');
  t.is(
    eventWords({ event: 'exit', node: 'root/a', process: 'init', code: 137, signal: 'SIGKILL' }),
    'namespace ended, init killed by SIGKILL (137)',
  );
  t.is(describeEvent(zombies), 'root/a:init · 1 zombie (pid 3): this PID 1 does not reap');
  t.is(describeEvent(reap), 'root:init · reaped orphan pid 5, exited 0');
  t.is(
    describeEvent({
      event: 'start',
      node: 'root/a',
      process: 'w',
      pid: 2,
      pids: { root: 4, 'root/a': 2 },
      command: [],
    }),
    'root/a:w · started, pid 2',
  );
});

test('summary: a storm of reaps keeps the first SUMMARY_ROWS and counts the rest', (t) => {
  const s = new LiveState();
  s.apply(start('root', 'init', { host: 10, root: 1 }));
  s.apply(start('root', 'web', { host: 12, root: 2 }));
  const reaps = new KeptReaps();
  const storm = 100_000;
  for (let pid = 3; pid < 3 + storm; pid += 1) {
    const reap = {
      event: 'reap',
      node: 'root',
      pid,
      pids: { host: 1000 + pid, root: pid },
      code: 0,
      signal: null,
    } as const;
    s.apply(reap);
    reaps.add(reap);
  }
  t.is(reaps.first.length, SUMMARY_ROWS);
  t.is(reaps.count, storm);
  t.is(reaps.first.at(-1)?.pid, 3 + SUMMARY_ROWS - 1, 'the first ones, in order');
  const text = markdownSummary(s, { source: 't.json', code: 0, reaps });
  t.regex(text, /^2 processes \(inits included\) in 1 namespace; 0 did not exit 0; 100000 orphans reaped\.$/m);
  t.is(text.match(/^\| `root` \| pid \d+ in root · \d+ on host \| exited 0 \|$/gm)?.length, SUMMARY_ROWS);
  t.regex(text, new RegExp(`^\\(${storm - SUMMARY_ROWS} more reaps not listed\\)$`, 'm'));

  const one = new KeptReaps();
  one.add({ event: 'reap', node: 'root', pid: 3, code: 0, signal: null });
  t.regex(markdownSummary(s, { source: 't.json', code: 0, reaps: one }), /; 1 orphan reaped\.$/m);
});

test('the guided examples play on the model as their captions say', (t) => {
  const model = modelSync();
  for (const g of GUIDES) {
    const text = execFileSync('cat', [path.join(root, 'examples', 'rules', g.file)], { encoding: 'utf8' });
    const sim = model.simulate(
      text,
      g.steps.map((s) => s.step),
    );
    t.deepEqual(
      sim.steps.map((s) => s.result),
      g.steps.map((s) => s.expect),
      g.title,
    );
  }
});

const config = { token: 'secret-token', port: 8123, names: ['localhost'] };
const req = (headers: Record<string, string>, url = '/api/trees?token=secret-token', method = 'GET') => ({
  method,
  url: new URL(url, 'http://x'),
  headers,
});

test('guard: the token on every request, compared in constant time', (t) => {
  t.true(checkRequest(config, req({ host: '127.0.0.1:8123' })).ok);
  t.like(checkRequest(config, req({ host: '127.0.0.1:8123' }, '/api/trees')), { ok: false, status: 401 });
  t.like(checkRequest(config, req({ host: '127.0.0.1:8123' }, '/?token=secret-tokeN')), { ok: false, status: 403 });
  t.true(checkRequest(config, req({ host: '127.0.0.1:8123', authorization: 'Bearer secret-token' }, '/')).ok);
  t.true(sameToken('a', 'a'));
  t.false(sameToken('a', 'a '));
});

test('guard: Host must name this server (DNS rebinding), Origin and Sec-Fetch-Site must be its own', (t) => {
  t.true(checkRequest(config, req({ host: 'localhost:8123' })).ok);
  t.true(checkRequest(config, req({ host: '[::1]:8123' })).ok);
  t.like(checkRequest(config, req({ host: 'evil.example:8123' })), { ok: false, status: 421 });
  t.like(checkRequest(config, req({ host: 'localhost:9999' })), { ok: false, status: 421 });
  t.like(checkRequest(config, req({})), { ok: false, status: 421 });
  t.like(checkRequest(config, req({ host: '127.0.0.1:8123', origin: 'http://evil.example' })), {
    ok: false,
    status: 403,
  });
  t.like(checkRequest(config, req({ host: '127.0.0.1:8123', origin: 'null' })), { ok: false, status: 403 });
  t.true(checkRequest(config, req({ host: '127.0.0.1:8123', origin: 'http://127.0.0.1:8123' })).ok);
  t.like(checkRequest(config, req({ host: '127.0.0.1:8123', 'sec-fetch-site': 'cross-site' })), {
    ok: false,
    status: 403,
  });
  t.deepEqual(parseHost('[::1]:80'), { name: '[::1]', port: 80 });
  t.is(parseHost('a:b:c'), null);
});

test('the live page draws every row of a small tree, and of a large one those in view and 40 around them', (t) => {
  t.deepEqual(drawnRows(400, { scrollTop: 5000, height: 900 }), [0, 400]);
  // Rows are 18 px under a 30 px title: at the top, rows 0-47 in view (and 2 rows' worth of
  // title counted as seen), and 40 below.
  t.deepEqual(drawnRows(1100, { scrollTop: 0, height: 900 }), [0, 88]);
  // Scrolled to row 500: 40 above, 50 in view, 40 below.
  t.deepEqual(drawnRows(1100, { scrollTop: 30 + 500 * 18, height: 900 }), [460, 590]);
});
