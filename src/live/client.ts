/**
 * Requests to a detached tree's supervisor (through the binding: the socket is SEQPACKET). The
 * protocol's table of messages heads crates/core/src/wire/live.rs.
 */
import { isErrorCode, PidnsTreeError } from '../errors.js';
import type { ExitEvent, StartEvent, TreeEvent } from '../events.js';
import type { NativeTerminal } from '../native.js';
import { live } from './native-live.js';
import { checkProtocol } from './protocol.js';
import type { LiveTree } from './state-dir.js';

export interface PsProcess {
  readonly state: 'running' | 'zombie' | 'exited';
  readonly start: StartEvent;
  readonly exit: ExitEvent | null;
}

export interface PsReply {
  readonly processes: readonly PsProcess[];
  /** Zombies under a user's PID 1, by namespace. */
  readonly zombies: Readonly<Record<string, number>>;
  /** Orphans reaped so far, by namespace. */
  readonly reaped: Readonly<Record<string, number>>;
  /** The number of the last event this picture includes (see `events`). */
  readonly seq: number;
}

/** The events a supervisor recorded after some point (see `events`). */
export interface EventsReply {
  /** The number of the last event in `events` (or of the last recorded, when none are new). */
  readonly seq: number;
  /** The oldest event still kept: a caller who asked for events after less than `first - 1` missed some. */
  readonly first: number;
  readonly ended: boolean;
  /** Lifecycle events only: start, exit, reap, zombies, error, end (no output). */
  readonly events: readonly TreeEvent[];
}

/** What a client may ask, tagged by `t`. */
export type LiveRequest =
  | { readonly t: 'ps' }
  | { readonly t: 'kill'; readonly node: string; readonly process: string; readonly signal: number }
  | { readonly t: 'stop'; readonly graceMs: number }
  | { readonly t: 'wait' }
  | { readonly t: 'events'; readonly after: number; readonly waitMs: number }
  | {
      readonly t: 'exec';
      readonly node: string;
      readonly command: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly cwd: string | null;
      /** The three descriptors are one terminal (see requestOnTerminal). */
      readonly tty?: boolean;
    };

type Reply = { ok: true } & Record<string, unknown>;

/** The supervisor's reply; its refusal as a PidnsTreeError with the code it says (TREE_GONE, BAD_SIGNAL, ...). */
function parseReply(tree: LiveTree, text: string): Reply {
  const reply = JSON.parse(text) as { ok: boolean; code?: unknown; error?: string } & Record<string, unknown>;
  if (!reply.ok) {
    const code = isErrorCode(reply.code) ? reply.code : 'TREE_GONE';
    throw new PidnsTreeError(code, `tree ${tree.info.id}: ${reply.error ?? 'refused'}`);
  }
  return reply as Reply;
}

/** How long a supervisor has to answer what it answers at once (not exec or wait). */
const ANSWER_MS = 10_000;

/**
 * One request to the tree's supervisor, if it speaks our protocol (else PROTOCOL_MISMATCH, and
 * nothing is sent); with `passStdio`, our stdin, stdout and stderr go with
 * it, and only after the supervisor has shown (SO_PEERCRED) that it runs as us or root.
 */
export function request(tree: LiveTree, body: LiveRequest, passStdio = false): Reply {
  checkProtocol(tree);
  const waits = body.t === 'exec' || body.t === 'wait';
  const text = live.request(tree.info.id, JSON.stringify(body), passStdio, waits ? undefined : ANSWER_MS);
  return parseReply(tree, text);
}

/** An exec on `terminal` (`body` has `tty: true`): resolves with the reply once the command has exited. */
export async function requestOnTerminal(
  tree: LiveTree,
  body: LiveRequest & { readonly t: 'exec'; readonly tty: true },
  terminal: NativeTerminal,
): Promise<Reply> {
  checkProtocol(tree);
  return parseReply(tree, await live.execOnTerminal(tree.info.id, JSON.stringify(body), terminal));
}

export function ps(tree: LiveTree): PsReply {
  return request(tree, { t: 'ps' }) as unknown as PsReply;
}

/** The longest the supervisor waits for an event before it answers `events` empty. */
export const EVENTS_WAIT_MS = 20_000;

/**
 * The lifecycle events the supervisor recorded after number `after`, waiting up to `waitMs`
 * for one (a long poll, off the JavaScript thread). It keeps the last 4,096: a caller that
 * fell further behind (`first > after + 1`) reads `ps` again.
 */
export async function events(tree: LiveTree, after: number, waitMs = EVENTS_WAIT_MS): Promise<EventsReply> {
  checkProtocol(tree);
  const body: LiveRequest = { t: 'events', after, waitMs };
  const text = await live.requestAsync(tree.info.id, JSON.stringify(body), waitMs + ANSWER_MS);
  return parseReply(tree, text) as Reply & EventsReply;
}
