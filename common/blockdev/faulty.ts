// FaultyDevice: a RAM block device with a volatile write cache, for crash tests. It keeps the durable
// image (what survives a power cut) and the writes made since, each of which a completed flush moves
// into the durable image. A crash keeps each write not yet covered by a completed flush whole, drops
// it, or tears it at SECTOR_BYTES boundaries (a prefix of its sectors lands, or any subset), each
// write's fate drawn from the caller's seeded rng, so a seed replays the same crash. It also flips bits
// on demand, fails reads, writes or flushes with EIO, and counts what it did.
//
// Reads always see the latest writes, flushed or not. One image is kept, plus each unflushed write's
// bytes and the bytes it replaced, so a crash costs no copy of the device. After crash() (or when a crashAfter() countdown
// runs out) the device is dead: every later call's promise stays pending forever, as a process that
// lost its disk would wait, so nothing the store does afterwards can reach the crash image.

import { CephError } from '../errors.js';
import { checkDeviceSize, checkRange, listBytes } from './mem.js';
import { SECTOR_BYTES, type BlockDevice } from './types.js';

/** The seeded source of randomness a FaultyDevice draws its faults from (test/support/rng.ts's Rng). */
export interface FaultRng {
  /** A number in [0, 1). */
  next(): number;
}

export interface FaultyDeviceOptions {
  /** Start from these bytes (copied) instead of zeros; the device size is then the image's length. */
  image?: Buffer;
  /** Take `image` as the device's own buffer instead of copying it (a crash image handed over). */
  adopt?: boolean;
  name?: string;
  /**
   * A flush completes one event-loop turn after its call (default true), so a crash can fall between a
   * flush's call and its completion. False: a flush completes within the microtask of its call.
   */
  asyncFlush?: boolean;
  /** Reads and writes complete after 0-2 event-loop turns drawn from the rng (default false), so
   *  their completions reorder. */
  jitter?: boolean;
}

export interface FaultyDeviceStats {
  reads: number;
  writes: number;
  flushes: number;
  bytesRead: number;
  bytesWritten: number;
}

/** What a crash did to the writes it found unflushed. */
export interface CrashFates {
  kept: number;
  dropped: number;
  /** Torn: only a leading run of the write's sectors landed. */
  prefix: number;
  /** Torn: a random subset of the write's sectors landed. */
  torn: number;
}

interface PendingWrite {
  readonly seq: number;
  readonly offset: number;
  /** The bytes written. */
  readonly data: Buffer;
  /** The bytes they replaced: undoing the pending writes newest first gives the durable image. */
  readonly undo: Buffer;
}

/**
 * Settles never: what a dead device gives back. A fresh promise per call: one shared promise would hold
 * every continuation ever attached to it (and the dead store each one captures) for the rest of the
 * process — long crash runs grew to 12 GiB that way and thrashed the machine.
 */
function hang(): Promise<never> {
  return new Promise<never>(() => undefined);
}

function turn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

export class FaultyDevice implements BlockDevice {
  readonly size: number;
  readonly name: string;
  readonly stats: FaultyDeviceStats = { reads: 0, writes: 0, flushes: 0, bytesRead: 0, bytesWritten: 0 };
  /** When set and true for a read's range, the read fails with EIO. */
  failReads: ((offset: number, length: number) => boolean) | undefined;
  /** When set and true for a write's range, the write fails with EIO and changes nothing. */
  failWrites: ((offset: number, length: number) => boolean) | undefined;
  /** When true, flushes fail with EIO (and make nothing durable). */
  failFlushes = false;
  /** The fates of the last crash's unflushed writes. */
  lastCrash: CrashFates | undefined;

  private readonly rng: FaultRng;
  private readonly asyncFlush: boolean;
  private readonly jitter: boolean;
  /** What reads see: the durable image with every pending write on top. No second copy is kept: the
   *  durable image is this one with the pending writes undone, newest first. */
  private readonly current: Buffer;
  /** Writes not yet covered by a completed flush, in call order. */
  private pending: PendingWrite[] = [];
  private nextSeq = 1;
  private dead = false;
  private closed = false;
  private countdown = 0;
  private crashWaiters: ((image: Buffer) => void)[] = [];
  private crashImageBytes: Buffer | undefined;

