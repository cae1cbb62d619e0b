// spot-bench hostile against a real spotd with small connection limits and timeouts, a
// few seconds long: every malformed probe on every port gets the answer the docs promise
// (the tool counts any other as unexpected), slowloris connections are closed at spotd's
// timeouts, floods past each limit are refused at it, and spotd then still takes an
// honest order and says it is ready. The long run is bench/soak.sh's. Label
// `integration`.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/spotd_process.h"

namespace spot::test {
namespace {

using json = nlohmann::json;
namespace http = boost::beast::http;

json summary_of(const std::string& output) {
  std::istringstream lines(output);
  json found;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("mode", "") == "hostile") found = j;
  }
  return found;
}

// An honest trader's limit order is accepted over HTTP, and /readyz says ready.
void expect_honest_order_and_ready(const SpotdProcess& spotd, const std::string& trader) {
  HttpClient client(spotd.http_port());
  const HttpReply order = client.request(
      http::verb::post, "/api/v1/orders",
      R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","timeInForce":"GTC","quantity":"0.010","price":"100.00"})",
      {{"X-API-Key", trader}});
  EXPECT_EQ(order.status, 201u) << order.body;
  EXPECT_EQ(HttpClient(spotd.admin_port()).request(http::verb::get, "/readyz").status, 200u);
}

TEST(HostileClient, EveryProbeGetsItsDocumentedAnswerAndSpotdStaysUp) {
  SpotdProcess spotd({"--set", "http.max_connections=40", "--set", "tcp.max_connections=20",
                      "--set", "admin.max_connections=16", "--set", "http.read_timeout_ms=1000",
                      "--set", "tcp.login_timeout_ms=1000"});
  const std::string key = spotd.create_account("hostile", false);
  const ExitResult r = run_program({SPOT_BENCH_PATH,
                                    "hostile",
                                    "--http-port",
                                    std::to_string(spotd.http_port()),
                                    "--tcp-port",
                                    std::to_string(spotd.tcp_port()),
                                    "--admin-port",
                                    std::to_string(spotd.admin_port()),
                                    "--api-key",
                                    key,
                                    "--admin-token",
                                    spotd.admin_token(),
                                    "--duration",
                                    "6",
                                    "--oversized",
                                    "1",
                                    "--bad-json",
                                    "1",
                                    "--garbage",
                                    "1",
                                    "--round-pause",
                                    "0.5",
                                    "--slowloris",
                                    "2",
                                    "--slowloris-interval",
                                    "0.2",
                                    "--slowloris-max",
                                    "4",
                                    "--flood-http",
                                    "60",
                                    "--flood-tcp",
                                    "30",
                                    "--flood-admin",
                                    "24",
                                    "--flood-every",
                                    "3",
                                    "--flood-hold",
                                    "1"});
  ASSERT_EQ(r.status, 0) << r.output;
  const json s = summary_of(r.output);
  ASSERT_TRUE(s.is_object()) << r.output;
  EXPECT_EQ(s["unexpected"], 0) << s["examples"].dump();
  for (const char* port : {"http", "admin", "tcp"}) {
    SCOPED_TRACE(port);
    std::uint64_t sent = 0;
    for (const auto& [name, probe] : s[port]["probes"].items()) {
      sent += probe["sent"].get<std::uint64_t>();
    }
    EXPECT_GT(sent, 10u) << s[port].dump();
    // Closed at read_timeout_ms / login_timeout_ms (1 s), long before --slowloris-max.
    EXPECT_GT(s["slowloris"][port]["closed_by_server"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(s["slowloris"][port]["held_to_max"], 0);
    // Past the limit, refused: HTTP with a 503, TCP closed without a word.
    const json& f = s["flood"][port];
    EXPECT_GT(
        f["refused_503"].get<std::uint64_t>() + f["closed_without_answer"].get<std::uint64_t>(), 0u)
        << f.dump();
  }
  // Nothing of that touched spotd: it takes an honest order and is ready.
  expect_honest_order_and_ready(spotd, spotd.create_account("honest"));
  EXPECT_TRUE(spotd.running());
}

// The value of one sample of spotd's /metrics; -1 if absent.
double metric(const SpotdProcess& spotd, const std::string& sample) {
  const HttpReply r = HttpClient(spotd.admin_port()).request(http::verb::get, "/metrics");
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

// Connections that never send a byte fill every port to its limit: honest clients still
// get in (each new connection closes the one idle longest), and nobody at work is
// closed for it: with every TCP slot held by a logged-in session, a new connection is
// refused.
TEST(HostileClient, SilentConnectionsAtTheLimitDoNotLockHonestClientsOut) {
  constexpr int kLimit = 6;
  SpotdProcess spotd({"--set", "http.max_connections=" + std::to_string(kLimit), "--set",
                      "tcp.max_connections=" + std::to_string(kLimit), "--set",
                      "admin.max_connections=" + std::to_string(kLimit)});
  const std::string trader = spotd.create_account("honest");
  boost::asio::io_context ctx;
  std::vector<boost::asio::ip::tcp::socket> silent;
  for (const std::uint16_t port : {spotd.http_port(), spotd.tcp_port(), spotd.admin_port()}) {
    for (int i = 0; i < kLimit; ++i) {
      silent.emplace_back(ctx);
      silent.back().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // all accepted by now

  expect_honest_order_and_ready(spotd, trader);
  std::vector<std::unique_ptr<TcpClient>> sessions;
  for (int i = 0; i < kLimit; ++i) {
    sessions.push_back(std::make_unique<TcpClient>(spotd.tcp_port()));
    ASSERT_TRUE(sessions.back()->login(trader)) << "session " << i;
  }
  EXPECT_GE(metric(spotd, R"(spot_connections_evicted_total{listener="http"})"), 1);
  EXPECT_GE(metric(spotd, R"(spot_connections_evicted_total{listener="admin"})"), 1);
  EXPECT_EQ(metric(spotd, R"(spot_connections_evicted_total{listener="tcp"})"), kLimit);

  // Every TCP slot is a trader's now: the next connection is closed without a word.
  TcpClient over(spotd.tcp_port());
  EXPECT_FALSE(over.receive(std::chrono::seconds(2)).has_value());
  EXPECT_TRUE(spotd.running());
}

}  // namespace
}  // namespace spot::test
