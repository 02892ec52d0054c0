// Records libstdc++'s std::unordered_map iteration order after inserting keys one by one, for
// tsceph's unorderedMapOrder (Ceph keeps OSDMap::blocklist in an unordered_map, so osdmaptool prints
// it in this order). Each output line: "HASHES... | ORDER..." where ORDER lists insertion indexes.
// Build and run: g++ -O1 -o /tmp/uo unordered-order.cc && /tmp/uo > unordered-order.txt
#include <cstdint>
#include <cstdio>
#include <unordered_map>
#include <vector>

struct Key { uint32_t h; uint32_t idx; bool operator==(const Key& o) const { return idx == o.idx; } };
struct KeyHash { size_t operator()(const Key& k) const { return k.h; } };

int main() {
  uint64_t s = 88172645463325252ull;
  auto rnd = [&]() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (uint32_t)(s >> 11); };
  const int lens[] = {1, 2, 3, 5, 12, 13, 14, 20, 29, 30, 31, 60, 100, 128, 300, 700};
  for (int li = 0; li < (int)(sizeof(lens) / sizeof(lens[0])); li++) {
    for (int variant = 0; variant < 2; variant++) {
      int n = lens[li];
      std::vector<uint32_t> h(n);
      for (int i = 0; i < n; i++) h[i] = variant ? (rnd() % 7) * 13 + (rnd() % 3) : rnd();
      std::unordered_map<Key, int, KeyHash> m;
      for (int i = 0; i < n; i++) m[Key{h[i], (uint32_t)i}] = i;
      for (int i = 0; i < n; i++) printf("%u ", h[i]);
      printf("|");
      for (auto& p : m) printf(" %u", p.first.idx);
      printf("\n");
    }
  }
  return 0;
}
