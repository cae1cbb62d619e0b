// Network faults between spotd and PostgreSQL, made by the kernel: the whole test runs
// in a network namespace of its own (unshare(CLONE_NEWNET) before any test starts, so
// PostgreSQL, spotd and spot-bench, all started by the test, live in it), where nftables
// rules drop the packets of the database's port: all of them (a black hole) or a share
// chosen at random per packet (a lossy link). Nothing outside the namespace is touched;
// it and its rules vanish with the process. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)
// and nft: without them every test fails and says why, never skips.
//
// Each test, under W1 load: order entry is untouched, the projector reports the fault
// and comes back by itself within 5 s of the network healing, and the database ends
// equal to the journal (same orders, trades and balances, nothing twice).
//
// Latency cannot be made by the kernel here (it has no netem qdisc, nor prio or htb): a
// TcpProxy in the middle holds every chunk instead (tests/support/tcp_proxy.h). See
// ProjectorPg.ACallToAFrozenServerEndsAtItsDeadline for a server that stops answering.
//
// Label `fault`, one at a time.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/spotd_process.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"
#include "support/tcp_proxy.h"

namespace spot::test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Runs a shell command; its exit status (-1 if it could not run).
int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return status == -1 ? -1 : WEXITSTATUS(status);
}

// The namespace, entered once for the whole binary before any test (and any thread).
class PrivateNetwork : public ::testing::Environment {
 public:
  void SetUp() override {
    if (::unshare(CLONE_NEWNET) != 0) {
      error_ = std::string("unshare(CLONE_NEWNET) failed: ") + std::strerror(errno) +
               " (these tests need root)";
      return;
    }
    if (shell("ip link set lo up") != 0) error_ = "ip link set lo up failed in the new namespace";
  }
  static const std::string& error() { return error_; }

 private:
  static inline std::string error_;
};

// nftables rules on the namespace's loopback for the packets of one TCP port, both
// directions (on loopback, every packet leaves by the output hook). Removed at the end.
class PortFault {
 public:
  explicit PortFault(int port) : port_(std::to_string(port)) {}
  ~PortFault() { heal(); }

  // Drops `percent` of the port's packets, each chosen at random (100: a black hole).
  ::testing::AssertionResult drop(int percent) {
    heal();
    const std::string match =
        percent >= 100 ? "" : "numgen random mod 100 \\< " + std::to_string(percent) + " ";
    const std::string script =
        "nft add table inet spotfault && "
        "nft add chain inet spotfault out '{ type filter hook output priority 0; }' && "
        "nft add rule inet spotfault out tcp dport " +
        port_ + " " + match +
        "drop && "
        "nft add rule inet spotfault out tcp sport " +
        port_ + " " + match + "drop";
    if (shell(script) != 0) return ::testing::AssertionFailure() << "nft failed: " << script;
    active_ = true;
    return ::testing::AssertionSuccess();
  }
  void heal() {
    if (active_) shell("nft delete table inet spotfault");
    active_ = false;
  }

 private:
  std::string port_;
  bool active_ = false;
};

class NetworkFault : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PrivateNetwork::error().empty()) << PrivateNetwork::error();
    ASSERT_EQ(shell("command -v nft >/dev/null"), 0) << "nft is not installed (nftables)";
  }
};

