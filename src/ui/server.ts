/**
 * `pidns-tree ui`'s web server (Node's http, Server-Sent Events): the pages and their bundled
 * assets (dist/ui, nothing from the network), the list of trees, each tree's updates as a
 * stream, and the actions. Every request passes guard.ts first: Host, Origin and the token.
 * Every answer forbids what the pages do not need (Content-Security-Policy), caching and
 * referrers (the token is in the address).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';

import { PidnsTreeError } from '../errors.js';
import { parseSignal } from '../signals.js';
import { CSP } from './csp.js';
import { checkRequest, newToken, type GuardConfig } from './guard.js';
import { inlinePage } from './inline-page.js';
import { firstPicture } from './first-picture.js';
import { snapshotJson } from './snapshot-json.js';
import type { TreeCatalog, Update } from './source.js';

const HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The files the pages load, by name: nothing else under the directory is served. */
export const ASSETS = ['playground.js', 'ui.css', 'pidns_tree.wasm'] as const;
const PAGES = { '/': 'live.html', '/playground': 'playground.html' } as const;

export interface UiServerOptions {
  readonly host: string;
  readonly port: number;
  readonly catalog: TreeCatalog | null;
  /** dist/ui: the built pages and assets. */
  readonly assets: string;
  /** Host names besides IP addresses that name this server (localhost is always one). */
  readonly names?: readonly string[];
  /** For tests and `spawn --ui`: a tree to open when the page names none. */
  readonly defaultTree?: string;
  /**
   * The token every request must carry (at least 43 URL-safe characters); a new random one when
   * absent. Given, a server started again on the same port takes the pages of the one before:
   * they reconnect and resynchronise.
   */
  readonly token?: string;
}

