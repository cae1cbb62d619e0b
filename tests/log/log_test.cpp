// The log line's shape, the repetition limit and the run-time level.
#include "spot/log/log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace spot::log {
namespace {

using nlohmann::json;

TEST(Log, ALineIsJsonWithComponentCorrelationIdAndFields) {
  std::thread([] {
    set_component("projector");
    const json j = json::parse("{" + json_body("batch \"written\"", "req-1", {{"seq", "42"}}) + "}");
    EXPECT_EQ(j["msg"], "batch \"written\"");
    EXPECT_EQ(j["component"], "projector");
    EXPECT_EQ(j["correlation_id"], "req-1");
    EXPECT_EQ(j["fields"], json({{"seq", "42"}}));
  }).join();
  const json j = json::parse("{" + json_body("m", "", {}) + "}");
  EXPECT_EQ(j["component"], "main");  // a thread that never named one
  EXPECT_TRUE(j["correlation_id"].is_null());
  EXPECT_EQ(j["fields"], json::object());
}

TEST(Log, AStormOfOneMessageIsCutAndTheNextLineSaysHowManyWereLeftOut) {
  init("info", 5);
  std::size_t suppressed = 0;
  int admitted = 0;
  for (int i = 0; i < 50; ++i) admitted += admit(spdlog::level::err, "storm", &suppressed) ? 1 : 0;
  EXPECT_EQ(admitted, 5);
  // Another message is not held back by this one; debug is never limited.
  EXPECT_TRUE(admit(spdlog::level::err, "calm", &suppressed));
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(admit(spdlog::level::debug, "storm", &suppressed));
  std::this_thread::sleep_for(std::chrono::milliseconds(1'050));
  ASSERT_TRUE(admit(spdlog::level::err, "storm", &suppressed));
  EXPECT_EQ(suppressed, 45u);
  ASSERT_TRUE(admit(spdlog::level::err, "storm", &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(Log, TheLevelChangesAtRunTime) {
  EXPECT_TRUE(set_level("debug"));
  EXPECT_EQ(level(), "debug");
  EXPECT_TRUE(spdlog::should_log(spdlog::level::debug));
  EXPECT_TRUE(set_level("error"));
  EXPECT_EQ(level(), "error");
  EXPECT_FALSE(spdlog::should_log(spdlog::level::warn));
  EXPECT_FALSE(set_level("loud"));
  EXPECT_EQ(level(), "error");
  EXPECT_TRUE(set_level("info"));
}

}  // namespace
}  // namespace spot::log
