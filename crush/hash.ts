// CRUSH's rjenkins1 hash family (Ceph src/crush/hash.c): Robert Jenkins' 96-bit mix applied to
// one to five 32-bit inputs, seeded with CRUSH_HASH_SEED and two fixed extra words.
//
// Arithmetic: every variable holds a 32-bit pattern as an int32. In `a - b - c` each operand lies in
// [-2^31, 2^31), so the difference lies within (-2^33, 2^33) and is exact in a double; the XOR that
// follows truncates it modulo 2^32, which is exactly C's unsigned wrap-around. Right shifts are logical
// (`>>>`), left shifts wrap (`<<`). Results are returned unsigned (`>>> 0`). Inputs may be signed (item
// and bucket ids are negative) or unsigned; only their low 32 bits matter.
//
// The mix steps are written out inline (generated, not hand-edited) so the hot path is straight-line
// int32 code with no calls, closures or allocation. The *Lo16 variants return only the low 16 bits,
// which is all that straw, straw2, list and the reweight test use: V8 keeps such a result an unboxed
// small integer across a call, whereas a full u32 result above 2^30 is boxed in a heap number (the
// functions are too big to be inlined), which costs an allocation per call.

export const CRUSH_HASH_SEED = 1315423911;
const X0 = 231232;
const Y0 = 1232;

/**
 * Where the *Out variants leave their full u32 result. Reading a u32 from a typed array keeps it
 * unboxed in the caller, while returning one above 2^30 from a function V8 does not inline boxes it.
 */
export const HASH_OUT = new Uint32Array(1);

export function crushHash32(aIn: number): number {
  let a = aIn | 0;
  let b = a;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a;
  // mix(b, x, hash)
  b = (b - x - hash) ^ (hash >>> 13);
  x = (x - hash - b) ^ (b << 8);
  hash = (hash - b - x) ^ (x >>> 13);
  b = (b - x - hash) ^ (hash >>> 12);
  x = (x - hash - b) ^ (b << 16);
  hash = (hash - b - x) ^ (x >>> 5);
  b = (b - x - hash) ^ (hash >>> 3);
  x = (x - hash - b) ^ (b << 10);
  hash = (hash - b - x) ^ (x >>> 15);
  // mix(y, a, hash)
  y = (y - a - hash) ^ (hash >>> 13);
  a = (a - hash - y) ^ (y << 8);
  hash = (hash - y - a) ^ (a >>> 13);
  y = (y - a - hash) ^ (hash >>> 12);
  a = (a - hash - y) ^ (y << 16);
  hash = (hash - y - a) ^ (a >>> 5);
  y = (y - a - hash) ^ (hash >>> 3);
  a = (a - hash - y) ^ (y << 10);
  hash = (hash - y - a) ^ (a >>> 15);
  return hash >>> 0;
}

export function crushHash32_2(a: number, b: number): number {
  crushHash32_2Out(a, b);
  return HASH_OUT[0]!;
}

/** crushHash32_2(...) stored into HASH_OUT[0] instead of returned (see HASH_OUT). */
export function crushHash32_2Out(aIn: number, bIn: number): void {
  let a = aIn | 0;
  let b = bIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(x, a, hash)
  x = (x - a - hash) ^ (hash >>> 13);
  a = (a - hash - x) ^ (x << 8);
  hash = (hash - x - a) ^ (a >>> 13);
  x = (x - a - hash) ^ (hash >>> 12);
  a = (a - hash - x) ^ (x << 16);
  hash = (hash - x - a) ^ (a >>> 5);
  x = (x - a - hash) ^ (hash >>> 3);
  a = (a - hash - x) ^ (x << 10);
  hash = (hash - x - a) ^ (a >>> 15);
  // mix(b, y, hash)
  b = (b - y - hash) ^ (hash >>> 13);
  y = (y - hash - b) ^ (b << 8);
  hash = (hash - b - y) ^ (y >>> 13);
  b = (b - y - hash) ^ (hash >>> 12);
  y = (y - hash - b) ^ (b << 16);
  hash = (hash - b - y) ^ (y >>> 5);
  b = (b - y - hash) ^ (hash >>> 3);
  y = (y - hash - b) ^ (b << 10);
  hash = (hash - b - y) ^ (y >>> 15);
  HASH_OUT[0] = hash;
}

