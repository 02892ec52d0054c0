// The page area's allocator: one bit per 4 KiB page (1 = in use), next-fit for runs of contiguous
// pages. It is not persisted: the shell rebuilds it at open by walking the tree (see docs/kv.md). Pure.

import { assert } from '../../errors.js';

export class PageAllocator {
  private readonly bits: Uint32Array;
  /** Pages not in use. */
  free: number;
  private cursor = 0;

  constructor(readonly pageCount: number) {
    this.bits = new Uint32Array(Math.ceil(pageCount / 32));
    this.free = pageCount;
  }

  isUsed(i: number): boolean {
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Mark a run in use; false if it leaves the area or any page of it was already in use (nothing changes then). */
  markUsed(slot: number, pages: number): boolean {
    if (slot < 0 || pages < 1 || slot + pages > this.pageCount) return false;
    for (let i = slot; i < slot + pages; i++) if (this.isUsed(i)) return false;
    for (let i = slot; i < slot + pages; i++) this.bits[i >>> 5]! |= 1 << (i & 31);
    this.free -= pages;
    return true;
  }

  release(slot: number, pages: number): void {
    for (let i = slot; i < slot + pages; i++) {
      assert(this.isUsed(i), `kv page ${i} freed twice`);
      this.bits[i >>> 5]! &= ~(1 << (i & 31));
    }
    this.free += pages;
  }

  /** First run of `pages` free pages at or after the cursor (wrapping), marked in use; -1 if none. */
  alloc(pages: number): number {
    if (pages > this.free) return -1;
    const n = this.pageCount;
    let run = 0;
    let start = this.cursor;
    let i = this.cursor;
    let scanned = 0;
    while (scanned < n + pages) {
      if (i >= n) {
        i = 0;
        run = 0;
      }
      if (run === 0 && (i & 31) === 0 && this.bits[i >>> 5] === 0xffffffff) {
        i += 32;
        scanned += 32;
        continue;
      }
      if (this.isUsed(i)) run = 0;
      else {
        if (run === 0) start = i;
        if (++run === pages) {
          this.markUsed(start, pages);
          this.cursor = start + pages >= n ? 0 : start + pages;
          return start;
        }
      }
      i++;
      scanned++;
    }
    return -1;
  }
}
