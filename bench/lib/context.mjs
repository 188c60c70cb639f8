// What a family's prepare(ctx) gets: paths, temp space, what the benchmark needs built or
// installed (each made once, on first use, so `--only` builds only what it runs), the built
// package's own modules, and the measuring helpers of processes.mjs with their tools bound.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { peakOf, runApiWorker, runSupervisor, timeCommand, timePipeline } from './processes.mjs';

/**
 * @typedef {object} Context
 * @property {string} root          the package (built)
 * @property {string} cli           bin/pidns-tree.js
 * @property {string} init          native/pidns-init
 * @property {string} tmp           a directory of this run's own (removed at the end)
 * @property {(name: string, spec: object) => string} writeSpec   tree.json in tmp; its path
 * @property {() => Promise<string>} floor      bench/floor.c, compiled
 * @property {() => Promise<string>} runSpec    the native path without Node (cargo example)
 * @property {() => Promise<{ catatonit: string }>} peers   unshare, tini, dumb-init, catatonit, bwrap
 * @property {object} pkg           the built package's own functions: spawnTree, native (the
 *                                  binding), checkSpecObject, prefixWidth, startSupervisor,
 *                                  supervisorAnswer (its first line),
 *                                  findTree, request, ps (src/live/client.ts)
 * @property {(fn: () => void) => void} onCleanup   synchronous; runs at the end and on Ctrl-C
 * @property {(message: string) => void} log
 * @property {(argv: string[], o?: { stdout?: boolean }) => Promise<{ ms: number, stdout: string }>} command
 * @property {(argv: string[], patterns: string[], o?: { peak?: boolean }) => Promise<object>} pipeline
 *           stdout counted by `floor count OFF:TEXT...`; see processes.mjs
 * @property {(specFile: string) => Promise<object>} api   a separate process using the API
 * @property {(spec: object) => Promise<{ ms: number, code: number, peakKiB: number }>} supervisor
 * @property {(pid: number) => Promise<{ peakKiB: number, status: number }>} peak
 */

const PEERS = {
  unshare: 'util-linux',
  tini: 'tini',
  'tini-static': 'tini',
  'dumb-init': 'dumb-init',
  catatonit: 'catatonit',
  bwrap: 'bubblewrap',
};

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

function once(make) {
  let made;
  return () => {
    made ??= Promise.resolve().then(make);
    return made;
  };
}

/** A context for one run of the harness; `close()` runs the clean-ups (also on Ctrl-C). */
export async function createContext(root, { log }) {
  const dist = (...p) => pathToFileURL(path.join(root, 'dist', 'src', ...p)).href;
  const [index, native, spec, human, supervisor, stateDir, client] = await Promise.all([
    import(dist('index.js')),
    import(dist('native.js')),
    import(dist('spec.js')),
    import(dist('render', 'human.js')),
    import(dist('live', 'supervisor.js')),
    import(dist('live', 'state-dir.js')),
    import(dist('live', 'client.js')),
  ]);
  const pkg = {
    spawnTree: index.spawnTree,
    native: native.native,
    checkSpecObject: spec.checkSpecObject,
    prefixWidth: human.prefixWidth,
    startSupervisor: supervisor.startSupervisor,
    supervisorAnswer: supervisor.supervisorAnswer,
    findTree: stateDir.findTree,
    request: client.request,
    ps: client.ps,
  };

  const build = path.join(root, 'bench', '.build');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pidns-tree-bench-'));
  const cleanups = [];
  const onCleanup = (fn) => cleanups.push(fn);
  // Supervisors of trees still running (runSupervisor keeps this): stopped if we are interrupted.
  const live = new Set();
  onCleanup(() => {
    for (const id of live) {
      try {
        pkg.request(pkg.findTree(id), { t: 'stop', graceMs: 0 });
      } catch {}
    }
  });

  const floor = once(() => {
    mkdirSync(build, { recursive: true });
    const out = path.join(build, 'floor');
    execFileSync('gcc', ['-O2', '-Wall', '-o', out, path.join(root, 'bench', 'floor.c')], { stdio: 'inherit' });
    return out;
  });
  const runSpec = once(() => {
    log('building the native path without Node (cargo example run_spec)');
    execFileSync('cargo', ['build', '--release', '--quiet', '-p', 'pidns-core', '--example', 'run_spec'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'release', 'examples', 'run_spec');
  });
  const peers = once(() => {
    const missing = [...new Set(Object.entries(PEERS).flatMap(([cmd, pkgName]) => (has(cmd) ? [] : [pkgName])))];
    if (missing.length > 0) {
      log(`installing ${missing.join(' ')}`);
      execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const catatonit = has('catatonit')
      ? execFileSync('sh', ['-c', 'command -v catatonit'], { encoding: 'utf8' }).trim()
      : '/usr/libexec/podman/catatonit';
    return { catatonit };
  });

  let specs = 0;
  let trees = 0;
  const worker = path.join(root, 'bench', 'lib', 'api-worker.mjs');
  /** @type {Context} */
  const ctx = {
    root,
    cli: path.join(root, 'bin', 'pidns-tree.js'),
    init: path.join(root, 'native', 'pidns-init'),
    tmp,
    writeSpec(name, treeSpec) {
      mkdirSync(path.join(tmp, 'specs'), { recursive: true });
      const file = path.join(tmp, 'specs', `${specs++}-${name}.json`);
      writeFileSync(file, JSON.stringify(treeSpec));
      return file;
    },
    floor,
    runSpec,
    peers,
    pkg,
    onCleanup,
    log,
    command: (argv, o) => timeCommand(argv, o),
    pipeline: async (argv, patterns, o) => timePipeline(await floor(), argv, patterns, o),
    api: async (specFile) => runApiWorker(await floor(), worker, root, specFile),
    supervisor: async (treeSpec) =>
      runSupervisor(
        await floor(),
        pkg.startSupervisor,
        pkg.supervisorAnswer,
        pkg.checkSpecObject(treeSpec),
        `bench-${process.pid}-${trees++}`,
        live,
      ),
    peak: async (pid) => peakOf(await floor(), pid),
  };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const fn of cleanups.reverse()) {
      try {
        fn();
      } catch (error) {
        log(`clean-up: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  };
  return { ctx, close };
}
