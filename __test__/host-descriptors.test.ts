/**
 * A tree's processes hold no descriptor of the host's but their stdio: whatever the CLI
 * inherited (not close-on-exec, as from a supervisor) stays out of the tree.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

import test from 'ava';

import type { StartEvent } from '../src/events.js';
import { bin, root } from './helpers/cli.js';
import { hostPid, isOutput, isStart, ndjson } from './helpers/events.js';

test('descriptors the host has open do not leak into the tree', async (t) => {
  // The CLI gets extra inherited descriptors (3..6, not close-on-exec), as from a supervisor.
  const child = spawn(process.execPath, [bin, 'spawn', '--json', '-'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit', 'pipe', 'pipe', 'pipe', 'pipe'],
  });
  // `start` is sent before exec (from the forked init); its output line comes from the
  // command itself, so its descriptors are final by then (exec sleep keeps them).
  child.stdin?.end(
    JSON.stringify({
      name: 'r',
      processes: [{ name: 'p', command: ['sh', '-c', 'echo running; exec sleep infinity'] }],
    }),
  );
  const start = await new Promise<StartEvent>((resolve) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      // Whole lines only: a chunk may end in the middle of one.
      const events = ndjson(out.slice(0, out.lastIndexOf('\n') + 1));
      const started = events.find(isStart('r', 'p'));
      if (started !== undefined && events.some(isOutput('r', 'p', 'running'))) resolve(started);
    });
  });
  // Read from outside what the tree's process holds.
  t.deepEqual(readdirSync(`/proc/${hostPid(start)}/fd`).sort(), ['0', '1', '2']);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('close', resolve));
});
