/**
 * The pure part on its own, as on macOS, Windows or without the platform package: validate,
 * plan and simulate work (WebAssembly), and the commands that need Linux say so and which
 * package, with exit 125. On Linux PIDNS_TREE_NO_NATIVE=1 takes the native part away; on other
 * systems there is none (CI runs this file on macOS and Windows). Also the packed package,
 * installed in an empty directory with no native part at all, and bundled for a browser.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';
import { build } from 'esbuild';

import type { Steps } from '../src/model/types.js';
import { platformTag } from '../src/native.js';
import { checkSpecText, withReproduciblePids } from '../src/spec.js';
import { bin, root } from './helpers/cli.js';

const linux = process.platform === 'linux';
const env = { ...process.env, NO_COLOR: '1', ...(linux ? { PIDNS_TREE_NO_NATIVE: '1' } : {}) };
const work = mkdtempSync(path.join(tmpdir(), 'pidns-tree-portable-'));

async function cli(
  args: string[],
  cwd = root,
  binPath = bin,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const spec = {
  name: 'root',
  processes: [{ name: 'web', command: ['sleep', 'infinity'] }],
  children: [
    { name: 'a', processes: [{ name: 'w', command: ['sleep', 'infinity'] }] },
    { name: 'b', processes: [{ name: 'x', command: ['sleep', 'infinity'] }] },
  ],
};
const steps: Steps = {
  steps: [
    { op: 'kill', from: 'root/a:w', target: 'root:web', signal: 'TERM' },
    { op: 'kill', from: 'root:web', target: 'root/a', signal: 'KILL' },
    { op: 'enter', node: 'root/a' },
    { op: 'fork', process: 'root/b:x', child: 'y' },
  ],
};
const specFile = path.join(work, 'tree.json');
const stepsFile = path.join(work, 'steps.json');
writeFileSync(specFile, JSON.stringify(spec));
writeFileSync(stepsFile, JSON.stringify(steps));

interface SimulationJson {
  steps: { result: string; created?: { pids: Record<string, number> } }[];
  tree: { processes: { node: string; process: string; state: string }[] };
}

test('validate works without the native part', async (t) => {
  const r = await cli(['validate', specFile]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /valid: 3 namespaces, 3 processes, 2 of the 32 nesting levels/);
  const one = await cli(
    ['validate', '-'],
    root,
    bin,
    JSON.stringify({ name: 'r', processes: [{ name: 'p', command: ['true'] }] }),
  );
  t.regex(one.stdout, /valid: 1 namespace, 1 process, 1 of the 32/, 'one of each, in the singular');
  const bad = await cli(['validate', '-'], root);
  t.is(bad.code, 2, 'an empty spec is invalid');
});

test('plan shows every PID, exact or as the range sibling namespaces race over', async (t) => {
  const r = await cli(['plan', specFile]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /root\/a\s+init pid 1 in root\/a · 3 in root\n/);
  t.regex(r.stdout, /w\s+pid 2 in root\/a · 4–6 in root /);
  t.regex(r.stdout, /root\/b\s+init pid 1 in root\/b · 4–5 in root\n/);
  const json = JSON.parse((await cli(['plan', specFile, '--json'])).stdout) as {
    predicted: { node: string; process: string; pids: Record<string, number>; ranges: Record<string, number[]> }[];
  };
  const x = json.predicted.find((p) => p.node === 'root/b' && p.process === 'x');
  t.deepEqual(x?.pids, { 'root/b': 2 });
  t.deepEqual(x?.ranges, { root: [5, 6] });
  const exact = JSON.parse((await cli(['plan', specFile, '--json', '--reproducible-pids'])).stdout) as typeof json;
  t.deepEqual(exact.predicted.find((p) => p.node === 'root/b' && p.process === 'x')?.pids, { root: 6, 'root/b': 2 });
});

test('simulate plays the steps: ESRCH, a PID 1 killed from above, ENOMEM', async (t) => {
  const r = await cli(['simulate', specFile, '--steps', stepsFile, '--json']);
  t.is(r.code, 0, r.stderr);
  const sim = JSON.parse(r.stdout) as SimulationJson;
  t.deepEqual(
    sim.steps.map((s) => s.result),
    ['ESRCH', 'ok', 'ENOMEM', 'ok'],
  );
  t.deepEqual(sim.steps[3]?.created?.pids, { root: 8, 'root/b': 3 }, 'the failed enter used up 7 in root');
  t.is(sim.tree.processes.find((p) => p.node === 'root/a' && p.process === 'w')?.state, 'gone');
  const human = await cli(['simulate', specFile, '--steps', stepsFile]);
  t.regex(
    human.stdout,
    /\[2\] kill -KILL root\/a:init from root:web: reached root\/a:init\n\s+root\/a:init · namespace ended/,
  );
  t.regex(human.stdout, /\[3\] enter root\/a from the host and fork: ENOMEM/);
});

test('the steps (or the tree) can come from standard input', async (t) => {
  const r = await cli(['simulate', specFile, '--steps', '-', '--json'], root, bin, JSON.stringify(steps));
  t.is(r.code, 0, r.stderr);
  t.is((JSON.parse(r.stdout) as SimulationJson).steps[2]?.result, 'ENOMEM');
  const tree = await cli(['simulate', '-'], root, bin, JSON.stringify(spec));
  t.regex(tree.stdout, /^<stdin>: simulated with 0 steps/);
  const both = await cli(['simulate', '-', '--steps', '-']);
  t.is(both.code, 2);
  t.regex(both.stderr, /only one of the tree and the steps can come from standard input/);
});

test('bad steps are reported with file:line:column, exit 2', async (t) => {
  const file = path.join(work, 'bad-steps.json');
  writeFileSync(file, '[\n  {"op": "kill", "from": "root:web", "target": 2, "signal": "SIGNOPE"}\n]\n');
  const r = await cli(['simulate', specFile, '--steps', file]);
  t.is(r.code, 2);
  t.regex(r.stderr, /bad-steps\.json:2:61 {2}\$\[0\]\.signal\n {4}unknown signal "SIGNOPE"/);
});

for (const args of [
  ['spawn', 'tree.json'],
  ['ls'],
  ['ps', 'x'],
  ['exec', 'x', 'root', '--', 'true'],
  ['kill', 'x'],
  ['stop', 'x'],
  ['inspect', '1'],
  ['init', '--', 'true'],
  ['ui'],
]) {
  test(`without the native part, \`${args.join(' ')}\` says it needs Linux and which package (125)`, async (t) => {
    const r = await cli(args, work);
    t.is(r.code, 125, r.stdout + r.stderr);
    const said = r.stdout + r.stderr;
    t.regex(said, /validate, plan, simulate and the playground \(ui --playground\) work without it/);
    t.regex(said, linux ? /the package pidns-tree-linux-(x64|arm64)-(gnu|musl)\) is turned off/ : /need Linux/);
  });
}

test("on another system, the message names the system and Linux's packages", (t) => {
  const error = t.throws(() => platformTag('darwin', 'arm64'));
  t.regex(
    error?.message ?? '',
    /need Linux: .* this is darwin-arm64\. On Linux x64 or arm64 npm installs .* pidns-tree-linux-arm64-gnu/,
  );
  t.regex(
    error?.message ?? '',
    /here, validate, plan, simulate and the playground \(ui --playground\) work without it$/,
  );
});

/** The package as npm publishes it, installed in an empty directory: no native part at all. */
function installPacked(): string {
  const stage = path.join(work, 'stage');
  mkdirSync(stage);
  for (const f of ['package.json', 'README.md', 'bin', 'dist', 'schema', 'examples']) {
    cpSync(path.join(root, f), path.join(stage, f), {
      recursive: true,
      filter: (p) => !p.includes(`${path.sep}__test__`),
    });
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const opts = { cwd: stage, encoding: 'utf8' as const, shell: process.platform === 'win32' };
  const pack = spawnSync(npm, ['pack', '--ignore-scripts', '--pack-destination', work], opts);
  if (pack.status !== 0) throw new Error(`npm pack: ${pack.stderr}`);
  const tarball = readdirSync(work).find((f) => /^pidns-tree-\d.*\.tgz$/.test(f)) ?? '';
  const app = path.join(work, 'app');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "type": "module"}');
  const install = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, tarball)], {
    ...opts,
    cwd: app,
  });
  if (install.status !== 0) throw new Error(`npm install: ${install.stderr}`);
  return app;
}

