/** Starting `pidns-tree ui` as a user does, and talking HTTP to it as a browser would not. */
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';

import { startCli } from './cli.js';

export interface RunningUi {
  /** The address it printed, token included. */
  readonly url: URL;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Runs `pidns-tree ui ...args` and resolves with the address it prints first. */
export async function startUi(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<RunningUi> {
  const { child, result } = startCli(['ui', ...args], { env });
  const url = await new Promise<URL>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const line = /^(http:\/\/\S+)$/m.exec(seen)?.[1];
      if (line !== undefined) resolve(new URL(line));
    });
    void result.then((r) => reject(new Error(`pidns-tree ui exited ${r.code}: ${r.stdout}${r.stderr}`)));
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      await result;
    },
  };
}

/** A plain HTTP request with exactly these headers (a browser would not let us set Host). */
export function rawRequest(
  url: URL,
  options: { path: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
