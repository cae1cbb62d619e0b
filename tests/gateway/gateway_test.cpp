// The gateway: its admission order and counts, and its parts (secrets, correlation ids,
// the API-key directory, the rate limit, the maker-fill router).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "spot/core/clock.h"
#include "spot/engine/order_queue.h"
#include "spot/gateway/account_directory.h"
#include "spot/gateway/correlation.h"
#include "spot/gateway/fill_router.h"
#include "spot/gateway/gateway.h"
#include "spot/gateway/rate_limiter.h"
#include "spot/gateway/secrets.h"
#include "spot/metrics/metrics.h"

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

TEST(AccountDirectory, KeysOverTheLimitAreNotLookedUp) {
  AccountDirectory directory(16);
  const std::string long_key(17, 'k');
  directory.add(sha256_hex(long_key), AccountId{1});
  directory.add(sha256_hex(std::string(16, 'k')), AccountId{2});
  EXPECT_FALSE(directory.find_by_key(long_key));
  EXPECT_EQ(directory.find_by_key(std::string(16, 'k')), AccountId{2});
}

// A gateway over a real ring queue, with a fake clock; the test plays the matching
// thread by popping the queue and running each command's completion.
class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest()
      : queue_(4),
        limiter_(10, 2, clock_),
        metrics_("test"),
        gateway_(queue_, accounts_, limiter_, metrics_, clock_) {
    accounts_.add(sha256_hex("alice-key"), AccountId{7});
    gateway_.set_ready(true);
  }

  SubmitOrder order() {
    SubmitOrder o;
    o.symbol = 0;
    o.price = 100;
    o.qty = 1;
    o.client_order_id = "c1";
    return o;
  }

  // Submits and returns the refusal reason (None when queued).
  RejectReason submit(CommandBody body, std::optional<AccountId> account,
                      RejectReason invalid = RejectReason::None) {
    const auto refused = gateway_.submit({std::move(body), "rid", account, invalid},
                                         [this](Reply&& r) { replies_.push_back(std::move(r)); });
    return refused ? refused->reason : RejectReason::None;
  }

  double counter(const std::string& line_start) {
    const std::string text = metrics_.scrape();
    const auto at = text.find("\n" + line_start + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + line_start.size() + 2));
  }

  std::vector<Command> drain() {
    std::vector<Command> out;
    queue_.pop_batch(out, 100);
    return out;
  }

  FakeClock clock_{1'000};
  RingOrderQueue queue_;
  AccountDirectory accounts_;
  RateLimiter limiter_;
  Metrics metrics_;
  Gateway gateway_;
  std::vector<Reply> replies_;
};

TEST_F(GatewayTest, QueuesAnAdmittedOrderWithItsAccountAndCorrelationId) {
  clock_.advance_ns(5);
  EXPECT_EQ(submit(order(), gateway_.authenticate("alice-key")), RejectReason::None);
  EXPECT_EQ(gateway_.admitted(), 1u);
  auto commands = drain();
  ASSERT_EQ(commands.size(), 1u);
  const auto& o = std::get<SubmitOrder>(commands[0].body);
  EXPECT_EQ(o.account, AccountId{7});  // stamped by the gateway, not by the protocol
  EXPECT_EQ(o.client_order_id, "c1");
  EXPECT_EQ(commands[0].request_id, "rid");
  EXPECT_EQ(commands[0].received_ns, 1'005);
  commands[0].done(OrderReply{});
  EXPECT_EQ(replies_.size(), 1u);
  EXPECT_EQ(counter("spot_orders_received_total"), 1);
}

TEST_F(GatewayTest, ChecksInOneOrderForEveryProtocol) {
  // Unauthenticated comes first, even when also not ready and undecodable.
  gateway_.set_ready(false);
  EXPECT_EQ(submit(order(), std::nullopt, RejectReason::BadPrice), RejectReason::Unauthorized);
  // Then readiness, before the rate limit is touched.
  const AccountId alice{7};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(submit(order(), alice, RejectReason::BadPrice), RejectReason::NotReady);
  }
  gateway_.set_ready(true);
  // Then the rate limit (a bucket of 2: the NotReady ones above took no token), before the
  // codec's verdict: a bad order still costs a token.
  EXPECT_EQ(submit(order(), alice, RejectReason::BadPrice), RejectReason::BadPrice);
  EXPECT_EQ(submit(order(), alice, RejectReason::UnknownSymbol), RejectReason::UnknownSymbol);
  EXPECT_EQ(submit(order(), alice), RejectReason::RateLimited);
  clock_.advance_ns(1'000'000'000);
  // Then room in the queue (capacity 4).
  for (int i = 0; i < 2; ++i) EXPECT_EQ(submit(order(), alice), RejectReason::None);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(submit(GetOrder{{}, OrderId{1}}, alice), RejectReason::None);
  EXPECT_EQ(submit(GetOrder{{}, OrderId{1}}, alice), RejectReason::Overloaded);
  EXPECT_EQ(gateway_.admitted(), 4u);
  // Draining refuses like not ready.
  drain();
  gateway_.start_draining();
  EXPECT_FALSE(gateway_.ready());
  EXPECT_EQ(submit(GetOrder{{}, OrderId{1}}, alice), RejectReason::NotReady);
  EXPECT_TRUE(replies_.empty());  // a refused request's completion never runs
}

TEST_F(GatewayTest, CountsEveryOrderAndEveryRejectOnce) {
  submit(order(), std::nullopt);
  submit(order(), AccountId{7}, RejectReason::UnknownSymbol);
  submit(order(), AccountId{7}, RejectReason::BadRequest);
  submit(order(), AccountId{7});
  submit(GetOrder{{}, OrderId{1}}, std::nullopt);  // not an order: not counted
  EXPECT_EQ(counter("spot_orders_received_total"), 4);
  EXPECT_EQ(counter(R"(spot_orders_rejected_total{reason="UNAUTHORIZED"})"), 1);
  EXPECT_EQ(counter(R"(spot_orders_rejected_total{reason="UNKNOWN_SYMBOL"})"), 1);
  EXPECT_EQ(counter(R"(spot_orders_rejected_total{reason="BAD_REQUEST"})"), 1);
  EXPECT_EQ(counter(R"(spot_orders_rejected_total{reason="RATE_LIMITED"})"), 1);
}

TEST_F(GatewayTest, RateLimitRefusalSaysWhenToRetry) {
  const AccountId alice{7};
  submit(CancelRequest{{}, OrderId{1}}, alice);
  submit(CancelRequest{{}, OrderId{2}}, alice);
  const auto refused = gateway_.submit({CancelRequest{{}, OrderId{3}}, "rid", alice}, {});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, RejectReason::RateLimited);
  EXPECT_NEAR(refused->retry_after_s, 0.1, 1e-9);
  // Queries are not rate limited.
  EXPECT_EQ(submit(OpenOrders{{}, std::nullopt}, alice), RejectReason::None);
}

