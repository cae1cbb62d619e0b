// API key (stored hashed) -> account, read by every I/O thread.
#pragma once

#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "spot/core/types.h"

namespace spot {

class AccountDirectory {
 public:
  // Keys longer than `max_key_bytes` are never looked up (nor hashed).
  explicit AccountDirectory(std::size_t max_key_bytes = 256) : max_key_bytes_(max_key_bytes) {}

  void add(const std::string& key_hash, AccountId account);
  std::optional<AccountId> find_by_key(std::string_view api_key) const;

 private:
  std::size_t max_key_bytes_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, AccountId> by_hash_;
};

}  // namespace spot
