/**
 * Memory the API's event log reuses for the bytes it keeps (frames, their line offsets).
 *
 * Why not keep the Buffers a socket hands us: each is memory of its own outside V8's heap, and
 * one that lives a little while (a reader lags, lines are kept for replay) outlives the young
 * generation; it is then freed only by a full collection, which V8 starts for such memory
 * after about 64 MB of it. A flood would hold that much dead memory at all times. Copied into
 * blocks that are used again and again, what is kept costs its size, and what the socket hands
 * us dies young.
 */

/** A block of memory; the bytes given out of it are in use until each is released. */
export interface Block {
  readonly bytes: Buffer;
  refs: number;
}

/** Stored bytes, and the block to release them to. */
export interface Stored {
  readonly bytes: Buffer;
  readonly block: Block;
}

const BLOCK_SIZE = 1 << 20;
/** Free blocks kept for later: more only after a burst (output held while the tree started). */
const FREE_KEPT = 4;

export class BlockPool {
  #current: Block | undefined;
  #used = 0;
  readonly #free: Block[] = [];

  /** Space for `size` bytes, at a multiple of 4 (for a Uint32Array view), in use until released. */
  take(size: number): Stored {
    let at = (this.#used + 3) & ~3;
    let block = this.#current;
    if (block === undefined || at + size > block.bytes.length) {
      if (size > BLOCK_SIZE) {
        // A frame bigger than a block (the collector's are at most ~320 KiB): a block of its own.
        block = { bytes: Buffer.allocUnsafeSlow(size), refs: 0 };
        block.refs += 1;
        return { bytes: block.bytes, block };
      }
      if (block !== undefined && block.refs === 0) this.#keep(block);
      block = this.#free.pop() ?? { bytes: Buffer.allocUnsafeSlow(BLOCK_SIZE), refs: 0 };
      this.#current = block;
      at = 0;
    }
    this.#used = at + size;
    block.refs += 1;
    return { bytes: block.bytes.subarray(at, at + size), block };
  }

  /** A copy of `source[start, end)`, in use until released. */
  copy(source: Buffer, start: number, end: number): Stored {
    const stored = this.take(end - start);
    source.copy(stored.bytes, 0, start, end);
    return stored;
  }

  release(block: Block): void {
    if (--block.refs > 0) return;
    if (block === this.#current) this.#used = 0;
    else this.#keep(block);
  }

  #keep(block: Block): void {
    if (block.bytes.length === BLOCK_SIZE && this.#free.length < FREE_KEPT) this.#free.push(block);
  }
}
