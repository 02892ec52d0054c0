// A pool of large fixed-size Buffers for read results that leave the process soon (an OSD's 4 MiB
// client reads). A fresh 4 MiB Buffer costs page faults on first touch (glibc maps it: see
// bin/daemon-memory.ts) and lives until V8's next full GC; a reused one costs neither.
//
// Ownership: acquire() hands out a Buffer the caller owns alone; release(b) gives it back, and the
// caller promises that nothing references its bytes any more (the messenger's write to the socket has
// finished). A Buffer never released is simply left to the GC: losing one is safe, releasing one still
// in use is not, so a caller that is unsure does not release. The pool keeps at most
// `bytesMax` bytes of free Buffers and allocates when it has none (it never makes a caller wait).

import { assert } from './errors.js';

/** Size of each pooled Buffer: a rados bench / RBD object (reads of fewer blocks fit in it too). */
export const READ_POOL_BUFFER_BYTES = 4 * 1024 * 1024;
/** Reads smaller than this take a fresh Buffer (the pool is for the ones glibc would mmap). */
export const READ_POOL_READ_BYTES_MIN = 1024 * 1024;
/** Most bytes of free Buffers one pool keeps (16 x 4 MiB per OSD). */
export const READ_POOL_BYTES_MAX = 64 * 1024 * 1024;

assert(READ_POOL_READ_BYTES_MIN <= READ_POOL_BUFFER_BYTES, 'a pooled read fits in a pooled buffer');
assert(READ_POOL_BYTES_MAX >= READ_POOL_BUFFER_BYTES, 'the pool holds at least one buffer');

export class BufferPool {
  private readonly free: Buffer[] = [];
  /** The free Buffers again, to catch a double release (a bug that would hand one Buffer out twice). */
  private readonly freeSet = new Set<Buffer>();
  /** Counters (tests and benchmarks read them). */
  acquired = 0;
  reused = 0;
  released = 0;

  constructor(readonly bufferBytes: number = READ_POOL_BUFFER_BYTES, readonly bytesMax: number = READ_POOL_BYTES_MAX) {
    assert(bufferBytes > 0 && bytesMax >= bufferBytes, 'a pool holds at least one buffer');
  }

  get freeCount(): number {
    return this.free.length;
  }

  /** A Buffer of bufferBytes that nothing else references (contents undefined). */
  acquire(): Buffer {
    this.acquired++;
    const b = this.free.pop();
    if (b !== undefined) {
      this.freeSet.delete(b);
      this.reused++;
      return b;
    }
    return Buffer.allocUnsafeSlow(this.bufferBytes);
  }

  /** Give back a Buffer from acquire() that nothing references any more. */
  release(b: Buffer): void {
    assert(b.length === this.bufferBytes && b.byteOffset === 0, 'only whole pooled buffers come back');
    assert(!this.freeSet.has(b), 'a pooled buffer released twice');
    this.released++;
    if ((this.free.length + 1) * this.bufferBytes > this.bytesMax) return;
    this.free.push(b);
    this.freeSet.add(b);
  }
}

/** A read result whose bytes may live in a pooled Buffer: call release() once nothing references `data`. */
export interface PooledRead {
  data: Buffer;
  /** Returns the backing Buffer to its pool (at most once); null when `data` is not pooled. */
  release: (() => void) | null;
}

/** A one-shot release of `b` to `pool` (a second call is a no-op, never a second release). */
export function releaser(pool: BufferPool, b: Buffer): () => void {
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    pool.release(b);
  };
}
