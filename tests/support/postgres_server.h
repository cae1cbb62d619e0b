// Test support: a real PostgreSQL 15 server per test, for the integration and fault tests
// of everything that talks to the database. Each server is independent (own directory,
// own 127.0.0.1 port, own Unix socket directory), so tests that use it can run in
// parallel (ctest -j).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace spot::test {

// One private PostgreSQL server, started by the constructor. Every failure throws
// std::runtime_error with the server's log: a test that needs PostgreSQL fails, never
// skips. Not thread-safe: use it from one thread.
//
// Layout: <root>/spotd-pgtest/srv-<owner pid>-XXXXXX/{data/, postgres.log, Unix socket},
// where <root> is $SPOT_TEST_PG_ROOT, else /dev/shm if it is a tmpfs with 1 GiB free, else
// the temp directory ($TMPDIR, /tmp); every directory above must be searchable by postgres.
// The data directory is a copy of a template cluster made once (initdb, database spotd)
// and kept in <root>/spotd-pgtest/template-<key>/, so a server costs a copy and a start, not
// an initdb. The server runs as the user postgres when the tests run as root, with
// fsync=on.
//
// Nothing leaks: the destructor shuts the server down (immediate) and removes its
// directory; a test process that dies without it leaves a server that gets SIGQUIT
// (immediate shutdown) the moment the thread that started it exits, and a directory that
// the next PostgresServer of any test process removes (with any of its processes still
// alive) once its owner pid is gone.
// REQUIRES: the thread that calls the constructor and start() outlives the server (the
// parent-death signal follows the thread, not the process).
class PostgresServer {
 public:
  // A fresh cluster on a free 127.0.0.1 port, accepting connections, with database spotd.
  PostgresServer();
  // Stops the server (immediate shutdown, SIGKILL if it does not go) and removes its
  // directory. Never throws.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // "postgresql://postgres@127.0.0.1:PORT/spotd": a libpq connection string, trust auth.
  std::string url() const;
  int port() const { return port_; }
  // The server's directory; its data directory is dir() + "/data".
  const std::string& dir() const { return dir_; }
  // Everything the server wrote to its log so far, across restarts.
  std::string log() const;
  // The postmaster's pid, -1 while stopped.
  pid_t pid() const { return pid_; }

  // Fast shutdown (SIGINT, as pg_ctl stop -m fast sends: open transactions roll back,
  // a checkpoint is written); waits until the postmaster has exited. Thaws a frozen
  // server first. REQUIRES: running.
  void stop();
  // Starts again on the same port with the same data; waits until it accepts
  // connections (after crash recovery if kill_hard() came first). Throws if the port was
  // taken meanwhile. REQUIRES: stopped.
  void start();
  // A crash of the database host: SIGKILL to the postmaster and every backend at once,
  // nothing flushed, no shutdown checkpoint; waits until they are all gone. start()
  // then recovers from the WAL. Also works on a frozen server. REQUIRES: running.
  void kill_hard();
  // SIGSTOP to the postmaster and all its processes (every backend): the server looks
  // alive (the kernel still completes TCP handshakes) but answers nothing, new
  // connections and queries on open ones hang. REQUIRES: running.
  void freeze();
  // SIGCONT to every process freeze() stopped. Nothing to do if not frozen.
  void thaw();

  // Runs `psql -X -At -v ON_ERROR_STOP=1 -c sql` on database spotd and returns its stdout
  // without the final newline (rows one a line, columns separated by '|'). Throws
  // std::runtime_error with psql's stderr when psql fails, or when it has not finished
  // within `timeout` (PGCONNECT_TIMEOUT is set too, at least 2 s as libpq allows; psql is
  // killed at the timeout).
  std::string psql(const std::string& sql,
                   std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  enum class StartResult { Ready, PortTaken };
  StartResult start_on_port();
  void stop_with(int signal_number, std::chrono::milliseconds timeout);
  void cleanup() noexcept;
  [[noreturn]] void fail(const std::string& what) const;

  std::string dir_;
  std::string data_dir_;  // canonical, as /proc/<pid>/cwd shows it
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::vector<pid_t> frozen_;
};

}  // namespace spot::test
