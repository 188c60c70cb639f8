/** Running the real `pidns-tree` command as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/__test__/helpers → the package root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const bin = path.join(root, 'bin', 'pidns-tree.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  input?: string;
  wrap?: readonly string[];
  /** Variables set (a string) or removed (undefined) for the command. */
  env?: Record<string, string | undefined>;
}

export function startCli(
  args: readonly string[],
  options: CliOptions = {},
): {
  child: ChildProcess;
  result: Promise<CliResult>;
} {
  const argv = [...(options.wrap ?? []), process.execPath, bin, ...args];
  const [file, ...rest] = argv as [string, ...string[]];
  const child = spawn(file, rest, {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    // GITHUB_STEP_SUMMARY is empty in every test (package.json's ava config): in CI, each spawn
    // of the suite would otherwise append its summary to the job's. Tests of it set it themselves.
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin?.end(options.input ?? '');
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/**
 * `spawn --json -` of `spec`, sent SIGINT (Ctrl-C) as soon as `starts` processes have started,
 * so the tree is partly up: some namespaces exist, others not yet. Resolves once the CLI ended.
 */
export function interruptDuringStartUp(spec: object, starts = 40): Promise<CliResult> {
  const { child, result } = startCli(['spawn', '--json', '-'], { input: JSON.stringify(spec) });
  let out = '';
  let sent = false;
  child.stdout?.on('data', (d: string) => {
    out += d;
    if (!sent && (out.match(/"event":"start"/g)?.length ?? 0) >= starts) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return result;
}

/** Resolves once the CLI's stdout contains `text`. */
export function stdoutIncludes(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer | string): void => {
      seen += d.toString();
      if (seen.includes(text)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.on('close', () => reject(new Error(`the CLI exited before printing ${JSON.stringify(text)}: ${seen}`)));
  });
}
