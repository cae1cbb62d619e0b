#include "spot/gateway/correlation.h"

#include <atomic>
#include <cstdint>

#include "spot/core/types.h"
#include "spot/gateway/secrets.h"

namespace spot {

std::string correlation_id(std::string_view client_value, std::size_t max_bytes) {
  if (is_safe_id(client_value, max_bytes)) return std::string(client_value);
  static const std::string prefix = random_hex(4);
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  static const char* digits = "0123456789abcdef";
  std::string id = prefix;
  id.resize(24);
  for (int i = 0; i < 16; ++i) id[8 + i] = digits[(n >> (60 - 4 * i)) & 0xF];
  return id;
}

}  // namespace spot
