#include "spot/app/config.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include "spot/core/decimal.h"

namespace spot {
namespace {

// A node's value as an int64, as toml++'s value<int64_t>() gives it, except a float
// beyond int64's range: toml++ casts that unchecked (undefined behaviour, found by
// tests/fuzz/config with `port = 1e90`); here it is no integer.
std::optional<std::int64_t> int64_of(const toml::node& node) {
  if (const auto d = node.value_exact<double>(); d && !(std::fabs(*d) < 9.2e18)) {
    return std::nullopt;
  }
  return node.value<std::int64_t>();
}

using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;

struct Key {
  std::string description;
  Setter set;
};

template <class T>
std::optional<std::string> parse_integer(const std::string& text, T& out, T min, T max) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return "expected an integer, got '" + text + "'";
  if (v < static_cast<long long>(min) ||
      static_cast<unsigned long long>(v) > static_cast<unsigned long long>(max)) {
    return "must be between " + std::to_string(min) + " and " + std::to_string(max);
  }
  out = static_cast<T>(v);
  return std::nullopt;
}

std::optional<std::string> parse_number(const std::string& text, double& out) {
  try {
    std::size_t used = 0;
    out = std::stod(text, &used);
    if (used != text.size() || !(out > 0) || !std::isfinite(out)) {
      return "expected a positive finite number, got '" + text + "'";
    }
  } catch (const std::exception&) {
    return "expected a number, got '" + text + "'";
  }
  return std::nullopt;
}

#define SPOT_INT_KEY(path, member, min, max, desc)                              \
  {                                                                             \
    path, Key {                                                                 \
      desc, [](Config& c, const std::string& v) {                               \
        return parse_integer(v, c.member, static_cast<decltype(c.member)>(min), \
                             static_cast<decltype(c.member)>(max));             \
      }                                                                         \
    }                                                                           \
  }
#define SPOT_STR_KEY(path, member, desc)          \
  {                                               \
    path, Key {                                   \
      desc, [](Config& c, const std::string& v) { \
        c.member = v;                             \
        return std::optional<std::string>{};      \
      }                                           \
    }                                             \
  }
#define SPOT_BOOL_KEY(path, member, desc)                                       \
  {                                                                             \
    path, Key {                                                                 \
      desc, [](Config& c, const std::string& v) -> std::optional<std::string> { \
        if (v == "true" || v == "1") {                                          \
          c.member = true;                                                      \
        } else if (v == "false" || v == "0") {                                  \
          c.member = false;                                                     \
        } else {                                                                \
          return "expected true or false, got '" + v + "'";                     \
        }                                                                       \
        return std::nullopt;                                                    \
      }                                                                         \
    }                                                                           \
  }
#define SPOT_NUM_KEY(path, member, desc)                                              \
  {                                                                                   \
    path, Key {                                                                       \
      desc, [](Config& c, const std::string& v) { return parse_number(v, c.member); } \
    }                                                                                 \
  }

const std::map<std::string, Key>& keys() {
  static const std::map<std::string, Key> table = {
      SPOT_STR_KEY("http.address", http.address, "address the trader HTTP API listens on"),
      SPOT_INT_KEY("http.port", http.port, 0, 65535, "trader HTTP port (0 = any free port)"),
      SPOT_INT_KEY("http.max_header_bytes", http.max_header_bytes, 256, 1 << 20,
                   "largest request header block; larger gets 431"),
      SPOT_INT_KEY("http.max_body_bytes", http.max_body_bytes, 64, 1 << 24,
                   "largest request body; larger gets 413"),
      SPOT_INT_KEY("http.max_connections", http.max_connections, 1, 1'000'000,
                   "open HTTP connections; more get 503 and are closed"),
      SPOT_INT_KEY("http.max_inflight_per_connection", http.max_inflight_per_connection, 1, 4096,
                   "pipelined requests a connection may have unanswered"),
      SPOT_INT_KEY("http.read_timeout_ms", http.read_timeout_ms, 1, 3'600'000,
                   "time to receive one whole request (idle keep-alive included)"),
      SPOT_INT_KEY("http.write_timeout_ms", http.write_timeout_ms, 1, 3'600'000,
                   "time to send one response"),
      SPOT_INT_KEY("http.max_request_id_bytes", http.max_request_id_bytes, 8, 1024,
                   "longest X-Request-ID kept as the correlation id; longer ones are replaced"),
      SPOT_INT_KEY("api.default_depth_levels", api.default_depth_levels, 1, 1'000'000,
                   "price levels per side GET /api/v1/depth returns without limit="),
      SPOT_INT_KEY("api.max_depth_levels", api.max_depth_levels, 1, 1'000'000,
                   "largest limit= GET /api/v1/depth accepts"),
      SPOT_INT_KEY("api.default_trades_limit", api.default_trades_limit, 1, 1'000'000,
                   "public trades GET /api/v1/trades, /api/v3/trades and aggTrades return "
                   "without limit="),
      SPOT_INT_KEY("api.max_trades_limit", api.max_trades_limit, 1, 1'000'000,
                   "largest limit= of the public trade routes (engine.recent_trades bounds "
                   "what there is)"),
      SPOT_INT_KEY("api.recv_window_default_ms", api.binance.recv_window_default_ms, 1, 60'000,
                   "recvWindow of a signed /api/v3 request that sends none"),
      SPOT_INT_KEY("api.recv_window_max_ms", api.binance.recv_window_max_ms, 1, 3'600'000,
                   "largest recvWindow a signed /api/v3 request may send"),
      SPOT_INT_KEY("api.timestamp_ahead_ms", api.binance.timestamp_ahead_ms, 0, 60'000,
                   "how far ahead of spotd's clock a signed request's timestamp may be"),
      SPOT_INT_KEY("api.max_query_params", api.binance.max_params, 1, 1'000,
                   "parameters a /api/v3 request may send (query and body together)"),
      SPOT_STR_KEY("auth.secret_key_file", auth.secret_key_file,
                   "file with the 64-hex-character key sealing API secrets "
                   "(SPOTD_SECRET_KEY overrides it)"),
      SPOT_STR_KEY("tcp.address", tcp.address, "address the binary TCP protocol listens on"),
      SPOT_INT_KEY("tcp.port", tcp.port, 0, 65535, "binary TCP port (0 = any free port)"),
      SPOT_INT_KEY("tcp.max_frame_bytes", tcp.max_frame_bytes, 70, 65535,
                   "largest frame accepted (length field)"),
      SPOT_INT_KEY("tcp.max_connections", tcp.max_connections, 1, 1'000'000,
                   "open TCP connections; more are closed at once"),
      SPOT_INT_KEY("tcp.max_inflight_per_connection", tcp.max_inflight_per_connection, 1, 1'000'000,
                   "requests a connection may have unanswered before reads pause"),
      SPOT_INT_KEY("tcp.max_outbound_bytes", tcp.max_outbound_bytes, 4096, 1 << 30,
                   "unsent bytes queued for a connection before it is cut as too slow"),
      SPOT_INT_KEY("tcp.login_timeout_ms", tcp.login_timeout_ms, 1, 3'600'000,
                   "time to log in after connecting"),
      SPOT_INT_KEY("tcp.heartbeat_interval_ms", tcp.heartbeat_interval_ms, 10, 3'600'000,
                   "server heartbeat when nothing else was sent"),
      SPOT_INT_KEY("tcp.idle_timeout_ms", tcp.idle_timeout_ms, 10, 3'600'000,
                   "connection closed after this long without a client message"),
      SPOT_INT_KEY("tcp.max_balances_per_reply", tcp.max_balances_per_reply, 1, 65'535,
                   "Balance messages in one answer to a BalanceQuery for all assets (pages)"),
      SPOT_STR_KEY("admin.address", admin.address, "address of the admin listener"),
      SPOT_INT_KEY("admin.port", admin.port, 0, 65535, "admin port (0 = any free port)"),
      SPOT_STR_KEY("admin.token", admin.token,
                   "Bearer token for /admin/v1/*; empty disables the admin API"),
      SPOT_INT_KEY("admin.max_connections", admin.max_connections, 1, 100'000,
                   "open admin connections; more get 503 and are closed"),
      SPOT_STR_KEY("admin.token_label", admin.token_label,
                   "who an admin action was by when the request names nobody (the token's "
                   "holder)"),
      SPOT_INT_KEY("admin.max_account_name_bytes", admin.max_account_name_bytes, 1, 65'536,
                   "longest account name POST /admin/v1/accounts accepts"),
      SPOT_INT_KEY("engine.io_threads", engine.io_threads, 1, 256, "network I/O threads"),
      SPOT_INT_KEY("engine.queue_capacity", engine.queue_capacity, 2, 1 << 24,
                   "OrderQueue slots (power of two); a full queue answers 503 overloaded"),
      SPOT_INT_KEY("engine.batch_max", engine.batch_max, 1, 1 << 20,
                   "commands the matching thread takes per batch"),
      SPOT_INT_KEY("engine.order_history", engine.limits.order_history, 0, 1'000'000'000,
                   "finished orders kept whole in memory for GET and clientOrderId idempotency "
                   "(older ones: the read path)"),
      SPOT_INT_KEY("engine.idempotency_window", engine.limits.idempotency_window, 0, 1'000'000'000,
                   "idempotency keys of orders past order_history kept (hash -> order id, about "
                   "50 bytes each); a resend within them gets no new order; 0 keeps none"),
      SPOT_INT_KEY("engine.max_open_orders_per_account", engine.limits.max_open_orders_per_account,
                   1, 100'000'000, "resting orders one account may have"),
      SPOT_INT_KEY("engine.book_order_capacity", engine.limits.book_capacity.orders, 16, 1 << 26,
                   "orders preallocated per symbol"),
      SPOT_INT_KEY("engine.book_level_capacity", engine.limits.book_capacity.levels, 16, 1 << 24,
                   "price levels preallocated per symbol and side"),
      SPOT_INT_KEY("engine.recent_trades", engine.limits.recent_trades, 1, 1'000'000,
                   "public trades kept per symbol for /api/v3/trades and aggTrades (in the "
                   "snapshot too: about 48 bytes each)"),
      SPOT_BOOL_KEY("engine.check_balances", engine.limits.check_balances,
                    "orders lock and settle balances (false: the pure book, for benchmarks)"),
      SPOT_NUM_KEY("limits.orders_per_second_per_account", limits.orders_per_second_per_account,
                   "sustained order rate per account (order entry and cancels)"),
      SPOT_NUM_KEY("limits.burst_per_account", limits.burst_per_account,
                   "token bucket size of the per-account rate limit"),
      SPOT_INT_KEY("limits.max_api_key_bytes", limits.max_api_key_bytes, 16, 4096,
                   "longest API key looked up; longer ones are refused as unauthorized"),
      SPOT_STR_KEY("journal.dir", journal.dir,
                   "write-ahead journal directory; empty disables it (acks not durable)"),
      SPOT_INT_KEY("journal.segment_bytes", journal.segment_bytes, 4096, 1ll << 40,
                   "a new journal segment file starts past this size"),
      SPOT_INT_KEY("journal.max_batch_entries", journal.max_batch_entries, 1, 1 << 24,
                   "records covered by one fsync at most (group commit)"),
      SPOT_INT_KEY(
          "journal.max_pending_entries", journal.max_pending_entries, 1, 1 << 28,
          "records waiting for the journal writer; when full, matching waits and the queue fills"),
      SPOT_BOOL_KEY("journal.writer_thread", journal.writer_thread,
                    "a thread of its own writes and fsyncs the journal while matching goes on "
                    "(false: the matching thread writes and fsyncs each batch it executed)"),
      SPOT_INT_KEY("snapshot.interval_ms", snapshot.interval_ms, 0, 86'400'000,
                   "time between snapshots (0: only at clean shutdown)"),
      SPOT_INT_KEY("snapshot.follow_ms", snapshot.follow_ms, 1, 3'600'000,
                   "how often the snapshot thread's replica engine catches up with the journal"),
      SPOT_INT_KEY("snapshot.keep", snapshot.keep, 1, 1000,
                   "snapshots kept; journal segments older than the oldest kept are deleted"),
      SPOT_STR_KEY("postgres.url", postgres.url,
                   "libpq connection string or URI of the database the journal is projected "
                   "into; empty: embedded (journal only, no database)"),
      SPOT_INT_KEY("postgres.connect_timeout_ms", postgres.connect_timeout_ms, 1'000, 600'000,
                   "connect timeout (libpq counts whole seconds, at least 2)"),
      SPOT_INT_KEY("postgres.statement_timeout_ms", postgres.statement_timeout_ms, 1, 3'600'000,
                   "server-side statement_timeout and lock_timeout of every statement"),
      SPOT_INT_KEY("postgres.call_deadline_ms", postgres.call_deadline_ms, 100, 3'600'000,
                   "client-side deadline of every call: past it the connection is dropped "
                   "(a frozen server cannot hang spotd)"),
      SPOT_INT_KEY("postgres.batch_max_records", postgres.batch_max_records, 1, 1'000'000,
                   "journal records per projector transaction at most"),
      SPOT_INT_KEY("postgres.copy_min_rows", postgres.copy_min_rows, 1, 100'000'000,
                   "a projector batch with this many new rows (orders, trades, accounts) or "
                   "more writes them by COPY; a smaller one is a single statement"),
      SPOT_INT_KEY("postgres.flush_ms", postgres.flush_ms, 1, 60'000,
                   "a projector batch waits at most this long for more records"),
      SPOT_INT_KEY("postgres.ping_timeout_ms", postgres.ping_timeout_ms, 10, 60'000,
                   "deadline of the cheap is-the-server-there check after a failure"),
      SPOT_INT_KEY("postgres.ping_interval_ms", postgres.ping_interval_ms, 10, 60'000,
                   "while the breaker is open, that check this often"),
      SPOT_INT_KEY("postgres.retries_per_call", postgres.retries_per_call, 0, 100,
                   "retries of one call after availability errors (within the retry budget)"),
      SPOT_INT_KEY("postgres.drain_timeout_ms", postgres.drain_timeout_ms, 0, 3'600'000,
                   "at shutdown, projecting what is durable takes at most this long"),
      SPOT_INT_KEY("postgres.breaker_window_calls", postgres.breaker.window_calls, 1, 10'000,
                   "circuit breaker: outcomes of the last N calls are judged"),
      SPOT_INT_KEY("postgres.breaker_min_calls", postgres.breaker.min_calls, 1, 10'000,
                   "circuit breaker: no opening before this many calls in the window"),
      SPOT_NUM_KEY("postgres.breaker_failure_ratio", postgres.breaker.failure_ratio,
                   "circuit breaker: opens when this share of the window failed or was slow"),
      SPOT_INT_KEY("postgres.breaker_slow_call_ms", postgres.breaker.slow_call_ms, 1, kBreakerMaxMs,
                   "circuit breaker: a call slower than this counts as failed"),
      SPOT_INT_KEY("postgres.breaker_open_ms", postgres.breaker.open_ms, 1, kBreakerMaxMs,
                   "circuit breaker: first open wait before a half-open probe"),
      SPOT_INT_KEY("postgres.breaker_open_max_ms", postgres.breaker.open_max_ms, 1, kBreakerMaxMs,
                   "circuit breaker: the open wait doubles per failed probe up to this"),
      SPOT_INT_KEY("postgres.breaker_probe_deadline_ms", postgres.breaker.probe_deadline_ms, 1,
                   kBreakerMaxMs, "circuit breaker: a probe not answered within this failed"),
      SPOT_INT_KEY("postgres.retry_base_ms", postgres.retry.base_ms, 1, 3'600'000,
                   "retry backoff: full jitter up to base * 2^attempt"),
      SPOT_INT_KEY("postgres.retry_cap_ms", postgres.retry.cap_ms, 1, 3'600'000,
                   "retry backoff: never longer than this"),
      SPOT_NUM_KEY("postgres.retry_budget_ratio", postgres.retry.budget_ratio,
                   "retries never exceed this share of calls (plus the floor)"),
      SPOT_INT_KEY("postgres.retry_budget_min_retries", postgres.retry.budget_min_retries, 1,
                   kRetryMaxBudgetMinRetries, "retry budget floor (and bucket size)"),
      SPOT_INT_KEY("dlq.page_default", dlq.page_default, 1, 100'000,
                   "dead letters GET /admin/v1/dlq returns without limit="),
      SPOT_INT_KEY("dlq.page_max", dlq.page_max, 1, 100'000,
                   "largest limit= GET /admin/v1/dlq accepts"),
      SPOT_INT_KEY("dlq.replay_all_max", dlq.replay_all_max, 1, 1'000'000,
                   "dead letters one POST /admin/v1/dlq/replay replays at most"),
      SPOT_INT_KEY("dlq.max_reason_bytes", dlq.max_reason_bytes, 1, 65'536,
                   "longest reason a discard accepts"),
      SPOT_INT_KEY("dlq.max_actor_bytes", dlq.max_actor_bytes, 1, 1'024,
                   "longest \"by\" name of an admin DLQ action"),
      SPOT_INT_KEY("dlq.max_queued_requests", dlq.max_queued_requests, 1, 10'000,
                   "admin DLQ requests waiting for the database; more get 503"),
      SPOT_INT_KEY("dlq.spill_retry_ms", dlq.spill_retry_ms, 10, 3'600'000,
                   "while the spill file holds dead letters, how often they are moved into "
                   "the table"),
      SPOT_INT_KEY("dlq.replay_stale_ms", dlq.replay_stale_ms, 1'000, 86'400'000,
                   "a dead letter REPLAYING this long (a replay cut off) may be replayed again"),
      SPOT_STR_KEY("redis.url", redis.url,
                   "redis://[[user]:password@]host[:port][/db] of the write-through cache; "
                   "empty: no cache (needs postgres.url: Redis is written after PostgreSQL)"),
      SPOT_STR_KEY("redis.key_prefix", redis.key_prefix,
                   "every cache key starts with this and ':' ([A-Za-z0-9._-], 1-64)"),
      SPOT_INT_KEY("redis.connect_timeout_ms", redis.connect_timeout_ms, 1, 600'000,
                   "connect (and AUTH, SELECT) deadline; also the deadline of the ping"),
      SPOT_INT_KEY("redis.command_timeout_ms", redis.command_timeout_ms, 1, 600'000,
                   "deadline of every round trip: past it the connection is dropped"),
      SPOT_INT_KEY("redis.ping_interval_ms", redis.ping_interval_ms, 10, 60'000,
                   "while the breaker is open, a PING this often"),
      SPOT_INT_KEY("redis.order_ttl_s", redis.order_ttl_s, 1, 365 * 86'400,
                   "time to live of an order's key, from its last change"),
      SPOT_INT_KEY("redis.trades_ttl_s", redis.trades_ttl_s, 1, 365 * 86'400,
                   "time to live of an order's trade list, from its order's last change"),
      SPOT_INT_KEY("redis.open_orders_ttl_s", redis.open_orders_ttl_s, 1, 365 * 86'400,
                   "time to live of an account's open-order key, from its last change"),
      SPOT_INT_KEY("redis.depth_ttl_s", redis.depth_ttl_s, 1, 365 * 86'400,
                   "time to live of a symbol's depth key, from its last change"),
      SPOT_INT_KEY("redis.depth_levels", redis.depth_levels, 1, 10'000,
                   "price levels per side cached per symbol"),
      SPOT_INT_KEY("redis.open_orders_max_ids", redis.open_orders_max_ids, 0, 10'000'000,
                   "an account with more live orders has no open-order key"),
      SPOT_INT_KEY("redis.queue_max_rows", redis.queue_max_rows, 1, 100'000'000,
                   "orders and trades waiting for Redis at most; a batch beyond is dropped"),
      SPOT_INT_KEY("redis.pipeline_max_commands", redis.pipeline_max_commands, 1, 10'000'000,
                   "commands per round trip (one MULTI/EXEC); a larger batch takes several"),
      SPOT_INT_KEY("redis.drain_timeout_ms", redis.drain_timeout_ms, 0, 3'600'000,
                   "at shutdown, writing what is queued takes at most this long"),
      SPOT_INT_KEY("redis.breaker_window_calls", redis.breaker.window_calls, 1, 10'000,
                   "circuit breaker: outcomes of the last N round trips are judged"),
      SPOT_INT_KEY("redis.breaker_min_calls", redis.breaker.min_calls, 1, 10'000,
                   "circuit breaker: no opening before this many round trips in the window"),
      SPOT_NUM_KEY("redis.breaker_failure_ratio", redis.breaker.failure_ratio,
                   "circuit breaker: opens when this share of the window failed or was slow"),
      SPOT_INT_KEY("redis.breaker_slow_call_ms", redis.breaker.slow_call_ms, 1, kBreakerMaxMs,
                   "circuit breaker: a round trip slower than this counts as failed"),
      SPOT_INT_KEY("redis.breaker_open_ms", redis.breaker.open_ms, 1, kBreakerMaxMs,
                   "circuit breaker: first open wait before a half-open probe"),
      SPOT_INT_KEY("redis.breaker_open_max_ms", redis.breaker.open_max_ms, 1, kBreakerMaxMs,
                   "circuit breaker: the open wait doubles per failed probe up to this"),
      SPOT_INT_KEY("redis.breaker_probe_deadline_ms", redis.breaker.probe_deadline_ms, 1,
                   kBreakerMaxMs, "circuit breaker: a probe not answered within this failed"),
      SPOT_INT_KEY("reads.threads", reads.threads, 1, 64,
                   "reader threads of the read path (Redis, then PostgreSQL), each with its "
                   "own connections"),
      SPOT_INT_KEY("reads.queue_max", reads.queue_max, 1, 1'000'000,
                   "reads waiting for a reader, at most; one more gets 503 -1016"),
      SPOT_INT_KEY("reads.deadline_ms", reads.deadline_ms, 1, 600'000,
                   "a read of the read path not answered within this gets 503 -1007"),
      SPOT_INT_KEY("reads.redis_timeout_ms", reads.redis_timeout_ms, 1, 60'000,
                   "each Redis round trip of a read (and its connect), at most"),
      SPOT_INT_KEY("reads.projection_poll_ms", reads.projection_poll_ms, 1, 10'000,
                   "a read waiting for the projection to catch up looks again this often"),
      SPOT_INT_KEY("reads.default_limit", reads.default_limit, 1, 100'000,
                   "allOrders and myTrades without limit= return this many rows"),
      SPOT_INT_KEY("reads.max_limit", reads.max_limit, 1, 100'000,
                   "the largest limit= of allOrders and myTrades"),
      SPOT_INT_KEY("reads.ledger_default_limit", reads.ledger_default_limit, 1, 100'000,
                   "GET /admin/v1/accounts/{id}/ledger without limit= returns this many rows"),
      SPOT_INT_KEY("reads.ledger_max_limit", reads.ledger_max_limit, 1, 100'000,
                   "the largest limit= of GET /admin/v1/accounts/{id}/ledger"),
      SPOT_INT_KEY("shutdown.drain_timeout_ms", shutdown.drain_timeout_ms, 0, 3'600'000,
                   "on SIGTERM, time allowed to answer in-flight requests"),
      SPOT_STR_KEY("log.level", log.level, "trace, debug, info, warn, error or off"),
      SPOT_INT_KEY("log.repeats_per_second", log.repeats_per_second, 0, 1'000'000,
                   "lines of one message a second at most (info and above; 0: no limit)"),
      SPOT_STR_KEY("ports_file", ports_file,
                   "if set, write the bound ports here as JSON once listening"),
  };
  return table;
}

#undef SPOT_INT_KEY
#undef SPOT_STR_KEY
#undef SPOT_NUM_KEY
#undef SPOT_BOOL_KEY

std::optional<ConfigError> parse_symbol(const toml::table& t, std::size_t index, SymbolSpec& out) {
  const std::string where = "symbols[" + std::to_string(index) + "]";
  static const std::set<std::string> known = {
      "name",    "tick_size",  "lot_size",    "min_price",     "max_price",    "min_qty",
      "max_qty", "base_asset", "quote_asset", "maker_fee_bps", "taker_fee_bps"};
  for (const auto& [key, unused] : t) {
    if (known.count(std::string(key.str())) == 0) {
      return ConfigError{where + "." + std::string(key.str()), "unknown symbol key"};
    }
  }
  auto text = [&](const char* name, bool required) -> std::optional<std::string> {
    const auto node = t[name];
    if (!node) {
      if (required) return std::nullopt;
      return std::string{};
    }
    if (const auto s = node.value<std::string>()) return *s;
    return std::nullopt;
  };
  const auto name = text("name", true);
  if (!name || name->empty()) return ConfigError{where + ".name", "a non-empty string is required"};
  out.name = *name;
  for (const char* field : {"base_asset", "quote_asset"}) {
    const auto value = text(field, false);
    if (!value || (!value->empty() && !is_safe_id(*value, 32))) {
      return ConfigError{where + "." + field, "1 to 32 characters of [A-Za-z0-9._:-]"};
    }
    (std::string_view(field) == "base_asset" ? out.base_asset : out.quote_asset) = *value;
  }
  for (const char* field : {"maker_fee_bps", "taker_fee_bps"}) {
    const auto node = t[field];
    if (!node) continue;
    const auto bps = int64_of(*node.node());
    if (!bps || *bps < 0 || *bps > 10'000) {
      return ConfigError{where + "." + field, "an integer from 0 to 10000 (basis points)"};
    }
    (std::string_view(field) == "maker_fee_bps" ? out.maker_fee_bps : out.taker_fee_bps) =
        static_cast<std::int32_t>(*bps);
  }
  for (const char* field : {"tick_size", "lot_size"}) {
    const auto value = text(field, true);
    if (!value)
      return ConfigError{where + "." + field, "a decimal string is required, e.g. \"0.01\""};
    const auto d = parse_decimal(*value);
    if (!d || d.value().mantissa == 0) {
      return ConfigError{where + "." + field, "'" + *value + "' is not a positive decimal"};
    }
    (std::string_view(field) == "tick_size" ? out.tick_size : out.lot_size) = d.value();
  }
  struct Bound {
    const char* field;
    Decimal step;
    std::int64_t* target;
  };
  for (const Bound& b : {Bound{"min_price", out.tick_size, &out.min_price},
                         Bound{"max_price", out.tick_size, &out.max_price},
                         Bound{"min_qty", out.lot_size, &out.min_qty},
                         Bound{"max_qty", out.lot_size, &out.max_qty}}) {
    const auto value = text(b.field, false);
    if (!value) return ConfigError{where + "." + b.field, "must be a decimal string"};
    if (value->empty()) continue;  // keep the default
    const auto d = parse_decimal(*value);
    if (!d) return ConfigError{where + "." + b.field, "'" + *value + "' is not a decimal"};
    const auto steps = to_steps(d.value(), b.step, RejectReason::BadRequest);
    if (!steps || steps.value() <= 0) {
      return ConfigError{where + "." + b.field,
                         "'" + *value + "' is not a positive multiple of the step"};
    }
    *b.target = steps.value();
  }
  return std::nullopt;
}

// Each symbol's asset decimals from [assets]; an asset not listed keeps SymbolSpec's.
void apply_asset_decimals(Config& config) {
  for (SymbolSpec& spec : config.symbols) {
    if (const auto it = config.asset_decimals.find(base_asset_of(spec));
        it != config.asset_decimals.end()) {
      spec.base_decimals = it->second;
    }
    if (const auto it = config.asset_decimals.find(quote_asset_of(spec));
        it != config.asset_decimals.end()) {
      spec.quote_decimals = it->second;
    }
  }
}

std::optional<ConfigError> validate_reads(const ReadOptions& r) {
  if (r.default_limit > r.max_limit) {
    return ConfigError{"reads.default_limit", "must be at most reads.max_limit"};
  }
  if (r.ledger_default_limit > r.ledger_max_limit) {
    return ConfigError{"reads.ledger_default_limit", "must be at most reads.ledger_max_limit"};
  }
  return std::nullopt;
}

std::optional<ConfigError> validate_redis(const Config& config) {
  const RedisOptions& r = config.redis;
  const std::string& prefix = r.key_prefix;
  if (prefix.empty() || prefix.size() > 64 ||
      !std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
      })) {
    return ConfigError{"redis.key_prefix", "1 to 64 characters of [A-Za-z0-9._-]"};
  }
  if (const std::string_view why = validate_options(r.breaker); !why.empty()) {
    return ConfigError{"redis.breaker_*", std::string(why)};
  }
  if (r.url.empty()) return std::nullopt;
  std::string error;
  if (!parse_redis_url(r.url, &error)) return ConfigError{"redis.url", error};
  if (config.postgres.url.empty()) {
    return ConfigError{"redis.url",
                       "needs postgres.url: the cache is written after PostgreSQL commits"};
  }
  return std::nullopt;
}

}  // namespace