export interface UiServer {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A request this server cannot take as it is (400). */
class BadRequest extends Error {}

/** A request body of at most 16 KiB, as JSON. */
async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    throw new BadRequest('send the request as application/json');
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) throw new BadRequest('the request is larger than 16 KiB');
    chunks.push(chunk);
  }
  const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequest('the request must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, csp = CSP): void {
  res
    .writeHead(status, {
      ...HEADERS,
      'content-security-policy': csp,
      'content-type': type,
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, TYPES['.json'] ?? '', JSON.stringify(value));
}

/** `after=N` of an event stream: the version of the picture the page has; anything else is ignored. */
function versionParam(value: string | null): number | undefined {
  if (value === null || !/^(0|[1-9][0-9]{0,14})$/.test(value)) return undefined;
  return Number(value);
}

function statusFor(error: unknown): number {
  if (!(error instanceof PidnsTreeError))
    return error instanceof SyntaxError || error instanceof BadRequest ? 400 : 500;
  switch (error.code) {
    case 'BAD_SIGNAL':
    case 'BAD_TARGET':
      return 400;
    case 'UNKNOWN_TREE':
      return 404;
    case 'TREE_GONE':
      return 410;
    case 'PROTOCOL_MISMATCH':
      return 409;
    case 'NATIVE_MISSING':
      return 501;
    default:
      return 500;
  }
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const token = options.token ?? newToken();
  const assets = new Map<string, Buffer>();
  for (const name of ASSETS) assets.set(name, readFileSync(path.join(options.assets, name)));
  // What is the same for every answer is filled in once: the token, and on the live page its
  // stylesheet and script.
  const pages = new Map<string, { html: string; csp: string }>();
  for (const [route, file] of Object.entries(PAGES)) {
    const html = readFileSync(path.join(options.assets, file), 'utf8').replaceAll(
      '__TOKEN__',
      encodeURIComponent(token),
    );
    const page =
      route === '/'
        ? inlinePage(
            html,
            assets.get('ui.css')?.toString('utf8') ?? '',
            readFileSync(path.join(options.assets, 'live.js'), 'utf8'),
          )
        : { html, csp: CSP };
    if (page.html.split('__FIRST_PICTURE__').length > 2) throw new Error(`${file}: __FIRST_PICTURE__ more than once`);
    pages.set(route, page);
  }
  // Known once the server listens (the port is part of it); until then everything is refused.
  const guarding: { config?: GuardConfig } = {};
  const streams = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const verdict =
      guarding.config === undefined
        ? { ok: false as const, status: 503, why: 'starting' }
        : checkRequest(guarding.config, {
            method: req.method ?? 'GET',
            url,
            headers: req.headers,
          });
    if (!verdict.ok) {
      send(res, verdict.status, 'text/plain; charset=utf-8', `pidns-tree ui: refused: ${verdict.why}\n`);
      return;
    }
    const page = pages.get(url.pathname);
    if (page !== undefined && req.method === 'GET') {
      // As a function: the tree's data must not be read as a pattern.
      const html = page.html.replace('__FIRST_PICTURE__', () => firstPicture(options.catalog, options.defaultTree));
      send(res, 200, TYPES['.html'] ?? '', html, page.csp);
      return;
    }
    const asset = /^\/assets\/([^/]+)$/.exec(url.pathname)?.[1];
    if (asset !== undefined && req.method === 'GET') {
      const body = assets.get(asset);
      if (body === undefined) send(res, 404, 'text/plain; charset=utf-8', 'no such file\n');
      else send(res, 200, TYPES[path.extname(asset)] ?? 'application/octet-stream', body);
      return;
    }
    const api = /^\/api\/trees(?:\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})(?:\/(events|kill|stop))?)?$/.exec(url.pathname);
    if (api === null) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    const catalog = options.catalog;
    if (catalog === null) {
      throw new PidnsTreeError(
        'NATIVE_MISSING',
        'live trees need the native part (Linux); this server only has the playground',
      );
    }
    const [, id, action] = api;
    if (id === undefined) {
      sendJson(res, 200, { trees: catalog.list(), defaultTree: options.defaultTree ?? null });
      return;
    }
    const source = catalog.get(id);
    if (source === undefined) throw new PidnsTreeError('UNKNOWN_TREE', `no running tree ${JSON.stringify(id)} here`);
    if (action === 'events' && req.method === 'GET') {
      const after = versionParam(url.searchParams.get('after'));
      res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
      res.write(`retry: 2000\n: pidns-tree ui ${source.summary.id}\n\n`);
      streams.add(res);
      // Nothing more once the stream is ended (a closing server ends it and waits for the
      // reader): a write after end() is an 'error' that nothing would catch.
      const write = (u: Update) => {
        if (res.writableEnded) return;
        const data =
          u.kind === 'snapshot' ? `{"kind":"snapshot","snapshot":${snapshotJson(u.snapshot)}}` : JSON.stringify(u);
        res.write(`event: ${u.kind}\ndata: ${data}\n\n`);
      };
      const unsubscribe = source.subscribe(write, after);
      const beat = setInterval(() => {
        if (!res.writableEnded) res.write(': beat\n\n');
      }, 15_000);
      res.on('close', () => {
        clearInterval(beat);
        unsubscribe();
        streams.delete(res);
      });
      return;
    }
    if (action === 'kill' && req.method === 'POST') {
      const body = await jsonBody(req);
      const node = typeof body['node'] === 'string' ? body['node'] : '';
      const process = typeof body['process'] === 'string' ? body['process'] : 'init';
      if (node === '') throw new PidnsTreeError('BAD_TARGET', '"node" is missing');
      const given = body['signal'];
      const signal = parseSignal(typeof given === 'number' || typeof given === 'string' ? String(given) : 'TERM');
      const sent = await source.kill(node, process, signal);
      sendJson(res, 200, { id, node, process, signal, sent });
      return;
    }
    if (action === 'stop' && req.method === 'POST') {
      const body = await jsonBody(req);
      const graceMs = typeof body['graceMs'] === 'number' && body['graceMs'] >= 0 ? body['graceMs'] : 10_000;
      await source.stop(graceMs);
      sendJson(res, 200, { id, stopping: true, graceMs });
      return;
    }
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const code =
        error instanceof PidnsTreeError
          ? error.code
          : error instanceof BadRequest || error instanceof SyntaxError
            ? 'BAD_REQUEST'
            : 'INTERNAL';
      sendJson(res, statusFor(error), { error: { code, message } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  guarding.config = { token, port, names: ['localhost', ...(options.names ?? [])].map((n) => n.toLowerCase()) };
  // Packs the picture of the tree the server was started for now (snapshotJson keeps the packed
  // list of processes), not when the first page asks.
  firstPicture(options.catalog, options.defaultTree);
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}/?token=${encodeURIComponent(token)}`,
    token,
    port,
    close: async () => {
      // No new connection first (a page reconnecting now would get a stream cut off below),
      // then the open streams ended whole, then whatever connections remain.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await endStreams(streams);
      server.closeAllConnections();
      await closed;
    },
  };
}

/** How long a closing server waits for an event stream's reader to take the rest of it. */
const STREAM_END_MS = 2_000;

/**
 * Ends each event stream and waits until its last chunk has been handed to the kernel (or its
 * connection is gone), for STREAM_END_MS at most: destroying the connections at once would cut
 * off what a reader that is behind has not taken yet (in a browser: a failed request,
 * net::ERR_INCOMPLETE_CHUNKED_ENCODING, and the last events lost).
 */
async function endStreams(streams: ReadonlySet<ServerResponse>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = [...streams].map(
    (s) =>
      new Promise<void>((resolve) => {
        s.once('finish', resolve);
        s.once('close', resolve);
        s.end();
      }),
  );
  await Promise.race([
    Promise.all(ended),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STREAM_END_MS);
    }),
  ]);
  clearTimeout(timer);
}
