#include "bench/project/project.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <pqxx/pqxx>

#include "bench/replay/replay.h"
#include "bench/workload/workload.h"
#include "spot/core/clock.h"
#include "spot/core/decimal.h"
#include "spot/journal/file_system.h"
#include "spot/journal/reader.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"
#include "spot/store/migrations.h"
#include "spot/store/projection.h"
#include "spot/store/projector.h"

namespace spot::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// COPY text is handed to libpq in pieces of about this size.
constexpr std::size_t kCopyChunkBytes = std::size_t{1} << 20;
// How often the main thread looks whether the projector has caught up.
constexpr auto kCatchUpPoll = std::chrono::milliseconds(1);

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

// ---------------------------------------------------------------------------------
// The database, outside the projector: libpqxx for the few administrative queries,
// libpq itself for COPY. Exceptions stop here and become a DbError.

DbError with_connection(const std::string& url,
                        const std::function<void(pqxx::connection&)>& work) {
  // The projector's own session (errors classified as it classifies them), with room for
  // the md5 of a million rows.
  PostgresOptions options;
  options.url = url;
  options.statement_timeout_ms = 600'000;
  options.call_deadline_ms = 600'000;
  PgSession session(options);
  const DbError error = session.connect();
  if (!error.ok()) return error;
  return session.run(work);
}

// Everything the migrations created (and any row) goes; the next user starts at schema 0.
// Then a checkpoint, so that no phase pays for writing out what the one before it left
// (skipped, not failed, for a user who may not run CHECKPOINT).
DbError reset_schema(const std::string& url) {
  return with_connection(url, [](pqxx::connection& c) {
    {
      pqxx::work tx(c);
      tx.exec("DROP SCHEMA IF EXISTS public CASCADE");
      tx.exec("CREATE SCHEMA public");
      tx.commit();
    }
    try {
      pqxx::nontransaction tx(c);
      tx.exec("CHECKPOINT");
    } catch (const pqxx::insufficient_privilege&) {
    }
  });
}

// What a phase left in the tables: the row counts, and an md5 over every row's text
// in key order, so that equal tables are known to be equal rather than assumed.
struct TableState {
  std::uint64_t accounts = 0;
  std::uint64_t orders = 0;
  std::uint64_t trades = 0;
  std::string accounts_md5;
  std::string orders_md5;
  std::string trades_md5;
};

DbError read_tables(const std::string& url, TableState* state) {
  return with_connection(url, [state](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const auto read = [&tx](const char* table, const char* key, std::uint64_t* count,
                            std::string* md5) {
      const pqxx::result r = tx.exec(
          std::string("SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY ") + key +
          ")), '') FROM " + table + " t");
      *count = r[0][0].as<std::uint64_t>();
      *md5 = r[0][1].as<std::string>();
    };
    read("accounts", "account_id", &state->accounts, &state->accounts_md5);
    read("orders", "order_id", &state->orders, &state->orders_md5);
    read("trades", "trade_id", &state->trades, &state->trades_md5);
  });
}

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

DbError last_error(PGconn* conn, const PGresult* result) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = PQerrorMessage(conn);
  if (sqlstate == nullptr) return DbError::availability(std::move(message));
  return DbError::from_sqlstate(sqlstate, std::move(message));
}

DbError exec_command(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  const DbError error = PQresultStatus(r) == PGRES_COMMAND_OK ? DbError() : last_error(conn, r);
  PQclear(r);
  return error;
}

// One COPY ... FROM STDIN over plain libpq: the rows formatted by the projector's own
// CopyText (so both phases pay the same for formatting), sent in chunks.
class CopyStream {
 public:
  explicit CopyStream(PGconn* conn) : conn_(conn) {}

  // Sends `sql` (a COPY ... FROM STDIN); then rows may be added.
  DbError begin(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const DbError error = PQresultStatus(r) == PGRES_COPY_IN ? DbError() : last_error(conn_, r);
    PQclear(r);
    return error;
  }

  template <typename Row, typename... Context>
  void add(const Row& row, const Context&... context) {
    add_copy_row(text_, row, context...);
    if (text_.size() >= kCopyChunkBytes) send();
  }

