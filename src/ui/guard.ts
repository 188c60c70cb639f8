/**
 * Who may talk to `pidns-tree ui`'s server: every request must carry the token printed with
 * its address, name this server in its Host header (a DNS rebinding attack makes the browser
 * send the attacker's own domain name there), and, when it says where it comes from (Origin,
 * Sec-Fetch-Site), come from this server's own pages. Pure functions of the request's method,
 * URL and headers, so that each rule is tested without a server.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export interface GuardConfig {
  readonly token: string;
  readonly port: number;
  /** Host names (besides IP addresses) that name this server: localhost, and --host's. */
  readonly names: readonly string[];
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly status: number; readonly why: string };

/** 32 random bytes, URL-safe: printed in the address, required on every request. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Equal texts, compared in a time that does not depend on where they differ (or on their length). */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `host[:port]` (an IPv6 address in brackets) → its name and port, or null if malformed. */
export function parseHost(value: string): { name: string; port: number | null } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (m === null) return null;
  const name = (m[1] ?? '').toLowerCase();
  return { name, port: m[2] === undefined ? null : Number(m[2]) };
}

function namesThisServer(config: GuardConfig, host: string | undefined): boolean {
  if (host === undefined) return false;
  const parsed = parseHost(host);
  if (parsed === null || parsed.port !== config.port) return false;
  const bare = parsed.name.replace(/^\[|\]$/g, '');
  // An address names a machine, never a domain an attacker could point here (rebinding).
  if (isIP(bare) !== 0) return true;
  return config.names.includes(parsed.name);
}

/** The token of a request: `?token=`, or `Authorization: Bearer`, or `X-Pidns-Tree-Token`. */
export function tokenOf(url: URL, headers: Readonly<Record<string, string | string[] | undefined>>): string | null {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) return fromQuery;
  const auth = headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const header = headers['x-pidns-tree-token'];
  return typeof header === 'string' ? header : null;
}

/** Checks one request; the first rule it breaks says why it is refused. */
export function checkRequest(
  config: GuardConfig,
  request: {
    readonly method: string;
    readonly url: URL;
    readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  },
): Verdict {
  const host = request.headers['host'];
  if (typeof host !== 'string' || !namesThisServer(config, host)) {
    return { ok: false, status: 421, why: 'this server does not answer to that Host (DNS rebinding protection)' };
  }
  const origin = request.headers['origin'];
  if (origin !== undefined && origin !== `http://${host}`) {
    return { ok: false, status: 403, why: 'cross-origin requests are refused' };
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, status: 403, why: 'requests from other sites are refused' };
  }
  const token = tokenOf(request.url, request.headers);
  if (token === null)
    return { ok: false, status: 401, why: 'the token is missing: use the address pidns-tree ui printed' };
  if (!sameToken(token, config.token)) return { ok: false, status: 403, why: 'wrong token' };
  if (request.method !== 'GET' && request.method !== 'POST') {
    return { ok: false, status: 405, why: 'only GET and POST' };
  }
  return { ok: true };
}
