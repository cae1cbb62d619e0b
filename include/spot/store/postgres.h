// The one place spotd talks to PostgreSQL: a connection (libpqxx) whose every call has
// a client-side deadline, and errors classified by SQLSTATE into what retrying can fix
// (availability) and what it cannot (data). libpqxx throws; nothing above this file
// sees an exception.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <pqxx/connection>

#include "spot/resilience/circuit_breaker.h"
#include "spot/resilience/retry.h"

namespace spot {

// The [postgres] config section.
struct PostgresOptions {
  std::string url;  // libpq connection string or URI; empty: embedded (journal only)
  std::int64_t connect_timeout_ms = 2'000;    // libpq connect_timeout (whole seconds, >= 2)
  std::int64_t statement_timeout_ms = 4'000;  // server side, per statement
  // Client side, per call: past this the socket is shut down, so a frozen server (which
  // enforces no statement_timeout) cannot hang the calling thread.
  std::int64_t call_deadline_ms = 5'000;
  std::size_t batch_max_records = 200'000;  // journal records per projector transaction, at most
  // A batch with at least this many new rows (orders created in it, trades, accounts)
  // writes them by COPY in a transaction of its own (BEGIN, checkpoint guard, a COPY per
  // table, one statement for the orders of earlier batches, COMMIT: up to six
  // statements); a smaller one is a single statement. COPY was faster at every batch
  // size measured (from 32 new rows, bench/RESULTS.md); the threshold keeps the
  // statements per order low: a COPY batch of 1,000 new rows costs about 0.007.
  std::size_t copy_min_rows = 1'000;
  std::int64_t flush_ms = 100;  // a batch waits at most this long for more records
  // After a failed call, and while the breaker is open, a cheap check that the server
  // answers at all (an SSLRequest handshake: no login, no query, no log line) with this
  // deadline; a frozen or absent server then fails fast instead of costing a whole
  // connect_timeout per attempt.
  std::int64_t ping_timeout_ms = 250;
  // While the breaker is open, that check this often; a server that answers again lets
  // the half-open probe go at once instead of after the rest of the open wait.
  std::int64_t ping_interval_ms = 500;
  // Retries of one call after availability errors (within the retry budget); then the
  // call fails, and the projector makes a new one after flush_ms.
  std::uint32_t retries_per_call = 3;
  std::int64_t drain_timeout_ms = 5'000;  // at SIGTERM, projecting what is durable, at most
  // A call is slow (counts as failed) past 4 s; the half-open probe may take as long as
  // any call (call_deadline_ms) — a projector batch after an outage is a big one.
  BreakerOptions breaker = [] {
    BreakerOptions b;
    b.slow_call_ms = 4'000;
    b.probe_deadline_ms = 5'000;
    return b;
  }();
  RetryOptions retry;
};

// The connection string with any password replaced by "***", for logs.
std::string redact_password(const std::string& url);

enum class DbErrorKind : std::uint8_t {
  None = 0,
  // Retrying can fix it: connection failures (class 08), shutdown and crash (57P01-
  // 57P03), insufficient resources (53), cancels and timeouts (57014, the client
  // deadline), serialization failures and deadlocks (40). Counts against the breaker.
  Availability,
  // Retrying cannot fix it: data exceptions (class 22) and integrity constraint
  // violations (class 23). Goes to the dead-letter hook; never opens the breaker.
  Data,
};

struct DbError {
  DbErrorKind kind = DbErrorKind::None;
  std::string sqlstate;  // five characters, or empty when the server gave none
  std::string message;
  bool in_doubt = false;   // a COMMIT whose outcome is unknown (the reply was lost)
  bool timed_out = false;  // the client-side deadline passed

  static DbError availability(std::string message);
  static DbError from_sqlstate(std::string sqlstate, std::string message);

  bool ok() const { return kind == DbErrorKind::None; }
  // The SQLSTATE class (first two characters), or "connection" / "timeout" for errors
  // of the client side; the label of spot_db_errors_total.
  std::string error_class() const;
};

// Anything that is not a data error (22, 23) is an availability error: an unknown
// failure is retried rather than dropped, so nothing is lost by misclassification.
DbErrorKind classify_sqlstate(std::string_view sqlstate);

// Adds spotd's client-side limits (connect_timeout, keepalives, tcp_user_timeout,
// application_name) to a libpq connection string or URI, unless it sets them itself.
std::string connection_string(const PostgresOptions& options);

// A connection and a watchdog thread. Every call runs under a deadline: if it has not
// returned by then, the watchdog shuts the connection's socket down, the call fails
// with an availability error, and the connection must be opened again.
// Not thread-safe: one user thread (the projector).
class PgSession {
 public:
  explicit PgSession(PostgresOptions options);
  ~PgSession();

  // Opens the connection (closing any previous one) and sets statement_timeout,
  // lock_timeout and the server side's TCP keepalives and user timeout.
  DbError connect();
  // The statements connect() sends (for the statement count).
  static constexpr int kConnectStatements = 6;
  void close();
  bool connected() const { return conn_ != nullptr; }

  // Runs `work` on the connection under the call deadline; exceptions become a DbError.
  // A failure that leaves the connection unusable closes it.
  DbError run(const std::function<void(pqxx::connection&)>& work);

  // From any thread: fails the call in progress now (as if its deadline had passed).
  void abort();

  // Does a server answer at the configured address within ping_timeout_ms? Sends an
  // SSLRequest and waits for its one-byte answer; no login, no query. Thread-safe.
  bool ping() const;

  const PostgresOptions& options() const { return options_; }

 private:
  void watch();
  void arm();
  void disarm();

  PostgresOptions options_;
  std::string conninfo_;
  std::string ping_host_;  // first host of the connection string, or a socket directory
  std::string ping_port_;
  std::unique_ptr<pqxx::connection> conn_;

  std::mutex mutex_;  // guards the fields below, and the socket while shutting it down
  std::condition_variable wake_;
  int armed_fd_ = -1;
  std::int64_t deadline_ns_ = 0;
  bool fired_ = false;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace spot
