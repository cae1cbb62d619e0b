// FNV-1a 64: a hash defined byte for byte (unlike std::hash), for what is stored or
// compared across builds: snapshots, the state hash, migration checksums.
#pragma once

#include <cstdint>
#include <string_view>

namespace spot {

inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

// Continues hash `h` over the bytes of `s`.
constexpr std::uint64_t fnv1a(std::string_view s, std::uint64_t h = kFnvOffset) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

// Continues hash `h` over the eight bytes of `v`, least significant first.
constexpr std::uint64_t fnv1a(std::uint64_t v, std::uint64_t h) {
  for (int i = 0; i < 8; ++i) {
    h ^= (v >> (8 * i)) & 0xFF;
    h *= kFnvPrime;
  }
  return h;
}

}  // namespace spot
