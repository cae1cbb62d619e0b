// Test support: a real Redis 7 server per test, for the integration and fault tests of
// the cache. Each server is independent (own directory, own 127.0.0.1 port), so tests
// that use it can run in parallel (ctest -j).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace spot::test {

// One private redis-server, started by the constructor, with no persistence (a restart
// is an empty server, as scripts/redis runs it). Every failure throws
// std::runtime_error with the server's log: a test that needs Redis fails, never skips.
// Not thread-safe: use it from one thread.
//
// Layout: $TMPDIR/spotd-redistest/srv-<owner pid>-XXXXXX/{redis.log}. Nothing leaks: the
// destructor kills the server and removes its directory; a test process that dies
// without it leaves a server that gets SIGKILL the moment the thread that started it
// exits (parent-death signal), and a directory the next RedisServer removes once its
// owner pid is gone.
// REQUIRES: the thread that calls the constructor and start() outlives the server.
class RedisServer {
 public:
  // A fresh server on a free 127.0.0.1 port, answering PING.
  RedisServer();
  // Kills the server (thawed first) and removes its directory. Never throws.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // "redis://127.0.0.1:PORT/0".
  std::string url() const;
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string log() const;
  pid_t pid() const { return pid_; }

  // SHUTDOWN (SIGTERM: no save, no persistence), waits until it has exited. Thaws a frozen
  // server first. REQUIRES: running.
  void stop();
  // Starts again on the same port, empty; waits until it answers PING. Throws if the port
  // was taken meanwhile. REQUIRES: stopped.
  void start();
  // SIGKILL; waits until it is gone. REQUIRES: running.
  void kill_hard();
  // SIGSTOP: the kernel still completes TCP handshakes, but nothing is answered.
  // REQUIRES: running.
  void freeze();
  // SIGCONT. Nothing to do if not frozen.
  void thaw();

  // Runs one command on a fresh connection (hiredis, 5 s deadline) and returns the reply
  // as text: a string or status as is, an integer in decimal, nil as "(nil)", an array
  // as its elements one a line. Throws on an error reply or a connection failure.
  std::string command(const std::vector<std::string>& args) const;
  // Many commands pipelined on one connection; each reply as command() gives it, an
  // error reply as "(error) ..." instead of a throw.
  std::vector<std::string> pipeline(const std::vector<std::vector<std::string>>& commands) const;
  // Every key matching `pattern` (SCAN), sorted.
  std::vector<std::string> keys(const std::string& pattern) const;

 private:
  bool start_on(int port);
  [[noreturn]] void fail(const std::string& what) const;
  void cleanup() noexcept;

  std::string dir_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool frozen_ = false;
};

}  // namespace spot::test
