/** A plain static file server, as anyone would put a directory on the web with: no headers of ours. */
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';

import type { ExecutionContext } from 'ava';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

export interface StaticServer {
  /** Its address, `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** The path of every request, in order (`/` for the index). */
  readonly requests: readonly string[];
}

/**
 * Serves the files under `dir` on 127.0.0.1 until the test ends: `/` is `index` (a page's text)
 * or dir/index.html; a path outside `dir`, or one that is not a file, is a 404.
 */
export async function serveStatic(
  t: Pick<ExecutionContext, 'teardown'>,
  dir: string,
  index?: string,
): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    // URL resolves `.` and `..`: a path can only climb to the root of `dir`.
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    requests.push(pathname);
    if (pathname === '/' && index !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(index);
      return;
    }
    const file = path.join(dir, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(dir + path.sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.close();
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/`, requests };
}
