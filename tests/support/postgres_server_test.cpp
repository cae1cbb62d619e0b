// The PostgreSQL test harness against real servers: start, queries, restart, freeze,
// crash, cleanup. Label `integration`.
#include "support/postgres_server.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace spot::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A live process (a zombie is not: it has exited, only its parent has not reaped it yet).
bool alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

TEST(PostgresServer, StartsOnLoopbackWithDatabaseSpotd) {
  const auto start = Clock::now();
  PostgresServer pg;
  std::cout << "server ready in " << elapsed_since(start).count() << " ms\n";
  EXPECT_GT(pg.port(), 0);
  EXPECT_EQ(pg.url(), "postgresql://postgres@127.0.0.1:" + std::to_string(pg.port()) + "/spotd");
  EXPECT_EQ(pg.psql("SELECT current_database()"), "spotd");
  EXPECT_EQ(pg.psql("SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(pg.psql("SHOW fsync"), "on");
  EXPECT_EQ(pg.psql("SHOW unix_socket_directories"), pg.dir());
  EXPECT_EQ(pg.psql("SELECT 1, 'a' UNION ALL SELECT 2, 'b'"), "1|a\n2|b");
  EXPECT_THROW(pg.psql("SELECT * FROM no_such_table"), std::runtime_error);
}

TEST(PostgresServer, StopAndStartKeepTheData) {
  PostgresServer pg;
  const int port = pg.port();
  pg.psql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)");
  pg.stop();
  EXPECT_EQ(pg.pid(), -1);
  EXPECT_THROW(pg.psql("SELECT 1", seconds(5)), std::runtime_error);
  pg.start();
  EXPECT_EQ(pg.port(), port);
  EXPECT_EQ(pg.psql("SELECT x FROM kept"), "42");
  EXPECT_THROW(pg.start(), std::logic_error);
}

TEST(PostgresServer, FrozenServerTimesQueriesOutUntilThawed) {
  PostgresServer pg;
  pg.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (7)");
  pg.freeze();
  const auto start = Clock::now();
  EXPECT_THROW(pg.psql("SELECT x FROM t", seconds(2)), std::runtime_error);
  const milliseconds waited = elapsed_since(start);
  EXPECT_GE(waited, milliseconds(1900));
  EXPECT_LT(waited, milliseconds(3500));
  pg.thaw();
  EXPECT_EQ(pg.psql("SELECT x FROM t", seconds(5)), "7");
}

TEST(PostgresServer, KillHardThenStartRecoversCommittedData) {
  PostgresServer pg;
  pg.psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)");
  const pid_t postmaster = pg.pid();
  pg.kill_hard();
  EXPECT_FALSE(alive(postmaster));
  EXPECT_THROW(pg.psql("SELECT 1", seconds(5)), std::runtime_error);
  pg.start();
  EXPECT_EQ(pg.psql("SELECT count(*) FROM t"), "1000");
  EXPECT_NE(pg.log().find("database system was interrupted"), std::string::npos) << pg.log();
}

TEST(PostgresServer, KillHardWorksOnAFrozenServer) {
  PostgresServer pg;
  pg.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
  pg.freeze();
  pg.kill_hard();
  pg.start();
  EXPECT_EQ(pg.psql("SELECT x FROM t"), "1");
}

TEST(PostgresServer, TwoServersAreIndependent) {
  PostgresServer a;
  PostgresServer b;
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.dir(), b.dir());
  a.psql("CREATE TABLE only_in_a (x int)");
  EXPECT_EQ(a.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"), "1");
  EXPECT_EQ(b.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"), "0");
  a.stop();
  EXPECT_EQ(b.psql("SELECT 1"), "1");
}

TEST(PostgresServer, DestructorStopsTheServerAndRemovesItsDirectory) {
  std::string dir;
  pid_t postmaster = -1;
  {
    PostgresServer pg;
    pg.freeze();  // even a frozen one
    dir = pg.dir();
    postmaster = pg.pid();
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_FALSE(alive(postmaster));
}

// A test process that dies without running the destructor, with its server frozen (so
// that the parent-death signal cannot stop it): the next PostgresServer kills it and
// removes its directory.
TEST(PostgresServer, NextServerSweepsOneLeftByADeadProcess) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    try {
      auto* leaked = new PostgresServer();  // never deleted: the process dies with it
      leaked->freeze();
      const std::string report = leaked->dir() + " " + std::to_string(leaked->pid()) + "\n";
      if (write(fds[1], report.data(), report.size()) < 0) _exit(2);
    } catch (const std::exception& e) {
      const std::string report = std::string("error ") + e.what() + "\n";
      if (write(fds[1], report.data(), report.size()) < 0) _exit(2);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  const auto space = report.find(' ');
  ASSERT_NE(space, std::string::npos) << report;
  const std::string dir = report.substr(0, space);
  ASSERT_NE(dir, "error") << report;
  const pid_t postmaster = std::stoi(report.substr(space + 1));
  ASSERT_TRUE(std::filesystem::exists(dir));
  ASSERT_TRUE(alive(postmaster)) << "a frozen postmaster outlives its owner";

  PostgresServer next;
  EXPECT_FALSE(std::filesystem::exists(dir));
  const auto deadline = Clock::now() + seconds(5);
  while (alive(postmaster) && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_FALSE(alive(postmaster));
}

}  // namespace
}  // namespace spot::test
