/**
 * The packed package, installed as a user would (no Rust, no checkout), and the rootless path
 * proven by an unprivileged user (`pidns-test`, which scripts/prepare-test-host.sh creates; `nobody` stands in without it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import test from 'ava';

import type { StartEvent } from '../src/events.js';
import { root } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';
import { ndjson } from './helpers/events.js';

const run = promisify(execFile);
const tag = `linux-${process.arch}-gnu`;
let app = '';

/** The unprivileged user: uid and gid for setpriv. */
function user(): string[] {
  try {
    const uid = execFileSync('id', ['-u', 'pidns-test'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'pidns-test'], { encoding: 'utf8' }).trim();
    return [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
  } catch {
    return ['--reuid=65534', '--regid=65534', '--clear-groups'];
  }
}

/** No cargo, no rustc: what a user without Rust has. */
const env = { ...process.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1' };

test.before(async () => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  // This platform's package: the binding and the static pidns-init, as CI would publish it.
  const platform = path.join(dir, tag);
  cpSync(path.join(root, 'npm', tag), platform, { recursive: true });
  for (const f of [`pidns-tree.${tag}.node`, 'pidns-init'])
    cpSync(path.join(root, 'native', f), path.join(platform, f));
  await run('npm', ['pack', '--pack-destination', dir], { cwd: platform });
  // The main package as the release workflow publishes it: no binaries, and optional
  // dependencies on every platform package (set by the same script).
  const main = path.join(dir, 'main');
  mkdirSync(main);
  for (const f of ['package.json', 'README.md', 'bin', 'dist', 'schema', 'examples'])
    cpSync(path.join(root, f), path.join(main, f), { recursive: true });
  await run(process.execPath, [path.join(root, 'scripts', 'set-platform-deps.mjs'), main]);
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: main });
  app = path.join(dir, 'app');
  mkdirSync(app);
  const tarballs = readdirSync(dir)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => path.join(dir, f));
  await run('npm', ['init', '-y'], { cwd: app });
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], { cwd: app, env });
  execFileSync('chmod', ['-R', 'a+rX', dir]);
});

