/**
 * The frames the native collector writes (crates/core/src/wire/frames.rs): a kind byte, a u32
 * little-endian length, the payload. Lines cross from Rust in batches: one frame holds many.
 */
import type { Readable } from 'node:stream';

export type FrameKind =
  /** NDJSON events, one per line, to parse. */
  | 'e'
  /** Bytes for standard output, already rendered. */
  | 'o'
  /** Bytes for standard error, already rendered. */
  | 'r'
  /** The tree's exit code, i32 little-endian (when every event went to 'o'). */
  | 'c';

export interface Frame {
  readonly kind: FrameKind;
  readonly body: Buffer;
}

const HEADER = 5;

/** Every frame of the stream, in order. Reading waits while the caller does (backpressure). */
export async function* readFrames(input: Readable): AsyncGenerator<Frame, void, undefined> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of input as AsyncIterable<Buffer>) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= HEADER) {
      const len = pending.readUInt32LE(at + 1);
      if (pending.length - at - HEADER < len) break;
      const kind = String.fromCharCode(pending[at] ?? 0) as FrameKind;
      yield { kind, body: pending.subarray(at + HEADER, at + HEADER + len) };
      at += HEADER + len;
    }
    pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
  }
  if (pending.length > 0) throw new Error(`the event stream ended inside a frame (${pending.length} bytes left)`);
}

/** The events of an 'e' frame. */
export function parseEvents<T>(body: Buffer): T[] {
  const text = body.toString('utf8');
  const events: T[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    if (nl > start) events.push(JSON.parse(text.slice(start, nl)) as T);
    start = nl + 1;
  }
  return events;
}
