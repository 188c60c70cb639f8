/**
 * `pidns-tree spawn <tree.json | ->`: start the tree, show it, stream its output, exit with its
 * status. Ctrl-C (or SIGTERM/SIGHUP) stops the tree: the root init passes the signal to every
 * process and namespace; a second Ctrl-C kills it at once. Whatever happens, no process of the
 * tree outlives this command (the kernel kills the tree if we die).
 */
import type { SpawnMode } from '../native.js';
import { RunningTree, signalNumber } from '../running-tree.js';
import { HumanRenderer } from '../render/human.js';
import { checkSpecText, readSpecSourceForCli, withReproduciblePids } from '../spec.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export interface SpawnOptions {
  tree: string;
  json: boolean;
  verbose: boolean;
  mode: SpawnMode;
  /** Hand the tree to a native supervisor and return (see detach.ts). */
  detach?: boolean;
  name?: string | undefined;
  /** Start in plan order with reproducible PIDs, as "reproduciblePids": true. */
  reproduciblePids?: boolean;
}

export async function spawnCommand(options: SpawnOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  let tree: RunningTree;
  try {
    let text = await readSpecSourceForCli(options.tree);
    if (options.reproduciblePids === true) text = withReproduciblePids(text);
    const plan = checkSpecText(text, source);
    if (options.detach === true) {
      const { detach } = await import('./detach.js');
      return await detach(plan, { name: options.name, mode: options.mode, json: options.json });
    }
    tree = RunningTree.start(plan, options.mode);
  } catch (error) {
    return reportError(error, options.json, source);
  }

  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted === undefined) {
      interrupted = signal;
      if (!options.json) process.stderr.write(`\npidns-tree: ${signal}: stopping the tree (again to kill it)\n`);
      tree.signal('SIGTERM');
    } else {
      tree.signal('SIGKILL');
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  signals.forEach((s) => process.on(s, onSignal));
  // A reader that goes away (`| head`) ends the tree: nobody would see the rest of it.
  let readerGone = false;
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    readerGone = true;
    tree.signal('SIGKILL');
  };
  process.stdout.on('error', onOutputError);

  const human = options.json ? undefined : new HumanRenderer(tree.plan, { verbose: options.verbose });
  let code = 1;
  try {
    for await (const event of tree.events()) {
      if (event.event === 'end') code = event.code;
      if (readerGone) continue;
      if (human === undefined) process.stdout.write(`${JSON.stringify(event)}\n`);
      else human.handle(event);
    }
  } finally {
    signals.forEach((s) => process.off(s, onSignal));
  }
  if (readerGone) return EXIT.outputClosed;
  return interrupted === undefined ? code : 128 + signalNumber(interrupted);
}
