// Prints Ceph 16.2's own OSDMap::Incremental::dump of an encoded incremental, by calling the code in
// libceph-common.so.2 (no Ceph tool prints incrementals, and Ceph's headers are not installed here).
// The few declarations below mirror Pacific's class layouts just enough to construct a bufferlist
// and to call the exported, non-virtual functions; objects are given generous storage.
// Build: g++ -O1 -o inc-dump inc-dump.cc /usr/lib/x86_64-linux-gnu/ceph/libceph-common.so.2
// Usage: inc-dump FILE [json|json-pretty]   -> the dump inside an "incremental" section, then "\n"
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

namespace ceph {
class Formatter;
class JSONFormatter {
 public:
  explicit JSONFormatter(bool pretty);
  void open_object_section(std::string_view name);
  void close_section();
  void flush(std::ostream& os);
 private:
  alignas(16) char storage_[1 << 16];
};
namespace buffer {
inline namespace v15_2_0 {
class ptr_node;
class list {
 public:
  struct ptr_hook { ptr_hook* next; };
  list() : _len(0), _num(0) {
    _root.next = &_root;
    _tail = &_root;
    _carriage = &always_empty_bptr;
  }
  int read_file(const char* fn, std::string* error);
 private:
  ptr_hook _root;
  ptr_hook* _tail;
  ptr_node* _carriage;
  unsigned _len, _num;
  static ptr_node always_empty_bptr;
};
}  // namespace v15_2_0
}  // namespace buffer
}  // namespace ceph

class OSDMap {
 public:
  struct Incremental {
    explicit Incremental(ceph::buffer::list& bl);
    void dump(ceph::Formatter* f) const;
    alignas(16) char storage_[1 << 18];
  };
};

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: inc-dump FILE [json|json-pretty]\n";
    return 2;
  }
  bool pretty = !(argc > 2 && std::string(argv[2]) == "json");
  static ceph::buffer::list bl;
  std::string err;
  if (bl.read_file(argv[1], &err) < 0) {
    std::cerr << "read " << argv[1] << ": " << err << "\n";
    return 1;
  }
  static OSDMap::Incremental* inc = new OSDMap::Incremental(bl);
  static ceph::JSONFormatter* f = new ceph::JSONFormatter(pretty);
  f->open_object_section("incremental");
  inc->dump(reinterpret_cast<ceph::Formatter*>(f));
  f->close_section();
  f->flush(std::cout);
  std::cout << std::endl;
  return 0;
}
