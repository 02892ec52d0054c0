// The on-device layout: the superblock (block 0) and the regions it names. Written once by mkfs and
// never rewritten, so it needs no journal; a crc32c guards it.
//
//   [0, 64 KiB)                 superblock area: the superblock in its first block, the rest zero
//   [kv.offset, +kv.length)     the KV engine's region (metadata: onodes, extent maps, omap, journal)
//   [data.offset, +data.length) object data, in 4 KiB blocks handed out by the allocator

import { CephError } from '../../../common/errors.js';
import { Decoder, Encoder } from '../../../common/encoding.js';
import { crc32c } from '../../../common/crc32c.js';
import {
  BLOCK_BYTES, DATA_BLOCKS_MAX, DEVICE_BYTES_MIN, KV_REGION_ALIGN_BYTES, KV_REGION_BYTES_MAX, KV_REGION_BYTES_MIN,
  KV_REGION_FRACTION, SUPERBLOCK_AREA_BYTES,
} from './limits.js';

/** The first 16 bytes of a BlockStore device. */
export const SUPERBLOCK_MAGIC = Buffer.from('tsceph blockstor', 'latin1');
export const FORMAT_VERSION = 1;
const SUPERBLOCK_STRUCT_V = 1;

export interface Region {
  readonly offset: number;
  readonly length: number;
}

export interface Superblock {
  readonly formatVersion: number;
  /** 16 bytes as 8-4-4-4-12 hex. */
  readonly uuid: string;
  readonly deviceBytes: number;
  readonly blockBytes: number;
  readonly kv: Region;
  readonly data: Region;
}

/** Where the KV and data regions go on a device of `deviceBytes`. EINVAL when it is too small. */
export function planLayout(deviceBytes: number, kvBytes?: number): { kv: Region; data: Region } {
  if (!Number.isSafeInteger(deviceBytes) || deviceBytes < DEVICE_BYTES_MIN || deviceBytes % BLOCK_BYTES !== 0) {
    throw new CephError('EINVAL', `blockstore: a device of ${deviceBytes} bytes is too small or not block aligned (need >= ${DEVICE_BYTES_MIN})`);
  }
  let kvLength = kvBytes ?? Math.floor(deviceBytes / KV_REGION_FRACTION);
  kvLength = Math.min(KV_REGION_BYTES_MAX, Math.max(KV_REGION_BYTES_MIN, kvLength));
  kvLength = Math.floor(kvLength / KV_REGION_ALIGN_BYTES) * KV_REGION_ALIGN_BYTES;
  const kv = { offset: SUPERBLOCK_AREA_BYTES, length: kvLength };
  const dataOffset = kv.offset + kv.length;
  let dataLength = deviceBytes - dataOffset;
  dataLength = Math.min(dataLength - (dataLength % BLOCK_BYTES), DATA_BLOCKS_MAX * BLOCK_BYTES);
  if (dataLength < BLOCK_BYTES) {
    throw new CephError('EINVAL', `blockstore: no room for data on a device of ${deviceBytes} bytes with a ${kvLength}-byte KV region`);
  }
  return { kv, data: { offset: dataOffset, length: dataLength } };
}

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new CephError('EINVAL', `blockstore: bad uuid ${uuid}`);
  return Buffer.from(hex, 'hex');
}

function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One block: magic, a versioned struct, and the crc32c of both in the 4 bytes after them. */
export function encodeSuperblock(sb: Superblock): Buffer {
  const e = new Encoder(BLOCK_BYTES);
  e.raw(SUPERBLOCK_MAGIC);
  e.startStruct(SUPERBLOCK_STRUCT_V, 1);
  e.u32(sb.formatVersion);
  e.raw(uuidBytes(sb.uuid));
  e.u64(sb.deviceBytes);
  e.u32(sb.blockBytes);
  e.u64(sb.kv.offset).u64(sb.kv.length);
  e.u64(sb.data.offset).u64(sb.data.length);
  e.finishStruct();
  const body = e.view();
  const out = Buffer.alloc(BLOCK_BYTES);
  body.copy(out);
  out.writeUInt32LE(crc32c(body), body.length);
  return out;
}

/** Decode block 0. EINVAL "not a tsceph BlockStore (bad magic)" for a foreign device; EIO when the crc fails. */
export function decodeSuperblock(block: Buffer, name = 'device'): Superblock {
  if (block.length < SUPERBLOCK_MAGIC.length || !block.subarray(0, SUPERBLOCK_MAGIC.length).equals(SUPERBLOCK_MAGIC)) {
    throw new CephError('EINVAL', `${name}: not a tsceph BlockStore (bad magic)`);
  }
  const d = new Decoder(block, `${name} superblock`, SUPERBLOCK_MAGIC.length);
  d.decodeStart(SUPERBLOCK_STRUCT_V, 'superblock');
  const formatVersion = d.u32('format version');
  const uuid = uuidText(d.raw(16, 'uuid'));
  const deviceBytes = d.u64('device size');
  const blockBytes = d.u32('block size');
  const kv = { offset: d.u64('kv offset'), length: d.u64('kv length') };
  const data = { offset: d.u64('data offset'), length: d.u64('data length') };
  d.decodeFinish('superblock');
  const end = d.pos;
  if (end + 4 > block.length || block.readUInt32LE(end) !== crc32c(block.subarray(0, end))) {
    throw new CephError('EIO', `${name}: the BlockStore superblock fails its crc32c`);
  }
  if (formatVersion !== FORMAT_VERSION) {
    throw new CephError('EINVAL', `${name}: BlockStore format version ${formatVersion}; this build reads ${FORMAT_VERSION}`);
  }
  if (blockBytes !== BLOCK_BYTES) throw new CephError('EINVAL', `${name}: block size ${blockBytes}; this build uses ${BLOCK_BYTES}`);
  if (kv.offset < SUPERBLOCK_AREA_BYTES || kv.offset + kv.length > data.offset || data.offset + data.length > deviceBytes) {
    throw new CephError('EIO', `${name}: the BlockStore superblock's regions overlap or run past the device`);
  }
  return { formatVersion, uuid, deviceBytes, blockBytes, kv, data };
}