let installed: string | undefined;
const app = (): string => (installed ??= installPacked());

test('the installed package validates, plans and simulates with no native part', async (t) => {
  const pkgBin = path.join(app(), 'node_modules', 'pidns-tree', 'bin', 'pidns-tree.js');
  t.true(readdirSync(path.join(app(), 'node_modules', 'pidns-tree', 'dist', 'wasm')).includes('pidns_tree.wasm'));
  t.false(readdirSync(path.join(app(), 'node_modules')).some((d) => d.startsWith('pidns-tree-')));
  t.is((await cli(['validate', specFile], app(), pkgBin)).code, 0);
  t.regex((await cli(['plan', specFile], app(), pkgBin)).stdout, /root\/b\s+init pid 1 in root\/b · 4–5 in root/);
  const sim = JSON.parse(
    (await cli(['simulate', specFile, '--steps', stepsFile, '--json'], app(), pkgBin)).stdout,
  ) as SimulationJson;
  t.is(sim.steps[2]?.result, 'ENOMEM');
  t.is((await cli(['spawn', specFile], app(), pkgBin)).code, 125);
});

test('the installed API: plan and simulate (ESM and CommonJS), and pidns-tree/model', async (t) => {
  const entry = pathToFileURL(path.join(app(), 'node_modules', 'pidns-tree', 'dist', 'src', 'index.js')).href;
  const api = (await import(entry)) as typeof import('../src/index.js');
  t.deepEqual(api.plan(spec).predicted.find((p) => p.process === 'w')?.ranges, { root: [4, 6] });
  t.is(api.simulate(spec, steps).steps[1]?.events[0]?.event, 'exit');
  const required = createRequire(path.join(app(), 'index.cjs'))('pidns-tree') as typeof import('../src/index.js');
  t.is(required.simulate(spec, steps.steps).steps[0]?.result, 'ESRCH');
  const model = createRequire(path.join(app(), 'index.cjs'))(
    'pidns-tree/model',
  ) as typeof import('../src/model/index.js');
  const sim = await model.simulate(spec, steps);
  t.is(sim.steps[2]?.result, 'ENOMEM');
  await t.throwsAsync(model.plan({ name: 'a/b' }), { code: 'INVALID_SPEC' } as never);
});