  constructor(size: number, rng: FaultRng, opts: FaultyDeviceOptions = {}) {
    this.name = opts.name ?? 'faulty';
    checkDeviceSize(this.name, size);
    if (opts.image !== undefined && opts.image.length !== size) {
      throw new CephError('EINVAL', `${this.name}: image of ${opts.image.length} bytes for a device of ${size}`);
    }
    this.size = size;
    this.rng = rng;
    this.asyncFlush = opts.asyncFlush ?? true;
    this.jitter = opts.jitter ?? false;
    this.current = opts.image ? (opts.adopt ? opts.image : Buffer.from(opts.image)) : Buffer.alloc(size);
  }

  /** A fresh device over a copy of `image` (or `image` itself with opts.adopt), nothing pending. */
  static fromImage(image: Buffer, rng: FaultRng, opts: Omit<FaultyDeviceOptions, 'image'> = {}): FaultyDevice {
    return new FaultyDevice(image.length, rng, { ...opts, image });
  }

  /** True once crashed. */
  get crashed(): boolean {
    return this.dead;
  }

  /** Writes not yet covered by a completed flush. */
  get pendingWrites(): number {
    return this.pending.length;
  }

  /** What reads see now: the device's own buffer (a live view; do not change it). */
  get bytes(): Buffer {
    return this.current;
  }

  /** A copy of what reads see now. */
  currentImage(): Buffer {
    return Buffer.from(this.current);
  }

