/*
 * Prints Ceph's two object-name hashes for names read from stdin, by calling the functions in the
 * installed libceph-common.so.2 (Ceph 16.2.15). No Ceph code is copied here: only the two
 * prototypes are declared, bound to the C++ symbol names the library exports
 * (`nm -D --defined-only libceph-common.so.2 | grep str_hash`).
 *
 * Input: one name per line, as lowercase hex bytes (an empty line is the empty name).
 * Output: one line per name: "<rjenkins> <linux>", both unsigned 32-bit decimal.
 *
 * Built and run by scripts/golden-osdmap/hash.mjs:
 *   cc -O1 -o str-hash str-hash.c -L/usr/lib/x86_64-linux-gnu/ceph -l:libceph-common.so.2 \
 *      -Wl,-rpath,/usr/lib/x86_64-linux-gnu/ceph
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* unsigned ceph_str_hash_rjenkins(const char *str, unsigned length) */
extern unsigned ceph_str_hash_rjenkins(const char *str, unsigned length) __asm__("_Z22ceph_str_hash_rjenkinsPKcj");
/* unsigned ceph_str_hash_linux(const char *str, unsigned length) */
extern unsigned ceph_str_hash_linux(const char *str, unsigned length) __asm__("_Z19ceph_str_hash_linuxPKcj");

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int main(void) {
  size_t cap = 1 << 20;
  char *line = malloc(cap);
  unsigned char *name = malloc(cap / 2 + 1);
  if (!line || !name) return 2;
  while (fgets(line, (int)cap, stdin)) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n') line[--n] = 0;
    else if (n == cap - 1) { fprintf(stderr, "str-hash: line too long\n"); return 2; }
    if (n % 2) { fprintf(stderr, "str-hash: odd hex length\n"); return 2; }
    for (size_t i = 0; i < n / 2; i++) {
      int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
      if (hi < 0 || lo < 0) { fprintf(stderr, "str-hash: bad hex\n"); return 2; }
      name[i] = (unsigned char)(hi << 4 | lo);
    }
    printf("%u %u\n", ceph_str_hash_rjenkins((const char *)name, (unsigned)(n / 2)),
           ceph_str_hash_linux((const char *)name, (unsigned)(n / 2)));
  }
  free(line);
  free(name);
  return ferror(stdin) ? 2 : 0;
}