// Under load for `load_s` seconds, the database's port loses `percent` of its packets
// from `fault_from_s` for `fault_s` seconds. Returns how long the rows took to catch up
// once the network healed.
std::chrono::milliseconds fault_under_load(int percent, int fault_from_s, int fault_s, int load_s,
                                           json* during) {
  PostgresServer pg;
  auto spotd = spotd_with(pg.url());
  const std::string key = spotd->create_account("network");
  Load load;
  std::thread bench([&] { load = run_load(*spotd, key, 1'000, load_s); });
  PortFault fault(pg.port());
  std::this_thread::sleep_for(std::chrono::seconds(fault_from_s));
  EXPECT_TRUE(fault.drop(percent));
  const auto fault_end = Clock::now() + std::chrono::seconds(fault_s);
  while (Clock::now() < fault_end) {
    // Order entry and the admin API never wait on the database.
    const auto t0 = Clock::now();
    const json r = readyz(*spotd);
    EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
    EXPECT_EQ(r["status"], "ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  *during = readyz(*spotd)["postgres"];
  fault.heal();
  {
    // When, in the clock of spotd's log lines (UTC), to read them against.
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    char at[32];
    std::strftime(at, sizeof(at), "%H:%M:%S", std::gmtime(&t));
    std::printf(
        "network healed at %s.%03lld\n", at,
        static_cast<long long>(
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
            1000));
  }
  const std::uint64_t target = durable_seq(*spotd);
  const auto resumed = wait_for_checkpoint(pg, target, std::chrono::seconds(20));
  // Within 5 s of the network healing, as after any outage.
  EXPECT_LT(resumed, std::chrono::seconds(5)) << spotd->log();
  bench.join();
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
  return resumed;
}

// Every packet to and from the database vanishes for 15 s: connections neither fail nor
// answer. The calls end at their deadline, the breaker opens, the backlog is reported.
TEST_F(NetworkFault, ABlackHoleToPostgresFor15SecondsUnderLoad) {
  json during;
  const auto resumed = fault_under_load(100, 3, 15, 25, &during);
  std::printf("black hole: rows caught up %lld ms after the network healed\n",
              static_cast<long long>(resumed.count()));
  EXPECT_EQ(during["breaker"], "open") << during.dump();
  EXPECT_GT(during["lagEvents"].get<std::uint64_t>(), 1'000u) << during.dump();
}

// A lossy link: a packet in three to or from the database is dropped, at random, for
// 15 s (TCP retransmits, a call now and then passes its deadline). Nothing is lost or
// written twice, whatever call the loss broke.
TEST_F(NetworkFault, ALossyLinkToPostgresLosesNothingAndWritesNothingTwice) {
  json during;
  const auto resumed = fault_under_load(33, 3, 15, 25, &during);
  std::printf("lossy link: rows caught up %lld ms after the network healed (during: %s)\n",
              static_cast<long long>(resumed.count()), during.dump().c_str());
}

// A slow link for the whole run: 25 ms each way between spotd and PostgreSQL (a 50 ms
// round trip, as to a database in another region). Order entry never waits on the
// database; the projector's batches carry many events per round trip, so its backlog
// stays bounded under load and is gone within 5 s after it.
TEST_F(NetworkFault, A50MsRoundTripToPostgresKeepsUpUnderLoad) {
  PostgresServer pg;
  TcpProxy proxy(pg.port());
  proxy.set_delay_ms(25);
  auto spotd =
      spotd_with("postgresql://postgres@127.0.0.1:" + std::to_string(proxy.port()) + "/spotd");
  const std::string key = spotd->create_account("latency");
  Load load;
  std::thread bench([&] { load = run_load(*spotd, key, 1'000, 15); });
  std::vector<std::uint64_t> lags;  // every 250 ms
  const auto end = Clock::now() + std::chrono::seconds(14);
  while (Clock::now() < end) {
    const json r = readyz(*spotd);
    EXPECT_EQ(r["status"], "ready");
    lags.push_back(r["postgres"]["lagEvents"].get<std::uint64_t>());
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::string series;
  for (std::uint64_t l : lags) series += std::to_string(l) + " ";
  std::printf("backlog every 250 ms: %s\n", series.c_str());
  const std::uint64_t max_lag = lags.empty() ? 0 : *std::max_element(lags.begin(), lags.end());
  bench.join();
  EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
  const auto caught_up = wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(20));
  std::printf(
      "50 ms round trip: backlog at most %llu events under 1,000 orders/s; caught up "
      "%lld ms after the load\n",
      static_cast<unsigned long long>(max_lag), static_cast<long long>(caught_up.count()));
  // Bounded: it rises while a batch is in flight (its statements each wait a round
  // trip) and falls when it commits; measured 3,000 to 4,000 at most on a quiet machine.
  EXPECT_LT(max_lag, 8'000u);
  EXPECT_LT(caught_up, std::chrono::seconds(5));
  EXPECT_EQ(spotd->terminate(), 0);
  expect_database_equals_journal(pg, *spotd);
}

}  // namespace
}  // namespace spot::test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new spot::test::PrivateNetwork);
  return RUN_ALL_TESTS();
}
