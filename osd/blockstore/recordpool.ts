// Reused buffers for BlockStore's deferred records (the journaled blocks of one KV group, ~131 KiB for
// a group of 32 4 KiB overwrites). A fresh buffer per group is a large allocation glibc maps and the
// kernel zero-fills page by page, and off-heap memory that drives V8 to collect early; a reused one
// costs neither.
//
// Who owns a record buffer when (BlockStore's deferred path; the code that relies on each step says so):
//   1. take(): the group's DeferredRecord owns it alone (submitMerged).
//   2. The record is encoded into it and handed to the KV engine's submit(). The KV contract: the engine
//      takes what it keeps of a batch before submit() returns (DeviceKV encodes the batch into a buffer
//      of its own, MemKV copies), so from then on the KV holds no view of it.
//   3. Views of its blocks are the pendingBlocks entries (reads copy out of them: readRun and
//      readBlocks never hand a view of a deferred block to anyone) and the in-place writes (devices copy
//      or finish with a buffer before their write resolves).
//   4. kickDeferred removes a job's pendingBlocks entries after its in-place writes resolved; when the
//      record's last job has gone through, nothing references the buffer and it is given back.
// A buffer never given back (a failed store, an umount with jobs queued) is left to the GC: losing one
// is safe, giving one back early is not.

import { BufferPool } from '../../common/bufpool.js';
import {
  DEFERRED_RECORD_POOL_BUFFER_BYTES_MAX, DEFERRED_RECORD_POOL_BUFFER_BYTES_MIN, DEFERRED_RECORD_POOL_FREE_PER_CLASS,
} from './core/limits.js';

export class DeferredRecordPool {
  /** Pool k holds buffers of DEFERRED_RECORD_POOL_BUFFER_BYTES_MIN << k bytes. */
  private readonly classes: BufferPool[] = [];

  constructor() {
    for (let bytes = DEFERRED_RECORD_POOL_BUFFER_BYTES_MIN; bytes <= DEFERRED_RECORD_POOL_BUFFER_BYTES_MAX; bytes *= 2) {
      this.classes.push(new BufferPool(bytes, bytes * DEFERRED_RECORD_POOL_FREE_PER_CLASS));
    }
  }

  private classOf(bytes: number): BufferPool | undefined {
    for (const p of this.classes) if (p.bufferBytes >= bytes) return p;
    return undefined;
  }

  /** A buffer of at least `bytes` that nothing else references (contents undefined); the caller owns it. */
  take(bytes: number): Buffer {
    const p = this.classOf(bytes);
    return p === undefined ? Buffer.allocUnsafeSlow(bytes) : p.acquire();
  }

  /** Give back a buffer from take() once nothing references its bytes (a buffer of no class is dropped). */
  give(buf: Buffer): void {
    const p = this.classOf(buf.length);
    if (p !== undefined && p.bufferBytes === buf.length) p.release(buf);
  }

  /** Buffers handed out again instead of allocated (tests and benchmarks read it). */
  get reused(): number {
    let n = 0;
    for (const p of this.classes) n += p.reused;
    return n;
  }
}
