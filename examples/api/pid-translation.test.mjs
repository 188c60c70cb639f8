// PID translation: every process has one PID per level, and pidns-tree reports the kernel's.
import { readFileSync } from 'node:fs';

import test from 'ava';
import { withTree } from 'pidns-tree/ava';

const spec = {
  name: 'root',
  children: [{ name: 'a', children: [{ name: 'b', processes: [{ name: 'worker', command: ['sleep', 'infinity'] }] }] }],
};

test(
  'worker has a PID in root/a/b, root/a, root and on the host, as NSpid says',
  withTree(spec, (t, tree) => {
    const pids = tree.pids('root/a/b:worker');
    t.deepEqual(Object.keys(pids), ['host', 'root', 'root/a', 'root/a/b']);
    t.is(pids['root/a/b'], 2, 'the first process after the init');
    const nspid = readFileSync(`/proc/${pids.host}/status`, 'utf8')
      .match(/^NSpid:\s+(.*)$/m)[1]
      .split(/\s+/)
      .map(Number);
    t.deepEqual(nspid, Object.values(pids));
  }),
);

test(
  'inside its namespace, a process only sees its own PID',
  withTree(spec, async (t, tree) => {
    // Builtins only: /proc/self must be the shell itself, not a grep it would start.
    const { stdout } = await tree.exec('root/a/b', [
      'sh',
      '-c',
      'echo $$ $PPID; while read -r k v; do [ "$k" = NSpid: ] && echo "NSpid: $v"; done < /proc/self/status',
    ]);
    const [self, parent] = stdout.split('\n')[0].split(' ').map(Number);
    t.is(parent, 1, 'exec runs as a child of the namespace PID 1');
    t.regex(stdout, new RegExp(`NSpid:\\s+${self}\\n`), 'one level visible from inside');
  }),
);