const std::map<std::string, std::string>& config_keys() {
  static const std::map<std::string, std::string> descriptions = [] {
    std::map<std::string, std::string> out;
    for (const auto& [name, key] : keys()) out.emplace(name, key.description);
    return out;
  }();
  return descriptions;
}

std::optional<ConfigError> set_config_value(Config& config, const std::string& key,
                                            const std::string& value) {
  const auto it = keys().find(key);
  if (key.empty()) return ConfigError{"\"\"", "an empty key"};
  if (it == keys().end()) return ConfigError{key, "unknown configuration key"};
  if (auto error = it->second.set(config, value)) return ConfigError{key, *error};
  return std::nullopt;
}

namespace {

ConfigError parse_error_of(const std::string& source, const toml::parse_error& e) {
  return ConfigError{
      source, std::string(e.description()) + " at line " + std::to_string(e.source().begin.line)};
}

// The parsed file's keys into config.
std::optional<ConfigError> apply_config_table(Config& config, const toml::table& root) {
  std::optional<ConfigError> error;
  auto scalar_text = [](const toml::node& node) -> std::optional<std::string> {
    if (const auto s = node.value<std::string>()) return *s;
    if (const auto i = int64_of(node)) return std::to_string(*i);
    if (node.is_floating_point()) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", *node.value<double>());  // exact round trip
      return std::string(buf);
    }
    if (const auto b = node.value<bool>()) return std::string(*b ? "true" : "false");
    return std::nullopt;
  };
  for (const auto& [section_key, section] : root) {
    const std::string section_name(section_key.str());
    if (section_name == "assets") {
      const toml::table* t = section.as_table();
      if (t == nullptr) return ConfigError{"assets", "must be a table of asset = decimals"};
      for (const auto& [name, node] : *t) {
        const auto decimals = int64_of(node);
        if (!decimals || *decimals < 0 || *decimals > Decimal::kMaxScale) {
          return ConfigError{"assets." + std::string(name.str()),
                             "decimals: an integer from 0 to 18"};
        }
        config.asset_decimals[std::string(name.str())] = static_cast<int>(*decimals);
      }
      continue;
    }
    if (section_name == "symbols") {
      const toml::array* list = section.as_array();
      if (list == nullptr)
        return ConfigError{"symbols", "must be an array of tables ([[symbols]])"};
      config.symbols.clear();
      for (std::size_t i = 0; i < list->size(); ++i) {
        const toml::table* t = list->get(i)->as_table();
        if (t == nullptr)
          return ConfigError{"symbols[" + std::to_string(i) + "]", "must be a table"};
        SymbolSpec spec;
        if (auto e = parse_symbol(*t, i, spec)) return e;
        config.symbols.push_back(spec);
      }
      continue;
    }
    if (const toml::table* t = section.as_table()) {
      for (const auto& [name, node] : *t) {
        const std::string key = section_name + "." + std::string(name.str());
        const auto text = scalar_text(node);
        if (!text) return ConfigError{key, "must be a string, integer, number or boolean"};
        if (auto e = set_config_value(config, key, *text)) return e;
      }
      continue;
    }
    const auto text = scalar_text(section);
    if (!text) return ConfigError{section_name, "unsupported value"};
    if (auto e = set_config_value(config, section_name, *text)) return e;
  }
  apply_asset_decimals(config);
  return error;
}

}  // namespace