// GET /api/v1/account, /api/v3/account and the TCP BalanceQuery all send GetBalances:
// without a caller it is refused, never run for account 0 (the fee account).
TEST_F(GatewayTest, ABalanceQueryNeedsAnAccountAndIsForThatAccount) {
  EXPECT_EQ(submit(GetBalances{}, std::nullopt), RejectReason::Unauthorized);
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(submit(GetBalances{AccountId{0}}, AccountId{7}), RejectReason::None);
  const auto commands = drain();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(std::get<GetBalances>(commands[0].body).account, AccountId{7});
}

TEST_F(GatewayTest, AFailureIsForGoodAndSaysWhy) {
  gateway_.fail("journal: no_space");
  gateway_.fail("journal: fsync_failed");  // the first reason stays
  gateway_.set_ready(true);                // and nothing makes it ready again
  EXPECT_FALSE(gateway_.ready());
  EXPECT_TRUE(gateway_.failed());
  EXPECT_EQ(gateway_.failure(), "journal: no_space");
  EXPECT_EQ(submit(order(), AccountId{7}), RejectReason::NotReady);
}

TEST_F(GatewayTest, PublicCommandsNeedNoAccount) {
  EXPECT_EQ(submit(GetDepth{0, 10}, std::nullopt), RejectReason::None);
  EXPECT_EQ(submit(GetState{}, std::nullopt), RejectReason::None);
  EXPECT_EQ(submit(OpenOrders{{}, std::nullopt}, std::nullopt), RejectReason::Unauthorized);
  EXPECT_EQ(submit(CancelRequest{{}, OrderId{1}}, std::nullopt), RejectReason::Unauthorized);
}

struct RecordingSubscriber final : FillSubscriber {
  void on_maker_fill(const MakerFill& fill) override { fills.push_back(fill); }
  std::vector<MakerFill> fills;
};

TEST(FillRouter, HandsEachAccountItsOwnFills) {
  FillRouter router;
  auto alice = std::make_shared<RecordingSubscriber>();
  auto alice_too = std::make_shared<RecordingSubscriber>();
  auto bob = std::make_shared<RecordingSubscriber>();
  router.subscribe(AccountId{1}, alice);
  router.subscribe(AccountId{1}, alice_too);
  router.subscribe(AccountId{2}, bob);
  router.publish(
      {MakerFill{AccountId{1}, OrderId{10}, 5, {}}, MakerFill{AccountId{3}, OrderId{11}, 0, {}}});
  ASSERT_EQ(alice->fills.size(), 1u);
  EXPECT_EQ(alice->fills[0].order_id, OrderId{10});
  EXPECT_EQ(alice_too->fills.size(), 1u);
  EXPECT_TRUE(bob->fills.empty());
  // A subscription ends with its subscriber.
  alice_too.reset();
  router.publish({MakerFill{AccountId{1}, OrderId{12}, 0, {}}});
  EXPECT_EQ(alice->fills.size(), 2u);
}

}  // namespace
}  // namespace spot
