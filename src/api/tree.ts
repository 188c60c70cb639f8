/**
 * A running tree, as the scripting API hands it out: its PIDs at every level, exec and spawn
 * into any namespace, signals, events, and a guaranteed clean-up.
 */
import { nativeError, PidnsTreeError } from '../errors.js';
import type { EndEvent, ExitEvent, Pids, StartEvent, TreeEvent } from '../events.js';
import { native } from '../native.js';
import type { RunningTree, SignalName } from '../running-tree.js';
import type { Plan } from '../spec.js';
import type { EventLog } from './event-log.js';
import { closeFds, collect, stdioFromFds } from './stdio.js';
import { parseTarget } from './targets.js';
import {
  discardTerminal,
  terminalProcess,
  terminalSize,
  type TerminalOptions,
  type TerminalProcess,
} from './terminal.js';
import type { TreeProcess } from './tree-process.js';

export interface ExecOptions {
  /** Written to its stdin, which is then closed (closed at once without it). */
  input?: string | Uint8Array;
  /** Added to the environment pidns-tree runs with. */
  env?: Record<string, string>;
  /** Absolute working directory. */
  cwd?: string;
  /** SIGKILL it and reject with TIMEOUT after this long. */
  timeoutMs?: number;
  /** Without a terminal (the default): stdin, stdout and stderr are pipes. */
  tty?: false;
}

export interface ExecResult {
  /** Exit code, or 128+N when signal N killed it. */
  readonly code: number;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Its PID at every level (absent if it could not start). */
  readonly pids?: Pids;
  /** Why it could not run (code 126 or 127). */
  readonly error?: string;
}

export interface NodeInfo {
  /** `root/a` */
  readonly path: string;
  readonly depth: number;
  /** Its init's PID at every level (1 in its own namespace). */
  readonly pids: Pids;
  /** True when its PID 1 is your command (`init.command`). */
  readonly userInit: boolean;
}

export interface ProcessInfo {
  readonly node: string;
  readonly name: string;
  readonly command: readonly string[];
  readonly pids: Pids;
  /** Its `exit` event once it has exited. */
  readonly exit?: ExitEvent;
}

export interface StopOptions {
  /** SIGKILL the whole tree if it has not ended this long after SIGTERM (default 10 000). */
  graceMs?: number;
}

export class Tree implements AsyncDisposable {
  /** The checked spec this tree runs. */
  readonly plan: Plan;
  /** The root init's PID on the host. */
  readonly pid: number;
  /** True when the tree runs in a user namespace that maps you to root (rootless mode). */
  readonly rootless: boolean;
  readonly #running: RunningTree;
  readonly #log: EventLog;
  #execs = 0;
  readonly #extra = new Set<string>();

  /** @internal Use `spawnTree`. */
  constructor(running: RunningTree, log: EventLog) {
    this.#running = running;
    this.#log = log;
    this.plan = running.plan;
    this.pid = running.pid;
    this.rootless = running.rootless;
  }

