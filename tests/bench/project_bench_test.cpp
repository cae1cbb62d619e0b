// spot-bench project end to end against a private PostgreSQL server: a tiny W1 journal,
// one round. The subcommand fails by itself unless the projector phase and the COPY
// phase leave the same rows (counts and an md5 of every row); here it must exit 0, and
// the tables it leaves behind must hold the orders and trades its summary reports.
// Label `integration`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "integration/spotd_process.h"
#include "support/postgres_server.h"

namespace spot::test {
namespace {

// The JSON summary: the last line of the output that starts with {"mode":"project".
nlohmann::json summary_of(const std::string& output) {
  std::istringstream lines(output);
  std::string line;
  nlohmann::json summary;
  while (std::getline(lines, line)) {
    if (line.rfind("{\"mode\":\"project\"", 0) == 0) summary = nlohmann::json::parse(line);
  }
  return summary;
}

TEST(ProjectBench, ProjectorAndCopyLeaveTheSameRows) {
  PostgresServer pg;
  const ExitResult r = run_program(
      {SPOT_BENCH_PATH, "project", "--postgres", pg.url(), "--orders", "2000", "--rounds", "1"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Tables equal:"), std::string::npos) << r.output;
  const nlohmann::json summary = summary_of(r.output);
  ASSERT_TRUE(summary.is_object()) << r.output;
  // One account, the prefill of 8 x 1,000 orders and the 2,000 ops.
  EXPECT_EQ(summary["records"].get<std::uint64_t>(), 1u + 8'000u + 2'000u);
  EXPECT_GT(summary["trades"].get<std::uint64_t>(), 0u);
  // Round 1 runs the COPY phase last; its tables hold what both phases wrote.
  EXPECT_EQ(pg.psql("SELECT count(*) FROM orders"),
            std::to_string(summary["orders"].get<std::uint64_t>()));
  EXPECT_EQ(pg.psql("SELECT count(*) FROM trades"),
            std::to_string(summary["trades"].get<std::uint64_t>()));
}

TEST(ProjectBench, AnUnreachableDatabaseFailsWithAMessage) {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const ExitResult r = run_program({SPOT_BENCH_PATH, "project", "--postgres",
                                    "postgresql://postgres@127.0.0.1:1/spotd", "--orders", "100"});
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("resetting the schema"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace spot::test
