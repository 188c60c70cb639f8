/**
 * The collector's frames (frames.ts) as the event log reads them: each copied into the log's
 * block pool as soon as it is complete, so that no Buffer the socket handed us outlives the
 * moment it came (see block-pool.ts for why that matters). While the log is not taking frames
 * (a reader lags), at most QUEUED bytes of them wait here; then the socket is paused and the
 * tree's processes wait on their pipes: nothing is lost.
 */
import type { Readable } from 'node:stream';

import type { FrameKind } from './frames.js';
import type { BlockPool, Stored } from './block-pool.js';

export interface StoredFrame extends Stored {
  readonly kind: FrameKind;
}

const HEADER = 5;
const QUEUED = 1 << 20;

/** Every frame of the stream, in order, copied into `pool`: release each when done with it. */
export async function* readStoredFrames(
  input: Readable,
  pool: BlockPool,
): AsyncGenerator<StoredFrame, void, undefined> {
  const queue: StoredFrame[] = [];
  let queued = 0;
  // What came of a frame not yet complete.
  let partial = Buffer.allocUnsafeSlow(64 * 1024);
  let filled = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const frames = (bytes: Buffer, from: number, to: number): number => {
    let at = from;
    while (to - at >= HEADER) {
      const size = HEADER + bytes.readUInt32LE(at + 1);
      if (to - at < size) break;
      const stored = pool.copy(bytes, at + HEADER, at + size);
      queue.push({ kind: String.fromCharCode(bytes[at] ?? 0) as FrameKind, bytes: stored.bytes, block: stored.block });
      queued += size;
      at += size;
    }
    return at;
  };
  const onData = (chunk: Buffer): void => {
    let bytes = chunk;
    let to = chunk.length;
    if (filled > 0) {
      // A frame began in an earlier chunk: go on from there.
      if (filled + chunk.length > partial.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(filled + chunk.length, partial.length * 2));
        partial.copy(bigger, 0, 0, filled);
        partial = bigger;
      }
      chunk.copy(partial, filled);
      bytes = partial;
      to = filled + chunk.length;
    }
    const at = frames(bytes, 0, to);
    filled = to - at;
    if (bytes === partial) partial.copyWithin(0, at, to);
    else if (filled > 0) {
      if (filled > partial.length) partial = Buffer.allocUnsafeSlow(Math.max(filled, partial.length * 2));
      chunk.copy(partial, 0, at);
    }
    if (queued >= QUEUED) input.pause();
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  const onError = (error: Error): void => {
    failure = error;
    wake?.();
  };
  input.on('data', onData);
  input.once('end', onEnd);
  input.once('close', onEnd);
  input.once('error', onError);
  try {
    for (;;) {
      const frame = queue.shift();
      if (frame !== undefined) {
        queued -= HEADER + frame.bytes.length;
        if (queued < QUEUED / 2 && input.isPaused()) input.resume();
        yield frame;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (ended) {
        if (filled > 0) throw new Error(`the event stream ended inside a frame (${filled} bytes left)`);
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    input.off('data', onData);
    input.off('end', onEnd);
    input.off('close', onEnd);
    input.off('error', onError);
  }
}
