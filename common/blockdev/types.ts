// The block device contract the KV engine and BlockStore write to: a fixed-size array of bytes with
// positional reads and writes and a flush barrier. Implementations: FileDevice (a regular file or a
// block device node), MemDevice (RAM), FaultyDevice (RAM that loses, tears and flips on demand).
//
// Durability rule, the one every crash test holds a store to: a write is durable once a flush() that
// was called after the write's promise resolved has itself resolved. A write not covered that way may
// be lost whole, or torn at a SECTOR_BYTES boundary (some sectors new, the rest old), after a crash.

/** The unit a write can tear at. */
export const SECTOR_BYTES = 512;
/** The unit stores allocate and checksum in; offsets and lengths handed to devices are multiples of it. */
export const BLOCK_BYTES = 4096;

export interface BlockDevice {
  /** Device size in bytes (a multiple of BLOCK_BYTES). */
  readonly size: number;
  /** A name for messages: the path, or 'mem'. */
  readonly name: string;
  /** Read `length` bytes at `offset` (both multiples of SECTOR_BYTES). EIO on a device error. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Read into a caller's buffer (no allocation). */
  readInto(offset: number, into: Buffer): Promise<void>;
  /** Write the buffers back to back at `offset` (a multiple of SECTOR_BYTES, total length too). Resolves once the device has the data (not yet durable). */
  write(offset: number, data: readonly Buffer[]): Promise<void>;
  /** Make every write that resolved before this call durable. */
  flush(): Promise<void>;
  /**
   * flush() made on the calling thread, blocking it until the device has the writes durable (an
   * fdatasync without the thread pool's two wake-ups); for a caller with nothing else to do meanwhile.
   * Optional: a device without it is flushed with flush().
   */
  flushSync?(): void;
  close(): Promise<void>;
}
