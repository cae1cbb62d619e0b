// The one place spotd talks to Redis: the [redis] options, the URL, the RESP encoding of
// commands, and a connection (hiredis) whose connect and every round trip run under a
// deadline. hiredis is C: nothing above this file sees one of its types.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/core/status.h"
#include "spot/resilience/circuit_breaker.h"

struct redisContext;

namespace spot {

// The [redis] config section: the connection, and what the write-through cache keeps
// (cache_writer.h, docs/cache.md).
struct RedisOptions {
  std::string url;  // redis://[[user]:password@]host[:port][/db]; empty: no cache
  // Every key starts with "<key_prefix>:" (two spotds with their own databases can share
  // one Redis under different prefixes).
  std::string key_prefix = "spot";
  std::int64_t connect_timeout_ms = 500;  // TCP connect (and AUTH, SELECT) at most
  // Deadline of every round trip (one command, or one pipelined transaction): past it
  // the connection is dropped, so a frozen server cannot hang the cache thread.
  std::int64_t command_timeout_ms = 1'000;
  // While the breaker is open, a PING (on a new connection, within connect_timeout_ms)
  // this often; a server that answers lets the half-open probe go at once.
  std::int64_t ping_interval_ms = 500;
  // Time to live of each kind of key, refreshed whenever the key is written.
  std::int64_t order_ttl_s = 3'600;
  std::int64_t trades_ttl_s = 3'600;
  std::int64_t open_orders_ttl_s = 3'600;
  std::int64_t depth_ttl_s = 300;
  std::size_t depth_levels = 20;  // price levels per side kept per symbol
  // An account with more live orders than this has no open-order key (it is deleted):
  // a reader then asks the engine, which always has them.
  std::size_t open_orders_max_ids = 10'000;
  // Orders and trades waiting for the cache thread, at most; a committed batch that does
  // not fit is not written (counted, and the next write starts a new epoch).
  std::size_t queue_max_rows = 400'000;
  // Commands per round trip (one MULTI/EXEC): a batch that needs more (a catch-up batch
  // of the projector) is written in several, in order.
  std::size_t pipeline_max_commands = 20'000;
  std::int64_t drain_timeout_ms = 2'000;  // at SIGTERM, writing what is queued, at most
  // A round trip is slow (counts as failed) past 500 ms; the half-open probe may take as
  // long as any round trip.
  BreakerOptions breaker = [] {
    BreakerOptions b;
    b.slow_call_ms = 500;
    b.probe_deadline_ms = 1'000;
    return b;
  }();
};

// Where a redis:// URL points.
struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password alone (or none)
  std::string password;  // empty: no AUTH
};

// Parses redis://[[user]:password@]host[:port][/db] (host a name, an IPv4 address or
// [IPv6]); nullopt and `*error` on anything else.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* error);

// The URL with any password replaced by "***", for logs.
std::string redact_redis_url(const std::string& url);

// Commands in the Redis protocol (RESP arrays of bulk strings), grouped into
// transactions of at most `max_commands` commands each: MULTI, the commands, EXEC. Each
// transaction is one round trip of RedisSession::transaction. Pure.
class RespTransactions {
 public:
  struct Transaction {
    std::string bytes;         // MULTI ... EXEC, ready to send
    std::size_t commands = 0;  // between MULTI and EXEC
  };

  // REQUIRES: max_commands >= 1.
  explicit RespTransactions(std::size_t max_commands);

  // A command of `argc` arguments follows: exactly argc arg() calls.
  void command(std::size_t argc);
  void arg(std::string_view value);
  void arg(std::uint64_t value);
  void arg(std::int64_t value);

  std::size_t commands() const { return total_; }
  // The transactions so far, each closed with EXEC; the object is then empty again.
  std::vector<Transaction> take();

 private:
  void close();

  std::size_t max_commands_;
  std::vector<Transaction> done_;
  Transaction open_;
  std::size_t total_ = 0;
};

// A Redis reply as far as the cache looks at it.
struct RedisReply {
  enum class Kind : std::uint8_t { Status, Error, Integer, String, Nil, Array };
  Kind kind = Kind::Nil;
  std::int64_t integer = 0;
  std::string text;  // Status, Error, String
  std::vector<RedisReply> elements;
};

// One connection. Every round trip runs under command_timeout_ms (hiredis socket
// timeouts for each wait, and the whole round trip checked against the deadline): on a
// connection error, a deadline or a protocol error the connection is closed and must be
// opened again. An error reply (e.g. WRONGTYPE) leaves it open.
// Not thread-safe: one user thread; abort() from any thread.
class RedisSession {
 public:
  explicit RedisSession(RedisOptions options);
  ~RedisSession();
  RedisSession(const RedisSession&) = delete;
  RedisSession& operator=(const RedisSession&) = delete;

  // Connects (closing any previous connection) within connect_timeout_ms, then AUTH and
  // SELECT as the URL says.
  Status connect();
  void close();
  bool connected() const { return context_ != nullptr; }

  // One command; its reply in `*reply` (also an error reply: the Status is ok then).
  Status command(const std::vector<std::string>& args, RedisReply* reply);
  // One transaction in one round trip; fails if any command in it failed (the message
  // names the first), or the transaction was aborted.
  Status transaction(const RespTransactions::Transaction& t);
  // Connects if not connected, then PING, all within `timeout_ms`: does a server answer?
  bool ping(std::int64_t timeout_ms);

  // From any thread: fails the round trip in progress now (its socket is shut down).
  void abort();

  // Commands sent since construction (MULTI and EXEC included), for metrics.
  std::uint64_t commands_sent() const { return commands_sent_; }

 private:
  // Sends what is appended to the context and reads `replies` replies into `out` (the
  // last one only if `keep_last`), under the round-trip deadline.
  Status round_trip(std::size_t replies, std::int64_t timeout_ms, RedisReply* last);
  Status fail(std::string what);
  void set_timeout(std::int64_t timeout_ms);

  RedisOptions options_;
  std::optional<RedisAddress> address_;
  std::string address_error_;
  redisContext* context_ = nullptr;
  std::uint64_t commands_sent_ = 0;
  std::mutex fd_mutex_;  // guards fd_ against abort() while connecting and closing
  int fd_ = -1;
};

}  // namespace spot
