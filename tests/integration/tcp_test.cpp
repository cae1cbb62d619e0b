// The binary TCP protocol of a real spotd (docs/tcp-protocol.md).
#include <gtest/gtest.h>

#include <thread>

#include "spotd_process.h"

namespace spot::test {
namespace {

namespace wire = proto::tcp;

std::string enter(std::uint64_t token, Side side, Ticks price, Lots qty,
                  TimeInForce tif = TimeInForce::Gtc, OrderType type = OrderType::Limit,
                  std::uint16_t symbol = 0) {
  std::string out;
  wire::encode(wire::EnterOrder{{{}, symbol, side, type, tif, price, qty}, token}, out);
  return out;
}

template <class M>
M expect(TcpClient& c, char type) {
  const auto msg = c.receive_non_heartbeat();
  EXPECT_TRUE(msg.has_value()) << "expected '" << type << "', got nothing";
  M m{};
  if (!msg) return m;
  EXPECT_EQ(msg->type, static_cast<std::uint8_t>(type))
      << "got '" << static_cast<char>(msg->type) << "'";
  EXPECT_TRUE(wire::decode(msg->frame(), m));
  return m;
}

class Tcp : public ::testing::Test {
 protected:
  void SetUp() override {
    spotd_ = std::make_unique<SpotdProcess>();
    alice_ = spotd_->create_account("alice");
    bob_ = spotd_->create_account("bob");
  }
  std::unique_ptr<SpotdProcess> spotd_;
  std::string alice_;
  std::string bob_;
};

TEST_F(Tcp, OrderLifecycleWithMakerNotification) {
  TcpClient maker(spotd_->tcp_port());
  TcpClient taker(spotd_->tcp_port());
  ASSERT_TRUE(maker.login(alice_));
  ASSERT_TRUE(taker.login(bob_));

  maker.send(enter(11, Side::Sell, 10025, 1500));
  const auto rested = expect<wire::Accepted>(maker, 'A');
  EXPECT_EQ(rested.client_order_id, 11u);
  EXPECT_EQ(rested.status, wire::OrderStatusCode::New);
  EXPECT_EQ(rested.price, 10025);

  taker.send(enter(21, Side::Buy, 10100, 500, TimeInForce::Ioc));
  const auto accepted = expect<wire::Accepted>(taker, 'A');
  EXPECT_EQ(accepted.status, wire::OrderStatusCode::Filled);
  const auto fill = expect<wire::Executed>(taker, 'E');
  EXPECT_EQ(fill.price, 10025);
  EXPECT_EQ(fill.qty, 500);
  EXPECT_EQ(fill.liquidity, 'T');
  EXPECT_EQ(fill.client_order_id, 21u);

  const auto maker_fill = expect<wire::Executed>(maker, 'E');
  EXPECT_EQ(maker_fill.order_id, rested.order_id);
  EXPECT_EQ(maker_fill.liquidity, 'M');
  EXPECT_EQ(maker_fill.leaves_qty, 1000);
  EXPECT_EQ(maker_fill.trade_id, fill.trade_id);

  std::string cancel;
  wire::encode(wire::CancelOrderMsg{rested.order_id}, cancel);
  taker.send(cancel);  // not bob's order
  const auto refused = expect<wire::Rejected>(taker, 'J');
  EXPECT_EQ(refused.reason, RejectReason::UnknownOrder);
  EXPECT_EQ(refused.order_id, rested.order_id);

  maker.send(cancel);
  const auto canceled = expect<wire::Canceled>(maker, 'C');
  EXPECT_EQ(canceled.canceled_qty, 1000);
  EXPECT_EQ(canceled.reason, wire::CancelReasonCode::Requested);
  maker.send(cancel);
  EXPECT_EQ(expect<wire::Rejected>(maker, 'J').reason, RejectReason::UnknownOrder);
}

TEST_F(Tcp, IocRemainderIsReportedAndIdempotentTokens) {
  TcpClient c(spotd_->tcp_port());
  ASSERT_TRUE(c.login(alice_));
  c.send(enter(5, Side::Buy, 100, 10, TimeInForce::Ioc));
  EXPECT_EQ(expect<wire::Accepted>(c, 'A').status, wire::OrderStatusCode::Expired);
  const auto expired = expect<wire::Canceled>(c, 'C');
  EXPECT_EQ(expired.reason, wire::CancelReasonCode::Expired);
  EXPECT_EQ(expired.canceled_qty, 10);
  c.send(enter(6, Side::Buy, 100, 10));
  const auto first = expect<wire::Accepted>(c, 'A');
  c.send(enter(6, Side::Buy, 100, 10));
  const auto second = expect<wire::Accepted>(c, 'A');
  EXPECT_EQ(first.order_id, second.order_id);
}

TEST_F(Tcp, BadInputGetsRejects) {
  TcpClient c(spotd_->tcp_port());
  c.send(enter(1, Side::Buy, 100, 10));  // before login
  const auto early = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(early.reason, RejectReason::Unauthorized);
  EXPECT_EQ(early.client_order_id, 1u);  // echoed, as for every reject of an order
  ASSERT_TRUE(c.login(alice_));
  c.send(enter(2, Side::Buy, 100, 10, TimeInForce::Gtc, OrderType::Limit, 9));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::UnknownSymbol);
  c.send(enter(3, Side::Buy, 0, 10));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadPrice);
  c.send(enter(4, Side::Buy, 100, 0));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadQuantity);
  c.send(enter(5, Side::Buy, 0, 10, TimeInForce::Gtc, OrderType::Market));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadOrderType);
  c.send(std::string("\x01\x00Z", 3));  // unknown type: rejected, connection stays
  const auto unknown = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(unknown.reason, RejectReason::BadRequest);
  EXPECT_EQ(unknown.rejected_type, 'Z');
  std::string bad_side = enter(6, Side::Buy, 100, 10);
  bad_side[3 + 10] = 7;  // side byte
  c.send(bad_side);
  const auto out_of_range = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(out_of_range.reason, RejectReason::BadRequest);
  EXPECT_EQ(out_of_range.client_order_id, 6u);
  c.send(enter(7, Side::Buy, 100, 10));
  EXPECT_EQ(expect<wire::Accepted>(c, 'A').client_order_id, 7u);
}

