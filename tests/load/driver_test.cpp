// The client end to end against the in-process fake server (fake_server.h) on
// 127.0.0.1. Short runs: each test takes well under a second.
#include <gtest/gtest.h>

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/load/driver.h"
#include "bench/load/schedule.h"
#include "fake_server.h"

namespace spot::bench::load {
namespace {

using testing::FakeBehaviour;
using testing::FakeServer;
using testing::FakeStats;

LoadOptions options_for(std::uint16_t port) {
  LoadOptions o;
  o.port = port;
  o.api_key = "k";
  o.connections = 3;
  o.prefill = 10;
  o.connect_timeout_s = 2;
  o.drain_s = 0.5;
  return o;
}

struct RunOutcome {
  RunResult result;
  std::vector<std::uint64_t> acks;
  double wall_s = 0;
};

RunOutcome run(Protocol protocol, const LoadOptions& o, double rate, double duration_s,
               const HttpRequestWriter* http, std::uint64_t warmup_ops = 0) {
  const Workload w = generate_w1({o.seed, warmup_ops + ops_for(rate, duration_s), o.prefill});
  DriverConfig c;
  c.protocol = protocol;
  c.options = o;
  c.rate = rate;
  c.duration_s = duration_s;
  c.warmup_ops = warmup_ops;
  c.http = http;
  RunOutcome r;
  const auto t0 = std::chrono::steady_clock::now();
  r.result = drive(c, w, &r.acks);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::optional<HttpRequestWriter> writer_for(std::uint16_t port) {
  std::string error;
  const auto body = http_get("127.0.0.1", port, "/api/v1/exchangeInfo", 2, &error);
  EXPECT_TRUE(body) << error;
  if (!body) return std::nullopt;
  auto symbols = parse_exchange_info(*body, &error);
  EXPECT_TRUE(symbols) << error;
  if (!symbols) return std::nullopt;
  return HttpRequestWriter("127.0.0.1:" + std::to_string(port), "k", std::move(*symbols));
}

// Every measured op is either skipped (unmapped cancel) or sent, and every sent request
// answered; nothing else went wrong.
void expect_clean(const RunResult& r) {
  EXPECT_EQ(r.fatal, "");
  EXPECT_EQ(r.errors.total(), 0u) << to_json(r);
  EXPECT_EQ(r.sent + r.cancel_unmapped, r.ops);
  EXPECT_EQ(r.answered, r.sent);
  EXPECT_EQ(r.acked, r.sent);
  EXPECT_EQ(r.latency.samples, r.answered);
  EXPECT_EQ(r.prefill_sent, 80u);
  EXPECT_EQ(r.prefill_acked, 80u);
}

TEST(Driver, HttpEndToEnd) {
  FakeServer server(FakeBehaviour{});
  const auto http = writer_for(server.port());
  ASSERT_TRUE(http);
  const RunOutcome r = run(Protocol::Http, options_for(server.port()), 2000, 0.25, &*http);
  const FakeStats& s = server.stop();
  expect_clean(r.result);
  EXPECT_EQ(r.result.ops, 500u);
  EXPECT_EQ(r.result.mode, "http");
  EXPECT_TRUE(s.bad.empty());
  EXPECT_EQ(s.orders + s.cancels, r.result.prefill_sent + r.result.sent);
  EXPECT_EQ(s.cancel_unknown, r.result.cancel_unknown);
  EXPECT_GT(s.cancels, 0u);
  EXPECT_EQ(r.acks.size(), s.orders);  // every POST got a 201
  // The first prefill order: W1 symbol 0, buy at mid - off on a 0.01 grid, clientOrderId w1.
  // Connections race, so the server may hear any of them first: find it by its client id.
  const auto first = std::find_if(s.order_bodies.begin(), s.order_bodies.end(), [](const auto& b) {
    return b.find(R"("clientOrderId":"w1")") != std::string::npos;
  });
  ASSERT_NE(first, s.order_bodies.end());
  EXPECT_NE(first->find(R"("symbol":"BTC-USDT")"), std::string::npos) << *first;
  EXPECT_NE(first->find(R"("price":"99.)"), std::string::npos) << *first;
  // W1 symbols 3..7 wrap around the 3 listed symbols.
  bool saw_sol = false;
  for (const auto& b : s.order_bodies) saw_sol |= b.find("SOL-USDT") != std::string::npos;
  EXPECT_TRUE(saw_sol);
  EXPECT_LT(r.wall_s, 2.0);
}

TEST(Driver, TcpEndToEnd) {
  FakeServer server(FakeBehaviour{.tcp = true});
  LoadOptions o = options_for(server.port());
  o.symbols = 5;
  const RunOutcome r = run(Protocol::Tcp, o, 2000, 0.25, nullptr);
  const FakeStats& s = server.stop();
  expect_clean(r.result);
  EXPECT_EQ(r.result.mode, "tcp");
  EXPECT_TRUE(s.bad.empty());
  EXPECT_EQ(s.logins, 3u);
  EXPECT_EQ(s.orders + s.cancels, r.result.prefill_sent + r.result.sent);
  EXPECT_EQ(s.cancel_unknown, r.result.cancel_unknown);
  EXPECT_EQ(r.acks.size(), s.orders);
  ASSERT_FALSE(s.client_ids.empty());
  // client_order_id = workload id; connections race, so look for the smallest.
  EXPECT_EQ(*std::min_element(s.client_ids.begin(), s.client_ids.end()), 1u);
  EXPECT_EQ(*s.tcp_symbols.rbegin(), 4u);  // W1 symbols 0..7 modulo 5
}

TEST(Driver, ASendIntervalSendsWhatFellDueTogetherAndCountsFromEachOrdersOwnTime) {
  FakeServer server(FakeBehaviour{.tcp = true});
  LoadOptions o = options_for(server.port());
  o.send_interval_us = 20'000;  // 2,000 orders/s: about 40 fall due between two sends
  const RunOutcome r = run(Protocol::Tcp, o, 2000, 0.25, nullptr);
  const FakeStats& s = server.stop();
  expect_clean(r.result);
  EXPECT_EQ(s.orders + s.cancels, r.result.prefill_sent + r.result.sent);
  // The server answers at once, but an order that fell due just after a send waits for
  // the next one, up to 20 ms, and its latency counts from when it fell due: half of
  // them waited more than a few ms. (A lower bound: a slow machine only adds to it.)
  EXPECT_GT(r.result.latency.p50_ns, 2'000'000) << to_json(r.result);
  // What fell due together went out together, on one connection (not spread over the
  // 8): after the prefill, the server read about 40 requests at once, not about 5.
  std::uint64_t seen = 0;
  std::uint64_t most = 0;
  for (const std::uint64_t n : s.requests_per_read) {
    if (seen >= r.result.prefill_sent) most = std::max(most, n);
    seen += n;
  }
  EXPECT_GE(most, 20u) << to_json(r.result);
}

TEST(Driver, ClientIdOffsetShiftsClientOrderIds) {
  FakeServer server(FakeBehaviour{.tcp = true});
  const Workload w = generate_w1({20240601, 10, 1});
  DriverConfig c;
  c.protocol = Protocol::Tcp;
  c.options = options_for(server.port());
  c.rate = 1000;
  c.duration_s = 0.01;
  c.client_id_offset = 1'000'000;
  const RunResult r = drive(c, w, nullptr);
  const FakeStats& s = server.stop();
  EXPECT_EQ(r.fatal, "");
  ASSERT_FALSE(s.client_ids.empty());
  // Connections race, so the server may see any id first; the smallest is W1's id 1.
  EXPECT_EQ(*std::min_element(s.client_ids.begin(), s.client_ids.end()), 1'000'001u);
}

TEST(Driver, WarmupOpsAreSentButNotMeasured) {
  FakeServer server(FakeBehaviour{.tcp = true});
  const RunOutcome r = run(Protocol::Tcp, options_for(server.port()), 2000, 0.1, nullptr, 100);
  const FakeStats& s = server.stop();
  EXPECT_EQ(r.result.ops, 200u);
  EXPECT_EQ(r.result.sent + r.result.cancel_unmapped, 200u);
  EXPECT_GT(s.orders + s.cancels, r.result.prefill_sent + r.result.sent);
}

TEST(Driver, StalledServerShowsUpAsLatencyNotAsFewerRequests) {
  // The server answers nothing for 200 ms from the first measured request on (after the
  // 8 prefill orders). Open loop: the client keeps sending on schedule, and the ops due
  // early in the stall wait for most of it.
  FakeServer server(
      FakeBehaviour{.tcp = true, .stall = std::chrono::milliseconds(200), .stall_from_request = 8});
  LoadOptions o = options_for(server.port());
  o.prefill = 1;
  const RunOutcome r = run(Protocol::Tcp, o, 1000, 0.3, nullptr);
  server.stop();
  EXPECT_EQ(r.result.errors.total(), 0u) << to_json(r.result);
  EXPECT_EQ(r.result.sent + r.result.cancel_unmapped, 300u);
  EXPECT_GE(r.result.latency.max_ns, 150'000'000);
  EXPECT_GE(r.result.latency.p50_ns, 10'000'000);  // two thirds of the ops waited
}

TEST(Driver, UnansweredRequestsTimeOutAndTheRunEndsByItself) {
  FakeServer server(FakeBehaviour{.never_answer = true});
  LoadOptions o = options_for(server.port());
  o.prefill = 1;
  o.prefill_timeout_s = 0.1;
  o.drain_s = 0.2;
  HttpRequestWriter http("h", "k", {{"A", {1, 0}, {1, 0}}});
  const RunOutcome r = run(Protocol::Http, o, 1000, 0.2, &http);
  server.stop();
  EXPECT_EQ(r.result.answered, 0u);
  EXPECT_GT(r.result.sent, 0u);
  // Cancels never get a target: no order was acknowledged.
  EXPECT_EQ(r.result.sent + r.result.cancel_unmapped, r.result.ops);
  EXPECT_EQ(r.result.errors.get(ErrorKind::Timeout), r.result.sent);
  EXPECT_EQ(r.result.latency.samples, 0u);
  EXPECT_EQ(r.result.prefill_acked, 0u);
  EXPECT_LT(r.wall_s, 1.5);
}

TEST(Driver, RateLimitedOrdersCountAsHttp429) {
  FakeServer server(FakeBehaviour{.order_status = 429});
  const auto http = writer_for(server.port());
  ASSERT_TRUE(http);
  const RunOutcome r = run(Protocol::Http, options_for(server.port()), 1000, 0.1, &*http);
  server.stop();
  EXPECT_EQ(r.result.prefill_acked, 0u);
  EXPECT_TRUE(r.acks.empty());
  EXPECT_GT(r.result.errors.get(ErrorKind::Http429), 0u);
  EXPECT_EQ(r.result.errors.get(ErrorKind::Http429), r.result.sent);
  EXPECT_EQ(r.result.latency.samples, r.result.sent);  // error answers are latency samples too
}

TEST(Driver, WrongTcpKeyIsALoginFailure) {
  FakeServer server(FakeBehaviour{.tcp = true, .api_key = "other"});
  const RunOutcome r = run(Protocol::Tcp, options_for(server.port()), 1000, 0.1, nullptr);
  server.stop();
  EXPECT_NE(r.result.fatal, "");
  EXPECT_EQ(r.result.errors.get(ErrorKind::Login), 3u);
  EXPECT_LT(r.wall_s, 1.5);
}

TEST(Driver, NobodyListeningIsFatalAndQuick) {
  std::uint16_t port = 0;
  {
    FakeServer server(FakeBehaviour{});  // take a free port, then free it again
    port = server.port();
  }
  const RunOutcome r = run(Protocol::Tcp, options_for(port), 1000, 0.1, nullptr);
  EXPECT_NE(r.result.fatal, "");
  EXPECT_GT(r.result.errors.get(ErrorKind::Connect), 0u);
  EXPECT_LT(r.wall_s, 2.5);
}

std::string capture_run(bool sweep, LoadOptions o, int* exit_code) {
  o.sweep = sweep;
  ::testing::internal::CaptureStdout();
  *exit_code = run_http(o);
  return ::testing::internal::GetCapturedStdout();
}

TEST(RunHttp, PrintsOneJsonLineAndWritesAcks) {
  FakeServer server(FakeBehaviour{});
  LoadOptions o = options_for(server.port());
  o.rate = 1000;
  o.duration_s = 0.2;
  o.acks_out = (std::filesystem::temp_directory_path() /
                ("spot_load_acks_" + std::to_string(server.port()) + ".txt"))
                   .string();
  int code = -1;
  const std::string out = capture_run(false, o, &code);
  const FakeStats& s = server.stop();
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_EQ(out.rfind("{\"mode\":\"http\"", 0), 0u) << out;
  std::ifstream acks(o.acks_out);
  std::size_t lines = 0;
  for (std::string line; std::getline(acks, line);) {
    EXPECT_GE(std::stoull(line), 1000u);  // the fake's order ids start at 1000
    ++lines;
  }
  EXPECT_EQ(lines, s.orders);
  std::filesystem::remove(o.acks_out);
}

TEST(RunHttp, SweepPrintsStepsAndAResult) {
  FakeServer server(FakeBehaviour{});
  LoadOptions o = options_for(server.port());
  o.prefill = 2;
  o.rate = 400;
  o.sweep_max_rate = 700;
  o.sweep_step_s = 0.1;
  o.p99_limit_ms = 1000;
  int code = -1;
  const std::string out = capture_run(true, o, &code);
  server.stop();
  EXPECT_EQ(code, 0);
  std::istringstream lines(out);
  std::vector<std::string> all;
  for (std::string line; std::getline(lines, line);) all.push_back(line);
  ASSERT_EQ(all.size(), 4u) << out;  // 400, 600, 700, then the result
  EXPECT_NE(all[1].find("\"offered_rate\":600.0"), std::string::npos) << all[1];
  EXPECT_EQ(all[3],
            "{\"sweep_result\":{\"mode\":\"http\",\"max_rate_p99_under_limit\":700,"
            "\"p99_limit_ms\":1000.000,\"steps\":3}}");
}

TEST(RunHttp, NoExchangeInfoIsExitCodeOne) {
  std::uint16_t port = 0;
  {
    FakeServer server(FakeBehaviour{});
    port = server.port();
  }
  int code = -1;
  const std::string out = capture_run(false, options_for(port), &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("\"error\""), std::string::npos) << out;
}

}  // namespace
}  // namespace spot::bench::load
