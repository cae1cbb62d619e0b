// The wall clock stepped forward and back under a running spotd, as NTP or an operator
// does: libfaketime (LD_PRELOAD, its offset read from a file at every call, the
// monotonic clock left alone) moves only spotd's CLOCK_REALTIME, a day ahead, then a day
// behind, then back, under W1 load while spotd projects into a real PostgreSQL. Then
// spotd restarts on a clock a day behind.
//
// What must hold: order entry and health are untouched (timeouts, the breaker and the
// snapshot's age run on the monotonic clock); the time recorded with every command
// never runs backwards (a clock stepped back holds it still), so neither do the
// database's order and trade times; nothing is lost or written twice.
// tests/app/matching_loop_clock_test.cpp does the same with an injected clock.
//
// Label `fault`. Needs the faketime package (scripts/install-deps); fails without it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "integration/spotd_process.h"
#include "store/store_test_support.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace spot::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

// spotd with its wall clock offset by what `spec_file` says ("+86400": a day ahead),
// read again at every clock call, so the test can step it while spotd runs.
std::unique_ptr<SpotdProcess> spotd_on_faketime(const PostgresServer& pg,
                                                const std::string& spec_file,
                                                const std::string& journal) {
  // Set for the spotd this starts (it inherits them), and unset again however that ends.
  struct FaketimeEnvironment {
    explicit FaketimeEnvironment(const std::string& spec) {
      setenv("LD_PRELOAD", kFaketime, 1);
      setenv("FAKETIME_TIMESTAMP_FILE", spec.c_str(), 1);
      setenv("FAKETIME_NO_CACHE", "1", 1);
      setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
    }
    ~FaketimeEnvironment() {
      for (const char* v : {"LD_PRELOAD", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_NO_CACHE",
                            "FAKETIME_DONT_FAKE_MONOTONIC"}) {
        unsetenv(v);
      }
    }
    FaketimeEnvironment(const FaketimeEnvironment&) = delete;
    FaketimeEnvironment& operator=(const FaketimeEnvironment&) = delete;
  };
  const FaketimeEnvironment environment(spec_file);
  return spotd_with(pg.url(), journal, {"--set", "snapshot.interval_ms=1000"});
}

void set_offset(const std::string& spec_file, const std::string& offset) {
  // Written whole, then renamed: spotd never reads half a spec.
  const std::string tmp = spec_file + ".tmp";
  std::ofstream(tmp) << offset << "\n";
  ASSERT_EQ(std::rename(tmp.c_str(), spec_file.c_str()), 0);
}

// Rows whose time is earlier than that of the row before them (by id).
std::string backwards(const PostgresServer& pg, const std::string& table, const std::string& id,
                      const std::string& time) {
  return pg.psql("SELECT count(*) FROM (SELECT " + time + " < lag(" + time + ") OVER (ORDER BY " +
                 id + ") AS back FROM " + table + ") t WHERE back");
}

TEST(ClockFault, WallClockStepsUnderLoadLoseNothingAndTimeNeverRunsBackwards) {
  ASSERT_EQ(::access(kFaketime, R_OK), 0) << kFaketime << " is missing (package faketime)";
  PostgresServer pg;
  TempDir work("spot-clock-fault");
  const std::string spec = work.path() + "/faketime";
  set_offset(spec, "+0");
  // Outlives the first spotd (whose own temp dir goes with it), for the second.
  const std::string journal = work.path() + "/journal";
  std::uint64_t orders = 0;
  {
    auto spotd = spotd_on_faketime(pg, spec, journal);
    const std::string key = spotd->create_account("clock");
    Load load;
    std::thread bench([&] { load = run_load(*spotd, key, 1'000, 14); });
    const auto start = Clock::now();
    // (seconds into the load, offset): a day ahead, a day behind, back to the true time.
    const std::pair<int, const char*> steps[] = {{3, "+86400"}, {6, "-86400"}, {10, "+0"}};
    std::size_t next = 0;
    while (Clock::now() - start < std::chrono::seconds(13)) {
      if (next < std::size(steps) &&
          Clock::now() - start >= std::chrono::seconds(steps[next].first)) {
        set_offset(spec, steps[next].second);
        ++next;
      }
      EXPECT_EQ(readyz(*spotd)["status"], "ready");
      // The snapshot's age is measured on the monotonic clock: no day-old snapshot
      // after a step forward, no negative age after a step back.
      const double age = metric(*spotd, "spot_snapshot_age_seconds");
      EXPECT_LT(age, 30.0);
      EXPECT_GE(age, -1.0);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    bench.join();
    EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
    EXPECT_TRUE(spotd->wait_for_log("wall clock is behind the last recorded time",
                                    std::chrono::seconds(1)));
    orders = load.summary["acked"].get<std::uint64_t>();
    EXPECT_GT(orders, 10'000u);
    wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
    EXPECT_EQ(spotd->terminate(), 0);
  }
  // spotd restarts on a machine whose clock is a day behind: time holds at the last
  // recorded time.
  set_offset(spec, "-86400");
  {
    auto spotd = spotd_on_faketime(pg, spec, journal);
    const std::string key = spotd->create_account("clock-after");
    const Load load = run_load(*spotd, key, 1'000, 2, 1'000'000);
    EXPECT_EQ(load.errors(), 0u) << load.summary.dump();
    wait_for_checkpoint(pg, durable_seq(*spotd), std::chrono::seconds(10));
    EXPECT_EQ(spotd->terminate(), 0);
    expect_database_equals_journal(pg, *spotd);
  }
  const std::string trades = pg.psql("SELECT count(*) FROM trades");
  std::printf("clock steps: %llu orders acknowledged before the restart, %s trades in all\n",
              static_cast<unsigned long long>(orders), trades.c_str());
  EXPECT_GT(std::stoull(trades), 1'000u);
  EXPECT_EQ(backwards(pg, "trades", "trade_id", "executed_at"), "0");
  EXPECT_EQ(backwards(pg, "orders", "order_id", "created_at"), "0");
  // The step forward was taken (a day ahead, then held there while the clock was
  // behind, until the true time passed it again: never), so the last trades are a day
  // ahead of the true time, and none is later than that.
  const std::string ahead_h =
      pg.psql("SELECT round(extract(epoch FROM max(executed_at) - now()) / 3600) FROM trades");
  EXPECT_EQ(ahead_h, "24");
}

}  // namespace
}  // namespace spot::test
