// spot-bench null-server end to end: the load generator runs against it over HTTP and
// TCP and every request is answered without error, and the server's count of answers
// matches what the generator sent. It asserts no rate: the ceiling is the benchmark's to
// measure (bench/compare.sh). Label `integration` (real processes and sockets).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "integration/spotd_process.h"

namespace spot::test {
namespace {

using json = nlohmann::json;

// The last line of `output` that starts with {"mode":"<mode>".
json line_of(const std::string& output, const std::string& mode) {
  std::istringstream lines(output);
  json found;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{\"mode\":\"" + mode + "\"", 0) == 0) found = json::parse(line);
  }
  return found;
}

TEST(NullServer, TheGeneratorRunsAgainstItOverHttpAndTcpWithoutErrors) {
  const std::string ports_file = ::testing::TempDir() + "/null-server-ports.json";
  std::filesystem::remove(ports_file);
  ExitResult server;
  std::thread serving([&] {
    server = run_program(
        {SPOT_BENCH_PATH, "null-server", "--duration", "8", "--ports-file", ports_file});
  });
  json ports;
  for (int i = 0; i < 100 && ports.is_null(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(ports_file);
    std::stringstream s;
    s << in.rdbuf();
    ports = json::parse(s.str(), nullptr, false);
    if (ports.is_discarded() || !ports.contains("tcp")) ports = json();
  }
  ASSERT_FALSE(ports.is_null()) << "no ports file";

  std::uint64_t sent = 0;
  for (const char* protocol : {"http", "tcp"}) {
    const ExitResult run =
        run_program({SPOT_BENCH_PATH, protocol, "--port",
                     std::to_string(ports[protocol].get<int>()), "--api-key", "k", "--rate", "3000",
                     "--duration", "1", "--connections", "4", "--prefill", "20"});
    EXPECT_EQ(run.status, 0) << run.output;
    const json r = line_of(run.output, protocol);
    ASSERT_TRUE(r.is_object()) << run.output;
    std::uint64_t errors = 0;
    for (const auto& [kind, n] : r["errors"].items()) errors += n.get<std::uint64_t>();
    EXPECT_EQ(errors, 0u) << run.output;
    EXPECT_EQ(r["answered"], r["sent"]) << run.output;
    EXPECT_EQ(r["acked"], r["sent"]) << run.output;
    EXPECT_EQ(r["prefill_acked"], r["prefill_sent"]) << run.output;
    EXPECT_GT(r["sent"].get<std::uint64_t>(), 2000u) << run.output;
    sent += r["sent"].get<std::uint64_t>() + r["prefill_sent"].get<std::uint64_t>();
  }
  serving.join();
  EXPECT_EQ(server.status, 0) << server.output;
  const json final = line_of(server.output, "null-server");
  ASSERT_TRUE(final.contains("answered")) << server.output;
  EXPECT_EQ(final["answered"].get<std::uint64_t>(), sent) << server.output;
}

}  // namespace
}  // namespace spot::test