TEST_F(Tcp, AnythingButLoginBeforeLoginIsRejectedUnauthorized) {
  TcpClient c(spotd_->tcp_port());
  std::string hb;
  wire::encode_heartbeat(hb);
  c.send(hb);
  const auto heartbeat = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(heartbeat.reason, RejectReason::Unauthorized);
  EXPECT_EQ(heartbeat.rejected_type, 'H');
  std::string cancel;
  wire::encode(wire::CancelOrderMsg{42}, cancel);
  c.send(cancel);
  const auto refused = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(refused.reason, RejectReason::Unauthorized);
  EXPECT_EQ(refused.order_id, 42u);
  ASSERT_TRUE(c.login(alice_));  // the connection is still usable
}

TEST_F(Tcp, RejectsOfTheTcpPathAreCountedLikeHttpOnes) {
  TcpClient c(spotd_->tcp_port());
  c.send(enter(1, Side::Buy, 100, 10));  // before login
  expect<wire::Rejected>(c, 'J');
  ASSERT_TRUE(c.login(alice_));
  c.send(enter(2, Side::Buy, 100, 10, TimeInForce::Gtc, OrderType::Limit, 9));
  expect<wire::Rejected>(c, 'J');
  std::string bad_side = enter(3, Side::Buy, 100, 10);
  bad_side[3 + 10] = 7;
  c.send(bad_side);
  expect<wire::Rejected>(c, 'J');
  const std::string metrics =
      HttpClient(spotd_->admin_port()).request(boost::beast::http::verb::get, "/metrics").body;
  for (const char* reason : {"UNAUTHORIZED", "UNKNOWN_SYMBOL", "BAD_REQUEST"}) {
    EXPECT_NE(metrics.find("spot_orders_rejected_total{reason=\"" + std::string(reason) + "\"} 1"),
              std::string::npos)
        << reason;
  }
  EXPECT_NE(metrics.find("spot_orders_received_total 3"), std::string::npos);
}

TEST_F(Tcp, OversizedFrameClosesOnlyThatConnection) {
  TcpClient other(spotd_->tcp_port());
  ASSERT_TRUE(other.login(bob_));
  TcpClient c(spotd_->tcp_port());
  ASSERT_TRUE(c.login(alice_));
  c.send(std::string("\xff\xff", 2) + std::string(100, 'O'));
  EXPECT_EQ(expect<wire::Rejected>(c, 'J').reason, RejectReason::BadRequest);
  EXPECT_FALSE(c.receive(std::chrono::seconds(2)).has_value());  // closed
  other.send(enter(1, Side::Buy, 100, 10));
  EXPECT_EQ(expect<wire::Accepted>(other, 'A').client_order_id, 1u);
}