/** crushHash32_2(...) & 0xffff: the same hash cut to its low 16 bits (always a small integer). */
export function crushHash32_2Lo16(aIn: number, bIn: number): number {
  let a = aIn | 0;
  let b = bIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(x, a, hash)
  x = (x - a - hash) ^ (hash >>> 13);
  a = (a - hash - x) ^ (x << 8);
  hash = (hash - x - a) ^ (a >>> 13);
  x = (x - a - hash) ^ (hash >>> 12);
  a = (a - hash - x) ^ (x << 16);
  hash = (hash - x - a) ^ (a >>> 5);
  x = (x - a - hash) ^ (hash >>> 3);
  a = (a - hash - x) ^ (x << 10);
  hash = (hash - x - a) ^ (a >>> 15);
  // mix(b, y, hash)
  b = (b - y - hash) ^ (hash >>> 13);
  y = (y - hash - b) ^ (b << 8);
  hash = (hash - b - y) ^ (y >>> 13);
  b = (b - y - hash) ^ (hash >>> 12);
  y = (y - hash - b) ^ (b << 16);
  hash = (hash - b - y) ^ (y >>> 5);
  b = (b - y - hash) ^ (hash >>> 3);
  y = (y - hash - b) ^ (b << 10);
  hash = (hash - b - y) ^ (y >>> 15);
  return hash & 0xffff;
}

export function crushHash32_3(aIn: number, bIn: number, cIn: number): number {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, x, hash)
  c = (c - x - hash) ^ (hash >>> 13);
  x = (x - hash - c) ^ (c << 8);
  hash = (hash - c - x) ^ (x >>> 13);
  c = (c - x - hash) ^ (hash >>> 12);
  x = (x - hash - c) ^ (c << 16);
  hash = (hash - c - x) ^ (x >>> 5);
  c = (c - x - hash) ^ (hash >>> 3);
  x = (x - hash - c) ^ (c << 10);
  hash = (hash - c - x) ^ (x >>> 15);
  // mix(y, a, hash)
  y = (y - a - hash) ^ (hash >>> 13);
  a = (a - hash - y) ^ (y << 8);
  hash = (hash - y - a) ^ (a >>> 13);
  y = (y - a - hash) ^ (hash >>> 12);
  a = (a - hash - y) ^ (y << 16);
  hash = (hash - y - a) ^ (a >>> 5);
  y = (y - a - hash) ^ (hash >>> 3);
  a = (a - hash - y) ^ (y << 10);
  hash = (hash - y - a) ^ (a >>> 15);
  // mix(b, x, hash)
  b = (b - x - hash) ^ (hash >>> 13);
  x = (x - hash - b) ^ (b << 8);
  hash = (hash - b - x) ^ (x >>> 13);
  b = (b - x - hash) ^ (hash >>> 12);
  x = (x - hash - b) ^ (b << 16);
  hash = (hash - b - x) ^ (x >>> 5);
  b = (b - x - hash) ^ (hash >>> 3);
  x = (x - hash - b) ^ (b << 10);
  hash = (hash - b - x) ^ (x >>> 15);
  // mix(y, c, hash)
  y = (y - c - hash) ^ (hash >>> 13);
  c = (c - hash - y) ^ (y << 8);
  hash = (hash - y - c) ^ (c >>> 13);
  y = (y - c - hash) ^ (hash >>> 12);
  c = (c - hash - y) ^ (y << 16);
  hash = (hash - y - c) ^ (c >>> 5);
  y = (y - c - hash) ^ (hash >>> 3);
  c = (c - hash - y) ^ (y << 10);
  hash = (hash - y - c) ^ (c >>> 15);
  return hash >>> 0;
}

