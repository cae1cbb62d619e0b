// API secrets at rest: sealed with AES-256-GCM under the server key (gateway/secrets.h),
// opened only by the account directory, and carried sealed, never in the clear, through
// the journal record of account creation and the engine snapshot.
#include <gtest/gtest.h>

#include "spot/engine/engine.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/secrets.h"
#include "spot/journal/codec.h"

namespace spot {
namespace {

const std::string kKey(32, 'k');

TEST(SecretBox, SealsAndOpensOnlyUnderItsKeyAndAssociatedData) {
  const SecretBox box(kKey);
  const std::string sealed = box.seal("the-secret", "hash-1");
  EXPECT_EQ(sealed.find("the-secret"), std::string::npos);
  EXPECT_EQ(sealed.size(), 2 * (12 + 10 + 16));  // hex of nonce | ciphertext | tag
  EXPECT_EQ(box.open(sealed, "hash-1"), "the-secret");
  // A fresh nonce each time.
  EXPECT_NE(box.seal("the-secret", "hash-1"), sealed);
  // Another account's associated data, another key, a flipped bit, garbage: nothing.
  EXPECT_FALSE(box.open(sealed, "hash-2"));
  EXPECT_FALSE(SecretBox(std::string(32, 'x')).open(sealed, "hash-1"));
  std::string tampered = sealed;
  tampered[30] = tampered[30] == '0' ? '1' : '0';
  EXPECT_FALSE(box.open(tampered, "hash-1"));
  EXPECT_FALSE(box.open("zz", "hash-1"));
  EXPECT_FALSE(box.open("", "hash-1"));
  EXPECT_FALSE(box.open(sealed.substr(0, 40), "hash-1"));
}

TEST(SecretBox, HexRoundTrip) {
  EXPECT_EQ(from_hex("00ff7F"), std::string("\x00\xff\x7f", 3));
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("0g"));
}

TEST(AccountDirectory, CredentialsOpenTheSealedSecret) {
  auto box = std::make_shared<const SecretBox>(kKey);
  AccountDirectory directory(256, box);
  ASSERT_TRUE(directory.has_secrets());
  const std::string key_hash = sha256_hex("api-key-1");
  const AccountDirectory::NewSecret secret = directory.new_secret(key_hash);
  EXPECT_EQ(secret.plain.size(), 64u);
  EXPECT_EQ(secret.sealed.find(secret.plain), std::string::npos);
  directory.add(key_hash, AccountId{7}, secret.sealed);
  const auto c = directory.credentials("api-key-1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->account, AccountId{7});
  EXPECT_EQ(c->secret, secret.plain);
  EXPECT_EQ(directory.find_by_key("api-key-1"), AccountId{7});
  EXPECT_FALSE(directory.credentials("api-key-2"));
  EXPECT_FALSE(directory.credentials(""));
  // An account from before secrets (or without a server key): a key, no credentials.
  directory.add(sha256_hex("old-key"), AccountId{8});
  EXPECT_EQ(directory.find_by_key("old-key"), AccountId{8});
  EXPECT_FALSE(directory.credentials("old-key"));
  // A secret sealed for another account's key does not open for this one.
  directory.add(sha256_hex("api-key-3"), AccountId{9}, secret.sealed);
  EXPECT_FALSE(directory.credentials("api-key-3"));
}

TEST(AccountDirectory, WithoutServerKeyNoSecrets) {
  AccountDirectory directory;
  EXPECT_FALSE(directory.has_secrets());
  const auto s = directory.new_secret("h");
  EXPECT_TRUE(s.plain.empty());
  EXPECT_TRUE(s.sealed.empty());
}

TEST(ApiSecretJournal, AccountRecordCarriesTheSealedSecretCompatibly) {
  const CreateAccount with{"alice", "hash", "00112233"};
  const std::string payload = journal::encode_command(with, "rid-1", 1234);
  CommandBody decoded;
  std::string rid;
  std::int64_t time_ns = 0;
  ASSERT_TRUE(journal::decode_command(payload, decoded, rid, &time_ns));
  const auto& a = std::get<CreateAccount>(decoded);
  EXPECT_EQ(a.name, "alice");
  EXPECT_EQ(a.key_hash, "hash");
  EXPECT_EQ(a.sealed_secret, "00112233");
  EXPECT_EQ(rid, "rid-1");
  EXPECT_EQ(time_ns, 1234);
  // Without a secret the record is byte for byte what earlier versions wrote.
  const std::string old = journal::encode_command(CreateAccount{"bob", "h2"}, "rid-2", 5);
  const std::string with_secret =
      journal::encode_command(CreateAccount{"bob", "h2", "abcd"}, "rid-2", 5);
  EXPECT_EQ(with_secret.substr(0, old.size()), old);  // the secret only appended
  ASSERT_TRUE(journal::decode_command(old, decoded, rid, &time_ns));
  EXPECT_EQ(std::get<CreateAccount>(decoded).sealed_secret, "");
  // A truncated secret is corruption.
  std::string cut = payload;
  cut.pop_back();
  EXPECT_FALSE(journal::decode_command(cut, decoded, rid, &time_ns));
}

TEST(ApiSecretSnapshot, EngineKeepsTheSealedSecretAcrossSnapshots) {
  SymbolSpec btc;
  btc.name = "BTC-USDT";
  Engine engine({btc}, EngineLimits{});
  engine.create_account(CreateAccount{"alice", "hash-a", "sealed-a"});
  engine.create_account(CreateAccount{"bob", "hash-b"});
  std::string snapshot;
  engine.serialize(snapshot);
  EXPECT_EQ(snapshot[0], '\x04');  // format 4 (3 and later: with the sealed secrets)
  Engine restored({btc}, EngineLimits{});
  ASSERT_TRUE(restored.restore(snapshot).ok());
  std::vector<std::string> seen;
  restored.for_each_account([&](AccountId, const std::string& hash, const std::string& sealed) {
    seen.push_back(hash + "=" + sealed);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"hash-a=sealed-a", "hash-b="}));
  EXPECT_EQ(restored.state_hash(), engine.state_hash());
  // Without any secret the state is format 4 too, each account's secret empty.
  Engine plain({btc}, EngineLimits{});
  plain.create_account(CreateAccount{"carol", "hash-c"});
  std::string without;
  plain.serialize(without);
  EXPECT_EQ(without[0], '\x04');
  Engine back({btc}, EngineLimits{});
  ASSERT_TRUE(back.restore(without).ok());
  EXPECT_EQ(back.state_hash(), plain.state_hash());
}

}  // namespace
}  // namespace spot
