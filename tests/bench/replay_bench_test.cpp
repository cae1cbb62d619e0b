// spot-bench replay end to end on a small journal: the journal it writes recovers to the
// live engine's state, with and without a snapshot, and bad options are refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/replay/replay.h"

namespace spot::bench {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("spot-replay-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir.string();
}

TEST(ReplayBench, RecoversTheLiveStateFromTheJournal) {
  ReplayOptions o;
  o.ops = 20'000;
  o.prefill = 50;
  o.dir = fresh_dir("plain");
  ReplayResult r;
  std::string error;
  ASSERT_TRUE(run_replay(o, &r, &error)) << error;
  EXPECT_TRUE(r.hash_matches);
  EXPECT_EQ(r.snapshot_seq, 0u);
  // One account, the prefill and every op except cancels of orders never accepted.
  EXPECT_GT(r.records, 8u * 50u + 15'000u);
  EXPECT_LE(r.records, 1u + 8u * 50u + 20'000u);
  EXPECT_GT(r.trades, 0u);
  EXPECT_GT(r.journal_bytes, 0u);
  const std::string json = to_json(o, r);
  EXPECT_NE(json.find("\"hash_matches\":true"), std::string::npos) << json;
  fs::remove_all(o.dir);
}

TEST(ReplayBench, RecoversFromASnapshotPlusTheTail) {
  ReplayOptions o;
  o.ops = 20'000;
  o.prefill = 50;
  o.snapshot_at = 12'000;
  o.repeat = 3;
  o.dir = fresh_dir("snapshot");
  ReplayResult r;
  std::string error;
  ASSERT_TRUE(run_replay(o, &r, &error)) << error;
  EXPECT_TRUE(r.hash_matches);
  EXPECT_EQ(r.snapshot_seq, 12'000u);
  EXPECT_LT(r.records, 20'000u - 11'000u);
  fs::remove_all(o.dir);
}

// A short history: the recovered engine holds fewer records, the keys of the rest sit
// in its idempotency window, and the state still matches.
TEST(ReplayBench, ReportsTheStateSizesOfAShortHistory) {
  ReplayOptions o;
  o.ops = 20'000;
  o.prefill = 50;
  o.snapshot_at = 12'000;
  o.order_history = 1'000;
  o.idempotency_window = 5'000;
  o.dir = fresh_dir("short-history");
  ReplayResult r;
  std::string error;
  ASSERT_TRUE(run_replay(o, &r, &error)) << error;
  EXPECT_TRUE(r.hash_matches);
  EXPECT_GT(r.snapshot_bytes, 0u);
  EXPECT_GT(r.end_state_bytes, 0u);
  EXPECT_EQ(r.window_keys, 5'000u);
  EXPECT_GE(r.window_memory_bytes, 5'000u * 32u);
  EXPECT_LT(r.records_in_memory, 20'000u);
  const std::string json = to_json(o, r);
  EXPECT_NE(json.find("\"window_keys\":5000"), std::string::npos) << json;
  fs::remove_all(o.dir);
}

TEST(ReplayBench, RefusesADirectoryThatIsNotEmpty) {
  ReplayOptions o;
  o.dir = fresh_dir("busy");
  fs::create_directories(o.dir);
  { std::ofstream(o.dir + "/something") << "x"; }
  ReplayResult r;
  std::string error;
  EXPECT_FALSE(run_replay(o, &r, &error));
  EXPECT_NE(error.find("--dir"), std::string::npos) << error;
  fs::remove_all(o.dir);
}

}  // namespace
}  // namespace spot::bench
