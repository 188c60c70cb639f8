/**
 * Human output of `spawn`: the tree once every process is up, then each output line prefixed
 * with `node:process` (stdout to stdout, stderr to stderr), exits as they happen, a summary.
 * Lines that arrive before the tree is complete wait, so the tree always comes first.
 *
 * Output lines come already rendered, in batches (`o` and `r` frames: the native collector
 * prefixes them as `prefixWidth` and `color` say, as fast as `sed` would); everything else
 * comes as events (`e` frames) and is rendered here.
 */
import type { ErrorEvent, ExitEvent, StartEvent, TreeEvent } from '../events.js';
import { parseEvents, type Frame } from '../frames.js';
import { planStartCount, type Plan } from '../spec.js';
import { eventWords } from './event-words.js';
import { counted, describeExit, styleFor, type Style } from './format.js';
import { renderTree, startKey } from './tree-view.js';

export class HumanRenderer {
  readonly #plan: Plan;
  readonly #out: NodeJS.WriteStream;
  readonly #err: NodeJS.WriteStream;
  readonly #style: Style;
  readonly #starts = new Map<string, StartEvent>();
  readonly #expected: number;
  readonly #prefixWidth: number;
  #held: (TreeEvent | Frame)[] | undefined = [];
  #firstFailure: ExitEvent | undefined;
  /** The tree's code, once `end` came. */
  endCode: number | undefined;
  /** The first error, when it came before any failure: the cause to name in the summary. */
  #firstError: ErrorEvent | undefined;
  #processes = 0;

  readonly #verbose: boolean;

  /** `verbose`: also show each orphan the inits reap. */
  constructor(
    plan: Plan,
    options: { verbose?: boolean } = {},
    out: NodeJS.WriteStream = process.stdout,
    err: NodeJS.WriteStream = process.stderr,
  ) {
    this.#plan = plan;
    this.#verbose = options.verbose ?? false;
    this.#out = out;
    this.#err = err;
    this.#style = styleFor(out);
    this.#expected = planStartCount(plan);
    this.#prefixWidth = prefixWidth(plan);
  }

  /** One frame of the tree's stream; returns the events of an `e` frame (none for output). */
  frame(frame: Frame): readonly TreeEvent[] {
    if (frame.kind === 'e') {
      const events = parseEvents<TreeEvent>(frame.body);
      for (const event of events) this.handle(event);
      return events;
    }
    if (this.#held !== undefined) this.#held.push(frame);
    else this.#write(frame);
    return [];
  }

  #write(frame: Frame): void {
    if (frame.kind === 'o') this.#out.write(frame.body);
    else if (frame.kind === 'r') this.#err.write(frame.body);
  }

  handle(event: TreeEvent): void {
    if (event.event === 'start') {
      this.#starts.set(startKey(event.node, event.process), event);
      if (event.process !== 'init') this.#processes += 1;
      if (this.#held !== undefined && this.#starts.size === this.#expected) this.#showTree();
      return;
    }
    if (event.event === 'end') {
      this.endCode = event.code;
      if (this.#held !== undefined) this.#showTree();
      this.#summary(event.code);
      return;
    }
    if (this.#held !== undefined) {
      this.#held.push(event);
      return;
    }
    this.#print(event);
  }

  #showTree(): void {
    const namespaces = this.#plan.nodes.length;
    const header = `pidns-tree: ${counted(namespaces, 'namespace')}, ${counted(this.#processes, 'process', 'processes')} up`;
    this.#out.write(
      `${this.#style.dim(header)}\n${renderTree(this.#plan, this.#starts, this.#style, this.#out.columns ?? 120)}\n\n`,
    );
    const held = this.#held ?? [];
    this.#held = undefined;
    held.forEach((e) => ('kind' in e ? this.#write(e) : this.#print(e)));
  }

  #prefix(node: string, process: string): string {
    return `${node}:${process}`.padEnd(this.#prefixWidth);
  }

  #print(event: TreeEvent): void {
    const s = this.#style;
    switch (event.event) {
      case 'exit': {
        if (!(event.code === 0 && event.signal === null)) this.#firstFailure ??= event;
        const text = `${this.#prefix(event.node, event.process)} ${s.dim('·')} ${eventWords(event)}`;
        this.#out.write(`${event.code === 0 ? s.dim(text) : s.red(text)}\n`);
        return;
      }
      case 'reap':
        if (this.#verbose) this.#out.write(s.dim(`${this.#prefix(event.node, 'init')} · ${eventWords(event)}`) + '\n');
        return;
      case 'zombies':
        this.#out.write(`${this.#prefix(event.node, 'init')} ${s.dim('·')} ${eventWords(event)}\n`);
        return;
      case 'error':
        if (this.#firstFailure === undefined) this.#firstError ??= event;
        this.#err.write(s.red(`pidns-tree: namespace ${event.node}: ${event.message}`) + '\n');
        return;
      default:
        return;
    }
  }

  #summary(code: number): void {
    const s = this.#style;
    const failed = this.#firstFailure;
    const error = this.#firstError;
    const text =
      code === 0
        ? `pidns-tree: all ${counted(this.#processes, 'process', 'processes')} exited 0`
        : error !== undefined
          ? `pidns-tree: exit ${code}: namespace ${error.node}: ${error.message}`
          : failed === undefined
            ? `pidns-tree: the tree failed (exit ${code})`
            : `pidns-tree: exit ${code}: ${failed.node}:${failed.process} ${describeExit(failed.code, failed.signal)} first`;
    this.#out.write(`${code === 0 ? s.dim(text) : s.red(text)}\n`);
  }
}

/** The column `node:process` prefixes are padded to: the longest label, at most 40. */
export function prefixWidth(plan: Plan): number {
  const labels = plan.nodes.flatMap((n) => ['init', ...n.processes.map((p) => p.name)].map((p) => `${n.path}:${p}`));
  return Math.min(40, Math.max(...labels.map((l) => l.length)));
}
