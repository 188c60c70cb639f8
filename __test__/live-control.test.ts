/** A live tree's control socket under malformed requests: nothing it receives stays open. */
import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import test from 'ava';

import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/host.js';
import { detachTree, uniqueName } from './helpers/live.js';
import { oneSleeper } from './helpers/specs.js';

const run = promisify(execFile);

/** The supervisor's open descriptors, as what each points at. */
function descriptors(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '(closed)';
    }
  });
}

/**
 * Sends each malformed request on its own connection, with descriptors of `probe` attached,
 * reads the reply to its end and then waits for the supervisor to close the connection: after
 * that, the request is entirely handled.
 */
const flood = `import os, socket, sys
sock, probe, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(probe, os.O_RDONLY)
requests = [
    (b'{"t":"ps"}', 8),                       # more descriptors than a request may carry
    (b'not json at all', 3),                    # garbage
    (b'{"t":"ps","pad":"' + b'x' * 300000 + b'"}', 2),  # larger than a request may be
    (b'{"t":"exec","node":"root","command":["true"]}', 2),  # exec with too few
    (b'{"t":"nope"}', 4),                     # an unknown command
]
answers = set()
for _ in range(rounds):
    for body, n in requests:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.setsockopt(socket.SOL_SOCKET, 32, 1 << 20)  # SO_SNDBUFFORCE: room for the oversized one
        s.connect(sock)
        socket.send_fds(s, [body], [fd] * n)
        reply = b''
        while True:
            chunk = s.recv(1 << 20)
            if chunk in (b'', b'\\0'):
                break
            reply += chunk
        while s.recv(16) != b'':
            pass  # until the supervisor has closed its end
        s.close()
        answers.add(reply.decode()[:60])
print('\\n'.join(sorted(answers)))
`;

test('malformed control requests (too many descriptors, garbage, oversized) leak no descriptor', async (t) => {
  const dir = tempDir();
  const probe = path.join(dir, 'probe-descriptor');
  writeFileSync(probe, 'a file only this test opens\n');
  const name = uniqueName('live-fds');
  const tree = await detachTree(name, oneSleeper, { stopAfter: t });
  const before = descriptors(tree.supervisor);
  const out = await run('python3', ['-c', flood, path.join(tree.dir, 'control.sock'), probe, '60'], {
    maxBuffer: 1 << 20,
  });
  const after = descriptors(tree.supervisor);
  t.deepEqual(
    after.filter((target) => target === probe),
    [],
    'no descriptor the requests carried is still open in the supervisor',
  );
  t.is(after.length, before.length, `descriptors before: ${before.join(' ')}\nafter: ${after.join(' ')}`);
  // Every kind was answered with a refusal, not a silent drop (the two too-large kinds alike).
  const answers = out.stdout.trim().split('\n');
  t.is(answers.length, 4, out.stdout);
  t.true(
    answers.every((a) => a.startsWith('{"ok":false')),
    out.stdout,
  );
  // And it still serves: exec (three descriptors) works.
  const exec = await runCli(['exec', name, 'root', '--', 'sh', '-c', 'echo still serving']);
  t.is(exec.stdout, 'still serving\n', exec.stderr);
});
