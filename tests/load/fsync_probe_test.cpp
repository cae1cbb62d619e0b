// `spot-bench fsync` on a real temp directory: it syncs, orders its percentiles, lists
// what was slow and says why it could not run.
#include "bench/fsync/fsync_probe.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace spot::bench {
namespace {

TEST(FsyncProbe, SyncsForTheTimeGivenAndSummarizesTheLatencies) {
  const std::filesystem::path dir = testing::TempDir();
  FsyncProbeOptions o;
  o.dir = dir.string();
  o.seconds = 0.2;
  o.slow_ms = 0.001;  // every fsync is "slow": the list fills up to its limit
  const FsyncProbeResult r = run_fsync_probe(o);
  ASSERT_EQ(r.error, "");
  EXPECT_GT(r.syncs, 0u);
  EXPECT_LE(r.p50_ms, r.p99_ms);
  EXPECT_LE(r.p99_ms, r.p999_ms);
  EXPECT_LE(r.p999_ms, r.max_ms);
  EXPECT_EQ(r.slow_count, r.syncs);
  EXPECT_EQ(r.slow.size(), std::min<std::size_t>(r.syncs, 20));
  EXPECT_FALSE(std::filesystem::exists(dir / "spot-bench-fsync-probe.tmp"));
  const std::string json = to_json(o, r);
  EXPECT_NE(json.find("\"syncs\":" + std::to_string(r.syncs) + ","), std::string::npos) << json;
  EXPECT_NE(json.find("\"slow\":[["), std::string::npos) << json;
}

TEST(FsyncProbe, RunsBesideABusyCpu) {
  FsyncProbeOptions o;
  o.dir = testing::TempDir();
  o.seconds = 0.1;
  o.cpu = 0;
  o.busy_cpu = 0;  // the same CPU: there may be only one
  const FsyncProbeResult r = run_fsync_probe(o);
  ASSERT_EQ(r.error, "");
  EXPECT_GT(r.syncs, 0u);
}

TEST(FsyncProbe, OverwritesAPrezeroedFileAndWrapsAroundAtItsEnd) {
  FsyncProbeOptions o;
  o.dir = testing::TempDir();
  o.seconds = 0.2;
  o.bytes = 256 << 10;  // four records fill the 1 MiB file: the probe wraps around
  o.prezeroed_mib = 1;
  const FsyncProbeResult r = run_fsync_probe(o);
  ASSERT_EQ(r.error, "");
  EXPECT_GT(r.syncs, 4u);
  EXPECT_NE(to_json(o, r).find("\"prezeroed_mib\":1,"), std::string::npos);
}

TEST(FsyncProbe, SaysWhyItCannotRun) {
  FsyncProbeOptions o;
  o.dir = "/nonexistent-spot-bench-dir";
  const FsyncProbeResult r = run_fsync_probe(o);
  EXPECT_NE(r.error.find("cannot create /nonexistent-spot-bench-dir/"), std::string::npos)
      << r.error;
  EXPECT_EQ(r.syncs, 0u);
}

}  // namespace
}  // namespace spot::bench
