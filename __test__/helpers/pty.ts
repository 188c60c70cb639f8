/**
 * A real terminal around a command, as a user's terminal emulator is: the command runs on a
 * pseudo-terminal made by Python's standard library (__test__/helpers/pty_driver.py), and the
 * test types on it, waits for what it shows, resizes it and reads its settings.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';

import { root } from './cli.js';

const DRIVER = path.join(root, '__test__', 'helpers', 'pty_driver.py');

interface Answer {
  ok: boolean;
  [field: string]: unknown;
}

export interface Started {
  pid: number;
  /** The terminal's name (/dev/pts/N). */
  tty: string;
  /** `stty -g` of the terminal before the command ran. */
  stty: string;
}

export class Terminal {
  readonly #driver: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #rl: Interface;

  private constructor() {
    this.#driver = spawn('python3', [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#driver.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(`pty driver: ${d}`));
    this.#rl = createInterface({ input: this.#driver.stdout });
    this.#lines = this.#rl[Symbol.asyncIterator]();
  }

  /** Starts `argv` on a new terminal of `cols` x `rows`. */
  static async start(
    argv: readonly string[],
    options: { env?: Record<string, string>; cols?: number; rows?: number } = {},
  ): Promise<{ term: Terminal } & Started> {
    const term = new Terminal();
    const started = await term.#ask({
      op: 'start',
      argv,
      env: options.env ?? {},
      cols: options.cols,
      rows: options.rows,
    });
    if (!started.ok) throw new Error(`cannot start ${argv.join(' ')}: ${JSON.stringify(started)}`);
    return { term, ...(started as unknown as Started) };
  }

  async #ask(request: Record<string, unknown>): Promise<Answer> {
    this.#driver.stdin.write(`${JSON.stringify(request)}\n`);
    const next = await this.#lines.next();
    if (next.done === true) throw new Error('the pty driver ended');
    return JSON.parse(next.value) as Answer;
  }

  /** Types `data` (`'\x03'` is Ctrl-C). */
  async send(data: string): Promise<void> {
    await this.#ask({ op: 'send', data });
  }

  /** Waits until `pattern` (a regular expression) shows after the previous match; its text. */
  async expect(pattern: string, timeoutS = 20): Promise<{ match: string; before: string }> {
    const a = await this.#ask({ op: 'expect', pattern, timeout: timeoutS });
    if (!a.ok) throw new Error(`the terminal never showed /${pattern}/; it showed:\n${String(a['output'])}`);
    return a as unknown as { match: string; before: string };
  }

  async resize(cols: number, rows: number): Promise<void> {
    await this.#ask({ op: 'resize', cols, rows });
  }

  /** `stty -g` of the terminal now. */
  async stty(): Promise<string> {
    const a = await this.#ask({ op: 'stty' });
    if (!a.ok) throw new Error(`stty: ${JSON.stringify(a)}`);
    return a['stty'] as string;
  }

  async signal(signal: number): Promise<void> {
    await this.#ask({ op: 'signal', signal });
  }

  /** The command's exit, and everything the terminal showed. */
  async wait(timeoutS = 30): Promise<{ code?: number; signal?: number; output: string }> {
    const a = await this.#ask({ op: 'wait', timeout: timeoutS });
    if (!a.ok) throw new Error(`the command did not exit; the terminal showed:\n${String(a['output'])}`);
    return a as unknown as { code?: number; signal?: number; output: string };
  }

  /** Waits until each host PID has exited; those still alive after `timeoutS`. */
  async gone(pids: readonly number[], timeoutS = 20): Promise<number[]> {
    const a = await this.#ask({ op: 'gone', pids, timeout: timeoutS });
    return a['alive'] as number[];
  }

  close(): void {
    this.#rl.close();
    this.#driver.stdin.end();
  }
}

/** The PID namespace of host process `pid` (`pid:[4026532178]`). */
export function pidNamespace(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`);
}

/** Every live (not zombie) host process in PID namespace `ns`, with its command name. */
export function membersOf(ns: string): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== ns) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      out.push({ pid: Number(name), comm: readFileSync(`/proc/${name}/comm`, 'utf8').trim() });
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}
