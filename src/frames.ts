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
  /** The tree's exit code, i32 little-endian (when the events went straight to a file). */
  | 'c'
  /** The reader of that file went away: the tree was killed. */
  | 'x';

export interface Frame {
  readonly kind: FrameKind;
  readonly body: Buffer;
}

const HEADER = 5;

/** Every frame of the stream, in order. Reading waits while the caller does (backpressure). */
export async function* readFrames(input: Readable): AsyncGenerator<Frame, void, undefined> {
  // Chunks not yet made into frames; joined once a whole frame is there, never byte by byte.
  let chunks: Buffer[] = [];
  let buffered = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    buffered += chunk.length;
    while (buffered >= HEADER) {
      let head = chunks[0] as Buffer;
      if (head.length < HEADER) {
        head = Buffer.concat(chunks, buffered);
        chunks = [head];
      }
      const size = HEADER + head.readUInt32LE(1);
      if (buffered < size) break;
      if (head.length < size) {
        head = Buffer.concat(chunks, buffered);
        chunks = [head];
      }
      const kind = String.fromCharCode(head[0] ?? 0) as FrameKind;
      yield { kind, body: head.subarray(HEADER, size) };
      if (head.length === size) chunks.shift();
      else chunks[0] = head.subarray(size);
      buffered -= size;
    }
  }
  if (buffered > 0) throw new Error(`the event stream ended inside a frame (${buffered} bytes left)`);
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