  // Ends the COPY and waits for the server's verdict.
  DbError finish() {
    send();
    if (!error_.ok()) return error_;
    if (PQputCopyEnd(conn_, nullptr) != 1) return last_error(conn_, nullptr);
    DbError error;
    while (PGresult* r = PQgetResult(conn_)) {
      if (PQresultStatus(r) != PGRES_COMMAND_OK && error.ok()) error = last_error(conn_, r);
      PQclear(r);
    }
    return error;
  }

  std::uint64_t bytes() const { return bytes_; }

 private:
  void send() {
    if (text_.size() == 0 || !error_.ok()) return;
    if (PQputCopyData(conn_, text_.text().data(), static_cast<int>(text_.size())) != 1) {
      error_ = last_error(conn_, nullptr);
    }
    bytes_ += text_.size();
    text_.clear();
  }

  PGconn* conn_;
  CopyText text_;
  std::uint64_t bytes_ = 0;
  DbError error_;
};

// ---------------------------------------------------------------------------------
// The phases.

// The rows of every record of the journal, as one batch: what the tables hold once the
// projector has committed them all. Every order is created inside the batch, so each
// is a whole row in its final state (no separate fills).
Status derive_rows(const std::string& dir, const Workload& w, std::uint64_t last_seq,
                   ProjectionBatch* batch) {
  PosixFileSystem fs;
  Engine replica(symbol_specs(w), engine_limits(w));
  JournalReader reader(fs, dir, 1);
  return reader.read_until(last_seq, [&](const JournalRecord& record) {
    batch->add(record, replica.execute(record.command, record.request_id, record.time_ns));
  });
}

// What the projector writes on its way to those rows, batch by batch as it cuts them
// (batch_max_records records each: the whole journal is durable from the start), and
// the time its thread spends on its own side, redone here without a database: reading
// and executing the records into batches, and building what each batch sends (the COPY
// rows and the statement for older orders, or the one statement's array literals).
struct ProjectorWork {
  std::uint64_t batches = 0;
  std::uint64_t copy_batches = 0;   // of those, with copy_min_rows new rows or more
  std::uint64_t order_inserts = 0;  // orders created in their batch
  std::uint64_t order_upserts = 0;  // whole rows of orders from earlier batches (cancels, ...)
  std::uint64_t order_fills = 0;    // fills of resting orders from earlier batches
  std::uint64_t trades = 0;
  double fill_seconds = 0;         // journal read, replica execution, ProjectionBatch::add
  double params_seconds = 0;       // the batch's rows, COPY rows and array literals
  std::uint64_t params_bytes = 0;  // of the COPY fields and array literals
};

Status redo_projector_work(const std::string& dir, const Workload& w, std::uint64_t last_seq,
                           const PostgresOptions& pg, ProjectorWork* out) {
  PosixFileSystem fs;
  const SymbolTable symbols(symbol_specs(w));
  Engine replica(symbol_specs(w), engine_limits(w));
  JournalReader reader(fs, dir, 1);
  ProjectionBatch batch;
  double aside_seconds = 0;  // in close_batch, not filling
  const auto bytes = [](const std::vector<std::string>& params) {
    std::uint64_t n = 0;
    for (const std::string& p : params) n += p.size();
    return n;
  };
  const auto close_batch = [&] {
    if (batch.empty()) return;
    const auto t0 = SteadyClock::now();
    ++out->batches;
    std::vector<OrderRow> created = batch.new_orders();
    const std::vector<OrderRow> changed = batch.changed_orders();
    const std::vector<OrderFillRow> fills = batch.fills();
    if (batch.new_rows() >= pg.copy_min_rows) {
      ++out->copy_batches;
      // The COPY text, a chunk at a time as the projector formats it.
      CopyText text;
      const auto add = [&](const auto& row, const auto&... context) {
        add_copy_row(text, row, context...);
        if (text.size() < kCopyChunkBytes) return;
        out->params_bytes += text.size();
        text.clear();
      };
      for (const OrderRow& r : created) add(r, symbols);
      for (const TradeRow& r : batch.trades()) add(r, symbols);
      for (const AccountRow& r : batch.accounts()) add(r);
      out->params_bytes += text.size();
      if (!changed.empty() || !fills.empty()) {
        out->params_bytes +=
            bytes(order_params(changed, symbols)) + bytes(fill_params(fills, symbols));
      }
    } else {
      std::vector<OrderRow> orders = created;
      orders.insert(orders.end(), changed.begin(), changed.end());
      out->params_bytes +=
          bytes(order_params(orders, symbols)) + bytes(fill_params(fills, symbols)) +
          bytes(trade_params(batch.trades(), symbols)) + bytes(account_params(batch.accounts()));
    }
    out->params_seconds += seconds_since(t0);
    out->order_inserts += created.size();
    out->order_upserts += changed.size();
    out->order_fills += fills.size();
    out->trades += batch.trades().size();
    batch.clear();
    aside_seconds += seconds_since(t0);
  };
  const auto t0 = SteadyClock::now();
  const Status s = reader.read_until(last_seq, [&](const JournalRecord& record) {
    batch.add(record, replica.execute(record.command, record.request_id, record.time_ns));
    if (batch.records() >= pg.batch_max_records) close_batch();
  });
  close_batch();
  out->fill_seconds = seconds_since(t0) - aside_seconds;
  return s;
}

