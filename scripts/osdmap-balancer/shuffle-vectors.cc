// What libstdc++ (GCC 12, the compiler of Debian's Ceph 16.2.15) makes of std::shuffle with the two
// engines Pacific's balancer and osdmaptool use: std::default_random_engine (minstd_rand0) and
// std::mt19937. Prints JSON lines {engine, seed, n, out} (out: the shuffled 0..n-1, or for large n a
// checksum sum(i * out[i]) mod 2^32), for test/osdmap/balancer.test.ts.
// Build: g++ -O2 -std=c++17 -o shuffle-vectors shuffle-vectors.cc
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

template <class Engine>
static void emit(const char* name, uint32_t seed, size_t n) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  Engine g{seed};
  std::shuffle(v.begin(), v.end(), g);
  printf("{\"engine\":\"%s\",\"seed\":%u,\"n\":%zu,", name, seed, n);
  if (n <= 200) {
    printf("\"out\":[");
    for (size_t i = 0; i < n; i++) printf("%s%u", i ? "," : "", v[i]);
    printf("]");
  } else {
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += (uint32_t)i * v[i];
    printf("\"checksum\":%u", sum);
  }
  printf(",\"next\":%lu}\n", (unsigned long)g());
}

int main() {
  const uint32_t seeds[] = {0, 1, 2, 42, 12345, 2147483647u, 2147483648u, 0xdeadbeefu, 0xffffffffu};
  const size_t sizes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 31, 64, 100, 200, 46340, 46341, 50000, 70000};
  for (uint32_t s : seeds)
    for (size_t n : sizes) {
      emit<std::minstd_rand0>("minstd_rand0", s, n);
      emit<std::mt19937>("mt19937", s, n);
    }
  return 0;
}
