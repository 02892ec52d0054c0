/*
 * An LD_PRELOAD shim that makes libstdc++'s std::random_device deterministic, so that Ceph's upmap
 * balancer (which seeds a std::default_random_engine from std::random_device before each aggressive
 * search, and osdmaptool's pool shuffle) can be recorded and replayed exactly.
 *
 * Draw k (counting from 0 in the process) is a 32-bit mix of TSCEPH_RANDOM_DEVICE_SEED + k * 0x9e3779b9,
 * the same sequence as fixedRandomDevice(seed) in common/osdmap/balancer.ts. Each draw is also logged
 * to stderr as "random_device k VALUE" when TSCEPH_RANDOM_DEVICE_TRACE is set.
 *
 * Build: cc -shared -fPIC -O2 -o random-device-shim.so random-device-shim.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t seed;
static uint32_t k;
static int ready;
static int trace;

/* std::random_device::_M_getval() (the out-of-line body of operator()). */
unsigned int _ZNSt13random_device9_M_getvalEv(void *self) {
  (void)self;
  if (!ready) {
    const char *s = getenv("TSCEPH_RANDOM_DEVICE_SEED");
    seed = s ? (uint32_t)strtoul(s, NULL, 0) : 0;
    trace = getenv("TSCEPH_RANDOM_DEVICE_TRACE") != NULL;
    ready = 1;
  }
  uint32_t x = seed + k * 0x9e3779b9u;
  x = (x ^ (x >> 16)) * 0x85ebca6bu;
  x = (x ^ (x >> 13)) * 0xc2b2ae35u;
  x ^= x >> 16;
  if (trace) fprintf(stderr, "random_device %u %u\n", k, x);
  k++;
  return x;
}
