#include "spot/net/intake.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
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

std::string correlation_id(std::string_view client_value) {
  const bool sane = !client_value.empty() && client_value.size() <= 64 &&
                    std::all_of(client_value.begin(), client_value.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == ':';
                    });
  if (sane) return std::string(client_value);
  // Generated ids: a random per-process prefix and a counter. Unique, 24 hex
  // characters, and cheap (no CSPRNG call per request).
  static const std::string prefix = random_hex(4);
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  static const char* digits = "0123456789abcdef";
  std::string id = prefix;
  id.resize(24);
  for (int i = 0; i < 16; ++i) id[8 + i] = digits[(n >> (60 - 4 * i)) & 0xF];
  return id;
}

void AccountDirectory::add(const std::string& key_hash, AccountId account) {
  std::unique_lock lock(mutex_);
  by_hash_[key_hash] = account;
}

std::optional<AccountId> AccountDirectory::find_by_key(std::string_view api_key) const {
  if (api_key.empty() || api_key.size() > 256) return std::nullopt;
  const std::string hash = sha256_hex(api_key);
  std::shared_lock lock(mutex_);
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

RateLimiter::RateLimiter(double rate_per_s, double burst, const Clock& clock)
    : rate_(rate_per_s), burst_(burst), clock_(clock) {}

bool RateLimiter::allow(AccountId account, double* retry_after_s) {
  const std::int64_t now = clock_.monotonic_ns();
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(account.value, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed_s = static_cast<double>(now - b.updated_ns) / 1e9;
    b.tokens = std::min(burst_, b.tokens + elapsed_s * rate_);
    b.updated_ns = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_s != nullptr) *retry_after_s = (1.0 - b.tokens) / rate_;
  return false;
}

bool Intake::push(Command& command) {
  inflight_.fetch_add(1, std::memory_order_acq_rel);
  if (!queue_.try_push(command)) {
    inflight_.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  return true;
}

}  // namespace spot
