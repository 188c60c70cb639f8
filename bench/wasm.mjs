// The WebAssembly model's benchmarks, as groups for bench/run.mjs (same shape: entries timed in
// interleaved rounds, a baseline, targets as ratios or absolute milliseconds):
// - instantiating pidns_tree.wasm in a fresh Node (absolute target: 5 ms), beside the floor:
//   an empty module, which pays only for V8's own start of WebAssembly;
// - validate+plan of a 2,000-namespace tree, WebAssembly against the native binding (1.5x);
// - 10,000 random simulator steps (steps per second, no target).
// `pidns-tree validate`'s cold start (1.2x of node -e 0) is in run.mjs's "CLI start-up" group.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh Node that compiles and instantiates the module: its own timing, in ms. */
function instantiateIn(freshNode, wasm, call) {
  const script = `
    const { readFileSync } = require('node:fs');
    const bytes = readFileSync(${JSON.stringify(wasm)});
    const t0 = performance.now();
    WebAssembly.instantiate(bytes, {}).then(({ instance }) => {
      let ms = performance.now() - t0;
      if (${call}) {
        const e = instance.exports, text = Buffer.from('{"name":"root"}');
        const at = e.input(text.length);
        new Uint8Array(e.memory.buffer, at, text.length).set(text);
        e.run(1, 0, text.length);
        ms = performance.now() - t0;
      }
      process.stdout.write(String(ms));
    });`;
  const r = spawnSync(freshNode, ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}

/** A tree of 2,001 namespaces (40 under the root, 49 under each), one process each. */
function bigTree() {
  const node = (name, children = []) => ({
    name,
    processes: [{ name: 'p', command: ['sleep', 'infinity'] }],
    children,
  });
  return node(
    'root',
    Array.from({ length: 40 }, (_, i) =>
      node(
        `n${i}`,
        Array.from({ length: 49 }, (_, j) => node(`m${j}`)),
      ),
    ),
  );
}

/** Median ms of `fn` over `n` calls (in-process work, after a warm-up). */
function timeEach(fn, n) {
  fn();
  const xs = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    fn();
    xs.push(performance.now() - t0);
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

/** 10,000 steps on a 21-namespace tree, drawn from a fixed seed: forks, exits, kills, stops. */
function randomSteps(count) {
  let seed = 20261201;
  const next = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const nodes = ['root', ...Array.from({ length: 4 }, (_, i) => `root/c${i}`)];
  for (let i = 0; i < 4; i += 1) for (let j = 0; j < 4; j += 1) nodes.push(`root/c${i}/d${j}`);
  const procs = nodes.flatMap((n) => [`${n}:p0`, `${n}:p1`]);
  const signals = ['SIGTERM', 'SIGKILL', 'SIGUSR1', 0];
  const steps = [];
  let forks = 0;
  while (steps.length < count) {
    const actor = procs[next(procs.length)];
    switch (next(6)) {
      case 0:
      case 1: {
        const child = `f${forks++}`;
        steps.push({ op: 'fork', process: actor, child });
        procs.push(`${actor.slice(0, actor.indexOf(':'))}:${child}`);
        break;
      }
      case 2:
        steps.push({ op: 'exit', process: actor, code: next(3) });
        break;
      case 3:
        steps.push({ op: 'kill', from: actor, target: next(40) - 1, signal: signals[next(signals.length)] });
        break;
      case 4:
        steps.push({
          op: 'kill',
          from: actor,
          target: procs[next(procs.length)],
          signal: signals[next(signals.length)],
        });
        break;
      default:
        steps.push({ op: 'setsid', process: actor });
    }
  }
  return { steps };
}

export async function wasmGroups({ root }) {
  const wasm = path.join(root, 'dist', 'wasm', 'pidns_tree.wasm');
  // The floor: the smallest module there is (magic and version), which pays only for V8
  // setting up WebAssembly in a fresh process.
  const empty = path.join(mkdtempSync(path.join(os.tmpdir(), 'pidns-tree-bench-')), 'empty.wasm');
  writeFileSync(empty, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const { modelSync } = await import(path.join(root, 'dist', 'src', 'model', 'node-loader.js'));
  const { native } = await import(path.join(root, 'dist', 'src', 'native.js'));
  const model = modelSync();
  const big = JSON.stringify(bigTree());
  const simTree = JSON.stringify({
    name: 'root',
    init: { stopTimeout: 0.1 },
    processes: [0, 1].map((i) => ({ name: `p${i}`, command: ['x'] })),
    children: Array.from({ length: 4 }, (_, i) => ({
      name: `c${i}`,
      processes: [0, 1].map((k) => ({ name: `p${k}`, command: ['x'] })),
      children: Array.from({ length: 4 }, (_, j) => ({
        name: `d${j}`,
        processes: [0, 1].map((k) => ({ name: `p${k}`, command: ['x'] })),
      })),
    })),
  });
  const steps = JSON.stringify(randomSteps(10_000));
  const stepsPerSecond = (ms) => ({ ms, extra: 10_000 / (ms / 1000) });
  return [
    {
      name: 'the model as WebAssembly: instantiating pidns_tree.wasm in a fresh Node',
      baseline: 'floor: an empty module',
      entries: {
        'floor: an empty module': async () => instantiateIn(process.execPath, empty, false),
        'compile + instantiate': async () => instantiateIn(process.execPath, wasm, false),
        'compile + instantiate + first validate': async () => instantiateIn(process.execPath, wasm, true),
      },
      targets: {},
      absoluteTargets: { 'compile + instantiate': 5 },
    },
    {
      name: 'validate+plan of a 2,001-namespace tree (in-process, median of 20 calls)',
      baseline: 'native binding (napi checkSpec + JSON.parse)',
      entries: {
        'native binding (napi checkSpec + JSON.parse)': async () =>
          timeEach(() => JSON.parse(native().checkSpec(big).plan), 20),
        'WebAssembly (validate)': async () => timeEach(() => model.check(big), 20),
        'WebAssembly (plan, with predicted PIDs)': async () => timeEach(() => model.plan(big), 20),
      },
      targets: { 'WebAssembly (validate)': 1.5 },
    },
    {
      name: 'simulating 10,000 random steps (21 namespaces, forks, exits, kills, setsid)',
      baseline: 'simulate',
      entries: { simulate: async () => stepsPerSecond(timeEach(() => model.simulate(simTree, steps), 3)) },
      targets: {},
      extra: { label: 'steps per second', scale: 1, baseline: 'simulate', targets: {} },
    },
  ];
}

// Alone: `node bench/wasm.mjs [ROUNDS]` (default 7, after `npm run build`) prints each entry's
// median and, where there is one, its target met or not.
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const rounds = Number(process.argv[2] ?? 7);
  const groups = await wasmGroups({ root });
  const samples = new Map();
  for (let r = 0; r < rounds; r += 1) {
    for (const g of groups) {
      for (const [name, run] of Object.entries(g.entries)) {
        const got = await run();
        samples.set(`${g.name}\u0000${name}`, [...(samples.get(`${g.name}\u0000${name}`) ?? []), got]);
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const g of groups) {
    console.log(g.name);
    const all = (name) => samples.get(`${g.name}\u0000${name}`) ?? [];
    const base = median(all(g.baseline).map((x) => (typeof x === 'number' ? x : x.ms)));
    for (const name of Object.keys(g.entries)) {
      const xs = all(name);
      const ms = median(xs.map((x) => (typeof x === 'number' ? x : x.ms)));
      const extra = typeof xs[0] === 'number' ? '' : `, ${median(xs.map((x) => x.extra)).toFixed(0)} ${g.extra.label}`;
      const ratio = ms / base;
      const verdict =
        g.absoluteTargets?.[name] !== undefined
          ? ` (target <= ${g.absoluteTargets[name]} ms: ${ms <= g.absoluteTargets[name] ? 'met' : 'NOT met'})`
          : g.targets[name] !== undefined
            ? ` (target <= ${g.targets[name]}x: ${ratio <= g.targets[name] ? 'met' : 'NOT met'})`
            : '';
      console.log(`  ${name}: ${ms.toFixed(2)} ms, x${ratio.toFixed(2)}${extra}${verdict}`);
    }
  }
}
