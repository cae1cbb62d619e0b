// Secrets: API keys and admin tokens are random, stored only as hashes, and compared
// in constant time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spot {

std::string sha256_hex(std::string_view data);
// `bytes` random bytes from the OS CSPRNG, hex encoded (2 * bytes characters).
std::string random_hex(std::size_t bytes);
// Compares two secrets in time independent of where they differ (and of their
// lengths: both are hashed first).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace spot