test('pidns-tree/model bundles for a browser with no Node built-in, the .wasm referenced beside it', async (t) => {
  const entry = path.join(app(), 'entry.js');
  writeFileSync(entry, "import { simulate } from 'pidns-tree/model';\nglobalThis.run = simulate;\n");
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    absWorkingDir: app(),
    logLevel: 'silent',
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  t.false(
    inputs.some((i) => i.startsWith('node:') || /native|node-loader|host-level/.test(i)),
    inputs.join('\n'),
  );
  const text = result.outputFiles[0]?.text ?? '';
  t.regex(text, /new URL\("\.\.\/\.\.\/wasm\/pidns_tree\.wasm", import\.meta\.url\)/);
  t.notRegex(text, /readFileSync|process\.platform/);
});

test('the simulator gives the same answer on every system (a golden run)', async (t) => {
  const sim = JSON.parse((await cli(['simulate', specFile, '--steps', stepsFile, '--json'])).stdout) as {
    events: unknown[];
  };
  const golden = path.join(root, '__test__', 'fixtures', 'portable-golden.json');
  const expected = JSON.parse(readFileSync(golden, 'utf8')) as { events: unknown[] };
  t.deepEqual(sim.events, expected.events);
});

test('--reproducible-pids reaches the plan the init reads, as "reproduciblePids" in the spec does', (t) => {
  const plain = checkSpecText(JSON.stringify(spec), 'tree.json');
  t.false(plain.reproduciblePids);
  t.regex(plain.json, /"reproduciblePids":false\}$/);
  const flagged = checkSpecText(withReproduciblePids(JSON.stringify(spec)), 'tree.json');
  t.true(flagged.reproduciblePids);
  t.regex(flagged.json, /"reproduciblePids":true\}$/);
  t.deepEqual(JSON.parse(flagged.json), { nodes: plain.nodes, reproduciblePids: true });
  // Not an object: left for validation to report.
  t.is(withReproduciblePids('[1]'), '[1]');
});