struct CopyOutcome {
  double seconds = 0;  // connect, BEGIN, the three COPYs, COMMIT
  std::uint64_t bytes = 0;
  int statements = 0;
};

DbError copy_rows(const std::string& url, const ProjectionBatch& batch,
                  const std::vector<OrderRow>& orders, const SymbolTable& symbols,
                  CopyOutcome* out) {
  const auto t0 = SteadyClock::now();
  PgConn conn(PQconnectdb(url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) return last_error(conn.get(), nullptr);
  PGconn* c = conn.get();
  DbError error = exec_command(c, "BEGIN");
  ++out->statements;
  if (!error.ok()) return error;
  CopyStream copy(c);

  ++out->statements;
  error = copy.begin(
      "COPY accounts (account_id, name, key_hash, correlation_id, created_at) FROM STDIN");
  if (!error.ok()) return error;
  for (const AccountRow& r : batch.accounts()) copy.add(r);
  error = copy.finish();
  if (!error.ok()) return error;

  ++out->statements;
  error = copy.begin(
      "COPY orders (order_id, account_id, symbol, side, type, time_in_force, price, quantity, "
      "executed_qty, status, client_order_id, correlation_id, journal_seq, created_at, "
      "updated_at) FROM STDIN");
  if (!error.ok()) return error;
  for (const OrderRow& r : orders) copy.add(r, symbols);
  error = copy.finish();
  if (!error.ok()) return error;

  ++out->statements;
  error = copy.begin(
      "COPY trades (trade_id, symbol, price, qty, maker_order_id, maker_account_id, "
      "taker_order_id, taker_account_id, taker_side, correlation_id, journal_seq, executed_at, "
      "maker_fee, taker_fee) FROM STDIN");
  if (!error.ok()) return error;
  for (const TradeRow& r : batch.trades()) copy.add(r, symbols);
  error = copy.finish();
  if (!error.ok()) return error;

  ++out->statements;
  error = exec_command(c, "COMMIT");
  if (!error.ok()) return error;
  out->seconds = seconds_since(t0);
  out->bytes = copy.bytes();
  return DbError();
}

// The migrations, applied as the projector applies them (for the COPY phase's tables).
DbError migrate(const PostgresOptions& options) {
  PgSession session(options);
  DbError error = session.connect();
  if (!error.ok()) return error;
  MigrationResult result;
  return apply_migrations(session, &result);
}

double family_value(prometheus::Registry& registry, const std::string& name, bool sum) {
  double total = 0;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      if (family.type == prometheus::MetricType::Histogram) {
        total += sum ? m.histogram.sample_sum : static_cast<double>(m.histogram.sample_count);
      } else {
        total += m.counter.value;
      }
    }
  }
  return total;
}

