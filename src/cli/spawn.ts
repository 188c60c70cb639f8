/**
 * `pidns-tree spawn <tree.json | ->`: start the tree, show it, stream its output, exit with its
 * status. Ctrl-C (or SIGTERM/SIGHUP) stops the tree: the root init passes the signal to every
 * process and namespace; a second Ctrl-C kills it at once. Whatever happens, no process of the
 * tree outlives this command (the kernel kills the tree if we die).
 *
 * Output lines reach us already rendered, in batches (see frames.ts), and go out as they are:
 * the cost per line is the native collector's, not JavaScript's.
 */
import { once } from 'node:events';

import type { SpawnMode } from '../native.js';
import { RunningTree, signalNumber } from '../running-tree.js';
import { HumanRenderer, prefixWidth } from '../render/human.js';
import { styleFor } from '../render/format.js';
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

/** Waits while a stream's buffer is full: the tree then waits on its pipes, nothing is lost. */
async function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableNeedDrain) await once(stream, 'drain');
}

export async function spawnCommand(options: SpawnOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  let tree: RunningTree;
  let human: HumanRenderer | undefined;
  try {
    let text = await readSpecSourceForCli(options.tree);
    if (options.reproduciblePids === true) text = withReproduciblePids(text);
    const plan = checkSpecText(text, source);
    if (options.detach === true) {
      const { detach } = await import('./detach.js');
      return await detach(plan, { name: options.name, mode: options.mode, json: options.json });
    }
    // The native side watches stdout: a reader that goes away ends the tree even while it
    // prints nothing.
    if (options.json) {
      // The events go from the native collector straight to stdout: not a byte through here.
      tree = RunningTree.start(plan, options.mode, { format: 'ndjson', outputFd: 1, watchFd: 1 });
    } else {
      human = new HumanRenderer(plan, { verbose: options.verbose });
      const color = styleFor(process.stdout).dim('x') !== 'x';
      tree = RunningTree.start(plan, options.mode, {
        format: 'human',
        color,
        prefixWidth: prefixWidth(plan),
        watchFd: 1,
      });
    }
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

  let code = 1;
  try {
    for await (const frame of tree.frames()) {
      if (frame.kind === 'c') code = frame.body.readInt32LE(0);
      if (frame.kind === 'x') readerGone = true;
      if (readerGone) continue;
      if (human !== undefined) {
        human.frame(frame);
        if (frame.kind === 'e') code = human.endCode ?? code;
      } else if (frame.kind === 'o') {
        process.stdout.write(frame.body);
      }
      await drained(process.stdout);
      await drained(process.stderr);
    }
  } finally {
    signals.forEach((s) => process.off(s, onSignal));
  }
  if (readerGone) return EXIT.outputClosed;
  return interrupted === undefined ? code : 128 + signalNumber(interrupted);
}
