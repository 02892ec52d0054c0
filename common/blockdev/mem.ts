// MemDevice: a block device in RAM. Every write is durable at once (there is no cache to lose), so it
// suits unit tests and simulations that do not crash; FaultyDevice is the one that models a crash.
// checkRange holds the argument rules every device shares.

import { CephError } from '../errors.js';
import { BLOCK_BYTES, SECTOR_BYTES, type BlockDevice } from './types.js';

/** EINVAL unless [offset, offset+length) is sector-aligned and inside a device of `size` bytes. */
export function checkRange(name: string, what: string, offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % SECTOR_BYTES !== 0) {
    throw new CephError('EINVAL', `${name}: ${what} offset ${offset} is not a non-negative multiple of ${SECTOR_BYTES}`);
  }
  if (!Number.isSafeInteger(length) || length < 0 || length % SECTOR_BYTES !== 0) {
    throw new CephError('EINVAL', `${name}: ${what} length ${length} is not a non-negative multiple of ${SECTOR_BYTES}`);
  }
  if (offset + length > size) {
    throw new CephError('EINVAL', `${name}: ${what} of ${length} bytes at ${offset} ends past the device's ${size} bytes`);
  }
}

/** EINVAL unless `size` is a positive multiple of BLOCK_BYTES. */
export function checkDeviceSize(name: string, size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0 || size % BLOCK_BYTES !== 0) {
    throw new CephError('EINVAL', `${name}: device size ${size} is not a positive multiple of ${BLOCK_BYTES}`);
  }
}

/** Total bytes of a buffer list. */
export function listBytes(data: readonly Buffer[]): number {
  let n = 0;
  for (const b of data) n += b.length;
  return n;
}

export class MemDevice implements BlockDevice {
  readonly size: number;
  readonly name: string;
  private image: Buffer;
  private closed = false;

  /** A zeroed device of `size` bytes, or one over `image` (used as is, not copied) when given. */
  constructor(size: number, image?: Buffer, name = 'mem') {
    checkDeviceSize(name, size);
    if (image !== undefined && image.length !== size) {
      throw new CephError('EINVAL', `${name}: image of ${image.length} bytes for a device of ${size}`);
    }
    this.size = size;
    this.name = name;
    this.image = image ?? Buffer.alloc(size);
  }

  /** A device over a copy of `image` (a crash image, say). */
  static fromImage(image: Buffer, name = 'mem'): MemDevice {
    return new MemDevice(image.length, Buffer.from(image), name);
  }

  /** The device's bytes (a live view, not a copy). */
  get bytes(): Buffer {
    return this.image;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.checkOpen();
    checkRange(this.name, 'read', offset, length, this.size);
    return Buffer.from(this.image.subarray(offset, offset + length));
  }

  async readInto(offset: number, into: Buffer): Promise<void> {
    this.checkOpen();
    checkRange(this.name, 'read', offset, into.length, this.size);
    this.image.copy(into, 0, offset, offset + into.length);
  }

  async write(offset: number, data: readonly Buffer[]): Promise<void> {
    this.checkOpen();
    checkRange(this.name, 'write', offset, listBytes(data), this.size);
    let at = offset;
    for (const b of data) {
      b.copy(this.image, at);
      at += b.length;
    }
  }

  async flush(): Promise<void> {
    this.checkOpen();
  }

  /** flush() on the calling thread (BlockStore's inline KV flush takes this path on a MemDevice too). */
  flushSync(): void {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new CephError('EBADF', `${this.name}: device is closed`);
  }
}
