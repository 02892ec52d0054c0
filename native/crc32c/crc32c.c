/*
 * tsceph's CRC-32C addon: Ceph's ceph_crc32c(crc, data) -- the raw CRC-32C register (Castagnoli,
 * reflected polynomial 0x82F63B78) updated over the bytes, no inversion before or after -- for
 * common/crc32c.ts, which falls back to @node-rs/crc32 or its own tables when this does not load.
 *
 * Why it exists: the SSE4.2 crc32 instruction has a latency of 3 cycles and a throughput of 1 per cycle,
 * so one dependent chain of crc32q runs at a third of what the unit can do. The crc32c npm addons
 * (@node-rs/crc32, sse4_crc32) run one chain, @node-rs/crc32 even calling a function per 8 bytes:
 * about 6 GB/s here, 0.7 ms per 4 MiB, which bounded msgr2's crc mode at 4 MiB messages (docs/messenger.md).
 * Here a block of 3 x L bytes is cut into three runs of L bytes, each folded by its own chain in the
 * same loop, and the three registers are joined at the end of the block:
 *
 *   register(s, A|B|C) = shift(register(s, A), 2L) ^ shift(register(0, B), L) ^ register(0, C)
 *
 * which holds because the register update is linear over GF(2): register(s, D) = s * x^(8|D|) +
 * D * x^32 mod P. shift(c, n) = c * x^(8n) mod P is one carry-less multiply (PCLMULQDQ) of c by the
 * constant x^(8n-33) mod P, reduced by one crc32q of the 64-bit product: with reflected operands the
 * product is c * k * x^-1 read as a 64-bit message, and crc32q multiplies by x^32 more, so the result is
 * c * x^(8n-33) * x^33 = c * x^(8n).
 *
 * The exported function: crc32c(crc: number, data: Uint8Array, start: number, end: number): number
 * (crc and result unsigned 32-bit); `hardware` tells whether the instruction path is in use (else the
 * module exports hardware = false only, and the JavaScript side keeps its own implementation).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define POLY 0x82f63b78u
/* Bytes per run in the long and the short three-run blocks. */
#define LONG_RUN_BYTES 8192
#define SHORT_RUN_BYTES 256

/* x^(8n-33) mod P in the reflected form (bit i is the coefficient of x^(31-i)). */
static uint32_t shift_constant(size_t n) {
  uint32_t r = 0x80000000u; /* x^0 */
  for (size_t i = 0; i < 8 * n - 33; i++) r = (r & 1u) ? (r >> 1) ^ POLY : r >> 1;
  return r;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define HARDWARE_BUILD 1

static uint32_t k_long1, k_long2, k_short1, k_short2;

static inline uint64_t load_u64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

__attribute__((target("sse4.2,pclmul"))) static inline uint64_t shift(uint64_t c, uint32_t k) {
  __m128i prod = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)(uint32_t)c), _mm_cvtsi32_si128((int)k), 0);
  return _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(prod));
}

/* One block of three runs of len bytes (len a multiple of 8), continuing register c0. */
__attribute__((target("sse4.2,pclmul"))) static inline uint64_t three_runs(uint64_t c0, const uint8_t *p, size_t len,
                                                                              uint32_t k1, uint32_t k2) {
  uint64_t c1 = 0, c2 = 0;
  const uint8_t *a = p, *b = p + len, *c = p + 2 * len;
  for (size_t i = 0; i < len; i += 8) {
    c0 = _mm_crc32_u64(c0, load_u64(a + i));
    c1 = _mm_crc32_u64(c1, load_u64(b + i));
    c2 = _mm_crc32_u64(c2, load_u64(c + i));
  }
  return shift(c0, k2) ^ shift(c1, k1) ^ c2;
}

__attribute__((target("sse4.2,pclmul"))) static uint32_t crc_hardware(uint32_t crc, const uint8_t *p, size_t n) {
  uint64_t c = crc;
  while (n > 0 && ((uintptr_t)p & 7u) != 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    n--;
  }
  while (n >= 3 * LONG_RUN_BYTES) {
    c = three_runs(c, p, LONG_RUN_BYTES, k_long1, k_long2);
    p += 3 * LONG_RUN_BYTES;
    n -= 3 * LONG_RUN_BYTES;
  }
  while (n >= 3 * SHORT_RUN_BYTES) {
    c = three_runs(c, p, SHORT_RUN_BYTES, k_short1, k_short2);
    p += 3 * SHORT_RUN_BYTES;
    n -= 3 * SHORT_RUN_BYTES;
  }
  while (n >= 8) {
    c = _mm_crc32_u64(c, load_u64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
    n--;
  }
  return (uint32_t)c;
}

static int hardware_present(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
}
#else
#define HARDWARE_BUILD 0
#endif

#define ARGS_MAX 4

#if HARDWARE_BUILD
static napi_value js_crc32c(napi_env env, napi_callback_info info) {
  size_t argc = ARGS_MAX;
  napi_value argv[ARGS_MAX];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "crc32c(crc, data, start?, end?)");
    return NULL;
  }
  uint32_t crc;
  if (napi_get_value_uint32(env, argv[0], &crc) != napi_ok) {
    napi_throw_type_error(env, NULL, "crc32c: crc must be a number");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "crc32c: data must be a Uint8Array");
    return NULL;
  }
  int64_t start = 0, end = (int64_t)length;
  if (argc > 2 && napi_get_value_int64(env, argv[2], &start) != napi_ok) {
    napi_throw_type_error(env, NULL, "crc32c: start must be a number");
    return NULL;
  }
  if (argc > 3 && napi_get_value_int64(env, argv[3], &end) != napi_ok) {
    napi_throw_type_error(env, NULL, "crc32c: end must be a number");
    return NULL;
  }
  if (start < 0 || end < start || (uint64_t)end > (uint64_t)length) {
    napi_throw_range_error(env, NULL, "crc32c: need 0 <= start <= end <= data.length");
    return NULL;
  }
  uint32_t r = crc_hardware(crc, (const uint8_t *)data + start, (size_t)(end - start));
  napi_value out;
  napi_create_uint32(env, r, &out);
  return out;
}
#endif

NAPI_MODULE_INIT() {
  int hw = 0;
#if HARDWARE_BUILD
  hw = hardware_present();
  if (hw) {
    k_long1 = shift_constant(LONG_RUN_BYTES);
    k_long2 = shift_constant(2 * LONG_RUN_BYTES);
    k_short1 = shift_constant(SHORT_RUN_BYTES);
    k_short2 = shift_constant(2 * SHORT_RUN_BYTES);
    napi_value fn;
    if (napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, js_crc32c, NULL, &fn) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, "crc32c", fn) != napi_ok) return NULL;
  }
#else
  (void)shift_constant;
#endif
  napi_value flag;
  if (napi_get_boolean(env, hw != 0, &flag) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "hardware", flag) != napi_ok) return NULL;
  return exports;
}
