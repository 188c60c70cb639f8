/** `pidns-tree ls`: the detached trees running here; stale state of dead ones is cleaned. */
import { PidnsTreeError } from '../errors.js';
import { ps } from '../live/client.js';
import { listTrees } from '../live/state-dir.js';
import { EXIT } from './exit-codes.js';

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

export function lsCommand(options: { json: boolean }): number {
  const { trees, cleaned, problems } = listTrees();
  const rows = trees.map((t) => {
    let running = 0;
    let zombies = 0;
    try {
      const reply = ps(t);
      running = reply.processes.filter((p) => p.state === 'running' && p.start.process !== 'init').length;
      zombies =
        reply.processes.filter((p) => p.state === 'zombie').length +
        Object.values(reply.zombies).reduce((a, b) => a + b, 0);
    } catch (error) {
      // Ended between listing and asking: shown with no processes. A socket that is not safe
      // to talk to (served by another user) is said, not hidden.
      if (error instanceof PidnsTreeError && error.code === 'STATE_UNSAFE')
        process.stderr.write(`pidns-tree: ${error.message}\n`);
    }
    return {
      id: t.info.id,
      root: t.info.root,
      ageMs: Date.now() - t.info.createdAt,
      namespaces: t.info.namespaces,
      processes: running,
      zombies,
      mode: t.info.mode,
      state: 'running',
    };
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ trees: rows, cleaned, problems })}\n`);
    return EXIT.ok;
  }
  cleaned.forEach((id) =>
    process.stderr.write(`pidns-tree: removed the stale state of tree ${id} (its supervisor is gone)\n`),
  );
  problems.forEach((p) => process.stderr.write(`pidns-tree: ${p.message}\n`));
  if (rows.length === 0) {
    process.stdout.write('no trees running (start one with pidns-tree spawn --detach tree.json)\n');
    return EXIT.ok;
  }
  const header = ['ID', 'ROOT', 'AGE', 'NAMESPACES', 'PROCESSES', 'ZOMBIES', 'MODE', 'STATE'];
  const table = [
    header,
    ...rows.map((r) => [
      r.id,
      r.root,
      age(r.ageMs),
      String(r.namespaces),
      String(r.processes),
      String(r.zombies),
      r.mode,
      r.state,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  process.stdout.write(
    `${table
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n')}\n`,
  );
  return EXIT.ok;
}
