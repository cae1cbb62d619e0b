#include "spot/gateway/account_directory.h"

#include <mutex>

#include "spot/gateway/secrets.h"

namespace spot {

void AccountDirectory::add(const std::string& key_hash, AccountId account) {
  std::unique_lock lock(mutex_);
  by_hash_[key_hash] = account;
}

std::optional<AccountId> AccountDirectory::find_by_key(std::string_view api_key) const {
  if (api_key.empty() || api_key.size() > max_key_bytes_) return std::nullopt;
  const std::string hash = sha256_hex(api_key);
  std::shared_lock lock(mutex_);
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

}  // namespace spot
