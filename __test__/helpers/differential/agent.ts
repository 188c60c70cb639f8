/**
 * The real side's plumbing: the agent program (fixtures/sim-agent.c) built with cc, the host
 * helper (its `host` mode: pidfd watches, setns+fork, pidfd signals), and line feeds to wait on.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import { root } from '../cli.js';

/** Builds the agent into `dir`; returns its path. */
export function buildAgent(dir: string): string {
  const out = path.join(dir, 'sim-agent');
  execFileSync('cc', ['-O2', '-Wall', '-o', out, path.join(root, '__test__', 'fixtures', 'sim-agent.c')]);
  return out;
}

/** Lines as they arrive, and waits for the first (at or after a mark) that matches. */
export class Feed {
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();
  #closed = false;

  push(line: string): void {
    this.lines.push(line);
    this.#waiters.forEach((w) => w());
  }

  close(): void {
    this.#closed = true;
    this.#waiters.forEach((w) => w());
  }

  /** The first line from index `from` on that `match` accepts (returning what it extracts). */
  async next<T>(match: (line: string) => T | undefined, from: number, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let at = from;
      const check = (): void => {
        for (; at < this.lines.length; at += 1) {
          const found = match(this.lines[at] ?? '');
          if (found !== undefined) {
            done();
            resolve(found);
            return;
          }
        }
        if (this.#closed) {
          done();
          reject(new Error(`${what}: the stream ended first`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: not within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/** The host helper: one for many scenarios (`drop` forgets a scenario's holds and watches). */
export class HostHelper {
  readonly feed = new Feed();
  readonly #child: ChildProcess;

  constructor(agent: string) {
    this.#child = spawn(agent, ['host'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: this.#child.stdout! });
    lines.on('line', (l) => this.feed.push(l));
    lines.on('close', () => this.feed.close());
  }

  send(command: string): number {
    const mark = this.feed.lines.length;
    this.#child.stdin!.write(`${command}\n`);
    return mark;
  }

  async request<T>(command: string, match: (line: string) => T | undefined, timeoutMs = 5000): Promise<T> {
    const mark = this.send(command);
    return this.feed.next(match, mark, timeoutMs, `the host helper's answer to "${command}"`);
  }

  async close(): Promise<void> {
    this.#child.stdin!.end();
    await new Promise((resolve) => this.#child.once('close', resolve));
  }
}

/**
 * Writes one command to an agent's FIFO. The agent holds it open for reading: without a
 * reader (the agent is gone), opening fails at once (ENXIO) instead of blocking.
 */
export function tell(fifo: string, command: string): boolean {
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    writeSync(fd, `${command}\n`);
    return true;
  } finally {
    closeSync(fd);
  }
}
