// FileDevice: a BlockDevice over a regular file (made or extended to the size asked for) or a block
// device node (its size read from sysfs). Positional reads and gathered writes on one file descriptor
// (no concatenation of the caller's buffers); flush is fdatasync. Errors from the OS become CephErrors
// with the errno name and the path.
//
// Small writes are made on the calling thread (writevSync): a buffered write of a few KiB only copies
// into the page cache, a few microseconds, while handing it to libuv's thread pool costs two thread
// wake-ups (the worker, then the event loop for the callback), each of which waits for a CPU on a busy
// machine: a QD1 store transaction did four such round trips (data write, flush, journal write, flush).
// Small reads are made on the calling thread too (readSync) while they come from the page cache, for
// the same reason: a 4 KiB pread from the cache takes a few microseconds, the pool's round trip costs
// more (a futex wake of a worker, then the loop's wake-up: ~30% of an OSD's CPU per 4 KiB client read).
// A read from the disk would block the event loop instead, so INLINE_READ_SLOW_STREAK inline reads in a
// row slower than INLINE_READ_SLOW_MS turn them off for the next INLINE_READ_BACKOFF_READS reads (one
// slow read alone is more often the thread preempted on a busy machine: ~1 in 4,000 here at load 18).
// Large writes and reads and fdatasync still go through the pool.

import { close, constants, fdatasync, fdatasyncSync, fstat, ftruncate, open, promises as fsp, read, readSync, writev, writevSync, type BigIntStats } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { CephError, Errno, type ErrnoName } from '../errors.js';
import { qd1Stamp, qd1Trace } from '../qd1trace.js';
import { checkDeviceSize, checkRange, listBytes } from './mem.js';
import { BLOCK_BYTES, type BlockDevice } from './types.js';

export interface FileDeviceOptions {
  /** Device size in bytes (a multiple of BLOCK_BYTES). A regular file shorter than this is extended; a
   *  longer one keeps its bytes past it. Refused for a block device, whose size is its own. Without it a
   *  regular file's size (rounded down to BLOCK_BYTES) is the device size. */
  size?: number;
  /** Create the file when it is missing (ENOENT otherwise). */
  create?: boolean;
  /** Writes of at most this many bytes are made on the calling thread (0: every write goes through the thread pool). */
  inlineWriteBytesMax?: number;
  /** Reads of at most this many bytes are made on the calling thread while they are fast (0: every read goes through the thread pool). */
  inlineReadBytesMax?: number;
}

/** Default inlineWriteBytesMax: a KV journal record or a small object write; a 4 MiB write stays in the pool. */
export const INLINE_WRITE_BYTES_MAX = 64 * 1024;
/** Default inlineReadBytesMax: a small object read or a KV page; a 4 MiB read stays in the pool. */
export const INLINE_READ_BYTES_MAX = 64 * 1024;
/** An inline read slower than this did not come from the page cache (a page-cache copy of 64 KiB takes ~20 us). */
export const INLINE_READ_SLOW_MS = 1;
/** Slow inline reads in a row that send small reads to the pool. */
export const INLINE_READ_SLOW_STREAK = 2;
/** Reads that go through the pool after slow inline reads, before inline reads are tried again. */
export const INLINE_READ_BACKOFF_READS = 1024;

