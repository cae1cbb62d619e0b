#include "spot/gateway/secrets.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace spot {
namespace {

std::string to_hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xF];
  }
  return out;
}

void sha256(std::string_view data, unsigned char (&digest)[32]) {
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[32];
  sha256(data, digest);
  return to_hex(digest, sizeof(digest));
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char da[32];
  unsigned char db[32];
  sha256(a, da);
  sha256(b, db);
  return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

}  // namespace spot
