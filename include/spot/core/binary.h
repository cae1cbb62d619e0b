// Little-endian binary writing and bounds-checked reading, for the journal's records and
// the engine's snapshot state. Strings are a u32 length and the bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spot::binary {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  template <class T>
  void put(T value) {
    const auto u = static_cast<std::uint64_t>(value);
    char bytes[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(u >> (8 * i));
    out_.append(bytes, sizeof(T));
  }

  void str(std::string_view s) {
    put(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  // False (reading nothing) when fewer than sizeof(T) bytes are left.
  template <class T>
  bool get(T& value) {
    if (in_.size() - at_ < sizeof(T)) return false;
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      u |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[at_ + i])) << (8 * i);
    }
    at_ += sizeof(T);
    value = static_cast<T>(u);
    return true;
  }

  bool str(std::string& s) {
    std::uint32_t n = 0;
    if (!get(n) || in_.size() - at_ < n) return false;
    s.assign(in_.substr(at_, n));
    at_ += n;
    return true;
  }

  bool done() const { return at_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
};

}  // namespace spot::binary
