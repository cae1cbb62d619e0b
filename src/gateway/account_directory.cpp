#include "spot/gateway/account_directory.h"

#include <mutex>

namespace spot {

void AccountDirectory::add(const std::string& key_hash, AccountId account,
                           std::string sealed_secret) {
  std::unique_lock lock(mutex_);
  by_hash_[key_hash] = Entry{account, std::move(sealed_secret)};
}

std::optional<AccountId> AccountDirectory::find_by_key(std::string_view api_key) const {
  if (api_key.empty() || api_key.size() > max_key_bytes_) return std::nullopt;
  const std::string hash = sha256_hex(api_key);
  std::shared_lock lock(mutex_);
  const auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second.account;
}

AccountDirectory::NewSecret AccountDirectory::new_secret(std::string_view key_hash) const {
  if (!box_) return {};
  NewSecret s;
  s.plain = random_hex(32);
  s.sealed = box_->seal(s.plain, key_hash);
  return s;
}

std::optional<AccountDirectory::Credentials> AccountDirectory::credentials(
    std::string_view api_key) const {
  if (!box_ || api_key.empty() || api_key.size() > max_key_bytes_) return std::nullopt;
  const std::string hash = sha256_hex(api_key);
  Entry entry;
  {
    std::shared_lock lock(mutex_);
    const auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    entry = it->second;
  }
  if (entry.sealed_secret.empty()) return std::nullopt;
  auto secret = box_->open(entry.sealed_secret, hash);
  if (!secret) return std::nullopt;
  return Credentials{entry.account, std::move(*secret)};
}

}  // namespace spot