struct ProjectorOutcome {
  double seconds = 0;        // start() until committed_seq() reached the last record
  double statements = 0;     // spot_db_statements_total
  double batches = 0;        // committed batches
  double copy_batches = 0;   // of those, by COPY
  double write_seconds = 0;  // in write_batch: parameters, the SQL round trips, COMMIT
  double errors = 0;         // spot_db_errors_total
};

DbError project(const ProjectOptions& o, const std::string& dir, const Workload& w,
                std::uint64_t last_seq, ProjectorOutcome* out) {
  PosixFileSystem fs;
  Metrics metrics("spot-bench");
  ProjectorOptions po;
  po.postgres = o.postgres;
  po.journal_dir = dir;
  po.symbols = symbol_specs(w);
  po.limits = engine_limits(w);
  Projector projector(
      fs, std::move(po), [last_seq] { return last_seq; }, &metrics, SystemClock::instance());
  const auto t0 = SteadyClock::now();
  const auto deadline = t0 + std::chrono::milliseconds(o.catch_up_timeout_ms);
  projector.start();
  while (projector.committed_seq() < last_seq) {
    if (SteadyClock::now() >= deadline) {
      const ProjectorHealth h = projector.health();
      projector.stop(std::chrono::milliseconds(0));
      return DbError::availability(
          "the projector did not catch up within " + std::to_string(o.catch_up_timeout_ms) +
          " ms: checkpoint " + std::to_string(h.checkpoint) + " of " + std::to_string(last_seq) +
          ", state " + h.state + (h.last_error.empty() ? "" : ", last error: " + h.last_error));
    }
    std::this_thread::sleep_for(kCatchUpPoll);
  }
  out->seconds = seconds_since(t0);
  projector.stop(std::chrono::milliseconds(1000));
  prometheus::Registry& r = metrics.registry();
  out->statements = family_value(r, "spot_db_statements_total", false);
  out->batches = family_value(r, "spot_projector_batch_seconds", false);
  out->copy_batches = family_value(r, "spot_projector_copy_batches_total", false);
  out->write_seconds = family_value(r, "spot_projector_batch_seconds", true);
  out->errors = family_value(r, "spot_db_errors_total", false);
  if (out->errors > 0) {
    return DbError::availability(std::to_string(static_cast<std::uint64_t>(out->errors)) +
                                 " PostgreSQL calls failed and were retried during the run "
                                 "(see the log on stderr): the timing is not of a clean run");
  }
  return DbError();
}

// ---------------------------------------------------------------------------------
// Reporting.

// 1234567.8 -> "1,234,568".
std::string with_commas(double v) {
  const auto n = static_cast<long long>(v + 0.5);
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Totals {
  std::uint64_t records = 0;
  std::uint64_t orders = 0;  // accepted orders: rows of the orders table
  std::uint64_t trades = 0;
  double rows() const { return static_cast<double>(orders + trades); }
};

struct Round {
  ProjectorOutcome a;
  CopyOutcome b;
  double migrate_seconds = 0;
};

void print_header() {
  std::printf(
      "| phase | seconds | records/s | orders/s | rows/s | statements | statements/order |\n"
      "|---|---|---|---|---|---|---|\n");
}

void print_row(const char* phase, double seconds, bool with_records, const Totals& t,
               double statements) {
  std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", phase, fixed(seconds, 3).c_str(),
              with_records ? with_commas(static_cast<double>(t.records) / seconds).c_str() : "–",
              with_commas(static_cast<double>(t.orders) / seconds).c_str(),
              with_commas(t.rows() / seconds).c_str(), with_commas(statements).c_str(),
              fixed(statements / static_cast<double>(t.orders), 5).c_str());
}

std::string mismatch(const char* what, const TableState& a, const TableState& b) {
  const auto line = [](const char* table, std::uint64_t na, std::uint64_t nb, const std::string& ma,
                       const std::string& mb) {
    return std::string(table) + ": projector " + std::to_string(na) + " rows (md5 " + ma +
           "), COPY " + std::to_string(nb) + " rows (md5 " + mb + ")";
  };
  std::string out = std::string(what) + "\n  " +
                    line("orders", a.orders, b.orders, a.orders_md5, b.orders_md5) + "\n  " +
                    line("trades", a.trades, b.trades, a.trades_md5, b.trades_md5) + "\n  " +
                    line("accounts", a.accounts, b.accounts, a.accounts_md5, b.accounts_md5);
  return out;
}

