// The data region's space allocator: one bit per 4 KiB block (1 = in use), handed out next-fit from a
// moving cursor so that consecutive allocations on a fresh device are contiguous. Not persisted: mount
// rebuilds it from the extent maps, so it cannot disagree with the metadata.
//
// Blocks freed by a transaction come back here only after that transaction is durable and after every
// deferred write issued before it has reached the device (the shell orders that); the allocator itself
// only counts.

import { CephError, assert } from '../../../common/errors.js';

export interface BlockRun {
  /** Device block number (byte offset / BLOCK_BYTES). */
  readonly start: number;
  readonly length: number;
}

export class Allocator {
  private readonly words: Uint32Array;
  private cursor = 0;
  private freeCount: number;

  /** Blocks [firstBlock, firstBlock + blockCount) of the device, all free. */
  constructor(readonly firstBlock: number, readonly blockCount: number) {
    assert(Number.isSafeInteger(firstBlock) && firstBlock > 0 && blockCount > 0, 'allocator range');
    this.words = new Uint32Array(Math.ceil(blockCount / 32));
    this.freeCount = blockCount;
    // Bits past the end count as used so scans never hand them out.
    const tail = blockCount % 32;
    if (tail) this.words[this.words.length - 1] = ~((1 << tail) - 1) >>> 0;
  }

  get free(): number {
    return this.freeCount;
  }

  get used(): number {
    return this.blockCount - this.freeCount;
  }

  /** True when `pblock` lies in the region. */
  contains(pblock: number): boolean {
    return pblock >= this.firstBlock && pblock < this.firstBlock + this.blockCount;
  }

  isUsed(pblock: number): boolean {
    const i = pblock - this.firstBlock;
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  /** Mark one block used (mount's rebuild, fsck). False when it was already used or is outside the region. */
  claim(pblock: number): boolean {
    if (!this.contains(pblock)) return false;
    const i = pblock - this.firstBlock;
    const bit = 1 << (i & 31);
    const w = this.words[i >>> 5]!;
    if (w & bit) return false;
    this.words[i >>> 5] = (w | bit) >>> 0;
    this.freeCount--;
    return true;
  }

  /** `count` blocks as few runs as next-fit finds; ENOSPC (nothing taken) when fewer are free. */
  allocate(count: number): BlockRun[] {
    assert(Number.isSafeInteger(count) && count > 0, 'allocate a positive count');
    if (count > this.freeCount) {
      throw new CephError('ENOSPC', `blockstore: ${count} blocks wanted, ${this.freeCount} free`);
    }
    const runs: BlockRun[] = [];
    let remaining = count;
    let pos = this.cursor;
    while (remaining > 0) {
      const start = this.nextFree(pos);
      assert(start >= 0, 'free count says a block is free');
      let end = start;
      while (end < this.blockCount && end - start < remaining && !this.bit(end)) end++;
      for (let i = start; i < end; i++) this.words[i >>> 5] = (this.words[i >>> 5]! | (1 << (i & 31))) >>> 0;
      runs.push({ start: this.firstBlock + start, length: end - start });
      remaining -= end - start;
      this.freeCount -= end - start;
      pos = end >= this.blockCount ? 0 : end;
    }
    this.cursor = pos;
    return runs;
  }

  /** Give blocks back. Asserts each was in use (a double free is a bug). */
  release(start: number, length = 1): void {
    for (let b = start; b < start + length; b++) {
      // The messages are built only on failure: this runs once per block freed.
      if (!this.contains(b)) assert(false, `release of block ${b} outside the data region`);
      const i = b - this.firstBlock;
      const bit = 1 << (i & 31);
      const w = this.words[i >>> 5]!;
      if ((w & bit) === 0) assert(false, `double free of block ${b}`);
      this.words[i >>> 5] = (w & ~bit) >>> 0;
      this.freeCount++;
    }
  }

  private bit(i: number): boolean {
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  /** Index of the first free block at or after `from`, wrapping once; -1 when none. */
  private nextFree(from: number): number {
    const n = this.words.length;
    let wi = from >>> 5;
    // First (partial) word.
    let w = (this.words[wi]! | ((1 << (from & 31)) - 1)) >>> 0;
    for (let step = 0; step <= n; step++) {
      if (w !== 0xffffffff) {
        const inv = ~w >>> 0;
        const bit = 31 - Math.clz32(inv & -inv);
        return wi * 32 + bit;
      }
      wi = wi + 1 === n ? 0 : wi + 1;
      w = this.words[wi]!;
    }
    return -1;
  }
}
