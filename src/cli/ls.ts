/** `pidns-tree ls`: the detached trees running here; stale state of dead ones is cleaned. */
import { PidnsTreeError } from '../errors.js';
import { ps } from '../live/client.js';
import { describeProtocol, ourProtocol, speaksOurs } from '../live/protocol.js';
import { listTrees } from '../live/state-dir.js';
import { EXIT } from './exit-codes.js';

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}

export function lsCommand(options: { json: boolean }): number {
  const { trees, cleaned, problems } = listTrees();
  const rows = trees.map((t) => {
    // Null when not known: a tree of another protocol version is not asked.
    let running: number | null = null;
    let zombies: number | null = null;
    // A tree of another protocol version is listed from its info.json alone: nothing is sent to it.
    const ours = speaksOurs(t);
    if (ours) {
      try {
        const reply = ps(t);
        running = reply.processes.filter((p) => p.state === 'running' && p.start.process !== 'init').length;
        zombies =
          reply.processes.filter((p) => p.state === 'zombie').length +
          Object.values(reply.zombies).reduce((a, b) => a + b, 0);
      } catch (error) {
        running = 0;
        zombies = 0;
        // Ended between listing and asking: shown with no processes. A socket that is not safe
        // to talk to (served by another user) is said, not hidden.
        if (error instanceof PidnsTreeError && error.code === 'STATE_UNSAFE')
          process.stderr.write(`pidns-tree: ${error.message}\n`);
      }
    }
    return {
      id: t.info.id,
      root: t.info.root,
      ageMs: Date.now() - t.info.createdAt,
      namespaces: t.info.namespaces,
      processes: running,
      zombies,
      mode: t.info.mode,
      /** The live protocol its supervisor speaks (null: none, older than versions). */
      protocol: t.info.protocol ?? null,
      state: ours ? 'running' : 'other-protocol',
      other: ours ? undefined : describeProtocol(t),
    };
  });
  if (options.json) {
    const json = rows.map(({ other: _other, ...row }) => row);
    process.stdout.write(`${JSON.stringify({ trees: json, cleaned, problems })}\n`);
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
      String(r.processes ?? '?'),
      String(r.zombies ?? '?'),
      r.mode,
      r.other === undefined ? r.state : `running, ${r.other}`,
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
  for (const r of rows.filter((r) => r.other !== undefined)) {
    process.stderr.write(
      `pidns-tree: tree ${r.id} speaks ${r.other}, this pidns-tree speaks protocol ${ourProtocol()}: ` +
        `use the pidns-tree that started it, or stop it with \`pidns-tree stop ${r.id}\` (by signals)\n`,
    );
  }
  return EXIT.ok;
}