  #start(node: string, process: string): StartEvent | undefined {
    return this.#log.lifecycle.find(
      (e): e is StartEvent => e.event === 'start' && e.node === node && e.process === process,
    );
  }

  /** The PIDs at every level of `'root/a:worker'`, or of a namespace's init for `'root/a'`. */
  pids(target: string): Pids {
    const { node, process } = parseTarget(target, this.plan, this.#extra);
    const start = this.#start(node, process);
    if (start === undefined) throw new PidnsTreeError('TREE_GONE', `${target} never started`);
    return start.pids;
  }

  /** Every namespace, root first. */
  nodes(): NodeInfo[] {
    return this.plan.nodes.map((n) => ({
      path: n.path,
      depth: n.depth,
      pids: this.#start(n.path, 'init')?.pids ?? {},
      userInit: n.init.command !== null,
    }));
  }

  /** Every process started so far (those of the spec, then exec'd and spawned ones). */
  processes(): ProcessInfo[] {
    const exits = new Map(
      this.#log.lifecycle.filter((e): e is ExitEvent => e.event === 'exit').map((e) => [`${e.node}:${e.process}`, e]),
    );
    return this.#log.lifecycle
      .filter((e): e is StartEvent => e.event === 'start' && e.process !== 'init')
      .map((s) => {
        const exit = exits.get(`${s.node}:${s.process}`);
        const info = { node: s.node, name: s.process, command: s.command, pids: s.pids };
        return exit === undefined ? info : { ...info, exit };
      });
  }

  /** Every event from the first on (the same as `spawn --json`), until `end`. */
  events(): AsyncGenerator<TreeEvent, void, undefined> {
    return this.#log.iterate();
  }

  /**
   * The first event (already seen or still to come) that `predicate` accepts. Rejects with
   * TREE_GONE when the tree ends first, TIMEOUT after `timeoutMs`.
   */
  waitFor<E extends TreeEvent>(
    predicate: (event: TreeEvent) => event is E,
    options?: { timeoutMs?: number },
  ): Promise<E>;
  waitFor(predicate: (event: TreeEvent) => boolean, options?: { timeoutMs?: number }): Promise<TreeEvent>;
  waitFor(predicate: (event: TreeEvent) => boolean, options: { timeoutMs?: number } = {}): Promise<TreeEvent> {
    return this.#told(this.#log.find((e) => (predicate(e) ? e : undefined), 'the awaited event', options.timeoutMs));
  }

  /** A wait handed to the caller: if it fails with onEvent's failure, the caller has been told. */
  #told<T>(wait: Promise<T>): Promise<T> {
    return wait.catch((error: unknown) => {
      if (error === this.#log.onEventFailurePeek) this.#log.onEventFailure();
      throw error;
    });
  }

  /** Sends a signal to `'root/a:worker'` or to the init of `'root/a'`, through its pidfd. */
  kill(target: string, signal: SignalName | number = 'SIGTERM'): boolean {
    const { node, process } = parseTarget(target, this.plan, this.#extra);
    return this.#running.signalProcess(node, process, signal);
  }

  /**
   * Resolves with `end` once every process of the tree has exited. Rejects with
   * ON_EVENT_FAILED (once the tree has ended) when `spawnTree`'s `onEvent` threw.
   */
  async wait(): Promise<EndEvent> {
    const end = await this.#ended();
    const failure = this.#log.onEventFailure();
    if (failure !== undefined) throw failure;
    return end;
  }

  /**
   * SIGTERM to the root init (which stops every namespace), SIGKILL after `graceMs`. Rejects,
   * as `wait()` does, with ON_EVENT_FAILED when `onEvent` threw.
   */
  async stop(options: StopOptions = {}): Promise<EndEvent> {
    const end = await this.#stopped(options.graceMs ?? 10_000);
    const failure = this.#log.onEventFailure();
    if (failure !== undefined) throw failure;
    return end;
  }

  /**
   * Stops the tree; throws ON_EVENT_FAILED only if `onEvent` threw and neither `wait()` nor
   * `stop()` (nor a wait that the tree's end failed) has told you so already.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stopped(10_000);
    const failure = this.#log.unreportedOnEventFailure;
    if (failure !== undefined) throw this.#log.onEventFailure() ?? failure;
  }

  #ended(): Promise<EndEvent> {
    return this.#log.find((e) => (e.event === 'end' ? e : undefined), 'its end', undefined, true);
  }

  async #stopped(graceMs: number): Promise<EndEvent> {
    if (this.#log.ended !== undefined) return this.#log.ended;
    this.#running.signal('SIGTERM');
    const kill = setTimeout(() => this.#running.signal('SIGKILL'), graceMs);
    try {
      return await this.#ended();
    } finally {
      clearTimeout(kill);
    }
  }

  #name(node: string): string {
    const taken = new Set(this.plan.nodes.find((n) => n.path === node)?.processes.map((p) => p.name));
    let name: string;
    do name = `exec-${++this.#execs}`;
    while (taken.has(name));
    this.#extra.add(`${node}:${name}`);
    return name;
  }

  /**
   * Starts `argv` in namespace `node` as a child of its PID 1; resolves once it runs. With
   * `{ tty: true }` it runs on a new pseudo-terminal, and you get that terminal as one stream.
   */
  spawn(node: string, argv: readonly string[], options: TerminalOptions): Promise<TerminalProcess>;
  spawn(
    node: string,
    argv: readonly string[],
    options?: Omit<ExecOptions, 'input' | 'timeoutMs'>,
  ): Promise<TreeProcess>;
  async spawn(
    node: string,
    argv: readonly string[],
    options: TerminalOptions | Omit<ExecOptions, 'input' | 'timeoutMs'> = {},
  ): Promise<TreeProcess | TerminalProcess> {
    parseTarget(node, this.plan);
    if (this.#log.ended !== undefined) throw new PidnsTreeError('TREE_GONE', 'the tree has ended');
    // An exec on a terminal: the pty is made here, its slave goes to the command (see
    // crates/core/src/host/terminal.rs for why here and not in the init).
    let terminal;
    try {
      terminal = options.tty === true ? native().openTerminal(...terminalSize(options)) : undefined;
    } catch (error) {
      throw nativeError(error, 'SYSCALL_FAILED');
    }
    const name = this.#name(node);
    let fds;
    try {
      fds = await this.#running.native.exec(node, name, [...argv], options.env ?? {}, options.cwd ?? null, terminal);
    } catch (error) {
      if (terminal !== undefined) discardTerminal(terminal);
      throw nativeError(error, 'TREE_GONE', `cannot start ${argv[0]} in ${node}: `);
    }
    const exited = this.#log.find(
      (e) => (e.event === 'exit' && e.node === node && e.process === name ? e : undefined),
      `${node}:${name} to exit`,
      undefined,
      true,
    );
    // Handled here so that a caller who never waits cannot get an unhandled rejection.
    exited.catch(() => undefined);
    // Where the request is served: the namespace's init, or its parent's for a user's PID 1.
    const servedBy =
      this.plan.nodes.find((n) => n.path === node)?.init.command === null ? node : node.slice(0, node.lastIndexOf('/'));
    let started;
    try {
      started = await this.#log.find(
        (e) => {
          if (e.event !== 'start' && e.event !== 'exit') return undefined;
          if (e.node === node && e.process === name) return e;
          // Its init ended before serving the request: it never will.
          if (
            e.event === 'exit' &&
            e.process === 'init' &&
            (e.node === servedBy || servedBy.startsWith(`${e.node}/`))
          ) {
            throw new PidnsTreeError('TREE_GONE', `namespace ${node} ended before ${argv[0]} could start`);
          }
          return undefined;
        },
        `${node}:${name} to start`,
        undefined,
        true,
      );
    } catch (error) {
      if (terminal === undefined) closeFds(fds);
      else discardTerminal(terminal);
      throw error;
    }
    const pids = started.event === 'start' ? started.pids : {};
    const kill = (signal: SignalName | number = 'SIGTERM'): boolean => this.#running.signalProcess(node, name, signal);
    // The streams are made only now, in the same turn the caller gets them: a stream that ends
    // without data may emit 'end' as soon as libuv reports EOF, and nobody must miss it.
    if (terminal !== undefined)
      return terminalProcess(terminal, { node, name, pids, kill, exited, wait: () => this.#told(exited) });
    const stdio = stdioFromFds(fds);
    return { node, name, pids, ...stdio, kill, wait: () => this.#told(exited) };
  }

  /**
   * Runs `argv` in namespace `node` as a child of its PID 1 and collects its output. With
   * `{ tty: true }` there is nothing apart to collect: it resolves, as `spawn` does, with the
   * terminal as one stream, to drive an interactive program (`input` is typed first).
   */
  exec(
    node: string,
    argv: readonly string[],
    options: TerminalOptions & { input?: string | Uint8Array },
  ): Promise<TerminalProcess>;
  exec(node: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  async exec(
    node: string,
    argv: readonly string[],
    options: ExecOptions | (TerminalOptions & { input?: string | Uint8Array }) = {},
  ): Promise<ExecResult | TerminalProcess> {
    if (options.tty === true) {
      const terminal = await this.spawn(node, argv, options);
      if (options.input !== undefined) terminal.write(options.input);
      return terminal;
    }
    return this.#collect(node, argv, options);
  }

  async #collect(node: string, argv: readonly string[], options: ExecOptions): Promise<ExecResult> {
    const child = await this.spawn(node, argv, options);
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    const output = Promise.all([collect(child.stdout), collect(child.stderr)]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      if (options.timeoutMs === undefined) return;
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new PidnsTreeError('TIMEOUT', `${argv.join(' ')} in ${node} did not finish within ${options.timeoutMs} ms`),
        );
      }, options.timeoutMs);
    });
    try {
      const [exit, [stdout, stderr]] = await Promise.race([Promise.all([child.wait(), output]), timedOut]);
      const result = {
        code: exit.code,
        signal: exit.signal,
        stdout: stdout.toString('utf8'),
        stderr: stderr.toString('utf8'),
        pids: child.pids,
      };
      return exit.error === undefined ? result : { ...result, error: exit.error };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
