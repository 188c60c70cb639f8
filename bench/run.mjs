#!/usr/bin/env node
// npm run bench: pidns-tree against the kernel's floor (bench/floor.c) and the tools a user
// would pick instead, in interleaved rounds (A B A B ...), so that a busy machine slows every
// contender alike. The results are ratios against a baseline measured in the same run; they go
// to bench/results/<time>.json and BENCHMARKS.md. BENCH_ROUNDS sets the rounds (default 7).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const build = path.join(root, 'bench', '.build');
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const init = path.join(root, 'native', 'pidns-init');
const cli = path.join(root, 'bin', 'pidns-tree.js');

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
}
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

// What the benchmark needs: the build, the floor, the peers (Debian packages).
console.error('bench: building pidns-tree and the floor');
sh('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
mkdirSync(build, { recursive: true });
const floor = path.join(build, 'floor');
sh('gcc', ['-O2', '-Wall', '-o', floor, path.join(root, 'bench', 'floor.c')]);
// The native path alone (no Node), to tell the tree's own cost from the host's.
sh('cargo', ['build', '--release', '--quiet', '-p', 'pidns-core', '--example', 'run_spec'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const runSpec = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'release', 'examples', 'run_spec');
const peers = {
  unshare: 'util-linux',
  tini: 'tini',
  'tini-static': 'tini',
  'dumb-init': 'dumb-init',
  catatonit: 'catatonit',
  bwrap: 'bubblewrap',
};
const missing = [
  ...new Set(
    Object.entries(peers)
      .filter(([cmd]) => !has(cmd))
      .map(([, pkg]) => pkg),
  ),
];
if (missing.length > 0) {
  console.error(`bench: installing ${missing.join(' ')}`);
  sh('apt-get', ['install', '-y', '-qq', ...missing], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const catatonit = has('catatonit') ? sh('sh', ['-c', 'command -v catatonit']).trim() : '/usr/libexec/podman/catatonit';

// The shapes, as tree.json.
const specs = path.join(build, 'specs');
mkdirSync(specs, { recursive: true });
const trivial = [{ name: 'p', command: ['true'] }];
let chainSpec = { name: 'n32', processes: trivial };
for (let d = 31; d >= 1; d -= 1) chainSpec = { name: `n${d}`, processes: trivial, children: [chainSpec] };
const wideSpec = {
  name: 'root',
  children: Array.from({ length: 256 }, (_, i) => ({ name: `c${i}`, processes: trivial })),
};
writeFileSync(path.join(specs, 'chain32.json'), JSON.stringify(chainSpec));
writeFileSync(path.join(specs, 'wide256.json'), JSON.stringify(wideSpec));
writeFileSync(path.join(specs, 'tiny.json'), JSON.stringify({ name: 'r' }));

const { spawnTree } = await import(path.join(root, 'dist', 'src', 'index.js'));

/** Runs a command to its end; resolves with wall milliseconds (and its stdout, if asked). */
function timeCommand(argv, { output = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', output ? 'pipe' : 'ignore', 'inherit'] });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited ${code}`));
      else resolve(output ? { ms, stdout } : ms);
    });
  });
}

/** The orphan storm under an init: wall ms, and the init's CPU per orphan that `floor storm`
 * prints (ns, from the init's schedstat). */
async function timeStorm(argv) {
  const { ms, stdout } = await timeCommand(argv, { output: true });
  const cpu = Number(stdout.trim().split('\n').at(-1));
  if (!Number.isFinite(cpu)) throw new Error(`${argv.join(' ')} printed no CPU time`);
  return { ms, extra: cpu };
}

async function timeApi(spec) {
  const t0 = process.hrtime.bigint();
  const tree = await spawnTree(spec);
  const end = await tree.wait();
  if (end.code !== 0) throw new Error(`tree exited ${end.code}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const nest = (n, wrap, inner) => Array.from({ length: n }).reduce((argv) => [...wrap, ...argv], inner);
const burst = [floor, 'burst', '10000'];
const storm = [floor, 'storm', '5000'];
const fan = (argv) => [floor, 'fan', '256', '--', ...argv, floor, 'gate'];
const asPid1 = (...argv) => ['unshare', '--fork', '--pid', '--mount-proc', ...argv];

// Each group: a baseline first, then the contenders; all run once per round, interleaved.
const groups = [
  {
    name: 'chain of 32 nested namespaces (spawn + teardown)',
    baseline: 'floor (raw syscalls, C)',
    entries: {
      'floor (raw syscalls, C)': () => timeCommand([floor, 'chain', '32']),
      'pidns-tree API (Node running)': () => timeApi(chainSpec),
      'pidns-tree native path, no Node (run_spec)': () =>
        timeCommand([runSpec, path.join(specs, 'chain32.json'), init]),
      'pidns-tree CLI, cold (node bin/pidns-tree.js spawn)': () =>
        timeCommand([process.execPath, cli, 'spawn', '--json', path.join(specs, 'chain32.json')]),
      'unshare --fork --pid --mount-proc x32': () =>
        timeCommand(nest(32, ['unshare', '--fork', '--pid', '--mount-proc'], ['true'])),
      'bwrap --unshare-pid x32': () =>
        timeCommand(nest(32, ['bwrap', '--unshare-pid', '--dev-bind', '/', '/', '--proc', '/proc'], ['true'])),
    },
    targets: { 'pidns-tree API (Node running)': 1.3 },
  },
  {
    name: '256 sibling namespaces',
    baseline: 'floor (raw syscalls, C)',
    entries: {
      'floor (raw syscalls, C)': () => timeCommand([floor, 'wide', '256']),
      'pidns-tree API (Node running)': () => timeApi(wideSpec),
      'pidns-tree CLI, cold (node bin/pidns-tree.js spawn)': () =>
        timeCommand([process.execPath, cli, 'spawn', '--json', path.join(specs, 'wide256.json')]),
      'unshare --fork --pid --mount-proc x256': () => timeCommand(fan(['unshare', '--fork', '--pid', '--mount-proc'])),
      'bwrap --unshare-pid x256': () =>
        timeCommand(fan(['bwrap', '--unshare-pid', '--dev-bind', '/', '/', '--proc', '/proc'])),
    },
    targets: { 'pidns-tree API (Node running)': 1.5 },
  },
  {
    name: 'CLI start-up',
    baseline: 'node -e 0',
    entries: {
      'node -e 0': () => timeCommand([process.execPath, '-e', '0']),
      'pidns-tree validate (Node + yargs + wasm)': () =>
        timeCommand([process.execPath, cli, 'validate', path.join(specs, 'tiny.json')]),
      'unshare chain x32 (for the CLI target)': () =>
        timeCommand(nest(32, ['unshare', '--fork', '--pid', '--mount-proc'], ['true'])),
    },
    targets: { 'pidns-tree validate (Node + yargs + wasm)': 1.2 },
  },
  {
    name: 'reaping a burst of 10,000 zombies handed to PID 1 at once',
    baseline: 'floor: bare wait() loop',
    entries: {
      'floor: bare wait() loop': () => timeCommand(asPid1(floor, 'reaper', '--', ...burst)),
      'pidns-init (tini mode)': () => timeCommand(asPid1(init, '--', ...burst)),
      tini: () => timeCommand(asPid1('tini', '--', ...burst)),
      'dumb-init': () => timeCommand(asPid1('dumb-init', ...burst)),
      catatonit: () => timeCommand(asPid1(catatonit, '--', ...burst)),
    },
    targets: { 'pidns-init (tini mode)': 1.1 },
  },
  {
    name: 'a storm of 5,000 orphans, one by one (wall time until all are reaped)',
    baseline: 'floor: bare wait() loop',
    entries: {
      'floor: bare wait() loop': () => timeStorm(asPid1(floor, 'reaper', '--', ...storm)),
      'pidns-init (tini mode)': () => timeStorm(asPid1(init, '--', ...storm)),
      tini: () => timeStorm(asPid1('tini', '--', ...storm)),
      'dumb-init': () => timeStorm(asPid1('dumb-init', ...storm)),
      catatonit: () => timeStorm(asPid1(catatonit, '--', ...storm)),
    },
    targets: {},
    extra: {
      label: 'init CPU per orphan, µs',
      scale: 1e-3,
      baseline: 'tini',
      targets: { 'pidns-init (tini mode)': 1 },
    },
  },
];

// The WebAssembly model: instantiate, validate+plan against the native build, simulator steps.
const { wasmGroups } = await import('./wasm.mjs');
groups.push(...(await wasmGroups({ root })));

// Translation: a live tree of 1,000 processes over 32 levels, owned by a detached supervisor.
let big = {
  name: 'l32',
  processes: Array.from({ length: 1000 - 31 * 31 }, (_, i) => ({ name: `p${i}`, command: ['sleep', 'infinity'] })),
};
for (let d = 31; d >= 1; d -= 1) {
  big = {
    name: `l${d}`,
    processes: Array.from({ length: 31 }, (_, i) => ({ name: `p${i}`, command: ['sleep', 'infinity'] })),
    children: [big],
  };
}
writeFileSync(path.join(specs, 'big.json'), JSON.stringify(big));
const bigId = `bench-${process.pid}`;
// Whatever happens from here on, the big tree goes: a detached supervisor outlives us.
let bigStopped = false;
const stopBig = () => {
  if (bigStopped) return;
  bigStopped = true;
  spawnSync(process.execPath, [cli, 'stop', bigId, '--grace-ms', '2000'], { stdio: 'ignore' });
};
process.on('exit', stopBig);
// Ctrl-C (or a kill) skips 'exit' hooks: stop it there too.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopBig();
    process.exit(128 + os.constants.signals[signal]);
  });
}
// --json says where the tree's state lives (the CLI's own stateRoot, whoever runs this).
const detached = JSON.parse(
  sh(process.execPath, [cli, 'spawn', '--detach', '--json', '--name', bigId, path.join(specs, 'big.json')]),
);
const { native } = await import(path.join(root, 'dist', 'src', 'native.js'));
const bigSocket = path.join(detached.dir, 'control.sock');
const bigPids = JSON.parse(native().liveRequest(bigSocket, '{"cmd":"ps"}', false)).processes.map(
  (p) => p.start.pids.host,
);
const timeSync = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
groups.push({
  name: `translation: a live tree of ${bigPids.length} processes over 32 levels`,
  baseline: 'ps (supervisor work, in-process client)',
  entries: {
    'ps (supervisor work, in-process client)': async () =>
      timeSync(() => native().liveRequest(bigSocket, '{"cmd":"ps"}', false)),
    'pidns-tree ps --json (cold CLI)': () => timeCommand([process.execPath, cli, 'ps', '--json', bigId]),
    [`inspect of all ${bigPids.length} processes of the tree (in-process)`]: async () =>
      timeSync(() => bigPids.forEach((pid) => native().inspectPid(pid))),
    // Every process on the host, the tree's included; one that ends meanwhile is skipped.
    'inspect of every process on the host (in-process)': async () => {
      const pids = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number);
      return timeSync(() =>
        pids.forEach((pid) => {
          try {
            native().inspectPid(pid);
          } catch {}
        }),
      );
    },
  },
  targets: {},
  absoluteTargets: { 'ps (supervisor work, in-process client)': 50 },
});

const samples = new Map();
const extraSamples = new Map();
for (let r = 0; r < rounds; r += 1) {
  console.error(`bench: round ${r + 1}/${rounds}`);
  for (const g of groups) {
    for (const [name, run] of Object.entries(g.entries)) {
      const key = `${g.name}\u0000${name}`;
      try {
        const got = await run();
        const ms = typeof got === 'number' ? got : got.ms;
        samples.set(key, [...(samples.get(key) ?? []), ms]);
        if (typeof got !== 'number') extraSamples.set(key, [...(extraSamples.get(key) ?? []), got.extra]);
      } catch (error) {
        samples.set(key, [...(samples.get(key) ?? []), Number.NaN]);
        if (g.extra) extraSamples.set(key, [...(extraSamples.get(key) ?? []), Number.NaN]);
        if (r === 0) console.error(`bench: ${name}: ${error.message}`);
      }
    }
  }
}

stopBig();

// Resident memory of each init as PID 1, idle under `sleep`.
function rssOf(argv) {
  const child = spawn('unshare', ['--fork', '--pid', '--mount-proc', ...argv, 'sleep', '1'], { stdio: 'ignore' });
  return new Promise((resolve) => {
    const look = () => {
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        const status = readFileSync(`/proc/${kids.split(' ')[0]}/status`, 'utf8');
        const rss = status.match(/^VmRSS:\s+(\d+) kB/m);
        const anon = status.match(/^RssAnon:\s+(\d+) kB/m);
        if (kids !== '' && rss && anon) {
          resolve({ rss: Number(rss[1]), anon: Number(anon[1]) });
          return;
        }
      } catch {}
      setTimeout(look, 20);
    };
    look();
    child.on('close', () => resolve({ rss: Number.NaN, anon: Number.NaN }));
  });
}
const memory = {
  'pidns-init': await rssOf([init, '--']),
  'tini-static': await rssOf(['tini-static', '--']),
  tini: await rssOf(['tini', '--']),
  catatonit: await rssOf([catatonit, '--']),
  'dumb-init': await rssOf(['dumb-init']),
};

const stats = (xs) => {
  const ok = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (ok.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: ok[Math.floor(ok.length / 2)], min: ok[0], max: ok.at(-1), n: ok.length };
};
const results = groups.map((g) => {
  const base = stats(samples.get(`${g.name}\u0000${g.baseline}`) ?? []).median;
  let extra;
  if (g.extra) {
    const of = (name) => stats((extraSamples.get(`${g.name}\u0000${name}`) ?? []).map((x) => x * g.extra.scale));
    const extraBase = of(g.extra.baseline).median;
    extra = {
      label: g.extra.label,
      baseline: g.extra.baseline,
      entries: Object.keys(g.entries).map((name) => {
        const s = of(name);
        const ratio = s.median / extraBase;
        const target = g.extra.targets[name];
        return { name, ...s, ratio, target: target ?? null, met: target === undefined ? null : ratio <= target };
      }),
    };
  }
  return {
    group: g.name,
    baseline: g.baseline,
    extra,
    entries: Object.keys(g.entries).map((name) => {
      const s = stats(samples.get(`${g.name}\u0000${name}`) ?? []);
      const ratio = s.median / base;
      const target = g.targets[name];
      const absolute = g.absoluteTargets?.[name];
      if (absolute !== undefined) return { name, ...s, ratio, target: `${absolute} ms`, met: s.median <= absolute };
      return { name, ...s, ratio, target: target ?? null, met: target === undefined ? null : ratio <= target };
    }),
  };
});
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const machine = {
  cpu,
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  kernel: os.release(),
  node: process.version,
  date: new Date().toISOString(),
  rounds,
};
const out = { machine, results, memoryKiB: memory };
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
const file = path.join(root, 'bench', 'results', `${machine.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);

const f = (x) => (Number.isNaN(x) ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(1));
let md = `# Benchmarks\n\nWritten by \`npm run bench\` (bench/run.mjs); raw numbers in \`${path.relative(root, file)}\`.\n\n`;
md += `Machine: ${cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}; ${rounds} interleaved rounds, ${machine.date}.\n`;
md +=
  'Absolute times on a shared machine move; the ratios against the baseline measured in the same rounds are the result.\n\n';
for (const g of results) {
  md += `## ${g.group}\n\n| contender | median ms | min–max ms | ratio to ${g.baseline} | target |\n| --- | ---: | ---: | ---: | --- |\n`;
  for (const e of g.entries) {
    const bound = typeof e.target === 'string' ? e.target : `${e.target}×`;
    const target = e.target === null ? '' : `≤ ${bound} ${e.met ? 'met' : '**not met**'}`;
    md += `| ${e.name} | ${f(e.median)} | ${f(e.min)}–${f(e.max)} | ${f(e.ratio)}× | ${target} |\n`;
  }
  md += '\n';
  if (g.extra) {
    md += `| contender | ${g.extra.label}: median | min–max | ratio to ${g.extra.baseline} | target |\n| --- | ---: | ---: | ---: | --- |\n`;
    for (const e of g.extra.entries) {
      const target = e.target === null ? '' : `≤ ${e.target}× ${e.met ? 'met' : '**not met**'}`;
      md += `| ${e.name} | ${f(e.median)} | ${f(e.min)}–${f(e.max)} | ${f(e.ratio)}× | ${target} |\n`;
    }
    md += '\n';
  }
}
md +=
  "## Resident memory of each init as PID 1 (idle)\n\nVmRSS counts the binary's file pages too, which every init of a tree (and the page cache) shares; RssAnon is what each further init costs.\n\n| init | VmRSS KiB | RssAnon KiB | VmRSS ratio to tini-static | target |\n| --- | ---: | ---: | ---: | --- |\n";
for (const [name, m] of Object.entries(memory)) {
  const ratio = m.rss / memory['tini-static'].rss;
  const target = name === 'pidns-init' ? `≤ 1× ${ratio <= 1 ? 'met' : '**not met**'}` : '';
  md += `| ${name} | ${f(m.rss)} | ${f(m.anon)} | ${f(ratio)}× | ${target} |\n`;
}
const notes = path.join(root, 'bench', 'NOTES.md');
try {
  md += `\n${readFileSync(notes, 'utf8')}`;
} catch {}
writeFileSync(path.join(root, 'BENCHMARKS.md'), md);
console.log(md);
process.exit(0);