TEST_F(Tcp, BadLoginIsRejectedAndClosed) {
  TcpClient c(spotd_->tcp_port());
  EXPECT_FALSE(c.login("wrong-key"));
  EXPECT_FALSE(c.receive(std::chrono::seconds(2)).has_value());
}

// A resent token whose order has left memory (past engine.order_history) but whose key
// is still in engine.idempotency_window: no second order, a Rejected that names the
// original order; past the window the token is a new order.
TEST(TcpIdempotency, AForgottenOrdersTokenIsRejectedWithTheOriginalId) {
  SpotdProcess spotd({"--set", "engine.order_history=1", "--set", "engine.idempotency_window=2"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  const auto ioc = [&](std::uint64_t token) {
    c.send(enter(token, Side::Buy, 100, 10, TimeInForce::Ioc));
    const auto accepted = expect<wire::Accepted>(c, 'A');
    EXPECT_EQ(expect<wire::Canceled>(c, 'C').reason, wire::CancelReasonCode::Expired);
    return accepted.order_id;
  };
  const std::uint64_t first = ioc(31);
  ioc(32);  // 31 is forgotten; its key stays
  c.send(enter(31, Side::Sell, 200, 5));
  const auto duplicate = expect<wire::Rejected>(c, 'J');
  EXPECT_EQ(duplicate.client_order_id, 31u);
  EXPECT_EQ(duplicate.order_id, first);
  EXPECT_EQ(duplicate.rejected_type, 'O');
  EXPECT_EQ(duplicate.reason, RejectReason::DuplicateClientOrderId);
  ioc(33);
  ioc(34);  // the window of 2 now holds 32 and 33
  c.send(enter(31, Side::Buy, 100, 10));
  const auto again = expect<wire::Accepted>(c, 'A');
  EXPECT_GT(again.order_id, first);
  EXPECT_EQ(again.status, wire::OrderStatusCode::New);
}

TEST(TcpTimers, HeartbeatsAndIdleTimeout) {
  SpotdProcess spotd(
      {"--set", "tcp.heartbeat_interval_ms=100", "--set", "tcp.idle_timeout_ms=600"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  const auto hb = c.receive(std::chrono::seconds(2));
  ASSERT_TRUE(hb.has_value());
  EXPECT_EQ(hb->type, 'H');
  // The client stays silent: the server closes it after the idle timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool closed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!c.receive(std::chrono::seconds(2)).has_value()) {
      closed = true;
      break;
    }
  }
  EXPECT_TRUE(closed);
}

TEST(TcpTimers, HeartbeatCountsSilenceFromTheLastSend) {
  constexpr auto kInterval = std::chrono::milliseconds(1000);
  SpotdProcess spotd({"--set", "tcp.heartbeat_interval_ms=1000"});
  const std::string key = spotd.create_account();
  TcpClient c(spotd.tcp_port());
  ASSERT_TRUE(c.login(key));
  // Something else goes out well after the connection's first heartbeat tick would be
  // due (0.6 intervals in), then the server falls silent: the heartbeat must follow one
  // interval after that send, not on a schedule counted from the connect.
  std::this_thread::sleep_for(kInterval * 6 / 10);
  c.send(enter(1, Side::Buy, 100, 10));
  ASSERT_EQ(c.receive_non_heartbeat()->type, 'A');
  const auto sent = std::chrono::steady_clock::now();
  const auto hb = c.receive(std::chrono::seconds(3));
  const auto gap = std::chrono::steady_clock::now() - sent;
  ASSERT_TRUE(hb.has_value());
  EXPECT_EQ(hb->type, 'H');
  EXPECT_GT(gap, kInterval * 8 / 10);
  EXPECT_LT(gap, kInterval * 12 / 10);
}

TEST(TcpTimers, LoginTimeout) {
  SpotdProcess spotd({"--set", "tcp.login_timeout_ms=200"});
  TcpClient c(spotd.tcp_port());
  EXPECT_FALSE(c.receive(std::chrono::seconds(3)).has_value());
}

}  // namespace
}  // namespace spot::test
