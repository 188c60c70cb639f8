/**
 * Live trees against a hostile local user: `pidns-test` plants things where a victim's trees
 * would live (/tmp/pidns-tree-<uid>, since the victim has no XDG_RUNTIME_DIR) and serves fake
 * control sockets. Every attack must be refused with a message that names the path and its
 * owner, nothing of the victim's may be deleted, and no byte or descriptor may reach the
 * attacker.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import test from 'ava';

import { native } from '../src/native.js';
import { attacker, cliAs, runAs, shAs, spawnAs, victim, type User } from './helpers/users.js';
import { oneSleeper } from './helpers/specs.js';

const evil = attacker();
/** How messages name the attacker, as a regular expression. */
const owner = `uid ${evil.uid}${evil.uid === 65534 ? '' : ' \\(pidns-test\\)'}`;
const sleeper = JSON.stringify(oneSleeper);

/**
 * A fake supervisor: in TREE_DIR it writes an info.json with its own PID and start time (as a
 * live tree's), takes supervisor.lock, binds control.sock, then (with --drop UID) becomes that
 * user before it listens. It logs every connection, the bytes and descriptors it gets, and what
 * it can read through the first descriptor (the victim's stdin), one line each, flushed. Its
 * info.json says the live protocol version PROTOCOL (\`none\`: none, as a tree older than versions).
 */
const fakeSupervisor = `import fcntl, json, os, socket, sys
tree, protocol, drop = sys.argv[1], sys.argv[2], sys.argv[3:]
stat = open('/proc/self/stat').read()
start = int(stat[stat.rindex(')') + 2:].split()[19])
info = {'id': 'web', 'name': 'web', 'pid': os.getpid(), 'startTime': start, 'rootPid': os.getpid(),
        'root': 'root', 'namespaces': 1, 'mode': 'privileged', 'createdAt': 0}
if protocol != 'none':
    info['protocol'] = int(protocol)
with open(os.path.join(tree, 'info.json'), 'w') as f:
    json.dump(info, f)
lock = os.open(os.path.join(tree, 'supervisor.lock'), os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(lock, fcntl.LOCK_EX)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(os.path.join(tree, 'control.sock'))
if drop:
    owner, uid = int(drop[0]), int(drop[1])
    for name in ('info.json', 'supervisor.lock', 'control.sock'):
        os.chown(os.path.join(tree, name), owner, owner)
    os.chmod(os.path.join(tree, 'control.sock'), 0o600)
    os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
s.listen(8)
print('listening', flush=True)
reply = json.dumps({'ok': True, 'processes': [], 'zombies': {}, 'sent': True,
                    'exit': {'event': 'exit', 'node': 'root', 'process': 'x', 'code': 0, 'signal': None}}).encode()
while True:
    c, _ = s.accept()
    print('connection', flush=True)
    msg, fds, _, _ = socket.recv_fds(c, 1 << 16, 8)
    print('received', len(msg), 'bytes', len(fds), 'descriptors', flush=True)
    if fds:
        os.set_blocking(fds[0], False)
        try:
            print('stolen', os.read(fds[0], 100), flush=True)
        except OSError:
            pass
    for fd in fds:
        os.close(fd)  # or the victim's command would wait for its stdout to close
    try:
        c.send(reply); c.send(b'\\0')
    except OSError:
        pass
    c.close()
`;

/**
 * Starts the fake supervisor as `as` (root when it must bind in the victim's directory first);
 * it poses as a supervisor of this build (the live protocol version this CLI speaks) unless
 * `protocol` says another.
 */