// A temporary journal directory, removed with this object.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "spot-project-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int fail(const char* phase, const DbError& error) {
  std::fprintf(stderr, "spot-bench project: %s: %s\n", phase, error.message.c_str());
  return 1;
}

}  // namespace

int run_project(const ProjectOptions& o) {
  namespace fs = std::filesystem;
  if (o.postgres.url.empty()) {
    std::fprintf(stderr, "spot-bench project: --postgres is required\n");
    return 2;
  }
  if (o.orders == 0 || o.prefill == 0 || o.rounds < 1 || o.postgres.batch_max_records == 0) {
    std::fprintf(stderr,
                 "spot-bench project: --orders, --prefill, --rounds and --batch-max-records "
                 "must be at least 1\n");
    return 2;
  }
  if (!o.dir.empty() && fs::exists(o.dir) && !fs::is_empty(o.dir)) {
    std::fprintf(stderr, "spot-bench project: --dir must name a new or empty directory\n");
    return 2;
  }
  // The projector logs through spot::log; only its warnings and errors, on stderr.
  log::init("warn");

  std::unique_ptr<TempDir> temp;
  std::string dir = o.dir;
  if (dir.empty()) {
    temp = std::make_unique<TempDir>();
    if (temp->path().empty()) {
      std::fprintf(stderr, "spot-bench project: cannot create a temporary directory\n");
      return 1;
    }
    dir = temp->path();
  }
  fs::create_directories(dir);

  // The journal, once for every round.
  const Workload w = generate_w1({o.seed, o.orders, o.prefill});
  Totals totals;
  {
    const auto t0 = SteadyClock::now();
    Engine live(symbol_specs(w), engine_limits(w));
    std::string error;
    if (!write_journal(w, dir, 0, live, &totals.records, &error)) {
      std::fprintf(stderr, "spot-bench project: writing the journal: %s\n", error.c_str());
      return 1;
    }
    std::fprintf(stderr, "journal: %llu records written in %.2f s\n",
                 static_cast<unsigned long long>(totals.records), seconds_since(t0));
  }
  std::uint64_t journal_bytes = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".wal") journal_bytes += entry.file_size();
  }

  // The rows of phase B, derived once (untimed).
  ProjectionBatch all;
  double derive_seconds = 0;
  {
    const auto t0 = SteadyClock::now();
    const Status s = derive_rows(dir, w, totals.records, &all);
    if (!s.ok()) {
      std::fprintf(stderr, "spot-bench project: reading the journal: %s\n", s.to_string().c_str());
      return 1;
    }
    derive_seconds = seconds_since(t0);
  }
  ProjectorWork writes;
  {
    const Status s = redo_projector_work(dir, w, totals.records, o.postgres, &writes);
    if (!s.ok()) {
      std::fprintf(stderr, "spot-bench project: reading the journal: %s\n", s.to_string().c_str());
      return 1;
    }
  }
  const std::vector<OrderRow> orders = all.new_orders();
  if (!all.fills().empty() || !all.changed_orders().empty()) {
    std::fprintf(stderr,
                 "spot-bench project: one batch of the whole journal has fills of "
                 "orders from outside it\n");
    return 1;
  }
  totals.orders = orders.size();
  totals.trades = all.trades().size();
  const SymbolTable symbols(symbol_specs(w));

  std::printf(
      "spot-bench project: W1 seed %llu, %llu ops after %llu prefill per symbol; journal %llu "
      "records (%.1f MB); %llu accepted orders, %llu trades, %llu accounts; "
      "batch_max_records %zu, flush_ms %lld, copy_min_rows %zu\n",
      static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.orders),
      static_cast<unsigned long long>(o.prefill), static_cast<unsigned long long>(totals.records),
      static_cast<double>(journal_bytes) / 1e6, static_cast<unsigned long long>(totals.orders),
      static_cast<unsigned long long>(totals.trades),
      static_cast<unsigned long long>(all.accounts().size()), o.postgres.batch_max_records,
      static_cast<long long>(o.postgres.flush_ms), o.postgres.copy_min_rows);
  std::printf(
      "The projector's %llu batches (%llu of them by COPY) write %llu order inserts, %llu order "
      "upserts of orders from earlier batches (cancels) and %llu fills of such orders "
      "(updates), %llu trades: %.2f row writes per final row; COPY writes each final row "
      "once.\n",
      static_cast<unsigned long long>(writes.batches),
      static_cast<unsigned long long>(writes.copy_batches),
      static_cast<unsigned long long>(writes.order_inserts),
      static_cast<unsigned long long>(writes.order_upserts),
      static_cast<unsigned long long>(writes.order_fills),
      static_cast<unsigned long long>(writes.trades),
      static_cast<double>(writes.order_inserts + writes.order_upserts + writes.order_fills +
                          writes.trades) /
          totals.rows());
  std::printf(
      "The projector thread's own work, redone without a database (untimed): %.3f s reading "
      "and executing the journal into batches, %.3f s building what the batches send "
      "(%.1f MB of COPY fields and array literals).\n\n",
      writes.fill_seconds, writes.params_seconds, static_cast<double>(writes.params_bytes) / 1e6);

  std::vector<Round> rounds;
  for (int k = 1; k <= o.rounds; ++k) {
    Round round;
    TableState state_a;
    TableState state_b;
    const auto phase_a = [&]() -> int {
      DbError e = reset_schema(o.postgres.url);
      if (!e.ok()) return fail("A: resetting the schema", e);
      e = project(o, dir, w, totals.records, &round.a);
      if (!e.ok()) return fail("A: projector", e);
      e = read_tables(o.postgres.url, &state_a);
      if (!e.ok()) return fail("A: reading the tables", e);
      return 0;
    };
    const auto phase_b = [&]() -> int {
      DbError e = reset_schema(o.postgres.url);
      if (!e.ok()) return fail("B: resetting the schema", e);
      const auto t0 = SteadyClock::now();
      e = migrate(o.postgres);
      if (!e.ok()) return fail("B: applying the migrations", e);
      round.migrate_seconds = seconds_since(t0);
      e = copy_rows(o.postgres.url, all, orders, symbols, &round.b);
      if (!e.ok()) return fail("B: COPY", e);
      e = read_tables(o.postgres.url, &state_b);
      if (!e.ok()) return fail("B: reading the tables", e);
      return 0;
    };
    // Taking turns which phase goes first, so that a drift of the machine's speed
    // during the run does not favour one of them.
    const bool a_first = k % 2 == 1;
    std::fprintf(stderr, "round %d of %d\n", k, o.rounds);
    int rc = a_first ? phase_a() : phase_b();
    if (rc == 0) rc = a_first ? phase_b() : phase_a();
    if (rc != 0) return rc;

    if (state_a.orders != state_b.orders || state_a.trades != state_b.trades ||
        state_a.accounts != state_b.accounts) {
      std::fprintf(
          stderr, "spot-bench project: %s\n",
          mismatch("the row counts of the projector and COPY phases differ:", state_a, state_b)
              .c_str());
      return 1;
    }
    if (state_a.orders != totals.orders || state_a.trades != totals.trades) {
      std::fprintf(stderr,
                   "spot-bench project: the tables hold %llu orders and %llu trades; the journal "
                   "has %llu accepted orders and %llu trades\n",
                   static_cast<unsigned long long>(state_a.orders),
                   static_cast<unsigned long long>(state_a.trades),
                   static_cast<unsigned long long>(totals.orders),
                   static_cast<unsigned long long>(totals.trades));
      return 1;
    }
    if (state_a.orders_md5 != state_b.orders_md5 || state_a.trades_md5 != state_b.trades_md5 ||
        state_a.accounts_md5 != state_b.accounts_md5) {
      std::fprintf(stderr, "spot-bench project: %s\n",
                   mismatch("the projector and COPY phases wrote different rows:", state_a, state_b)
                       .c_str());
      return 1;
    }

    std::printf("round %d of %d (%s first)\n\n", k, o.rounds, a_first ? "A" : "B");
    print_header();
    print_row("A projector", round.a.seconds, true, totals, round.a.statements);
    print_row("B COPY", round.b.seconds, false, totals, round.b.statements);
    std::printf(
        "\nA/B (rows/s): %.3f. Tables equal: %llu orders, %llu trades (md5 %s, %s).\n"
        "A: %s batches (%s by COPY); %.3f s in write_batch (parameters, SQL, COMMIT), %.3f s "
        "elsewhere "
        "(connect and migrations, journal read, replica, batch building, the last batch's "
        "flush wait).\n"
        "B: %.1f MB of COPY text; untimed beforehand: migrations %.3f s.\n\n",
        round.b.seconds / round.a.seconds, static_cast<unsigned long long>(state_a.orders),
        static_cast<unsigned long long>(state_a.trades), state_a.orders_md5.substr(0, 8).c_str(),
        state_a.trades_md5.substr(0, 8).c_str(), with_commas(round.a.batches).c_str(),
        with_commas(round.a.copy_batches).c_str(), round.a.write_seconds,
        round.a.seconds - round.a.write_seconds, static_cast<double>(round.b.bytes) / 1e6,
        round.migrate_seconds);
    std::fflush(stdout);
    rounds.push_back(round);
  }

  std::vector<double> a_seconds;
  std::vector<double> b_seconds;
  std::vector<double> a_statements;
  std::vector<double> ratios;
  std::vector<double> a_write;
  for (const Round& r : rounds) {
    a_seconds.push_back(r.a.seconds);
    b_seconds.push_back(r.b.seconds);
    a_statements.push_back(r.a.statements);
    ratios.push_back(r.b.seconds / r.a.seconds);
    a_write.push_back(r.a.write_seconds);
  }
  const double a_med = median(a_seconds);
  const double b_med = median(b_seconds);
  const double statements_med = median(a_statements);
  const double ratio = b_med / a_med;
  const double a_orders_per_s = static_cast<double>(totals.orders) / a_med;
  std::printf("medians over %d rounds\n\n", o.rounds);
  print_header();
  print_row("A projector", a_med, true, totals, statements_med);
  print_row("B COPY", b_med, false, totals, rounds[0].b.statements);
  std::string per_round;
  for (const double r : ratios) per_round += (per_round.empty() ? "" : ", ") + fixed(r, 3);
  std::printf(
      "\nA/B (rows/s, of the medians): %.3f; per round: %s.\n"
      "A: median %.3f s in write_batch. B's rows were derived from the journal (read, replica, "
      "one ProjectionBatch) in %.3f s, untimed.\n"
      "Target: projector >= 100,000 orders/s: %s (%s); projector >= 70%% of the COPY rate: %s "
      "(%.0f%%).\n",
      ratio, per_round.c_str(), median(a_write), derive_seconds,
      a_orders_per_s >= 100'000 ? "met" : "NOT met", with_commas(a_orders_per_s).c_str(),
      ratio >= 0.7 ? "met" : "NOT met", ratio * 100);
  std::printf(
      "{\"mode\":\"project\",\"seed\":%llu,\"ops\":%llu,\"prefill\":%llu,\"rounds\":%d,"
      "\"batch_max_records\":%zu,\"copy_min_rows\":%zu,\"records\":%llu,\"orders\":%llu,\"trades\":"
      "%llu,"
      "\"projector_seconds\":%.6f,\"projector_records_per_s\":%.0f,\"projector_orders_per_s\":%."
      "0f,\"projector_rows_per_s\":%.0f,\"copy_seconds\":%.6f,\"copy_rows_per_s\":%.0f,"
      "\"ratio\":%.4f,\"statements_per_order\":%.6f}\n",
      static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.orders),
      static_cast<unsigned long long>(o.prefill), o.rounds, o.postgres.batch_max_records,
      o.postgres.copy_min_rows, static_cast<unsigned long long>(totals.records),
      static_cast<unsigned long long>(totals.orders),
      static_cast<unsigned long long>(totals.trades), a_med,
      static_cast<double>(totals.records) / a_med, a_orders_per_s, totals.rows() / a_med, b_med,
      totals.rows() / b_med, ratio, statements_med / static_cast<double>(totals.orders));
  return 0;
}

}  // namespace spot::bench