/** A CephError from a node:fs error: its errno name when Ceph knows it (EIO otherwise), and the path. */
export function fsError(err: unknown, path: string, what: string): CephError {
  if (err instanceof CephError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const name: ErrnoName = code !== undefined && code in Errno ? (code as ErrnoName) : 'EIO';
  const text = err instanceof Error ? err.message : String(err);
  return new CephError(name, `${path}: ${what} failed: ${text}`);
}

/** Linux's major/minor split of a dev_t (glibc's gnu_dev_major/minor). */
function devNumbers(rdev: bigint): [number, number] {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

/** A block device's size in bytes: /sys/dev/block/MAJ:MIN/size counts 512-byte sectors whatever the
 *  device's logical block size. */
async function blockDeviceBytes(path: string, st: BigIntStats): Promise<number> {
  const [major, minor] = devNumbers(st.rdev);
  const sysPath = `/sys/dev/block/${major}:${minor}/size`;
  let text: string;
  try {
    text = await fsp.readFile(sysPath, 'utf8');
  } catch (err) {
    throw fsError(err, path, `reading its size from ${sysPath}`);
  }
  const sectors = Number(text.trim());
  if (!Number.isSafeInteger(sectors) || sectors < 0) {
    throw new CephError('EIO', `${path}: ${sysPath} holds '${text.trim()}', not a sector count`);
  }
  return sectors * 512;
}

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const ftruncateAsync = promisify(ftruncate);

function datasync(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function closeFd(fd: number): Promise<void> {
  return new Promise<void>((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

export class FileDevice implements BlockDevice {
  readonly size: number;
  readonly name: string;
  /** True when the path is a block device node. */
  readonly isBlockDevice: boolean;
  /** The file descriptor, -1 once closed. */
  private fd: number;
  private readonly inlineWriteBytesMax: number;
  private readonly inlineReadBytesMax: number;
  /** Slow inline reads in a row, and small reads left to send through the pool after such a streak. */
  private inlineReadSlow = 0;
  private inlineReadBackoff = 0;

  private constructor(fd: number, path: string, size: number, isBlockDevice: boolean, inline: { write: number; read: number }) {
    this.fd = fd;
    this.name = path;
    this.size = size;
    this.isBlockDevice = isBlockDevice;
    this.inlineWriteBytesMax = inline.write;
    this.inlineReadBytesMax = inline.read;
  }

  static async open(path: string, opts: FileDeviceOptions = {}): Promise<FileDevice> {
    if (opts.size !== undefined) checkDeviceSize(path, opts.size);
    const inline = { write: opts.inlineWriteBytesMax ?? INLINE_WRITE_BYTES_MAX, read: opts.inlineReadBytesMax ?? INLINE_READ_BYTES_MAX };
    if (!Number.isSafeInteger(inline.write) || inline.write < 0) throw new CephError('EINVAL', `${path}: bad inlineWriteBytesMax ${inline.write}`);
    if (!Number.isSafeInteger(inline.read) || inline.read < 0) throw new CephError('EINVAL', `${path}: bad inlineReadBytesMax ${inline.read}`);
    const flags = constants.O_RDWR | (opts.create ? constants.O_CREAT : 0);
    let fd: number;
    try {
      fd = await openAsync(path, flags, 0o644);
    } catch (err) {
      throw fsError(err, path, 'open');
    }
    try {
      let st: BigIntStats;
      try {
        st = await fstatAsync(fd, { bigint: true });
      } catch (err) {
        throw fsError(err, path, 'stat');
      }
      if (st.isBlockDevice()) {
        if (opts.size !== undefined) {
          throw new CephError('EINVAL', `${path}: is a block device; its size is its own, do not pass a size`);
        }
        const bytes = await blockDeviceBytes(path, st);
        const size = bytes - (bytes % BLOCK_BYTES);
        if (size === 0) throw new CephError('EINVAL', `${path}: block device of ${bytes} bytes is too small`);
        return new FileDevice(fd, path, size, true, inline);
      }
      if (!st.isFile()) throw new CephError('EINVAL', `${path}: neither a regular file nor a block device`);
      const fileBytes = Number(st.size);
      let size: number;
      if (opts.size !== undefined) {
        size = opts.size;
        if (fileBytes < size) {
          try {
            await ftruncateAsync(fd, size);
            await datasync(fd);
          } catch (err) {
            throw fsError(err, path, `extending to ${size} bytes`);
          }
        }
      } else {
        size = fileBytes - (fileBytes % BLOCK_BYTES);
        if (size === 0) {
          throw new CephError('EINVAL', `${path}: file of ${fileBytes} bytes holds no whole ${BLOCK_BYTES}-byte block; give a size`);
        }
      }
      return new FileDevice(fd, path, size, false, inline);
    } catch (err) {
      await closeFd(fd).catch(() => undefined);
      throw err;
    }
  }

  read(offset: number, length: number): Promise<Buffer> {
    let into: Buffer;
    try {
      checkRange(this.name, 'read', offset, length, this.size);
      into = Buffer.allocUnsafe(length);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.readInto(offset, into).then(() => into);
  }

  readInto(offset: number, into: Buffer): Promise<void> {
    let fd: number;
    try {
      fd = this.handle();
      checkRange(this.name, 'read', offset, into.length, this.size);
    } catch (err) {
      return Promise.reject(err);
    }
    if (into.length === 0) return Promise.resolve();
    if (into.length <= this.inlineReadBytesMax) {
      if (this.inlineReadBackoff === 0) return this.readInline(fd, offset, into);
      this.inlineReadBackoff--;
    }
    return new Promise<void>((resolve, reject) => {
      const name = this.name;
      let done = 0;
      const step = (err: NodeJS.ErrnoException | null, n: number): void => {
        if (err) return reject(fsError(err, name, `read of ${into.length} bytes at ${offset}`));
        // Zero bytes: past the end of a file someone shortened under us; the data is gone.
        if (n === 0) return reject(new CephError('EIO', `${name}: read of ${into.length} bytes at ${offset} ended at ${offset + done}`));
        done += n;
        if (done < into.length) read(fd, into, done, into.length - done, offset + done, step);
        else resolve();
      };
      read(fd, into, 0, into.length, offset, step);
    });
  }

  /** A small read on the calling thread; slow ones in a row (the disk, not the page cache) send the next ones to the pool. */
  private readInline(fd: number, offset: number, into: Buffer): Promise<void> {
    const start = performance.now();
    let done = 0;
    try {
      while (done < into.length) {
        const n = readSync(fd, into, done, into.length - done, offset + done);
        if (n === 0) throw new CephError('EIO', `${this.name}: read of ${into.length} bytes at ${offset} ended at ${offset + done}`);
        done += n;
      }
    } catch (err) {
      return Promise.reject(fsError(err, this.name, `read of ${into.length} bytes at ${offset}`));
    }
    if (performance.now() - start <= INLINE_READ_SLOW_MS) this.inlineReadSlow = 0;
    else if (++this.inlineReadSlow >= INLINE_READ_SLOW_STREAK) {
      this.inlineReadSlow = 0;
      this.inlineReadBackoff = INLINE_READ_BACKOFF_READS;
    }
    return Promise.resolve();
  }

  write(offset: number, data: readonly Buffer[]): Promise<void> {
    let fd: number;
    let total: number;
    try {
      fd = this.handle();
      total = listBytes(data);
      checkRange(this.name, 'write', offset, total, this.size);
    } catch (err) {
      return Promise.reject(err);
    }
    if (total === 0) return Promise.resolve();
    if (total <= this.inlineWriteBytesMax) {
      if (qd1Trace) qd1Stamp('dev.write.inline');
      try {
        let done = writevSync(fd, data as Buffer[], offset);
        while (done < total) {
          const n = writevSync(fd, remainder(data, done), offset + done);
          if (n === 0) throw new CephError('EIO', `${this.name}: write at ${offset + done} made no progress`);
          done += n;
        }
      } catch (err) {
        return Promise.reject(fsError(err, this.name, `write of ${total} bytes at ${offset}`));
      }
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const name = this.name;
      let done = 0;
      const step = (err: NodeJS.ErrnoException | null, n: number): void => {
        if (err) return reject(fsError(err, name, `write of ${total} bytes at ${offset}`));
        if (n === 0) return reject(new CephError('EIO', `${name}: write at ${offset + done} made no progress`));
        done += n;
        // A short write (rare: a signal, a full disk) goes on with the buffers' remainder.
        if (done < total) writev(fd, remainder(data, done), offset + done, step);
        else resolve();
      };
      writev(fd, data as Buffer[], offset, step);
    });
  }

  async flush(): Promise<void> {
    const fd = this.handle();
    if (qd1Trace) qd1Stamp('dev.fdatasync');
    try {
      await datasync(fd);
      if (qd1Trace) qd1Stamp('dev.fdatasync.done');
    } catch (err) {
      throw fsError(err, this.name, 'fdatasync');
    }
  }

  flushSync(): void {
    const fd = this.handle();
    if (qd1Trace) qd1Stamp('dev.fdatasync:inline');
    try {
      fdatasyncSync(fd);
    } catch (err) {
      throw fsError(err, this.name, 'fdatasync');
    }
    if (qd1Trace) qd1Stamp('dev.fdatasync.done');
  }

  async close(): Promise<void> {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    try {
      await closeFd(fd);
    } catch (err) {
      throw fsError(err, this.name, 'close');
    }
  }

  private handle(): number {
    if (this.fd < 0) throw new CephError('EBADF', `${this.name}: device is closed`);
    return this.fd;
  }
}

/** The buffers after the first `skip` bytes (views, no copies). */
function remainder(data: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of data) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
