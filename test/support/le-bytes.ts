// Byte writers for hand-made golden vectors: little-endian fields and Ceph's struct header laid out
// with plain Buffer writes, deliberately not through common/encoding (the code those vectors check).
// Shared by the tests that lay out Ceph structs byte by byte from the C++ sources.

export const u8 = (v: number): Buffer => Buffer.from([v & 0xff]);
export function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
export function s32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}
/** A u64 (negative values as their two's complement). */
export function u64(v: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
  return b;
}
/** A u32 length and the UTF-8 bytes. */
export const str = (s: string): Buffer => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
/** ENCODE_START(v, compat) ... ENCODE_FINISH around `body`. */
export function struct(v: number, compat: number, ...body: Buffer[]): Buffer {
  const b = Buffer.concat(body);
  return Buffer.concat([u8(v), u8(compat), u32(b.length), b]);
}
