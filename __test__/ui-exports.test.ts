/**
 * The diagram exports: `plan`, `simulate`, `ps` and `spawn` with `--format svg` write XML that
 * xmllint accepts and that names every process; with `--format mermaid`, text that the `mermaid`
 * package (a test-only dependency, loaded from node_modules) renders in headless Chromium.
 * `spawn` appends its Markdown summary to GITHUB_STEP_SUMMARY (or --summary FILE), and
 * `spawn --ui` serves a live page of its foreground tree.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import test from 'ava';

import { browserPath, NO_BROWSER, openPage, screenshot } from './helpers/browser.js';
import { root, runCli, startCli } from './helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pidns-exports-'));
const spec = {
  name: 'root',
  processes: [
    { name: 'web', command: ['sleep', '30'] },
    // Leaves an orphan for root's init to reap.
    { name: 'parent', command: ['sh', '-c', 'sleep 0.1 & exit 0'] },
  ],
  children: [
    {
      name: 'mid',
      processes: [{ name: 'worker', command: ['sleep', '30'] }],
      children: [{ name: 'low', processes: [{ name: 'leaf', command: ['true'] }] }],
    },
  ],
};
const names = ['web', 'parent', 'worker', 'leaf'];
const treeFile = path.join(dir, 'tree.json');
writeFileSync(treeFile, JSON.stringify(spec));
const stepsFile = path.join(dir, 'steps.json');
writeFileSync(stepsFile, JSON.stringify([{ op: 'kill', from: 'host', target: 'root/mid', signal: 'KILL' }]));

/** Checks the SVG with xmllint, and returns the process names its rows show. */
function svgNames(svg: string, label: string): string[] {
  const file = path.join(dir, `${label}.svg`);
  writeFileSync(file, svg);
  execFileSync('xmllint', ['--noout', file]);
  return [...svg.matchAll(/<tspan class="name"[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1] ?? '');
}

test('plan and simulate --format svg: XML that names every process', async (t) => {
  const plan = await runCli(['plan', treeFile, '--format', 'svg']);
  t.is(plan.code, 0, plan.stderr);
  for (const n of names) t.true(svgNames(plan.stdout, 'plan').includes(n), n);
  const sim = await runCli(['simulate', treeFile, '--steps', stepsFile, '--format', 'svg']);
  t.is(sim.code, 0, sim.stderr);
  for (const n of names) t.true(svgNames(sim.stdout, 'sim').includes(n), n);
  t.regex(sim.stdout, /killed by SIGKILL \(137\)/);
  const both = await runCli(['plan', treeFile, '--format', 'svg', '--json']);
  t.is(both.code, 2);
  t.regex(both.stderr, /--format svg and --json cannot be used together/);
});

test('spawn --format svg writes the tree at its end on stdout, the run on stderr; ps --format svg of a detached tree', async (t) => {
  const quick = {
    name: 'root',
    processes: [{ name: 'a', command: ['true'] }],
    children: [{ name: 'c', processes: [{ name: 'b', command: ['sh', '-c', 'exit 3'] }] }],
  };
  const r = await runCli(['spawn', '--format', 'svg', '-'], { input: JSON.stringify(quick) });
  t.is(r.code, 3);
  t.deepEqual(svgNames(r.stdout, 'spawn').sort(), ['a', 'b', 'init', 'init'].sort());
  t.regex(r.stdout, /exited 3/);
  t.regex(r.stderr, /root\/c:b\s+· exited 3/);

  const id = `exports-${process.pid}`;
  t.is((await runCli(['spawn', '-d', '--name', id, treeFile])).code, 0);
  t.teardown(async () => {
    await runCli(['stop', id, '--grace-ms', '500']);
  });
  const ps = await runCli(['ps', id, '--format', 'svg']);
  t.is(ps.code, 0, ps.stderr);
  for (const n of ['web', 'worker']) t.true(svgNames(ps.stdout, 'ps').includes(n), n);
  const mermaid = await runCli(['ps', id, '--format', 'mermaid']);
  t.regex(mermaid.stdout, /^flowchart TB/);
  t.regex(mermaid.stdout, /<b>worker<\/b>/);
});

test('spawn appends a Markdown summary to GITHUB_STEP_SUMMARY: Mermaid, every PID, exits and reaps', async (t) => {
  const summary = path.join(dir, 'summary.md');
  writeFileSync(summary, '# earlier steps\n');
  const quick = {
    name: 'root',
    processes: [{ name: 'parent', command: ['sh', '-c', 'sleep 0.1 & exit 0'] }],
    children: [{ name: 'c', processes: [{ name: 'b', command: ['true'] }] }],
  };
  const r = await runCli(['spawn', '-'], { input: JSON.stringify(quick), env: { GITHUB_STEP_SUMMARY: summary } });
  t.is(r.code, 0, r.stderr);
  const text = readFileSync(summary, 'utf8');
  t.true(text.startsWith('# earlier steps\n### pidns-tree spawn <stdin>: exit 0'));
  t.regex(text, /```mermaid\nflowchart TB\n/);
  for (const key of ['root:init', 'root:parent', 'root/c:init', 'root/c:b'])
    t.regex(text, new RegExp(`\\| \`${key}\` \\| pid `));
  t.regex(
    text,
    /\| `root` \| pid \d+ in root · \d+ on host \| (exited 0|killed by SIGTERM \(143\)) \|/,
    'the orphan reaped by root',
  );
  // --summary FILE, and --no-summary wins over the variable.
  const other = path.join(dir, 'other.md');
  await runCli(['spawn', '--summary', other, '-'], { input: JSON.stringify(quick) });
  t.regex(readFileSync(other, 'utf8'), /### pidns-tree spawn/);
  const none = path.join(dir, 'none.md');
  await runCli(['spawn', '--no-summary', '-'], { input: JSON.stringify(quick), env: { GITHUB_STEP_SUMMARY: none } });
  t.throws(() => readFileSync(none));
});

test('the Mermaid export renders with the mermaid package in headless Chromium, naming every process', async (t) => {
  if (browserPath === undefined) return t.fail(NO_BROWSER);
  const text = (await runCli(['simulate', treeFile, '--steps', stepsFile, '--format', 'mermaid'])).stdout;
  const { page, problems } = await openPage(t);
  await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: path.join(root, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js') });
  const svg = await page.evaluate(async (source) => {
    const g = globalThis as unknown as {
      mermaid: { initialize(o: object): void; render(id: string, text: string): Promise<{ svg: string }> };
      document: { getElementById(id: string): { innerHTML: string } | null };
    };
    g.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
    const { svg } = await g.mermaid.render('pidns', source);
    const out = g.document.getElementById('out');
    if (out !== null) out.innerHTML = svg;
    return svg;
  }, text);
  t.notRegex(svg, /Syntax error/i);
  for (const n of [...names, 'init']) t.regex(svg, new RegExp(`<b>${n}</b>`), n);
  t.regex(svg, /killed by SIGKILL/);
  t.log(`screenshot: ${await screenshot(page, 'mermaid-export', true)}`);
  t.deepEqual(problems, []);
});

test('spawn --ui serves a live page of the foreground tree', async (t) => {
  if (browserPath === undefined) return t.fail(NO_BROWSER);
  const { child, result } = startCli(['spawn', '--ui', treeFile]);
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /live page of this tree: (http:\/\/\S+)/.exec(seen);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    void result.then((r) => reject(new Error(`spawn ended first: ${r.stderr}`)));
  });
  const { page, problems } = await openPage(t, url);
  // The page's event stream (open from its start, never done before the server closes it, with
  // the tree): how it ended, as the browser saw it: its whole body (finished), or cut off.
  const isStream = (u: string): boolean => new URL(u).pathname === '/api/trees/root/events';
  const streamEnded = new Promise<string>((resolve) => {
    page.on('requestfinished', (q) => {
      if (isStream(q.url())) resolve('finished');
    });
    page.on('requestfailed', (q) => {
      if (isStream(q.url())) resolve(`failed: ${q.failure()?.errorText ?? ''}`);
    });
  });
  await page.waitForSelector('g.row[data-key="root/mid:worker"] >> text=running');
  await page.waitForSelector('g.row[data-key="root/mid/low:leaf"].t-ok');
  await page.locator('g.row[data-key="root:web"]').click();
  await page.locator('dialog select#signal').selectOption('SIGTERM');
  await page.getByRole('button', { name: 'Send…' }).click();
  await page.getByRole('button', { name: 'Send SIGTERM' }).click();
  await page.waitForSelector('g.row.t-failed[data-key="root:web"]');
  t.is(await page.locator('g.row[data-key="root:web"] tspan.state').textContent(), 'killed by SIGTERM (143)');
  child.kill('SIGTERM');
  const r = await result;
  t.is(r.code, 128 + 15, r.stderr);
  // Read once the browser has seen the stream end, not as soon as the command has exited: a
  // stream cut off then would be reported after this check.
  t.is(await streamEnded, 'finished');
  t.deepEqual(problems, []);
});