std::optional<ConfigError> load_config_file(Config& config, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return parse_error_of(path, e);
  }
  return apply_config_table(config, root);
}

std::optional<ConfigError> load_config_text(Config& config, std::string_view text,
                                            const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return parse_error_of(source, e);
  }
  return apply_config_table(config, root);
}

std::optional<ConfigError> apply_environment(Config& config, const std::vector<std::string>& env) {
  for (const auto& [key, unused] : keys()) {
    std::string name = "SPOT_" + key;
    std::replace(name.begin(), name.end(), '.', '_');
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const std::string prefix = name + "=";
    for (const std::string& entry : env) {
      if (entry.rfind(prefix, 0) != 0) continue;
      if (auto e = set_config_value(config, key, entry.substr(prefix.size()))) {
        e->key = name + " (" + key + ")";
        return e;
      }
    }
  }
  return std::nullopt;
}

std::optional<ConfigError> validate_config(const Config& config) {
  const std::size_t q = config.engine.queue_capacity;
  if ((q & (q - 1)) != 0) return ConfigError{"engine.queue_capacity", "must be a power of two"};
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (levels.count(config.log.level) == 0) {
    return ConfigError{"log.level", "must be one of trace, debug, info, warn, error, off"};
  }
  if (config.symbols.empty())
    return ConfigError{"symbols", "at least one [[symbols]] entry is required"};
  if (config.symbols.size() > 65535) return ConfigError{"symbols", "at most 65535 symbols"};
  std::set<std::string> names;
  for (std::size_t i = 0; i < config.symbols.size(); ++i) {
    const SymbolSpec& s = config.symbols[i];
    const std::string where = "symbols[" + std::to_string(i) + "]";
    if (!names.insert(s.name).second)
      return ConfigError{where + ".name", "duplicate symbol " + s.name};
    if (s.min_price > s.max_price) return ConfigError{where + ".min_price", "above max_price"};
    if (s.min_qty > s.max_qty) return ConfigError{where + ".min_qty", "above max_qty"};
    const std::string base = base_asset_of(s);
    const std::string quote = quote_asset_of(s);
    if (base.empty() || quote.empty() || base == quote) {
      return ConfigError{where + ".base_asset",
                         "two different assets are needed: set base_asset and quote_asset, or "
                         "name the symbol BASE-QUOTE"};
    }
    // Names taken from the symbol's name obey the rule configured ones do, so that every
    // asset fits the TCP protocol's fixed 32-byte asset code.
    for (const std::string* asset : {&base, &quote}) {
      if (!is_safe_id(*asset, 32)) {
        return ConfigError{where + (asset == &base ? ".base_asset" : ".quote_asset"),
                           "asset '" + *asset +
                               "' (from the symbol's name) must be 1 to 32 characters of "
                               "[A-Za-z0-9._:-]: set base_asset and quote_asset"};
      }
    }
    if (config.engine.limits.check_balances) {
      if (units_per_lot(s) <= 0) {
        return ConfigError{where + ".lot_size", "one lot must be a whole number of " + base +
                                                    " units (raise [assets] " + base + ")"};
      }
      if (units_per_tick_lot(s) <= 0) {
        return ConfigError{where + ".tick_size",
                           "one tick times one lot must be a whole number of " + quote +
                               " units (raise [assets] " + quote + ")"};
      }
    }
  }
  const std::pair<const char*, std::uint16_t> ports[] = {{"http.port", config.http.port},
                                                         {"tcp.port", config.tcp.port},
                                                         {"admin.port", config.admin.port}};
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = i + 1; j < 3; ++j) {
      if (ports[i].second != 0 && ports[i].second == ports[j].second) {
        return ConfigError{ports[j].first, "same port as " + std::string(ports[i].first)};
      }
    }
  }
  if (config.api.binance.recv_window_default_ms > config.api.binance.recv_window_max_ms) {
    return ConfigError{"api.recv_window_default_ms", "above api.recv_window_max_ms"};
  }
  // One page of balances (3 + 59 bytes a Balance frame, 15 the BalanceEnd) must fit in
  // what a connection may have queued, or the query would cut its own connection.
  if (config.tcp.max_balances_per_reply * 62 + 15 > config.tcp.max_outbound_bytes) {
    return ConfigError{"tcp.max_balances_per_reply",
                       "a page of balances (62 bytes each) must fit in tcp.max_outbound_bytes"};
  }
  if (config.api.default_depth_levels > config.api.max_depth_levels) {
    return ConfigError{"api.default_depth_levels", "above api.max_depth_levels"};
  }
  if (config.api.default_trades_limit > config.api.max_trades_limit) {
    return ConfigError{"api.default_trades_limit", "above api.max_trades_limit"};
  }
  if (config.limits.burst_per_account < 1) {
    return ConfigError{"limits.burst_per_account", "must be at least 1"};
  }
  if (!config.postgres.url.empty() && config.journal.dir.empty()) {
    return ConfigError{"postgres.url",
                       "needs journal.dir: the database is a projection of the journal"};
  }
  if (const std::string_view why = validate_options(config.postgres.breaker); !why.empty()) {
    return ConfigError{"postgres.breaker_*", std::string(why)};
  }
  if (config.dlq.page_default > config.dlq.page_max) {
    return ConfigError{"dlq.page_default", "above dlq.page_max"};
  }
  if (config.admin.token_label.empty() ||
      config.admin.token_label.size() > config.dlq.max_actor_bytes) {
    return ConfigError{"admin.token_label", "must be between 1 and dlq.max_actor_bytes characters"};
  }
  if (const std::string_view why = validate_options(config.postgres.retry); !why.empty()) {
    return ConfigError{"postgres.retry_*", std::string(why)};
  }
  if (auto e = validate_redis(config)) return e;
  if (auto e = validate_reads(config.reads)) return e;
  return std::nullopt;
}

}  // namespace spot