/** crushHash32_3(...) stored into HASH_OUT[0] instead of returned (see HASH_OUT). */
export function crushHash32_3Out(aIn: number, bIn: number, cIn: number): void {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, x, hash)
  c = (c - x - hash) ^ (hash >>> 13);
  x = (x - hash - c) ^ (c << 8);
  hash = (hash - c - x) ^ (x >>> 13);
  c = (c - x - hash) ^ (hash >>> 12);
  x = (x - hash - c) ^ (c << 16);
  hash = (hash - c - x) ^ (x >>> 5);
  c = (c - x - hash) ^ (hash >>> 3);
  x = (x - hash - c) ^ (c << 10);
  hash = (hash - c - x) ^ (x >>> 15);
  // mix(y, a, hash)
  y = (y - a - hash) ^ (hash >>> 13);
  a = (a - hash - y) ^ (y << 8);
  hash = (hash - y - a) ^ (a >>> 13);
  y = (y - a - hash) ^ (hash >>> 12);
  a = (a - hash - y) ^ (y << 16);
  hash = (hash - y - a) ^ (a >>> 5);
  y = (y - a - hash) ^ (hash >>> 3);
  a = (a - hash - y) ^ (y << 10);
  hash = (hash - y - a) ^ (a >>> 15);
  // mix(b, x, hash)
  b = (b - x - hash) ^ (hash >>> 13);
  x = (x - hash - b) ^ (b << 8);
  hash = (hash - b - x) ^ (x >>> 13);
  b = (b - x - hash) ^ (hash >>> 12);
  x = (x - hash - b) ^ (b << 16);
  hash = (hash - b - x) ^ (x >>> 5);
  b = (b - x - hash) ^ (hash >>> 3);
  x = (x - hash - b) ^ (b << 10);
  hash = (hash - b - x) ^ (x >>> 15);
  // mix(y, c, hash)
  y = (y - c - hash) ^ (hash >>> 13);
  c = (c - hash - y) ^ (y << 8);
  hash = (hash - y - c) ^ (c >>> 13);
  y = (y - c - hash) ^ (hash >>> 12);
  c = (c - hash - y) ^ (y << 16);
  hash = (hash - y - c) ^ (c >>> 5);
  y = (y - c - hash) ^ (hash >>> 3);
  c = (c - hash - y) ^ (y << 10);
  hash = (hash - y - c) ^ (c >>> 15);
  HASH_OUT[0] = hash;
}

/** crushHash32_3(...) & 0xffff: the same hash cut to its low 16 bits (always a small integer). */
export function crushHash32_3Lo16(aIn: number, bIn: number, cIn: number): number {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, x, hash)
  c = (c - x - hash) ^ (hash >>> 13);
  x = (x - hash - c) ^ (c << 8);
  hash = (hash - c - x) ^ (x >>> 13);
  c = (c - x - hash) ^ (hash >>> 12);
  x = (x - hash - c) ^ (c << 16);
  hash = (hash - c - x) ^ (x >>> 5);
  c = (c - x - hash) ^ (hash >>> 3);
  x = (x - hash - c) ^ (c << 10);
  hash = (hash - c - x) ^ (x >>> 15);
  // mix(y, a, hash)
  y = (y - a - hash) ^ (hash >>> 13);
  a = (a - hash - y) ^ (y << 8);
  hash = (hash - y - a) ^ (a >>> 13);
  y = (y - a - hash) ^ (hash >>> 12);
  a = (a - hash - y) ^ (y << 16);
  hash = (hash - y - a) ^ (a >>> 5);
  y = (y - a - hash) ^ (hash >>> 3);
  a = (a - hash - y) ^ (y << 10);
  hash = (hash - y - a) ^ (a >>> 15);
  // mix(b, x, hash)
  b = (b - x - hash) ^ (hash >>> 13);
  x = (x - hash - b) ^ (b << 8);
  hash = (hash - b - x) ^ (x >>> 13);
  b = (b - x - hash) ^ (hash >>> 12);
  x = (x - hash - b) ^ (b << 16);
  hash = (hash - b - x) ^ (x >>> 5);
  b = (b - x - hash) ^ (hash >>> 3);
  x = (x - hash - b) ^ (b << 10);
  hash = (hash - b - x) ^ (x >>> 15);
  // mix(y, c, hash)
  y = (y - c - hash) ^ (hash >>> 13);
  c = (c - hash - y) ^ (y << 8);
  hash = (hash - y - c) ^ (c >>> 13);
  y = (y - c - hash) ^ (hash >>> 12);
  c = (c - hash - y) ^ (y << 16);
  hash = (hash - y - c) ^ (c >>> 5);
  y = (y - c - hash) ^ (hash >>> 3);
  c = (c - hash - y) ^ (y << 10);
  hash = (hash - y - c) ^ (c >>> 15);
  return hash & 0xffff;
}