async function fake(
  as: User | 'root',
  tree: string,
  drop: string[] = [],
  protocol = String(native().liveProtocol()),
): Promise<{ log: () => string; stop: () => void; alive: () => boolean }> {
  const argv = ['/usr/bin/python3', '-c', fakeSupervisor, tree, protocol, ...drop];
  const child = as === 'root' ? spawn(argv[0] as string, argv.slice(1)) : spawnAs(as, argv);
  let log = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      log += `${line}\n`;
      if (line === 'listening') resolve();
    });
    child.once('close', () => reject(new Error(`the fake supervisor died: ${stderr}`)));
  });
  return {
    log: () => log,
    stop: () => child.kill('SIGKILL'),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

test('a state root planted as a symlink into the victim’s home is refused: ls and spawn delete nothing', async (t) => {
  const v = victim();
  t.teardown(v.remove);
  // The victim's own files: a project that happens to hold an info.json, and a ~/web.
  shAs(
    v,
    `mkdir -p project web && echo '{"id":"project","pid":2147483646,"startTime":1}' > project/info.json
    echo mine > project/keep && echo mine > web/keep`,
  );
  shAs(evil, `ln -s ${v.home} ${v.stateRoot}`);

  const ls = await cliAs(v, ['ls']);
  t.is(ls.code, 125);
  t.regex(ls.stderr, new RegExp(`${v.stateRoot} is a symbolic link owned by ${owner}`));
  t.regex(ls.stderr, /never follows a link.*Remove it.*XDG_RUNTIME_DIR/s);
  const spawned = await cliAs(v, ['spawn', '-d', '--name', 'web', '-'], sleeper);
  t.is(spawned.code, 125);
  t.regex(spawned.stderr, new RegExp(`${v.stateRoot} is a symbolic link owned by ${owner}`));
  for (const file of ['project/info.json', 'project/keep', 'web/keep'])
    t.true(existsSync(path.join(v.home, file)), `~/${file} is still there`);
});

test('a 0777 state root with a fake tree served by the attacker: not listed, not reused, stdin not handed over', async (t) => {
  const v = victim();
  t.teardown(v.remove);
  shAs(evil, `mkdir -m 777 ${v.stateRoot} && mkdir -m 777 ${v.stateRoot}/web`);
  const server = await fake(evil, `${v.stateRoot}/web`);
  t.teardown(server.stop);
  const refusal = new RegExp(`${v.stateRoot} belongs to ${owner}, not to you \\(uid ${v.uid}\\)`);

  const ls = await cliAs(v, ['ls', '--json']);
  t.is(ls.code, 125);
  t.regex(ls.stdout, refusal);
  const spawned = await cliAs(v, ['spawn', '-d', '--name', 'web', '-'], sleeper);
  t.is(spawned.code, 125);
  t.regex(spawned.stderr, refusal);
  const exec = await cliAs(v, ['exec', 'web', 'root', '--', 'cat'], 'secret\n');
  t.is(exec.code, 125);
  t.regex(exec.stderr, refusal);
  t.is(server.log(), 'listening\n', 'the attacker never even saw a connection');
});

/**
 * The victim's tree directory `web`, and its state root, made as the victim's own would be (its
 * owner, mode 0700): every check of them passes, so only the socket's server can give it away.
 */
function victimTreeDir(v: ReturnType<typeof victim>): string {
  const tree = path.join(v.stateRoot, 'web');
  mkdirSync(tree, { recursive: true });
  for (const dir of [v.stateRoot, tree]) {
    chownSync(dir, v.uid, v.gid);
    chmodSync(dir, 0o700);
  }
  return tree;
}

test('a socket served by another user in the victim’s own tree directory gets no byte and no descriptor', async (t) => {
  // The directories are the victim's and pass every check; only the server's credentials
  // (SO_PEERCRED, taken when it listened as the attacker) give it away.
  const v = victim();
  t.teardown(v.remove);
  const tree = victimTreeDir(v);
  const server = await fake('root', tree, [String(v.uid), String(evil.uid)]);
  t.teardown(server.stop);

  const exec = await cliAs(v, ['exec', 'web', 'root', '--', 'cat'], 'secret\n');
  t.is(exec.code, 125);
  t.regex(exec.stderr, new RegExp(`${tree}/control.sock is served by a process of ${owner}, not by you or root`));
  t.regex(exec.stderr, /nothing was sent to it/);
  const ls = await cliAs(v, ['ls']);
  t.regex(ls.stderr, /is served by a process of/);
  const log = server.log();
  t.notRegex(log, /stolen/);
  t.notRegex(log, /received [1-9]|[1-9]\d* descriptors/, log);
});

test('stop of a tree that poses as another protocol version, served by another user: no byte, no signal', async (t) => {
  // A tree of another version is stopped by signals: they must go only to processes proved to
  // be the tree's, and a socket served by someone else proves nothing.
  const v = victim();
  t.teardown(v.remove);
  const tree = victimTreeDir(v);
  const server = await fake('root', tree, [String(v.uid), String(evil.uid)], 'none');
  t.teardown(server.stop);

  const stop = await cliAs(v, ['stop', 'web', '--grace-ms', '100']);
  t.is(stop.code, 125, stop.stderr);
  t.regex(stop.stderr, new RegExp(`${tree}/control.sock is served by a process of ${owner}, not by you or root`));
  t.regex(stop.stderr, /nothing was sent to it/);
  t.true(server.alive(), 'the fake supervisor (which info.json names as supervisor and root init) was not signalled');
  t.notRegex(server.log(), /received [1-9]|[1-9]\d* descriptors/);
});

test('spawn -d --name api next to the owner’s own ./api directory: refused, and the directory is left whole', async (t) => {
  const v = victim();
  t.teardown(v.remove);
  // The victim's first tree makes the state root; then they keep a directory of their own there.
  const first = await cliAs(v, ['spawn', '-d', '--name', 'first', '-'], sleeper);
  t.is(first.code, 0, first.stderr);
  t.teardown(() => cliAs(v, ['stop', 'first', '--grace-ms', '1000']));
  shAs(v, `mkdir -m 700 ${v.stateRoot}/api && echo notes > ${v.stateRoot}/api/notes.txt`);

  const r = await cliAs(v, ['spawn', '-d', '--name', 'api', '-'], sleeper);
  t.is(r.code, 125);
  t.regex(r.stderr, new RegExp(`${v.stateRoot}/api was not made by pidns-tree .*leaves it alone`));
  t.is(readFileSync(path.join(v.stateRoot, 'api', 'notes.txt'), 'utf8'), 'notes\n');
  const ls = await cliAs(v, ['ls', '--json']);
  t.deepEqual(
    (JSON.parse(ls.stdout) as { trees: { id: string }[] }).trees.map((x) => x.id),
    ['first'],
  );
  t.true(existsSync(path.join(v.stateRoot, 'api', 'notes.txt')), 'ls left it alone too');
});

test('another user can neither reach a tree’s control socket nor be served by it', async (t) => {
  const v = victim();
  t.teardown(v.remove);
  const r = await cliAs(v, ['spawn', '-d', '--json', '--name', 'private', '-'], sleeper);
  t.is(r.code, 0, r.stderr);
  const tree = (JSON.parse(r.stdout) as { dir: string }).dir;
  t.teardown(() => cliAs(v, ['stop', 'private', '--grace-ms', '1000']));
  const probe = `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("refused", e.errno); sys.exit(0)
try:
    s.send(b'{"t":"ps"}')
except BrokenPipeError:
    pass  # refused before reading: the reply is already waiting
print("reply", s.recv(65536).decode())`;
  const sock = path.join(tree, 'control.sock');
  const asAttacker = () => runAs(evil, ['/usr/bin/python3', '-c', probe, sock]);
  t.regex(asAttacker(), /^refused 13/, 'the 0700 directories keep others out (EACCES)');
  // Even with the directories and the socket opened up, the peer's credentials are checked.
  chmodSync(v.stateRoot, 0o711);
  chmodSync(tree, 0o711);
  chmodSync(sock, 0o666);
  try {
    t.regex(asAttacker(), /reply .*"ok":false.*belongs to another user/);
  } finally {
    chmodSync(v.stateRoot, 0o700);
    chmodSync(tree, 0o700);
  }
});
