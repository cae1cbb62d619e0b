// Secrets: API keys and admin tokens are random, stored only as hashes, and compared
// in constant time; API secrets (which HMAC needs in the clear) are stored sealed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace spot {

std::string sha256_hex(std::string_view data);
// `bytes` random bytes from the OS CSPRNG, hex encoded (2 * bytes characters).
std::string random_hex(std::size_t bytes);
// Compares two secrets in time independent of where they differ (and of their
// lengths: both are hashed first).
bool constant_time_equal(std::string_view a, std::string_view b);

// `hex` (any case) as bytes; nullopt if it is not an even run of hex digits.
std::optional<std::string> from_hex(std::string_view hex);

// Seals API secrets at rest: AES-256-GCM under the server key, each with a fresh
// 96-bit nonce. A sealed secret is hex of nonce (12) | ciphertext | tag (16); the
// caller's `associated` data (the account's API key hash) is authenticated with it, so
// a sealed secret moved to another account does not open.
class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  // `key` must be kKeyBytes bytes (REQUIRES).
  explicit SecretBox(std::string key);
  std::string seal(std::string_view plaintext, std::string_view associated) const;
  // nullopt if `sealed` was not sealed by this key for `associated` (or is malformed).
  std::optional<std::string> open(std::string_view sealed, std::string_view associated) const;

 private:
  std::string key_;
};

}  // namespace spot
