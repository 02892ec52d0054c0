// A write's data as the caller gave it: a list of Buffers (views of the messenger's read chunks, say)
// read front to back as one run of bytes, never joined. BlockStore's planner takes each whole 4 KiB
// block as a view of the one piece that holds it and copies only the blocks that straddle a piece
// boundary (and the partial head and tail blocks it merges with old data anyway), so a 4 MiB write
// costs a few small copies instead of one 4 MiB allocation and copy. tests: test/blockstore/pieces.test.ts.

/** Reads `pieces` as one run of bytes; positions asked for never go backwards (a forward cursor). */
export class PieceCursor {
  private index = 0;
  /** Position of pieces[index]'s first byte in the run. */
  private base = 0;

  constructor(private readonly pieces: readonly Buffer[]) {}

  /** Move to the piece holding byte `pos` (past empty pieces). */
  private seek(pos: number): void {
    const ps = this.pieces;
    while (this.index < ps.length && this.base + ps[this.index]!.length <= pos) this.base += ps[this.index++]!.length;
  }

  /** A view of [start, end) when one piece holds all of it, else undefined. `start < end`. */
  view(start: number, end: number): Buffer | undefined {
    this.seek(start);
    const p = this.pieces[this.index];
    if (p === undefined || end > this.base + p.length) return undefined;
    return p.subarray(start - this.base, end - this.base);
  }

  /** Copy [start, end) of the run into `target` at `at`. */
  copy(start: number, end: number, target: Buffer, at: number): void {
    this.seek(start);
    const ps = this.pieces;
    let i = this.index;
    let base = this.base;
    let pos = start;
    while (pos < end) {
      const p = ps[i]!;
      const e = Math.min(p.length, end - base);
      if (e > pos - base) {
        p.copy(target, at, pos - base, e);
        at += e - (pos - base);
        pos = base + e;
      }
      base += p.length;
      i++;
    }
  }
}