export function crushHash32_4(aIn: number, bIn: number, cIn: number, dIn: number): number {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let d = dIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c ^ d;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, d, hash)
  c = (c - d - hash) ^ (hash >>> 13);
  d = (d - hash - c) ^ (c << 8);
  hash = (hash - c - d) ^ (d >>> 13);
  c = (c - d - hash) ^ (hash >>> 12);
  d = (d - hash - c) ^ (c << 16);
  hash = (hash - c - d) ^ (d >>> 5);
  c = (c - d - hash) ^ (hash >>> 3);
  d = (d - hash - c) ^ (c << 10);
  hash = (hash - c - d) ^ (d >>> 15);
  // mix(a, x, hash)
  a = (a - x - hash) ^ (hash >>> 13);
  x = (x - hash - a) ^ (a << 8);
  hash = (hash - a - x) ^ (x >>> 13);
  a = (a - x - hash) ^ (hash >>> 12);
  x = (x - hash - a) ^ (a << 16);
  hash = (hash - a - x) ^ (x >>> 5);
  a = (a - x - hash) ^ (hash >>> 3);
  x = (x - hash - a) ^ (a << 10);
  hash = (hash - a - x) ^ (x >>> 15);
  // mix(y, b, hash)
  y = (y - b - hash) ^ (hash >>> 13);
  b = (b - hash - y) ^ (y << 8);
  hash = (hash - y - b) ^ (b >>> 13);
  y = (y - b - hash) ^ (hash >>> 12);
  b = (b - hash - y) ^ (y << 16);
  hash = (hash - y - b) ^ (b >>> 5);
  y = (y - b - hash) ^ (hash >>> 3);
  b = (b - hash - y) ^ (y << 10);
  hash = (hash - y - b) ^ (b >>> 15);
  // mix(c, x, hash)
  c = (c - x - hash) ^ (hash >>> 13);
  x = (x - hash - c) ^ (c << 8);
  hash = (hash - c - x) ^ (x >>> 13);
  c = (c - x - hash) ^ (hash >>> 12);
  x = (x - hash - c) ^ (c << 16);
  hash = (hash - c - x) ^ (x >>> 5);
  c = (c - x - hash) ^ (hash >>> 3);
  x = (x - hash - c) ^ (c << 10);
  hash = (hash - c - x) ^ (x >>> 15);
  // mix(y, d, hash)
  y = (y - d - hash) ^ (hash >>> 13);
  d = (d - hash - y) ^ (y << 8);
  hash = (hash - y - d) ^ (d >>> 13);
  y = (y - d - hash) ^ (hash >>> 12);
  d = (d - hash - y) ^ (y << 16);
  hash = (hash - y - d) ^ (d >>> 5);
  y = (y - d - hash) ^ (hash >>> 3);
  d = (d - hash - y) ^ (y << 10);
  hash = (hash - y - d) ^ (d >>> 15);
  return hash >>> 0;
}

/** crushHash32_4(...) stored into HASH_OUT[0] instead of returned (see HASH_OUT). */
export function crushHash32_4Out(aIn: number, bIn: number, cIn: number, dIn: number): void {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let d = dIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c ^ d;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, d, hash)
  c = (c - d - hash) ^ (hash >>> 13);
  d = (d - hash - c) ^ (c << 8);
  hash = (hash - c - d) ^ (d >>> 13);
  c = (c - d - hash) ^ (hash >>> 12);
  d = (d - hash - c) ^ (c << 16);
  hash = (hash - c - d) ^ (d >>> 5);
  c = (c - d - hash) ^ (hash >>> 3);
  d = (d - hash - c) ^ (c << 10);
  hash = (hash - c - d) ^ (d >>> 15);
  // mix(a, x, hash)
  a = (a - x - hash) ^ (hash >>> 13);
  x = (x - hash - a) ^ (a << 8);
  hash = (hash - a - x) ^ (x >>> 13);
  a = (a - x - hash) ^ (hash >>> 12);
  x = (x - hash - a) ^ (a << 16);
  hash = (hash - a - x) ^ (x >>> 5);
  a = (a - x - hash) ^ (hash >>> 3);
  x = (x - hash - a) ^ (a << 10);
  hash = (hash - a - x) ^ (x >>> 15);
  // mix(y, b, hash)
  y = (y - b - hash) ^ (hash >>> 13);
  b = (b - hash - y) ^ (y << 8);
  hash = (hash - y - b) ^ (b >>> 13);
  y = (y - b - hash) ^ (hash >>> 12);
  b = (b - hash - y) ^ (y << 16);
  hash = (hash - y - b) ^ (b >>> 5);
  y = (y - b - hash) ^ (hash >>> 3);
  b = (b - hash - y) ^ (y << 10);
  hash = (hash - y - b) ^ (b >>> 15);
  // mix(c, x, hash)
  c = (c - x - hash) ^ (hash >>> 13);
  x = (x - hash - c) ^ (c << 8);
  hash = (hash - c - x) ^ (x >>> 13);
  c = (c - x - hash) ^ (hash >>> 12);
  x = (x - hash - c) ^ (c << 16);
  hash = (hash - c - x) ^ (x >>> 5);
  c = (c - x - hash) ^ (hash >>> 3);
  x = (x - hash - c) ^ (c << 10);
  hash = (hash - c - x) ^ (x >>> 15);
  // mix(y, d, hash)
  y = (y - d - hash) ^ (hash >>> 13);
  d = (d - hash - y) ^ (y << 8);
  hash = (hash - y - d) ^ (d >>> 13);
  y = (y - d - hash) ^ (hash >>> 12);
  d = (d - hash - y) ^ (y << 16);
  hash = (hash - y - d) ^ (d >>> 5);
  y = (y - d - hash) ^ (hash >>> 3);
  d = (d - hash - y) ^ (y << 10);
  hash = (hash - y - d) ^ (d >>> 15);
  HASH_OUT[0] = hash;
}

