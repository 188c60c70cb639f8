/**
 * `pidns-tree ui [id] [--playground] [--host H] [--port P]`: a local web server with a live
 * page of this user's detached trees (and the playground), until Ctrl-C. It prints the address,
 * with the token every request needs.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

import { PidnsTreeError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { TreeCatalog } from '../ui/source.js';
import { startUiServer, type UiServer } from '../ui/server.js';
import { EXIT } from './exit-codes.js';

export interface UiOptions {
  id: string | undefined;
  playground: boolean;
  host: string;
  port: number;
}

/** dist/ui, where `npm run build` puts the pages. */
export function uiAssets(): string {
  const dir = path.join(packageRoot, 'dist', 'ui');
  if (!existsSync(path.join(dir, 'live.html'))) {
    throw new PidnsTreeError(
      'NATIVE_MISSING',
      `the web pages are missing (no ${dir}/live.html): run \`npm run build\``,
    );
  }
  return dir;
}

/**
 * PIDNS_TREE_UI_TOKEN: the token to use instead of a new one, so that a server started again
 * (same --port) keeps the pages of the one before: they reconnect on their own. From the
 * environment, which only you can read, never the command line, which everyone can; at least
 * 43 URL-safe characters (as many bits as the tokens pidns-tree makes).
 */
function tokenFromEnv(): string | undefined {
  const token = process.env['PIDNS_TREE_UI_TOKEN'];
  // Not kept in the environment: nothing this process starts inherits it.
  delete process.env['PIDNS_TREE_UI_TOKEN'];
  if (token === undefined || token === '') return undefined;
  if (!/^[A-Za-z0-9_-]{43,256}$/.test(token)) {
    throw new PidnsTreeError(
      'BAD_ARGUMENT',
      'PIDNS_TREE_UI_TOKEN must be at least 43 URL-safe characters (A-Z, a-z, 0-9, - and _), such as the token a ' +
        'pidns-tree ui printed in its address; unset it for a new token',
    );
  }
  return token;
}

/** Starts the server for `catalog` (null: the playground only); its address and how to stop. */
export async function serveUi(
  catalog: TreeCatalog | null,
  options: { host: string; port: number; defaultTree?: string | undefined; token?: string | undefined },
): Promise<UiServer> {
  const names = isIP(options.host) === 0 ? [options.host] : [];
  const token = options.token;
  return startUiServer({
    ...(token === undefined ? {} : { token }),
    host: options.host,
    port: options.port,
    catalog,
    assets: uiAssets(),
    names,
    ...(options.defaultTree === undefined ? {} : { defaultTree: options.defaultTree }),
  });
}

/** The address of a page of the server: the live page (of tree `id`) or the playground. */
export function pageUrl(server: UiServer, page: 'live' | 'playground', id?: string): string {
  const url = new URL(server.url);
  if (page === 'playground') url.pathname = '/playground';
  if (id !== undefined) url.hash = `tree=${encodeURIComponent(id)}`;
  return url.href;
}

export async function uiCommand(options: UiOptions): Promise<number> {
  let catalog: TreeCatalog | null = null;
  try {
    const { requireNative } = await import('../native.js');
    requireNative();
    const { DetachedCatalog } = await import('../ui/detached-source.js');
    const detached = new DetachedCatalog();
    // The tree named here is followed from the start: its page opens from memory.
    if (options.id !== undefined && !detached.keep(options.id)) {
      throw new PidnsTreeError(
        'UNKNOWN_TREE',
        `no running tree ${JSON.stringify(options.id)} here (see pidns-tree ls)`,
      );
    }
    catalog = detached;
  } catch (error) {
    if (!options.playground || (error instanceof PidnsTreeError && error.code === 'UNKNOWN_TREE')) throw error;
  }
  // The token of PIDNS_TREE_UI_TOKEN, for `ui` only: `spawn --ui` serves on a new port each time.
  const server = await serveUi(catalog, {
    host: options.host,
    port: options.port,
    defaultTree: options.id,
    token: tokenFromEnv(),
  });
  const url = pageUrl(server, options.playground ? 'playground' : 'live', options.id);
  process.stdout.write(`${url}\n`);
  if (process.stderr.isTTY)
    process.stderr.write(
      `pidns-tree ui: open the address above (it holds this server's token); Ctrl-C stops the server\n`,
    );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      ['SIGINT', 'SIGTERM', 'SIGHUP'].forEach((s) => process.off(s, stop));
      resolve();
    };
    ['SIGINT', 'SIGTERM', 'SIGHUP'].forEach((s) => process.on(s, stop));
  });
  await server.close();
  // A tree's watcher may be waiting in the supervisor's long poll, a native call in Node's
  // thread pool that nothing can cancel and that even process.exit waits for: what keeps this
  // short is that the watcher polls 0.5 s at a time (FOLLOW_WAIT_MS, detached-source.ts).
  process.exit(EXIT.ok);
}
