/**
 * pidns-tree's model in a real browser: the packed package is extracted and served over HTTP
 * (no COOP/COEP headers: the module needs no cross-origin isolation), and a page imports
 * `pidns-tree/model`'s browser entry as is, which fetches the `.wasm` beside it with
 * instantiateStreaming, then validates, plans and simulates a tree. Headless Chromium (Debian's
 * `chromium`, or Chrome; PIDNS_TREE_CHROMIUM names another), driven by playwright-core. The
 * page's screenshot is kept as an artifact: dist/artifacts/browser-model.png.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { browserPath as browser, NO_BROWSER, openPage, screenshot } from './helpers/browser.js';
import { root } from './helpers/cli.js';
import { serveStatic } from './helpers/static-server.js';

const PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>pidns-tree model</title><link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; }
  pre { background: #f4f4f4; padding: 12px; font: 12px/1.3 ui-monospace, monospace; }
  .ok { color: #080; } .bad { color: #b00; }
</style>
<h1>pidns-tree's model, in the browser</h1>
<p id="status">loading…</p>
<h2>plan</h2><pre id="plan"></pre>
<h2>simulate</h2><pre id="sim"></pre>
<script type="module">
  import { validate, plan, simulate, PidnsTreeError } from '/pkg/dist/src/model/index.js';
  const spec = { name: 'root', processes: [{ name: 'web', command: ['sleep', 'infinity'] }],
    children: [{ name: 'a', processes: [{ name: 'w', command: ['sleep', 'infinity'] }] },
               { name: 'b', processes: [{ name: 'x', command: ['sleep', 'infinity'] }] }] };
  const steps = [
    { op: 'kill', from: 'root/a:w', target: 'root:web', signal: 'TERM' },
    { op: 'kill', from: 'root/a:w', target: 1, signal: 'KILL' },
    { op: 'kill', from: 'host', target: 'root/a', signal: 'KILL' },
    { op: 'enter', node: 'root/a' },
  ];
  try {
    const checked = await validate(spec);
    const planned = await plan(spec);
    const sim = await simulate(spec, steps);
    let invalid;
    try { await validate({ name: 'a/b' }); } catch (e) { invalid = e instanceof PidnsTreeError ? e.issues[0].message : String(e); }
    document.getElementById('plan').textContent = planned.predicted
      .map((p) => p.node + ':' + p.process + '  ' + JSON.stringify(p.pids) + (Object.keys(p.ranges).length ? '  ranges ' + JSON.stringify(p.ranges) : ''))
      .join('\\n');
    document.getElementById('sim').textContent = sim.steps
      .map((s, i) => '[' + (i + 1) + '] ' + s.op + ' ' + JSON.stringify(s.target ?? s.node) + ' → ' + s.result +
        s.events.map((e) => '\\n      ' + e.event + ' ' + e.node + ':' + (e.process ?? '') + ' ' + (e.signal ?? e.code ?? '')).join(''))
      .join('\\n');
    const status = document.getElementById('status');
    status.textContent = 'valid: ' + checked.nodes.length + ' namespaces; crossOriginIsolated: ' + crossOriginIsolated;
    status.className = 'ok';
    window.result = { namespaces: checked.nodes.length, predicted: planned.predicted, results: sim.steps.map((s) => s.result),
      events: sim.steps.map((s) => s.events.map((e) => e.event + ' ' + e.node + ':' + (e.process ?? ''))), invalid,
      isolated: crossOriginIsolated };
  } catch (e) {
    document.getElementById('status').textContent = String(e && e.stack || e);
    document.getElementById('status').className = 'bad';
    window.result = { error: String(e && e.stack || e) };
  }
</script>
</html>`;

test('in headless Chromium, pidns-tree/model validates, plans and simulates with the packed .wasm', async (t) => {
  if (browser === undefined) {
    t.fail(NO_BROWSER);
    return;
  }
  t.timeout(120_000);
  const dir = mkdtempSync(path.join(tmpdir(), 'pidns-tree-browser-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, stdio: 'ignore' });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz')) ?? '';
  mkdirSync(path.join(dir, 'pkg'));
  execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', path.join(dir, 'pkg'), '--strip-components=1']);
  const server = await serveStatic(t, dir, PAGE);
  const { page, problems } = await openPage(t, server.url);
  await page.waitForFunction(() => 'result' in globalThis, undefined, { timeout: 60_000 });
  const result = (await page.evaluate(() => (globalThis as unknown as { result: unknown }).result)) as {
    error?: string;
    namespaces: number;
    predicted: { node: string; process: string; ranges: Record<string, number[]> }[];
    results: string[];
    events: string[][];
    invalid: string;
    isolated: boolean;
  };
  t.log(`screenshot: ${await screenshot(page, 'browser-model', true)}`);
  t.is(result.error, undefined);
  t.deepEqual(problems, []);
  t.is(result.namespaces, 3);
  t.deepEqual(result.predicted.find((p) => p.node === 'root/b' && p.process === 'init')?.ranges, { root: [4, 5] });
  t.deepEqual(result.results, ['ESRCH', 'ok', 'ok', 'ENOMEM']);
  t.deepEqual(result.events[1], [], 'PID 1 ignores SIGKILL from inside its namespace');
  t.deepEqual(result.events[2], ['exit root/a:init', 'exit root/a:w']);
  t.regex(result.invalid, /invalid namespace name "a\/b"/);
  t.false(result.isolated, 'no cross-origin isolation needed');
  t.true(server.requests.includes('/pkg/dist/wasm/pidns_tree.wasm'), 'the .wasm of the package, fetched');
});
