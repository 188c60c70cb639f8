/** `pidns-tree ps <id>`: a detached tree as it is now, every process with its PIDs and state. */
import { ps } from '../live/client.js';
import { findTree } from '../live/state-dir.js';
import { counted, describeExit, pidChain, shellWords, styleFor, truncate } from '../render/format.js';
import { LiveState } from '../render/diagram/live-state.js';
import { drawDiagram, type OutputFormat } from './diagram-output.js';
import { EXIT } from './exit-codes.js';

export function psCommand(options: { id: string; json: boolean; format?: OutputFormat | undefined }): number {
  const tree = findTree(options.id);
  const reply = ps(tree);
  if (options.format === 'svg' || options.format === 'mermaid') {
    const title = `tree ${tree.info.id} (${tree.info.mode})`;
    process.stdout.write(drawDiagram(LiveState.fromSnapshot(reply).diagram(title), options.format));
    return EXIT.ok;
  }
  if (options.json) {
    const processes = reply.processes.map((p) => ({
      node: p.start.node,
      process: p.start.process,
      pid: p.start.pid,
      pids: p.start.pids,
      command: p.start.command,
      state: p.state,
      exit: p.exit,
    }));
    process.stdout.write(
      `${JSON.stringify({ id: tree.info.id, root: tree.info.root, mode: tree.info.mode, processes, zombies: reply.zombies })}\n`,
    );
    return EXIT.ok;
  }
  const s = styleFor(process.stdout);
  const nodes = [...new Set(reply.processes.map((p) => p.start.node))];
  const lines = [`tree ${tree.info.id} (${tree.info.mode}): ${nodes.length} namespaces`];
  for (const node of nodes) {
    const here = reply.processes.filter((p) => p.start.node === node);
    const init = here.find((p) => p.start.process === 'init');
    const zombies = reply.zombies[node] ?? 0;
    const state = (p: (typeof here)[number]) => (p.exit !== null ? describeExit(p.exit.code, p.exit.signal) : p.state);
    lines.push(
      `${s.bold(node)}  init ${init === undefined ? '?' : `${pidChain(init.start.pids, s)}  ${state(init)}`}${zombies > 0 ? `  ${counted(zombies, 'zombie')}` : ''}`,
    );
    const width = Math.max(0, ...here.map((p) => p.start.process.length));
    for (const p of here.filter((p) => p.start.process !== 'init')) {
      lines.push(
        `  ${p.start.process.padEnd(width)}  ${pidChain(p.start.pids, s)}  ${state(p)}  ${s.dim(truncate(shellWords(p.start.command), 50))}`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
