// The Redis test harness against real servers: start, commands, restart (empty: no
// persistence), freeze, kill, cleanup. Label `integration`.
#include "support/redis_server.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace spot::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST(RedisServer, StartsOnLoopbackWithoutPersistence) {
  RedisServer redis;
  EXPECT_GT(redis.port(), 0);
  EXPECT_EQ(redis.url(), "redis://127.0.0.1:" + std::to_string(redis.port()) + "/0");
  EXPECT_EQ(redis.command({"PING"}), "PONG");
  EXPECT_EQ(redis.command({"CONFIG", "GET", "bind"}), "bind\n127.0.0.1");
  EXPECT_EQ(redis.command({"CONFIG", "GET", "save"}), "save\n");
  EXPECT_EQ(redis.command({"CONFIG", "GET", "appendonly"}), "appendonly\nno");
  EXPECT_EQ(redis.command({"SET", "a", "1"}), "OK");
  EXPECT_EQ(redis.command({"GET", "a"}), "1");
  EXPECT_EQ(redis.command({"GET", "missing"}), "(nil)");
  EXPECT_EQ(redis.command({"INCR", "n"}), "1");
  EXPECT_THROW(redis.command({"INCR", "a", "extra"}), std::runtime_error);
  EXPECT_EQ(redis.pipeline({{"SET", "b", "2"}, {"GET", "b"}, {"LPUSH", "b", "x"}}),
            (std::vector<std::string>{"OK", "2",
                                      "(error) WRONGTYPE Operation against a key holding the "
                                      "wrong kind of value"}));
  EXPECT_EQ(redis.keys("*"), (std::vector<std::string>{"a", "b", "n"}));
}

TEST(RedisServer, StopAndStartOnTheSamePortEmpty) {
  RedisServer redis;
  const int port = redis.port();
  redis.command({"SET", "k", "v"});
  redis.stop();
  EXPECT_EQ(redis.pid(), -1);
  EXPECT_THROW(redis.command({"PING"}), std::runtime_error);
  redis.start();
  EXPECT_EQ(redis.port(), port);
  EXPECT_EQ(redis.command({"GET", "k"}), "(nil)");  // nothing persisted
  redis.kill_hard();
  EXPECT_THROW(redis.command({"PING"}), std::runtime_error);
  redis.start();
  EXPECT_EQ(redis.command({"PING"}), "PONG");
}

TEST(RedisServer, FrozenItAcceptsButAnswersNothing) {
  RedisServer redis;
  redis.freeze();
  // The command's connection completes (the kernel) but its reply never comes: it
  // fails at the harness's 5 s deadline, on another thread so this one can thaw after.
  auto pending = std::async(std::launch::async, [&] {
    try {
      redis.command({"PING"});
      return std::string("answered");
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
  });
  EXPECT_EQ(pending.wait_for(seconds(1)), std::future_status::timeout);
  EXPECT_NE(pending.get(), "answered");
  redis.thaw();
  EXPECT_EQ(redis.command({"PING"}), "PONG");
  // stop() thaws first.
  redis.freeze();
  redis.stop();
  redis.start();
  EXPECT_EQ(redis.command({"PING"}), "PONG");
}

TEST(RedisServer, TheDestructorKillsTheServerAndRemovesItsDirectory) {
  pid_t pid = -1;
  std::string dir;
  {
    RedisServer redis;
    pid = redis.pid();
    dir = redis.dir();
    EXPECT_TRUE(alive(pid));
    EXPECT_TRUE(std::filesystem::exists(dir + "/redis.log"));
    redis.freeze();  // also a frozen one
  }
  EXPECT_FALSE(alive(pid));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace spot::test
