/**
 * The frames the native collector writes (crates/core/src/wire/frames.rs): a kind byte, a u32
 * little-endian length, the payload. Lines cross from Rust in batches: one frame holds many.
 */
import type { Readable } from 'node:stream';

import type { OutputEvent } from './events.js';

export type FrameKind =
  /** NDJSON events, one per line, to parse. */
  | 'e'
  /** Output lines of one process and stream, in binary (format `lines`): see LineRun. */
  | 'l'
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

/** How the collector starts an output event's line (NDJSON: `event` is always the first field). */
const OUTPUT_LINE = '{"event":"output"';

/**
 * The events of an 'e' frame. `lifecycleOnly`: output lines (the bulk of `spawn --json`'s
 * NDJSON) are not parsed, only the rest.
 */
export function parseEvents<T>(body: Buffer, lifecycleOnly = false): T[] {
  const text = body.toString('utf8');
  const events: T[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
    if (nl > start && !(lifecycleOnly && text.startsWith(OUTPUT_LINE, start)))
      events.push(JSON.parse(text.slice(start, nl)) as T);
    start = nl + 1;
  }
  return events;
}

/** In a line record's header: the line's bytes are not valid UTF-8. */
const NOT_UTF8 = 1 << 30;
/** In a line record's header: no newline followed this piece of a line. */
const NO_NEWLINE = 0x80000000;
const LENGTH = NOT_UTF8 - 1;
const NEWLINE = 0x0a;
/** Lines shorter than this are copied in JavaScript (see written). */
const SHORT = 64;

/**
 * The output lines of an `l` frame (crates/core/src/wire/frames.rs): whose they are, then one
 * record per line (a u32 header, its bytes). Nothing is decoded until a line is asked for, so
 * lines kept for later stay as the frame's bytes, not as objects.
 */
export class LineRun {
  readonly node: string;
  readonly process: string;
  readonly stream: 'stdout' | 'stderr';
  /** How many lines. */
  readonly length: number;
  readonly #body: Buffer;
  /** Where each line's record starts (outside V8's heap, 4 bytes a line). */
  readonly #records: Uint32Array;

  /** `offsets` gives the room for the lines' offsets (the event log's block pool). */
  constructor(body: Buffer, offsets: (count: number) => Uint32Array = (count) => new Uint32Array(count)) {
    let at = 0;
    const text = (): string => {
      const length = body.readUInt32LE(at);
      at += 4 + length;
      return body.toString('utf8', at - length, at);
    };
    this.node = text();
    this.process = text();
    this.stream = body[at++] === 1 ? 'stderr' : 'stdout';
    const first = at;
    let count = 0;
    for (; at + 4 <= body.length; count++) at += 4 + (body.readUInt32LE(at) & LENGTH);
    if (at !== body.length) throw new Error('a line frame ends inside a line');
    this.#records = offsets(count);
    at = first;
    for (let i = 0; i < count; i++) {
      this.#records[i] = at;
      at += 4 + (body.readUInt32LE(at) & LENGTH);
    }
    this.#body = body;
    this.length = count;
  }

  /**
   * What the process wrote in these lines, byte for byte: each line, then its newline unless
   * it had none. No event objects and no decoding (what `pidns-tree test` keeps of a stream).
   */
  written(): Buffer {
    const body = this.#body;
    let size = 0;
    for (let i = 0; i < this.length; i++) {
      const header = body.readUInt32LE(this.#records[i]);
      size += (header & LENGTH) + ((header & NO_NEWLINE) === 0 ? 1 : 0);
    }
    const out = Buffer.allocUnsafe(size);
    let to = 0;
    for (let i = 0; i < this.length; i++) {
      const at = this.#records[i] as number;
      const header = body.readUInt32LE(at);
      const end = at + 4 + (header & LENGTH);
      // A short line byte by byte: a call into C++ per line costs more than its bytes.
      if (end - at < SHORT) for (let from = at + 4; from < end; from++) out[to++] = body[from] as number;
      else to += body.copy(out, to, at + 4, end);
      if ((header & NO_NEWLINE) === 0) out[to++] = NEWLINE;
    }
    return out;
  }

  /** Line `index` as the event `spawn --json` prints for it. */
  event(index: number): OutputEvent {
    const at = this.#records[index] as number;
    const body = this.#body;
    const header = body.readUInt32LE(at);
    const start = at + 4;
    const end = start + (header & LENGTH);
    // Node decodes bytes that are not UTF-8 as the collector's NDJSON does (Rust's
    // from_utf8_lossy): one U+FFFD for each maximal invalid subpart.
    const line = body.toString('utf8', start, end);
    if ((header & (NOT_UTF8 | NO_NEWLINE)) === 0) {
      return { event: 'output', node: this.node, process: this.process, stream: this.stream, line };
    }
    const event: { -readonly [K in keyof OutputEvent]: OutputEvent[K] } = {
      event: 'output',
      node: this.node,
      process: this.process,
      stream: this.stream,
      line,
    };
    if ((header & NOT_UTF8) !== 0) event.base64 = body.toString('base64', start, end);
    if ((header & NO_NEWLINE) !== 0) event.newline = false;
    return event;
  }
}

/** The events of an `e` or `l` frame; none for other kinds. */
export function frameEvents<T>(frame: Frame): (T | OutputEvent)[] {
  if (frame.kind === 'e') return parseEvents<T>(frame.body);
  if (frame.kind !== 'l') return [];
  const run = new LineRun(frame.body);
  return Array.from({ length: run.length }, (_, i) => run.event(i));
}
