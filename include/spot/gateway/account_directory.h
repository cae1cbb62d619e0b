// API key (stored hashed) -> account, and the account's API secret (stored sealed),
// read by every I/O thread.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "spot/core/types.h"
#include "spot/gateway/secrets.h"

namespace spot {

class AccountDirectory {
 public:
  // Keys longer than `max_key_bytes` are never looked up (nor hashed). Without a
  // `box` (no server key configured) accounts get no API secret, and signed
  // (/api/v3) requests are refused.
  explicit AccountDirectory(std::size_t max_key_bytes = 256,
                            std::shared_ptr<const SecretBox> box = nullptr)
      : max_key_bytes_(max_key_bytes), box_(std::move(box)) {}

  // `sealed_secret` as seal_secret made it ("" for an account without one).
  void add(const std::string& key_hash, AccountId account, std::string sealed_secret = "");
  std::optional<AccountId> find_by_key(std::string_view api_key) const;

  bool has_secrets() const { return box_ != nullptr; }
  // A new random API secret (64 characters of [0-9a-f]) sealed for the account with
  // API key hash `key_hash`; {"", ""} without a server key.
  struct NewSecret {
    std::string plain;
    std::string sealed;
  };
  NewSecret new_secret(std::string_view key_hash) const;

  struct Credentials {
    AccountId account;
    std::string secret;  // in the clear: never log it, never keep it past the request
  };
  // The account of `api_key` and its opened secret; nullopt for an unknown key, or an
  // account without a secret (or one sealed under another server key).
  std::optional<Credentials> credentials(std::string_view api_key) const;

 private:
  struct Entry {
    AccountId account;
    std::string sealed_secret;
  };
  std::size_t max_key_bytes_;
  std::shared_ptr<const SecretBox> box_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> by_hash_;
};

}  // namespace spot