test('the packed tarball installs without Rust and runs an example tree', async (t) => {
  const installed = JSON.parse(readFileSync(path.join(app, 'node_modules', 'pidns-tree', 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  t.is(installed.optionalDependencies?.[`pidns-tree-${tag}`], '0.1.0', 'it names its platform packages');
  t.false(existsSync(path.join(app, 'node_modules', 'pidns-tree', 'native')), 'the main package carries no binaries');
  t.true(existsSync(path.join(app, 'node_modules', `pidns-tree-${tag}`, 'pidns-init')));
  const { stdout } = await run(
    'npx',
    ['--no-install', 'pidns-tree', 'spawn', 'node_modules/pidns-tree/examples/nested.json', '--json'],
    { cwd: app, env },
  );
  const all = ndjson(stdout);
  t.like(all.at(-1), { event: 'end', code: 0 });
  t.truthy(all.find((e) => e.event === 'output' && e.line === 'leaf is pid 2 and its parent is 1'));
});

test('as an unprivileged user, a tree runs rootless with a PID at every level', async (t) => {
  const { stdout } = await run(
    'setpriv',
    [
      ...user(),
      'node',
      'node_modules/.bin/pidns-tree',
      'spawn',
      'node_modules/pidns-tree/examples/nested.json',
      '--json',
    ],
    { cwd: app, env },
  );
  const all = ndjson(stdout);
  t.like(all.at(-1), { event: 'end', code: 0 });
  const leaf = all.find((e): e is StartEvent => e.event === 'start' && e.process === 'leaf');
  t.deepEqual(Object.keys(leaf?.pids ?? {}), ['host', 'root', 'root/a', 'root/a/b']);
  t.is(leaf?.pid, 2);
  for (const init of all.filter((e): e is StartEvent => e.event === 'start' && e.process === 'init')) t.is(init.pid, 1);
});

test('as an unprivileged user, --privileged refuses to fall back (exit 125, says why)', async (t) => {
  const error = await t.throwsAsync(
    run(
      'setpriv',
      [
        ...user(),
        'node',
        'node_modules/.bin/pidns-tree',
        'spawn',
        '--privileged',
        'node_modules/pidns-tree/examples/nested.json',
      ],
      { cwd: app, env },
    ),
  );
  t.is((error as { code?: number }).code, 125);
  t.regex((error as { stderr?: string }).stderr ?? '', /needs CAP_SYS_ADMIN/);
});

/** The rules, checked through the API by an unprivileged user in rootless mode. */
const RULES = `
import { readFileSync } from 'node:fs';
import { spawnTree } from 'pidns-tree';
const out = {};
const sleeper = (name) => ({ name, command: ['sleep', 'infinity'] });
const tree = await spawnTree({ name: 'root', processes: [sleeper('r')], children: [
  { name: 'a', processes: [sleeper('a1')], children: [{ name: 'b', processes: [sleeper('b1')] }] },
  { name: 'z', init: { command: ['sleep', 'infinity'] }, processes: [{ name: 'p', command: ['sh', '-c', 'true & true & exit 0'] }] },
] });
out.rootless = tree.rootless;
out.initsArePid1 = tree.nodes().every((n) => n.pids[n.path] === 1);
out.pidsMatchNSpid = tree.processes().filter((p) => ['r', 'a1', 'b1'].includes(p.name)).every((p) => readFileSync('/proc/' + p.pids.host + '/status', 'utf8').match(/^NSpid:\\s+(.*)$/m)[1].split(/\\s+/).map(Number).join() === Object.values(p.pids).join());
const seen = (await tree.exec('root/a', ['sh', '-c', 'n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo $n'])).stdout.trim();
out.visibleInA = Number(seen);
out.zombies = (await tree.waitFor((e) => e.event === 'zombies' && e.count === 2, { timeoutMs: 10000 })).count;
tree.kill('root/a', 'SIGKILL');
const gone = [];
for await (const e of tree.events()) { if (e.event === 'exit' && e.node.startsWith('root/a') && e.signal === 'SIGKILL') gone.push(e.node + ':' + e.process); if (gone.length === 4) break; }
out.cascade = gone.sort();
tree.kill('root/z', 'SIGKILL');
out.end = (await tree.stop({ graceMs: 3000 })).event;
console.log(JSON.stringify(out));
`;

test('as an unprivileged user, rootless trees obey the same rules (API)', async (t) => {
  const { stdout } = await run('setpriv', [...user(), 'node', '--input-type=module', '-e', RULES], { cwd: app, env });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  t.true(out['rootless']);
  t.true(out['initsArePid1'], 'every init is PID 1');
  t.true(out['pidsMatchNSpid'], 'PID translation matches the kernel');
  t.is(out['visibleInA'], 5, "root/a sees its init, a1, b's init, b1 and the probe, nothing of root");
  t.is(out['zombies'], 2, 'zombies pile up under a non-reaping PID 1');
  t.deepEqual(out['cascade'], ['root/a/b:b1', 'root/a/b:init', 'root/a:a1', 'root/a:init']);
  t.is(out['end'], 'end');
});

test('without its platform package, pidns-tree says which package is missing', async (t) => {
  const bare = path.join(path.dirname(app), 'bare');
  mkdirSync(bare);
  const main = readdirSync(path.dirname(app)).find((f) => /^pidns-tree-\d.*\.tgz$/.test(f)) ?? '';
  await run('npm', ['init', '-y'], { cwd: bare });
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', path.join(path.dirname(app), main)],
    { cwd: bare, env },
  );
  const error = await t.throwsAsync(
    run('node', ['node_modules/.bin/pidns-tree', 'spawn', 'node_modules/pidns-tree/examples/nested.json'], {
      cwd: bare,
      env,
    }),
  );
  t.is((error as { code?: number }).code, 125);
  t.regex(
    (error as { stderr?: string }).stderr ?? '',
    new RegExp(`the native part of pidns-tree for ${tag} is missing: install pidns-tree-${tag}`),
  );
});

test('when user namespaces are disabled, rootless mode says so and how to allow them', async (t) => {
  // Inside a user namespace of our own, its user.max_user_namespaces is ours to set to 0.
  const cli = path.join(app, 'node_modules', '.bin', 'pidns-tree');
  const error = await t.throwsAsync(
    run(
      'unshare',
      [
        '-U',
        '-r',
        'sh',
        '-c',
        `echo 0 > /proc/sys/user/max_user_namespaces && node ${cli} spawn --rootless node_modules/pidns-tree/examples/nested.json`,
      ],
      { cwd: app, env },
    ),
  );
  t.is((error as { code?: number }).code, 125);
  t.regex(
    (error as { stderr?: string }).stderr ?? '',
    /user namespaces are disabled \(user\.max_user_namespaces = 0\).*sysctl user\.max_user_namespaces=/,
  );
});
