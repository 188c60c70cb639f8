/**
 * `pidns-tree spawn <tree.json | ->`: start the tree, show it, stream its output, exit with its
 * status. Ctrl-C (or SIGTERM/SIGHUP) stops the tree: the root init passes the signal to every
 * process and namespace; a second Ctrl-C kills it at once. Whatever happens, no process of the
 * tree outlives this command (the kernel kills the tree if we die).
 *
 * Output lines reach us already rendered, in batches (see frames.ts), and go out as they are:
 * the cost per line is the native collector's, not JavaScript's.
 */
import { appendFileSync } from 'node:fs';
import { once } from 'node:events';

import type { SpawnMode } from '../native.js';
import type { TreeEvent } from '../events.js';
import { parseEvents } from '../frames.js';
import { LiveState } from '../render/diagram/live-state.js';
import { KeptReaps, markdownSummary } from '../render/diagram/summary.js';
import { RunningTree, signalNumber } from '../running-tree.js';
import type { ForegroundSource } from '../ui/foreground-source.js';
import type { UiServer } from '../ui/server.js';
import { drawDiagram, type OutputFormat } from './diagram-output.js';
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
  /** `svg` or `mermaid`: the diagram of the tree at its end on stdout; the run goes to stderr. */
  format?: OutputFormat | undefined;
  /** Append a Markdown summary to this file at the end (GITHUB_STEP_SUMMARY). */
  summary?: string | undefined;
  /** Serve a live page of the tree (`pidns-tree ui`'s) while it runs. */
  ui?: boolean;
}

/** What spawn keeps of the events for its picture, its summary and its live page. */
class Observer {
  readonly state = new LiveState();
  /** For the summary: the reaps it lists and their count, whatever the storm. */
  readonly reaps = new KeptReaps();
  source: ForegroundSource | undefined;

  take(events: readonly TreeEvent[]): void {
    for (const e of events) {
      this.state.apply(e);
      if (e.event === 'reap') this.reaps.add(e);
    }
    this.source?.push(events);
  }
}

/** Waits while a stream's buffer is full: the tree then waits on its pipes, nothing is lost. */
async function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableNeedDrain) await once(stream, 'drain');
}

export async function spawnCommand(options: SpawnOptions): Promise<number> {
  const source = options.tree === '-' ? '<stdin>' : options.tree;
  let tree: RunningTree;
  let human: HumanRenderer | undefined;
  const diagram = options.format === 'svg' || options.format === 'mermaid' ? options.format : undefined;
  const observer =
    diagram !== undefined || options.summary !== undefined || options.ui === true ? new Observer() : undefined;
  // With a diagram on stdout, the run itself goes to stderr.
  const out = diagram === undefined ? process.stdout : process.stderr;
  let server: UiServer | undefined;
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
    if (options.json && observer !== undefined) {
      // The same NDJSON bytes, through here: the observer reads the lifecycle events.
      tree = RunningTree.start(plan, options.mode, { format: 'events', watchFd: 1 });
    } else if (options.json) {
      // The events go from the native collector straight to stdout: not a byte through here.
      tree = RunningTree.start(plan, options.mode, { format: 'ndjson', outputFd: 1, watchFd: 1 });
    } else {
      human = new HumanRenderer(plan, { verbose: options.verbose }, out, process.stderr);
      const color = styleFor(out).dim('x') !== 'x';
      tree = RunningTree.start(plan, options.mode, {
        format: 'human',
        color,
        prefixWidth: prefixWidth(plan),
        watchFd: 1,
      });
    }
    if (observer !== undefined && options.ui === true) {
      const { ForegroundSource } = await import('../ui/foreground-source.js');
      const { serveUi, pageUrl } = await import('./ui.js');
      const id = plan.nodes[0]?.path ?? 'root';
      observer.source = new ForegroundSource(tree, id, observer.state);
      server = await serveUi(observer.source, { host: '127.0.0.1', port: 0, defaultTree: id });
      process.stderr.write(`pidns-tree: live page of this tree: ${pageUrl(server, 'live', id)}\n`);
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
        const events = human.frame(frame);
        if (frame.kind === 'e') {
          observer?.take(events);
          code = human.endCode ?? code;
        }
      } else if (frame.kind === 'o') {
        process.stdout.write(frame.body);
      } else if (frame.kind === 'e' && observer !== undefined) {
        // --json with an observer: the collector's NDJSON as it wrote it, then what it says.
        process.stdout.write(frame.body);
        const events = parseEvents<TreeEvent>(frame.body, true);
        observer.take(events);
        for (const e of events) if (e.event === 'end') code = e.code;
      }
      await drained(process.stdout);
      await drained(process.stderr);
    }
  } finally {
    signals.forEach((s) => process.off(s, onSignal));
    await server?.close();
  }
  if (observer !== undefined && !readerGone) {
    const title = `${source}: ${observer.state.ended === null ? 'the tree' : `ended with exit ${observer.state.ended}`}`;
    if (diagram !== undefined) process.stdout.write(drawDiagram(observer.state.diagram(title), diagram));
    if (options.summary !== undefined) {
      try {
        appendFileSync(options.summary, markdownSummary(observer.state, { source, code, reaps: observer.reaps }));
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        process.stderr.write(`pidns-tree: the summary could not be written to ${options.summary}: ${why}\n`);
      }
    }
  }
  if (readerGone) return EXIT.outputClosed;
  return interrupted === undefined ? code : 128 + signalNumber(interrupted);
}