/** crushHash32_4(...) & 0xffff: the same hash cut to its low 16 bits (always a small integer). */
export function crushHash32_4Lo16(aIn: number, bIn: number, cIn: number, dIn: number): number {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let d = dIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c ^ d;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, d, hash)
  c = (c - d - hash) ^ (hash >>> 13);
  d = (d - hash - c) ^ (c << 8);
  hash = (hash - c - d) ^ (d >>> 13);
  c = (c - d - hash) ^ (hash >>> 12);
  d = (d - hash - c) ^ (c << 16);
  hash = (hash - c - d) ^ (d >>> 5);
  c = (c - d - hash) ^ (hash >>> 3);
  d = (d - hash - c) ^ (c << 10);
  hash = (hash - c - d) ^ (d >>> 15);
  // mix(a, x, hash)
  a = (a - x - hash) ^ (hash >>> 13);
  x = (x - hash - a) ^ (a << 8);
  hash = (hash - a - x) ^ (x >>> 13);
  a = (a - x - hash) ^ (hash >>> 12);
  x = (x - hash - a) ^ (a << 16);
  hash = (hash - a - x) ^ (x >>> 5);
  a = (a - x - hash) ^ (hash >>> 3);
  x = (x - hash - a) ^ (a << 10);
  hash = (hash - a - x) ^ (x >>> 15);
  // mix(y, b, hash)
  y = (y - b - hash) ^ (hash >>> 13);
  b = (b - hash - y) ^ (y << 8);
  hash = (hash - y - b) ^ (b >>> 13);
  y = (y - b - hash) ^ (hash >>> 12);
  b = (b - hash - y) ^ (y << 16);
  hash = (hash - y - b) ^ (b >>> 5);
  y = (y - b - hash) ^ (hash >>> 3);
  b = (b - hash - y) ^ (y << 10);
  hash = (hash - y - b) ^ (b >>> 15);
  // mix(c, x, hash)
  c = (c - x - hash) ^ (hash >>> 13);
  x = (x - hash - c) ^ (c << 8);
  hash = (hash - c - x) ^ (x >>> 13);
  c = (c - x - hash) ^ (hash >>> 12);
  x = (x - hash - c) ^ (c << 16);
  hash = (hash - c - x) ^ (x >>> 5);
  c = (c - x - hash) ^ (hash >>> 3);
  x = (x - hash - c) ^ (c << 10);
  hash = (hash - c - x) ^ (x >>> 15);
  // mix(y, d, hash)
  y = (y - d - hash) ^ (hash >>> 13);
  d = (d - hash - y) ^ (y << 8);
  hash = (hash - y - d) ^ (d >>> 13);
  y = (y - d - hash) ^ (hash >>> 12);
  d = (d - hash - y) ^ (y << 16);
  hash = (hash - y - d) ^ (d >>> 5);
  y = (y - d - hash) ^ (hash >>> 3);
  d = (d - hash - y) ^ (y << 10);
  hash = (hash - y - d) ^ (d >>> 15);
  return hash & 0xffff;
}

