// SIGKILL at the moments that matter: spotd, under load and projecting into a real
// PostgreSQL, kills itself at a crash point (spot/core/crash_point.h) — a journal batch
// appended but not fsynced, a segment just rolled, a snapshot written but not renamed,
// renamed but not pruned, half pruned, a PostgreSQL batch committed but not noted — and
// is restarted on the same journal and database, 24 times in one run, each point four
// times, the n-th passage chosen from the seed. At the end: every order ever
// acknowledged is there, the state equals a clean replay of the journal, the database
// equals the journal with nothing twice.
//
// Label `fault`, one at a time.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "integration/spotd_process.h"
#include "spot/app/config.h"
#include "spot/journal/file_system.h"
#include "spot/journal/recovery.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;
using json = nlohmann::json;

struct Point {
  const char* name;
  int first;  // the n-th passage is chosen in [first, first + spread)
  int spread;
};

// Small segments and frequent snapshots, so that every point comes within a second or
// two of load. The n-th passage starts past what startup itself may pass.
constexpr Point kPoints[] = {
    {"journal.appended", 20, 200}, {"journal.rolled", 3, 20}, {"snapshot.written", 2, 4},
    {"snapshot.renamed", 2, 4},    {"snapshot.pruned", 1, 4}, {"projector.committed", 3, 10},
};

std::string state_hash_of(const SpotdProcess& spotd) {
  const HttpReply r = HttpClient(spotd.admin_port())
                          .request(http::verb::get, "/admin/v1/state", "",
                                   {{"Authorization", "Bearer " + spotd.admin_token()}});
  return json::parse(r.body)["stateHash"].get<std::string>();
}

TEST(CrashPoint, SigkillAtEachCrashPointLosesNothingAndWritesNothingTwice) {
  std::mt19937_64 rng(seed());
  PostgresServer pg;
  TempDir work("spotd-crash-point");
  const std::string journal = work.path() + "/journal";
  const std::vector<std::string> args = {"--set", "journal.segment_bytes=4096",
                                         "--set", "snapshot.interval_ms=200",
                                         "--set", "snapshot.keep=1",
                                         "--set", "limits.orders_per_second_per_account=1000000",
                                         "--set", "limits.burst_per_account=1000000"};
  std::string key;
  std::vector<std::string> acked;
  constexpr int kRounds = 4 * static_cast<int>(std::size(kPoints));
  for (int round = 0; round < kRounds; ++round) {
    const Point& point = kPoints[round % std::size(kPoints)];
    const int nth = point.first + static_cast<int>(rng() % point.spread);
    const std::string at = std::string(point.name) + ":" + std::to_string(nth);
    SCOPED_TRACE("round " + std::to_string(round) + ": SPOT_TEST_CRASH_AT=" + at);
    setenv("SPOT_TEST_CRASH_AT", at.c_str(), 1);
    std::unique_ptr<SpotdProcess> spotd;
    try {
      spotd = spotd_with(pg.url(), journal, args);
    } catch (const std::exception& e) {
      unsetenv("SPOT_TEST_CRASH_AT");
      FAIL() << "spotd did not start (a crash point passed during startup?): " << e.what();
    }
    unsetenv("SPOT_TEST_CRASH_AT");
    if (round == 0) key = spotd->create_account("crash");
    const std::string acks = work.path() + "/acks-" + std::to_string(round) + ".txt";
    ExitResult load;
    std::thread bench([&] {
      load = run_program({SPOT_BENCH_PATH, "http", "--port", std::to_string(spotd->http_port()),
                          "--api-key", key, "--rate", "2000", "--duration", "5", "--connections",
                          "4", "--prefill", "20", "--client-id-offset",
                          std::to_string((round + 1) * 1'000'000'000ull), "--acks-out", acks});
    });
    const int status = spotd->wait_exit(std::chrono::seconds(15));
    bench.join();
    ASSERT_EQ(status, -SIGKILL) << "the crash point was not reached: " << spotd->log()
                                << "\nspot-bench: " << load.output;
    ASSERT_TRUE(spotd->wait_for_log("crash point " + std::string(point.name) + " reached",
                                    std::chrono::seconds(1)))
        << spotd->log();
    std::ifstream in(acks);
    for (std::string id; std::getline(in, id);) {
      if (!id.empty()) acked.push_back(id);
    }
  }
  ASSERT_GT(acked.size(), 0u);

  auto last = spotd_with(pg.url(), journal, args);
  HttpClient c(last->http_port());
  std::size_t missing = 0;
  for (const std::string& id : acked) {
    const auto r = c.request(http::verb::get, "/api/v1/orders/" + id, "", {{"X-API-Key", key}});
    if (r.status != 200) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged orders";
  wait_for_checkpoint(pg, durable_seq(*last), std::chrono::seconds(20));
  const std::string running = state_hash_of(*last);
  EXPECT_EQ(last->terminate(), 0);

  // A clean replay of the journal (recovery in this process) gives the same state.
  Config config;
  ASSERT_FALSE(load_config_file(config, last->config_path()).has_value());
  PosixFileSystem fs;
  RecoveredEngine recovered;
  ASSERT_TRUE(recover_engine(fs, journal, config.symbols, config.engine.limits, &recovered).ok());
  char replayed[17];
  std::snprintf(replayed, sizeof(replayed), "%016llx",
                static_cast<unsigned long long>(recovered.engine->state_hash()));
  EXPECT_EQ(running, replayed);
  expect_database_equals_journal(pg, *last);
  std::printf("%d kills, %zu acknowledged orders, none missing: %s\n", kRounds, acked.size(),
              missing == 0 ? "yes" : "no");
}

}  // namespace
}  // namespace spot::test
