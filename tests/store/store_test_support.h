// What the store's integration tests share: spotd projecting into a private PostgreSQL,
// load from spot-bench, and the checks of the database against the journal.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/spotd_process.h"
#include "support/postgres_server.h"

namespace spot::test {

// A seed for what the tests choose at random (printed, so a failing run can be rerun
// with SPOT_TEST_SEED set to it).
std::uint64_t seed();

// spotd projecting into `url`, with a short flush and drain so tests move quickly.
std::unique_ptr<SpotdProcess> spotd_with(const std::string& url, const std::string& journal = "",
                                         std::vector<std::string> extra = {});

nlohmann::json readyz(const SpotdProcess& spotd);
// Journal records durable now = what the projector must reach.
std::uint64_t durable_seq(const SpotdProcess& spotd);
std::uint64_t db_checkpoint(const PostgresServer& pg);
// Waits until the database checkpoint reaches `seq` (a test failure if it does not
// within `limit`); returns how long it took.
std::chrono::milliseconds wait_for_checkpoint(const PostgresServer& pg, std::uint64_t seq,
                                              std::chrono::seconds limit);

// Open-loop W1 over HTTP from spot-bench; the summary it prints.
struct Load {
  nlohmann::json summary;
  std::uint64_t errors() const;
};
Load run_load(const SpotdProcess& spotd, const std::string& key, double rate, double seconds,
              std::uint64_t client_offset = 0);

// The fields of `text` between `by`s; none for an empty text.
std::vector<std::string> split(const std::string& text, char by);

// The database holds exactly what the journal says: rebuilt by recovery from the
// snapshot and journal spotd left behind (spotd must have stopped).
void expect_database_equals_journal(const PostgresServer& pg, const SpotdProcess& spotd);

// The value of one sample of spotd's /metrics ("name" or "name{labels}"); -1 if absent.
double metric(const SpotdProcess& spotd, const std::string& name);

}  // namespace spot::test