export function crushHash32_5(aIn: number, bIn: number, cIn: number, dIn: number, eIn: number): number {
  let a = aIn | 0;
  let b = bIn | 0;
  let c = cIn | 0;
  let d = dIn | 0;
  let e = eIn | 0;
  let x = X0;
  let y = Y0;
  let hash = CRUSH_HASH_SEED ^ a ^ b ^ c ^ d ^ e;
  // mix(a, b, hash)
  a = (a - b - hash) ^ (hash >>> 13);
  b = (b - hash - a) ^ (a << 8);
  hash = (hash - a - b) ^ (b >>> 13);
  a = (a - b - hash) ^ (hash >>> 12);
  b = (b - hash - a) ^ (a << 16);
  hash = (hash - a - b) ^ (b >>> 5);
  a = (a - b - hash) ^ (hash >>> 3);
  b = (b - hash - a) ^ (a << 10);
  hash = (hash - a - b) ^ (b >>> 15);
  // mix(c, d, hash)
  c = (c - d - hash) ^ (hash >>> 13);
  d = (d - hash - c) ^ (c << 8);
  hash = (hash - c - d) ^ (d >>> 13);
  c = (c - d - hash) ^ (hash >>> 12);
  d = (d - hash - c) ^ (c << 16);
  hash = (hash - c - d) ^ (d >>> 5);
  c = (c - d - hash) ^ (hash >>> 3);
  d = (d - hash - c) ^ (c << 10);
  hash = (hash - c - d) ^ (d >>> 15);
  // mix(e, x, hash)
  e = (e - x - hash) ^ (hash >>> 13);
  x = (x - hash - e) ^ (e << 8);
  hash = (hash - e - x) ^ (x >>> 13);
  e = (e - x - hash) ^ (hash >>> 12);
  x = (x - hash - e) ^ (e << 16);
  hash = (hash - e - x) ^ (x >>> 5);
  e = (e - x - hash) ^ (hash >>> 3);
  x = (x - hash - e) ^ (e << 10);
  hash = (hash - e - x) ^ (x >>> 15);
  // mix(y, a, hash)
  y = (y - a - hash) ^ (hash >>> 13);
  a = (a - hash - y) ^ (y << 8);
  hash = (hash - y - a) ^ (a >>> 13);
  y = (y - a - hash) ^ (hash >>> 12);
  a = (a - hash - y) ^ (y << 16);
  hash = (hash - y - a) ^ (a >>> 5);
  y = (y - a - hash) ^ (hash >>> 3);
  a = (a - hash - y) ^ (y << 10);
  hash = (hash - y - a) ^ (a >>> 15);
  // mix(b, x, hash)
  b = (b - x - hash) ^ (hash >>> 13);
  x = (x - hash - b) ^ (b << 8);
  hash = (hash - b - x) ^ (x >>> 13);
  b = (b - x - hash) ^ (hash >>> 12);
  x = (x - hash - b) ^ (b << 16);
  hash = (hash - b - x) ^ (x >>> 5);
  b = (b - x - hash) ^ (hash >>> 3);
  x = (x - hash - b) ^ (b << 10);
  hash = (hash - b - x) ^ (x >>> 15);
  // mix(y, c, hash)
  y = (y - c - hash) ^ (hash >>> 13);
  c = (c - hash - y) ^ (y << 8);
  hash = (hash - y - c) ^ (c >>> 13);
  y = (y - c - hash) ^ (hash >>> 12);
  c = (c - hash - y) ^ (y << 16);
  hash = (hash - y - c) ^ (c >>> 5);
  y = (y - c - hash) ^ (hash >>> 3);
  c = (c - hash - y) ^ (y << 10);
  hash = (hash - y - c) ^ (c >>> 15);
  // mix(d, x, hash)
  d = (d - x - hash) ^ (hash >>> 13);
  x = (x - hash - d) ^ (d << 8);
  hash = (hash - d - x) ^ (x >>> 13);
  d = (d - x - hash) ^ (hash >>> 12);
  x = (x - hash - d) ^ (d << 16);
  hash = (hash - d - x) ^ (x >>> 5);
  d = (d - x - hash) ^ (hash >>> 3);
  x = (x - hash - d) ^ (d << 10);
  hash = (hash - d - x) ^ (x >>> 15);
  // mix(y, e, hash)
  y = (y - e - hash) ^ (hash >>> 13);
  e = (e - hash - y) ^ (y << 8);
  hash = (hash - y - e) ^ (e >>> 13);
  y = (y - e - hash) ^ (hash >>> 12);
  e = (e - hash - y) ^ (y << 16);
  hash = (hash - y - e) ^ (e >>> 5);
  y = (y - e - hash) ^ (hash >>> 3);
  e = (e - hash - y) ^ (y << 10);
  hash = (hash - y - e) ^ (e >>> 15);
  return hash >>> 0;
}

/** Ceph's crush_hash_name(). */
export function crushHashName(type: number): string {
  return type === 0 ? 'rjenkins1' : 'unknown';
}