  /** A copy of the durable image (what survives a crash whatever the fates). */
  durableImage(): Buffer {
    const image = Buffer.from(this.current);
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const w = this.pending[i]!;
      w.undo.copy(image, w.offset);
    }
    return image;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const into = Buffer.allocUnsafe(length);
    await this.readInto(offset, into);
    return into;
  }

  async readInto(offset: number, into: Buffer): Promise<void> {
    if (this.dead) return hang();
    this.checkOpen();
    checkRange(this.name, 'read', offset, into.length, this.size);
    if (this.jitter) {
      for (let n = Math.floor(this.rng.next() * 3); n > 0; n--) await turn();
      if (this.dead) return hang();
    }
    if (this.failReads?.(offset, into.length)) {
      throw new CephError('EIO', `${this.name}: injected read error at ${offset} (${into.length} bytes)`);
    }
    this.current.copy(into, 0, offset, offset + into.length);
    this.stats.reads++;
    this.stats.bytesRead += into.length;
  }

  async write(offset: number, data: readonly Buffer[]): Promise<void> {
    if (this.dead) return hang();
    this.checkOpen();
    const length = listBytes(data);
    checkRange(this.name, 'write', offset, length, this.size);
    if (this.tick()) return hang();
    if (this.failWrites?.(offset, length)) {
      throw new CephError('EIO', `${this.name}: injected write error at ${offset} (${length} bytes)`);
    }
    const copy = Buffer.allocUnsafe(length);
    let at = 0;
    for (const b of data) {
      b.copy(copy, at);
      at += b.length;
    }
    if (length > 0) {
      const undo = Buffer.from(this.current.subarray(offset, offset + length));
      copy.copy(this.current, offset);
      this.pending.push({ seq: this.nextSeq++, offset, data: copy, undo });
    }
    this.stats.writes++;
    this.stats.bytesWritten += length;
    if (this.jitter) {
      for (let n = Math.floor(this.rng.next() * 3); n > 0; n--) await turn();
      if (this.dead) return hang();
    }
  }

  async flush(): Promise<void> {
    if (this.dead) return hang();
    this.checkOpen();
    if (this.tick()) return hang();
    if (this.failFlushes) throw new CephError('EIO', `${this.name}: injected flush error`);
    // The flush covers the writes called before it; later ones stay volatile even if they land first.
    const upTo = this.nextSeq - 1;
    if (this.asyncFlush) {
      await turn();
      if (this.dead) return hang();
    }
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.seq <= upTo) n++;
    if (n > 0) this.pending = this.pending.slice(n);
    this.stats.flushes++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * Crash now: the image a restart would find (each unflushed write kept, dropped, or torn at sector
   * boundaries, as the rng decides). The device is dead afterwards and hands its buffer over as the
   * image (no copy; open the next device with fromImage, adopt: true, to take it as is). A second call
   * returns the same image.
   */
  crash(): Buffer {
    if (this.crashImageBytes !== undefined) return this.crashImageBytes;
    this.dead = true;
    const image = this.current;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const w = this.pending[i]!;
      w.undo.copy(image, w.offset);
    }
    const fates: CrashFates = { kept: 0, dropped: 0, prefix: 0, torn: 0 };
    for (const w of this.pending) {
      const sectors = w.data.length / SECTOR_BYTES;
      const r = this.rng.next();
      if (r < 0.35) {
        w.data.copy(image, w.offset);
        fates.kept++;
      } else if (r < 0.6 || sectors === 1) {
        fates.dropped++;
      } else if (r < 0.8) {
        const k = 1 + Math.floor(this.rng.next() * (sectors - 1));
        w.data.copy(image, w.offset, 0, k * SECTOR_BYTES);
        fates.prefix++;
      } else {
        for (let s = 0; s < sectors; s++) {
          if (this.rng.next() < 0.5) w.data.copy(image, w.offset + s * SECTOR_BYTES, s * SECTOR_BYTES, (s + 1) * SECTOR_BYTES);
        }
        fates.torn++;
      }
    }
    this.pending = [];
    this.lastCrash = fates;
    this.crashImageBytes = image;
    const waiters = this.crashWaiters;
    this.crashWaiters = [];
    for (const w of waiters) w(image);
    return image;
  }

  /**
   * Arm a crash: the `ops`-th write or flush called from now (1 = the next one) crashes the device
   * instead of running. Resolves with the crash image when the crash happens (by the countdown or by
   * crash()).
   */
  crashAfter(ops: number): Promise<Buffer> {
    if (!Number.isSafeInteger(ops) || ops < 1) throw new CephError('EINVAL', `${this.name}: crashAfter(${ops}) needs ops >= 1`);
    this.countdown = ops;
    return this.whenCrashed();
  }

  /** Resolves with the crash image once the device crashes. */
  whenCrashed(): Promise<Buffer> {
    if (this.crashImageBytes !== undefined) return Promise.resolve(this.crashImageBytes);
    return new Promise<Buffer>((resolve) => this.crashWaiters.push(resolve));
  }

  /**
   * Flip `count` random bits in [offset, offset+length) (the whole device by default). The flips are
   * persisted: reads, the durable image and any pending write over the byte (its bytes and the bytes it
   * replaced) all carry them. Returns the byte offsets flipped (a byte may repeat, flipping twice).
   */
  flipBits(count: number, offset = 0, length = this.size - offset): number[] {
    if (offset < 0 || length <= 0 || offset + length > this.size) {
      throw new CephError('EINVAL', `${this.name}: flipBits range ${offset}+${length} outside the device`);
    }
    const flipped: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = offset + Math.floor(this.rng.next() * length);
      const mask = 1 << Math.floor(this.rng.next() * 8);
      this.current[at]! ^= mask;
      for (const w of this.pending) {
        if (at >= w.offset && at < w.offset + w.data.length) {
          w.data[at - w.offset]! ^= mask;
          w.undo[at - w.offset]! ^= mask;
        }
      }
      flipped.push(at);
    }
    return flipped;
  }

  /** Count a write or flush against an armed crash; true when this call is the one that crashes. */
  private tick(): boolean {
    if (this.countdown === 0) return false;
    if (--this.countdown > 0) return false;
    this.crash();
    return true;
  }

  private checkOpen(): void {
    if (this.closed) throw new CephError('EBADF', `${this.name}: device is closed`);
  }
}
