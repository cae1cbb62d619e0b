// Intake helpers: hashing, secrets, correlation ids, the API-key directory, the rate limit.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "spot/core/clock.h"
#include "spot/net/intake.h"

namespace spot {
namespace {

bool is_lower_hex(const std::string& s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

TEST(Sha256Hex, MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Embedded NUL bytes are hashed, not treated as the end.
  EXPECT_NE(sha256_hex(std::string_view("a\0b", 3)), sha256_hex("a"));
}

TEST(RandomHex, HasTwoCharactersPerByteAndDoesNotRepeat) {
  for (const std::size_t bytes : {1u, 12u, 16u, 32u}) {
    const std::string s = random_hex(bytes);
    EXPECT_EQ(s.size(), 2 * bytes);
    EXPECT_TRUE(is_lower_hex(s)) << s;
  }
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_hex(16));
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ConstantTimeEqual, ComparesContent) {
  EXPECT_TRUE(constant_time_equal("secret-token", "secret-token"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("secret-token", "secret-tokeN"));
  EXPECT_FALSE(constant_time_equal("Secret-token", "secret-token"));
  EXPECT_FALSE(constant_time_equal("secret-token", "secret-token-longer"));
  EXPECT_FALSE(constant_time_equal("secret", ""));
  EXPECT_FALSE(constant_time_equal("", "secret"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0", 2), "a"));
}

TEST(CorrelationId, KeepsSaneIdsAndReplacesOthers) {
  const std::vector<std::string> sane = {"a",
                                         "req-123",
                                         "A.b_c:d-e",
                                         "0123456789",
                                         std::string(64, 'x'),
                                         "550e8400-e29b-41d4-a716-446655440000"};
  for (const std::string& id : sane) EXPECT_EQ(correlation_id(id), id);

  const std::vector<std::string> insane = {"",          std::string(65, 'x'),
                                           "has space", "semi;colon",
                                           "new\nline", "quote\"",
                                           "slash/",    "percent%20",
                                           "ütf8",      std::string("nul\0byte", 8),
                                           "{json}",    "tab\t"};
  for (const std::string& id : insane) {
    const std::string replaced = correlation_id(id);
    EXPECT_NE(replaced, id);
    EXPECT_EQ(replaced.size(), 24u) << replaced;
    EXPECT_TRUE(is_lower_hex(replaced)) << replaced;
    // A replacement is itself sane, so it survives being echoed back.
    EXPECT_EQ(correlation_id(replaced), replaced);
  }
  EXPECT_NE(correlation_id(""), correlation_id(""));
}

TEST(CorrelationId, GeneratedIdsAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) seen.insert(correlation_id(i % 2 == 0 ? "" : "bad id"));
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST(AccountDirectory, FindsAccountsByPlainKey) {
  AccountDirectory directory;
  directory.add(sha256_hex("key-alice"), AccountId{1});
  directory.add(sha256_hex("key-bob"), AccountId{2});

  EXPECT_EQ(directory.find_by_key("key-alice"), AccountId{1});
  EXPECT_EQ(directory.find_by_key("key-bob"), AccountId{2});
  EXPECT_FALSE(directory.find_by_key("key-carol"));
  EXPECT_FALSE(directory.find_by_key(""));
  // The directory holds hashes: the hash itself is not a key.
  EXPECT_FALSE(directory.find_by_key(sha256_hex("key-alice")));
  EXPECT_FALSE(directory.find_by_key("KEY-ALICE"));
}

TEST(AccountDirectory, EmptyDirectoryFindsNothing) {
  const AccountDirectory directory;
  EXPECT_FALSE(directory.find_by_key("anything"));
}

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;

TEST(RateLimiter, BurstThenRefusalWithRetryAfter) {
  FakeClock clock(5 * kSecond);
  RateLimiter limiter(10, 3, clock);  // 10 tokens/s, bucket of 3
  const AccountId a{1};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow(a)) << i;
  double retry_after_s = -1;
  EXPECT_FALSE(limiter.allow(a, &retry_after_s));
  EXPECT_NEAR(retry_after_s, 0.1, 1e-9);
  EXPECT_FALSE(limiter.allow(a));  // no pointer: still refused, nothing written

  clock.advance_ns(50 * kMs);  // half a token
  retry_after_s = -1;
  EXPECT_FALSE(limiter.allow(a, &retry_after_s));
  EXPECT_NEAR(retry_after_s, 0.05, 1e-9);

  clock.advance_ns(51 * kMs);  // a whole token now
  EXPECT_TRUE(limiter.allow(a));
  EXPECT_FALSE(limiter.allow(a));
}

TEST(RateLimiter, RefillsOverTimeUpToTheBurst) {
  FakeClock clock;
  RateLimiter limiter(100, 5, clock);
  const AccountId a{7};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.allow(a));
  ASSERT_FALSE(limiter.allow(a));

  clock.advance_ns(30 * kMs + 1);  // 3 tokens
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow(a)) << i;
  EXPECT_FALSE(limiter.allow(a));

  clock.advance_ns(60 * kSecond);  // far more than the bucket holds
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow(a)) << i;
  EXPECT_FALSE(limiter.allow(a));
}

TEST(RateLimiter, SustainsTheConfiguredRate) {
  FakeClock clock;
  RateLimiter limiter(50, 1, clock);
  const AccountId a{3};
  int allowed = 0;
  for (int tick = 0; tick < 1000; ++tick) {  // 10 s in 10 ms steps
    if (limiter.allow(a)) ++allowed;
    if (limiter.allow(a)) ++allowed;  // always one request too many
    clock.advance_ns(10 * kMs);
  }
  EXPECT_NEAR(allowed, 500, 2);
}

TEST(RateLimiter, AccountsAreIndependent) {
  FakeClock clock;
  RateLimiter limiter(1, 2, clock);
  const AccountId a{1};
  const AccountId b{2};
  EXPECT_TRUE(limiter.allow(a));
  EXPECT_TRUE(limiter.allow(a));
  EXPECT_FALSE(limiter.allow(a));
  // b starts with a full bucket of its own.
  EXPECT_TRUE(limiter.allow(b));
  EXPECT_TRUE(limiter.allow(b));
  EXPECT_FALSE(limiter.allow(b));

  clock.advance_ns(kSecond);
  EXPECT_TRUE(limiter.allow(a));
  EXPECT_FALSE(limiter.allow(a));
  EXPECT_TRUE(limiter.allow(b));
  EXPECT_TRUE(limiter.allow(AccountId{3}));
}

}  // namespace
}  // namespace spot
