#include "spot/store/dead_letters.h"

#include <array>
#include <charconv>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "spot/core/assert.h"
#include "spot/core/decimal.h"
#include "spot/log/log.h"
#include "spot/metrics/metrics.h"
#include "spot/store/dead_letter_spill.h"

namespace spot {

namespace {

using nlohmann::json;

// The payload's keys of each row kind, in the order of the *_params columns (and so of
// sql::kReplayRows' parameters).
constexpr std::array<const char*, 15> kOrderKeys = {
    "order_id",        "account_id",     "symbol",      "side",         "type",
    "time_in_force",   "price",          "quantity",    "executed_qty", "status",
    "client_order_id", "correlation_id", "journal_seq", "created_us",   "updated_us"};
constexpr std::array<const char*, 5> kFillKeys = {"order_id", "leaves", "status", "journal_seq",
                                                  "updated_us"};
constexpr std::array<const char*, 14> kTradeKeys = {
    "trade_id",       "symbol",           "price",          "qty",
    "maker_order_id", "maker_account_id", "taker_order_id", "taker_account_id",
    "taker_side",     "correlation_id",   "journal_seq",    "executed_us",
    "maker_fee",      "taker_fee"};
constexpr std::array<const char*, 12> kLedgerKeys = {
    "journal_seq", "n",        "account_id", "asset",     "delta_free",     "delta_locked",
    "cause",       "order_id", "trade_id",   "reference", "correlation_id", "created_us"};
constexpr std::array<const char*, 6> kBalanceKeys = {"account_id", "asset",       "free",
                                                     "locked",     "journal_seq", "updated_us"};
constexpr std::array<const char*, 5> kAccountKeys = {"account_id", "name", "key_hash",
                                                     "correlation_id", "created_us"};

json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json order_json(const OrderRow& r, const SymbolTable& symbols) {
  const SymbolSpec& spec = symbols.spec(r.symbol);
  return json{{"order_id", r.order_id},
              {"account_id", r.account.value},
              {"symbol", spec.name},
              {"side", to_string(r.side)},
              {"type", to_string(r.type)},
              {"time_in_force", to_string(r.tif)},
              {"price", r.type == OrderType::Market ? json(nullptr)
                                                    : json(format_steps(r.price, spec.tick_size))},
              {"quantity", format_steps(r.qty, spec.lot_size)},
              {"executed_qty", format_steps(r.executed, spec.lot_size)},
              {"status", to_string(r.status)},
              {"client_order_id", text_or_null(r.client_order_id)},
              {"correlation_id", text_or_null(r.correlation_id)},
              {"journal_seq", r.journal_seq},
              {"created_us", r.created_us},
              {"updated_us", r.updated_us}};
}

// Keys whose values are exact decimal strings (NUMERIC columns).
bool is_decimal_key(std::string_view key) {
  return key == "price" || key == "quantity" || key == "executed_qty" || key == "leaves" ||
         key == "qty" || key == "maker_fee" || key == "taker_fee" || key == "delta_free" ||
         key == "delta_locked" || key == "free" || key == "locked";
}

// The columns of one row kind as ArrayLiterals: a JSON string is text, or a decimal for
// the NUMERIC columns (checked, and sent as the projector sends it); a number an
// integer; null NULL.
template <std::size_t N>
Status columns_of(const json& payload, const char* kind, const std::array<const char*, N>& keys,
                  std::vector<std::string>* params) {
  std::array<ArrayLiteral, N> columns;
  const auto it = payload.find(kind);
  if (it != payload.end()) {
    if (!it->is_array())
      return Status::corruption(std::string("payload: ") + kind + " is not a list");
    std::size_t row = 0;
    for (const json& r : *it) {
      if (!r.is_object())
        return Status::corruption(std::string("payload: ") + kind + " holds a non-object");
      for (std::size_t i = 0; i < N; ++i) {
        const char* key = keys[i];
        const std::string where = std::string(kind) + "[" + std::to_string(row) + "]." + key;
        if (!r.contains(key)) return Status::corruption("payload: " + where + " is missing");
        const json& v = r[key];
        if (v.is_null()) {
          columns[i].add_null();
        } else if (v.is_string() && is_decimal_key(key)) {
          // Ledger deltas are signed; parse_decimal takes none.
          std::string_view text = v.get_ref<const std::string&>();
          const bool negative = text.starts_with('-');
          if (negative) text.remove_prefix(1);
          const auto d = parse_decimal(text);
          if (!d) return Status::corruption("payload: " + where + " is not a decimal");
          const std::int64_t m = d.value().mantissa;
          columns[i].add_decimal(negative ? -m : m, Decimal{1, d.value().scale});
        } else if (v.is_string()) {
          columns[i].add_text(v.get_ref<const std::string&>());
        } else if (v.is_number_unsigned()) {
          columns[i].add(v.get<std::uint64_t>());
        } else if (v.is_number_integer()) {
          columns[i].add(v.get<std::int64_t>());
        } else {
          return Status::corruption("payload: " + where + " is neither text, integer nor null");
        }
      }
      ++row;
    }
  }
  for (ArrayLiteral& c : columns) params->push_back(c.take());
  return Status();
}

}  // namespace

std::string_view to_string(DeadLetterStatus status) {
  switch (status) {
    case DeadLetterStatus::Pending:
      return "PENDING";
    case DeadLetterStatus::Replaying:
      return "REPLAYING";
    case DeadLetterStatus::Resolved:
      return "RESOLVED";
    case DeadLetterStatus::Discarded:
      return "DISCARDED";
  }
  return "PENDING";
}

std::optional<DeadLetterStatus> parse_dead_letter_status(std::string_view text) {
  for (const DeadLetterStatus s : {DeadLetterStatus::Pending, DeadLetterStatus::Replaying,
                                   DeadLetterStatus::Resolved, DeadLetterStatus::Discarded}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

std::string payload_json(const ProjectionBatch& batch, const SymbolTable& symbols) {
  json orders = json::array();
  for (const OrderRow& r : batch.new_orders()) orders.push_back(order_json(r, symbols));
  for (const OrderRow& r : batch.changed_orders()) orders.push_back(order_json(r, symbols));
  json fills = json::array();
  for (const OrderFillRow& r : batch.fills()) {
    fills.push_back(json{{"order_id", r.order_id},
                         {"leaves", format_steps(r.leaves, symbols.spec(r.symbol).lot_size)},
                         {"status", to_string(r.status)},
                         {"journal_seq", r.journal_seq},
                         {"updated_us", r.updated_us}});
  }
  json trades = json::array();
  for (const TradeRow& r : batch.trades()) {
    const SymbolSpec& spec = symbols.spec(r.symbol);
    trades.push_back(
        json{{"trade_id", r.trade_id},
             {"symbol", spec.name},
             {"price", format_steps(r.price, spec.tick_size)},
             {"qty", format_steps(r.qty, spec.lot_size)},
             {"maker_order_id", r.maker_order_id},
             {"maker_account_id", r.maker_account_id},
             {"taker_order_id", r.taker_order_id},
             {"taker_account_id", r.taker_account_id},
             {"taker_side", to_string(r.taker_side)},
             {"correlation_id", text_or_null(r.correlation_id)},
             {"journal_seq", r.journal_seq},
             {"executed_us", r.executed_us},
             {"maker_fee", format_steps(r.maker_fee, fee_step(spec, r.taker_side != Side::Buy))},
             {"taker_fee", format_steps(r.taker_fee, fee_step(spec, r.taker_side == Side::Buy))}});
  }
  json ledger = json::array();
  for (const LedgerRow& r : batch.ledger()) {
    const AssetSpec& asset = symbols.assets()[r.asset];
    const Decimal unit{1, asset.decimals};
    ledger.push_back(json{{"journal_seq", r.journal_seq},
                          {"n", r.n},
                          {"account_id", r.account_id},
                          {"asset", asset.name},
                          {"delta_free", format_steps(r.delta_free, unit)},
                          {"delta_locked", format_steps(r.delta_locked, unit)},
                          {"cause", to_string(r.cause)},
                          {"order_id", r.order_id},
                          {"trade_id", r.trade_id},
                          {"reference", text_or_null(r.reference)},
                          {"correlation_id", text_or_null(r.correlation_id)},
                          {"created_us", r.created_us}});
  }
  json balances = json::array();
  for (const BalanceRow& r : batch.balances()) {
    const AssetSpec& asset = symbols.assets()[r.asset];
    const Decimal unit{1, asset.decimals};
    balances.push_back(json{{"account_id", r.account_id},
                            {"asset", asset.name},
                            {"free", format_steps(r.balance.free, unit)},
                            {"locked", format_steps(r.balance.locked, unit)},
                            {"journal_seq", r.journal_seq},
                            {"updated_us", r.updated_us}});
  }
  json accounts = json::array();
  for (const AccountRow& r : batch.accounts()) {
    accounts.push_back(json{{"account_id", r.account_id},
                            {"name", r.name},
                            {"key_hash", r.key_hash},
                            {"correlation_id", text_or_null(r.correlation_id)},
                            {"created_us", r.created_us}});
  }
  return json{{"journal_seq", batch.last_seq()}, {"orders", std::move(orders)},
              {"fills", std::move(fills)},       {"trades", std::move(trades)},
              {"accounts", std::move(accounts)}, {"ledger", std::move(ledger)},
              {"balances", std::move(balances)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Status replay_params(std::string_view payload, std::vector<std::string>* params) {
  params->clear();
  const json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::corruption("payload: not a JSON object");
  Status s = columns_of(j, "orders", kOrderKeys, params);
  if (s.ok()) s = columns_of(j, "fills", kFillKeys, params);
  if (s.ok()) s = columns_of(j, "trades", kTradeKeys, params);
  if (s.ok()) s = columns_of(j, "accounts", kAccountKeys, params);
  // Absent from payloads written before the ledger: empty lists.
  if (s.ok()) s = columns_of(j, "ledger", kLedgerKeys, params);
  if (s.ok()) s = columns_of(j, "balances", kBalanceKeys, params);
  return s;
}

DeadLetter make_dead_letter(const ProjectionBatch& batch, const DbError& error,
                            const SymbolTable& symbols, std::int64_t failed_at_us) {
  SPOT_ASSERT(batch.records() == 1, "dead letter: one record");
  DeadLetter d;
  d.journal_seq = batch.last_seq();
  // Whose row the record wrote: the account it created, or the order it submitted or
  // canceled (the one whole order row; other orders of the record are makers' fills).
  if (!batch.accounts().empty()) {
    d.entity = "account";
    d.entity_id = batch.accounts().front().account_id;
    d.correlation_id = batch.accounts().front().correlation_id;
  } else if (batch.order_count() == 0 && !batch.ledger().empty()) {
    // A deposit or a withdrawal: the balance it changed.
    d.entity = "balance";
    d.entity_id = batch.ledger().front().account_id;
    d.correlation_id = batch.ledger().front().correlation_id;
  } else {
    std::vector<OrderRow> whole = batch.new_orders();
    if (whole.empty()) whole = batch.changed_orders();
    d.entity = "order";
    if (!whole.empty()) {
      d.entity_id = whole.front().order_id;
      d.correlation_id = whole.front().correlation_id;
    } else if (!batch.fills().empty()) {
      d.entity_id = batch.fills().front().order_id;
    }
  }
  d.idempotency_key =
      d.entity + ":" + std::to_string(d.entity_id) + ":" + std::to_string(d.journal_seq);
  d.payload = payload_json(batch, symbols);
  d.error_class = error.error_class();
  d.sqlstate = error.sqlstate;
  d.message = error.message;
  d.failed_at_us = failed_at_us;
  return d;
}

namespace sql {

#define SPOT_DLQ_AT "(timestamptz 'epoch' + $10::bigint * interval '1 microsecond')"
const char* const kInsertDeadLetter =
    "INSERT INTO dead_letters (idempotency_key, journal_seq, entity, entity_id, correlation_id, "
    "payload, error_class, sqlstate, message, first_failed_at, last_failed_at, actions) "
    "VALUES ($1, $2, $3, $4, nullif($5, ''), $6::jsonb, $7, $8, $9, " SPOT_DLQ_AT ", " SPOT_DLQ_AT
    ", jsonb_build_array(jsonb_build_object('action', 'dead-lettered', 'by', 'projector', "
    "'at', " SPOT_DLQ_AT
    ", 'result', 'PENDING', 'detail', $9::text))) "
    "ON CONFLICT (idempotency_key) DO NOTHING";
#undef SPOT_DLQ_AT

#define SPOT_DLQ_PARKED                                                               \
  "SELECT coalesce(string_agg(DISTINCT entity_id::text, ','), '') FROM dead_letters " \
  "WHERE entity = 'order' AND status IN ('PENDING', 'REPLAYING')"
const char* const kReadCheckpointAndParked =
    "SELECT c.last_seq, (" SPOT_DLQ_PARKED
    "), (SELECT coalesce(string_agg(s.status || '=' || s.n, ','), '') FROM (SELECT status, "
    "count(*) AS n FROM dead_letters GROUP BY status) s) FROM projector_checkpoint c WHERE c.id "
    "= 1";
const char* const kReadParked = SPOT_DLQ_PARKED;
#undef SPOT_DLQ_PARKED

}  // namespace sql

std::vector<std::uint64_t> parse_id_list(std::string_view text) {
  std::vector<std::uint64_t> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec == std::errc() && end == item.data() + item.size()) out.push_back(v);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<std::pair<std::string, double>> parse_status_counts(std::string_view text) {
  std::vector<std::pair<std::string, double>> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      std::uint64_t n = 0;
      std::from_chars(item.data() + eq + 1, item.data() + item.size(), n);
      out.emplace_back(std::string(item.substr(0, eq)), static_cast<double>(n));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

namespace {

// An entry as the admin API shows it; with its payload and actions when `whole`.
constexpr const char* kSummaryJson =
    "jsonb_build_object('id', id, 'journalSeq', journal_seq, 'entity', entity, 'entityId', "
    "entity_id, 'correlationId', correlation_id, 'idempotencyKey', idempotency_key, 'status', "
    "status, 'errorClass', error_class, 'sqlstate', sqlstate, 'message', message, 'attempts', "
    "attempts, 'firstFailedAt', first_failed_at, 'lastFailedAt', last_failed_at, 'replayCount', "
    "replay_count, 'lastReplayedAt', last_replayed_at, 'lastReplayedBy', last_replayed_by, "
    "'note', note)";

std::string entry_query() {
  return std::string("SELECT (") + kSummaryJson +
         " || jsonb_build_object('payload', payload, 'actions', actions))::text "
         "FROM dead_letters WHERE id = $1";
}

// An action appended to an entry's actions ($2 who, $3 result, $4 detail).
constexpr const char* kAction =
    "actions || jsonb_build_array(jsonb_build_object('action', $5::text, 'by', $2::text, 'at', "
    "now(), 'result', $3::text, 'detail', $4::text))";

using Kind = DeadLetterAnswer::Kind;

DeadLetterAnswer answer(Kind kind, std::string message, std::string body = {}) {
  DeadLetterAnswer a;
  a.kind = kind;
  a.message = std::move(message);
  a.body = std::move(body);
  return a;
}

}  // namespace

DeadLetterStore::DeadLetterStore(PostgresOptions postgres, DeadLetterOptions options,
                                 Metrics* metrics)
    : session_(std::move(postgres)), options_(std::move(options)), metrics_(metrics) {}

void DeadLetterStore::count(int statements) {
  if (metrics_ != nullptr && statements > 0) metrics_->db_statements(statements);
}

DbError DeadLetterStore::run(const std::function<void(pqxx::connection&)>& work, int* statements) {
  if (!session_.connected()) {
    const DbError e = session_.connect();
    *statements += PgSession::kConnectStatements;
    if (!e.ok()) return e;
  }
  const DbError e = session_.run(work);
  if (!e.ok() && metrics_ != nullptr) metrics_->db_error(e.error_class());
  return e;
}

DeadLetterAnswer DeadLetterStore::unavailable(const DbError& error) {
  if (error.sqlstate == "42P01") {  // undefined table
    return answer(Kind::Unavailable,
                  "the dead_letters table is not there yet (the projector applies the "
                  "migrations when it first connects): try again");
  }
  return answer(Kind::Unavailable, "the database did not answer: " + error.message);
}

DeadLetterAnswer DeadLetterStore::list(const DeadLetterFilter& filter) {
  const std::size_t limit = filter.limit == 0 ? options_.page_default : filter.limit;
  std::string body;
  int statements = 0;
  const DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        ++statements;
        const pqxx::result r = tx.exec_params(
            std::string("SELECT coalesce(jsonb_agg(s.e ORDER BY s.id), '[]'::jsonb)::text, "
                        "count(*), max(s.id) FROM (SELECT id, ") +
                kSummaryJson +
                " AS e FROM dead_letters WHERE ($1 = '' OR status = $1) AND ($2 = '' OR entity = "
                "$2) AND ($3::bigint = 0 OR entity_id = $3::bigint) AND id > $4::bigint "
                "ORDER BY id LIMIT $5::bigint) s",
            filter.status, filter.entity, filter.entity_id, filter.after_id, limit);
        const bool more = r[0][1].as<std::size_t>() == limit;
        body = "{\"entries\":" + r[0][0].as<std::string>() +
               ",\"next\":" + (more ? r[0][2].as<std::string>() : std::string("null")) + "}";
      },
      &statements);
  count(statements);
  if (!e.ok()) return unavailable(e);
  return answer(Kind::Ok, "", std::move(body));
}

DeadLetterAnswer DeadLetterStore::get(std::uint64_t id) {
  std::string body;
  int statements = 0;
  const DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        ++statements;
        const pqxx::result r = tx.exec_params(entry_query(), id);
        if (!r.empty()) body = r[0][0].as<std::string>();
      },
      &statements);
  count(statements);
  if (!e.ok()) return unavailable(e);
  if (body.empty()) return answer(Kind::NotFound, "no dead letter " + std::to_string(id));
  return answer(Kind::Ok, "", std::move(body));
}

DeadLetterAnswer DeadLetterStore::replay(std::uint64_t id, const std::string& actor) {
  // 1. Claim: under the row lock (NOWAIT: a concurrent replay or discard answers
  // Conflict at once), PENDING (or a stale REPLAYING) -> REPLAYING, committed.
  std::string payload;
  std::optional<DeadLetterAnswer> refusal;
  int statements = 0;
  DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::work tx(c);
        statements += 2;  // BEGIN, and COMMIT or ROLLBACK
        ++statements;
        const pqxx::result r = tx.exec_params(
            "SELECT status, payload::text, entity, entity_id, journal_seq, "
            "coalesce(last_replayed_by, ''), coalesce(last_replayed_at::text, ''), "
            "coalesce(last_replayed_at < now() - $2::bigint * interval '1 millisecond', true), "
            "coalesce(note, '') FROM dead_letters WHERE id = $1 FOR UPDATE NOWAIT",
            id, options_.replay_stale_ms);
        if (r.empty()) {
          refusal = answer(Kind::NotFound, "no dead letter " + std::to_string(id));
          return;
        }
        const std::string status = r[0][0].as<std::string>();
        const std::string by = r[0][5].as<std::string>();
        const std::string at = r[0][6].as<std::string>();
        if (status == "RESOLVED") {
          refusal = answer(Kind::Conflict, "dead letter " + std::to_string(id) +
                                               " is resolved already (replayed by " + by + " at " +
                                               at + "); its rows are written");
          return;
        }
        if (status == "DISCARDED") {
          refusal = answer(Kind::Conflict, "dead letter " + std::to_string(id) +
                                               " was discarded: " + r[0][8].as<std::string>());
          return;
        }
        if (status == "REPLAYING" && !r[0][7].as<bool>()) {
          refusal = answer(Kind::Conflict, "dead letter " + std::to_string(id) +
                                               " is being replayed by " + by + " since " + at);
          return;
        }
        // Nothing out of sequence: an earlier entry of the same order or account first.
        ++statements;
        const pqxx::result earlier = tx.exec_params(
            "SELECT id FROM dead_letters WHERE entity = $1 AND entity_id = $2 AND "
            "journal_seq < $3 AND status IN ('PENDING', 'REPLAYING') ORDER BY journal_seq "
            "LIMIT 1",
            r[0][2].as<std::string>(), r[0][3].as<std::uint64_t>(), r[0][4].as<std::uint64_t>());
        if (!earlier.empty()) {
          refusal = answer(Kind::Conflict, "dead letter " + earlier[0][0].as<std::string>() +
                                               " of the same " + r[0][2].as<std::string>() +
                                               " comes first: replay or discard it " + "before " +
                                               std::to_string(id));
          return;
        }
        payload = r[0][1].as<std::string>();
        ++statements;
        tx.exec_params(
            "UPDATE dead_letters SET status = 'REPLAYING', replay_count = replay_count + 1, "
            "last_replayed_at = now(), last_replayed_by = $2 WHERE id = $1",
            id, actor);
        tx.commit();
      },
      &statements);
  count(statements);
  if (e.sqlstate == "55P03") {
    return answer(Kind::Conflict, "dead letter " + std::to_string(id) +
                                      " is being replayed or discarded by another request now");
  }
  if (!e.ok()) return unavailable(e);
  if (refusal) {
    if (refusal->kind == Kind::Conflict && metrics_ != nullptr) metrics_->dlq_replay("conflict");
    return *refusal;
  }

  // 2. The rows and RESOLVED, in one transaction.
  std::vector<std::string> params;
  const Status decoded = replay_params(payload, &params);
  DbError written;
  std::string error_class, sqlstate, message;
  statements = 0;
  if (decoded.ok()) {
    written = run(
        [&](pqxx::connection& c) {
          pqxx::work tx(c);
          statements += 2;
          ++statements;
          tx.exec_params(sql::kReplayRows, pqxx::prepare::make_dynamic_params(params));
          ++statements;
          tx.exec_params(std::string("UPDATE dead_letters SET status = 'RESOLVED', actions = ") +
                             kAction + " WHERE id = $1 AND status = 'REPLAYING'",
                         id, actor, "RESOLVED", "", "replay");
          tx.commit();
        },
        &statements);
    error_class = written.error_class();
    sqlstate = written.sqlstate;
    message = written.message;
  } else {
    error_class = "payload";
    message = decoded.message();
  }
  count(statements);
  if (decoded.ok() && written.ok()) {
    if (metrics_ != nullptr) metrics_->dlq_replay("resolved");
    log::info("dead letter replayed", {}, {{"id", std::to_string(id)}, {"by", actor}});
    refresh_gauges();
    return get(id);
  }

  // 3. Not written: back to PENDING; refused rows count as an attempt, with the new
  // error. (Only from REPLAYING: a COMMIT whose reply was lost may have resolved it.)
  const bool refused = !decoded.ok() || written.kind == DbErrorKind::Data;
  statements = 0;
  const DbError back = run(
      [&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        ++statements;
        if (refused) {
          tx.exec_params(std::string("UPDATE dead_letters SET status = 'PENDING', attempts = "
                                     "attempts + 1, last_failed_at = now(), error_class = $6, "
                                     "sqlstate = $7, message = $4, actions = ") +
                             kAction + " WHERE id = $1 AND status = 'REPLAYING'",
                         id, actor, "FAILED", message, "replay", error_class, sqlstate);
        } else {
          tx.exec_params(std::string("UPDATE dead_letters SET status = 'PENDING', actions = ") +
                             kAction + " WHERE id = $1 AND status = 'REPLAYING'",
                         id, actor, "INTERRUPTED", message, "replay");
        }
      },
      &statements);
  count(statements);
  if (!refused) {
    if (metrics_ != nullptr) metrics_->dlq_replay("unavailable");
    return unavailable(written);
  }
  if (metrics_ != nullptr) metrics_->dlq_replay("failed");
  log::warn(
      "dead letter replay refused again", {},
      {{"id", std::to_string(id)}, {"by", actor}, {"sqlstate", sqlstate}, {"error", message}});
  if (!back.ok()) return unavailable(back);
  DeadLetterAnswer entry = get(id);
  entry.kind = entry.kind == Kind::Ok ? Kind::ReplayFailed : entry.kind;
  entry.message = "the database refused the rows again (" +
                  (sqlstate.empty() ? error_class : sqlstate) + "): " + message;
  return entry;
}

DeadLetterAnswer DeadLetterStore::replay_pending(const std::string& actor) {
  std::vector<std::tuple<std::uint64_t, std::string, std::uint64_t>> ids;
  int statements = 0;
  DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        ++statements;
        for (const auto& row : tx.exec_params(
                 "SELECT id, entity, entity_id FROM dead_letters WHERE status = 'PENDING' "
                 "ORDER BY journal_seq, id LIMIT $1::bigint",
                 options_.replay_all_max + 1)) {
          ids.emplace_back(row[0].as<std::uint64_t>(), row[1].as<std::string>(),
                           row[2].as<std::uint64_t>());
        }
      },
      &statements);
  count(statements);
  if (!e.ok()) return unavailable(e);
  const bool more = ids.size() > options_.replay_all_max;
  if (more) ids.pop_back();
  json results = json::array();
  std::size_t resolved = 0, failed = 0, skipped = 0;
  std::set<std::pair<std::string, std::uint64_t>> held;  // entities with an unresolved entry
  for (const auto& [id, entity, entity_id] : ids) {
    if (held.contains({entity, entity_id})) {
      ++skipped;
      results.push_back(
          json{{"id", id},
               {"result", "SKIPPED"},
               {"message", "an earlier dead letter of this " + entity + " is not resolved"}});
      continue;
    }
    const DeadLetterAnswer a = replay(id, actor);
    if (a.kind == Kind::Unavailable) {
      DeadLetterAnswer out = answer(Kind::Unavailable, a.message);
      return out;
    }
    if (a.kind == Kind::Ok) {
      ++resolved;
      results.push_back(json{{"id", id}, {"result", "RESOLVED"}});
      continue;
    }
    held.insert({entity, entity_id});
    if (a.kind == Kind::ReplayFailed) {
      ++failed;
      results.push_back(json{{"id", id}, {"result", "FAILED"}, {"message", a.message}});
    } else {
      ++skipped;
      results.push_back(json{{"id", id}, {"result", "SKIPPED"}, {"message", a.message}});
    }
  }
  return answer(Kind::Ok, "",
                json{{"resolved", resolved},
                     {"failed", failed},
                     {"skipped", skipped},
                     {"more", more},
                     {"results", std::move(results)}}
                    .dump(-1, ' ', false, json::error_handler_t::replace));
}

DeadLetterAnswer DeadLetterStore::discard(std::uint64_t id, const std::string& actor,
                                          const std::string& reason) {
  std::optional<DeadLetterAnswer> refusal;
  int statements = 0;
  const DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::work tx(c);
        statements += 3;  // BEGIN, the lock, COMMIT or ROLLBACK
        const pqxx::result r = tx.exec_params(
            "SELECT status, coalesce(last_replayed_at < now() - $2::bigint * interval '1 "
            "millisecond', true), coalesce(note, '') FROM dead_letters WHERE id = $1 FOR UPDATE "
            "NOWAIT",
            id, options_.replay_stale_ms);
        if (r.empty()) {
          refusal = answer(Kind::NotFound, "no dead letter " + std::to_string(id));
          return;
        }
        const std::string status = r[0][0].as<std::string>();
        if (status == "RESOLVED" || status == "DISCARDED" ||
            (status == "REPLAYING" && !r[0][1].as<bool>())) {
          refusal = answer(Kind::Conflict, "dead letter " + std::to_string(id) + " is " + status +
                                               ": only a PENDING one can be discarded");
          return;
        }
        ++statements;
        tx.exec_params(std::string("UPDATE dead_letters SET status = 'DISCARDED', note = $4, "
                                   "actions = ") +
                           kAction + " WHERE id = $1",
                       id, actor, "DISCARDED", reason, "discard");
        tx.commit();
      },
      &statements);
  count(statements);
  if (e.sqlstate == "55P03") {
    return answer(Kind::Conflict, "dead letter " + std::to_string(id) +
                                      " is being replayed or discarded by another request now");
  }
  if (!e.ok()) return unavailable(e);
  if (refusal) return *refusal;
  log::info("dead letter discarded", {},
            {{"id", std::to_string(id)}, {"by", actor}, {"reason", reason}});
  refresh_gauges();
  return get(id);
}

DbError DeadLetterStore::insert(const std::vector<DeadLetter>& letters) {
  int statements = 0;
  const DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::work tx(c);
        statements += 2;
        for (const DeadLetter& d : letters) {
          ++statements;
          tx.exec_params(sql::kInsertDeadLetter, d.idempotency_key, d.journal_seq, d.entity,
                         d.entity_id, d.correlation_id, d.payload, d.error_class, d.sqlstate,
                         d.message, d.failed_at_us);
        }
        tx.commit();
      },
      &statements);
  count(statements);
  return e;
}

DbError DeadLetterStore::refresh_gauges() {
  std::array<double, 4> counts{};
  int statements = 0;
  const DbError e = run(
      [&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        ++statements;
        for (const auto& row :
             tx.exec("SELECT status, count(*) FROM dead_letters GROUP BY status")) {
          if (const auto s = parse_dead_letter_status(row[0].as<std::string>())) {
            counts[static_cast<std::size_t>(*s)] = row[1].as<double>();
          }
        }
      },
      &statements);
  count(statements);
  if (e.ok() && metrics_ != nullptr) {
    for (std::size_t i = 0; i < counts.size(); ++i) {
      metrics_->dlq_entries(std::string(to_string(static_cast<DeadLetterStatus>(i))), counts[i]);
    }
  }
  return e;
}

DeadLetterQueue::DeadLetterQueue(PostgresOptions postgres, DeadLetterOptions options,
                                 DeadLetterSpill& spill, Metrics* metrics)
    : store_(std::move(postgres), std::move(options), metrics), spill_(spill), metrics_(metrics) {
  notified_ = spill_.size() > 0;
}

DeadLetterQueue::~DeadLetterQueue() { stop(); }

void DeadLetterQueue::start(std::function<void()> changed) {
  changed_ = std::move(changed);
  thread_ = std::thread([this] {
    log::set_component("dlq");
    run();
  });
}

void DeadLetterQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool DeadLetterQueue::post(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || jobs_.size() >= store_.options().max_queued_requests) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_all();
  return true;
}

void DeadLetterQueue::notify() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

void DeadLetterQueue::drain_spill() {
  std::vector<DeadLetter> letters;
  Status s = spill_.take(&letters);
  if (!s.ok()) {
    log::error("dead-letter spill file cannot be read", {},
               {{"code", std::string(s.code_name())}, {"error", s.message()}});
    return;
  }
  if (!letters.empty()) {
    const DbError e = store_.insert(letters);
    if (!e.ok()) {
      // The database is still away: they wait in the file.
      if (!drain_failed_logged_) {
        log::warn("dead letters wait in the spill file until the database answers", {},
                  {{"entries", std::to_string(spill_.size())}, {"error", e.message}});
        drain_failed_logged_ = true;
      }
      return;
    }
    s = spill_.release();
    if (!s.ok()) {
      log::error("dead-letter spill file cannot be removed", {},
                 {{"code", std::string(s.code_name())}, {"error", s.message()}});
      return;
    }
    drain_failed_logged_ = false;
    log::info("dead letters moved from the spill file into the table", {},
              {{"entries", std::to_string(letters.size())}});
    store_.refresh_gauges();
  }
  if (metrics_ != nullptr) metrics_->dlq_spilled(static_cast<double>(spill_.size()));
}

void DeadLetterQueue::run() {
  const auto retry = std::chrono::milliseconds(store_.options().spill_retry_ms);
  while (true) {
    Job job;
    bool drain = false;
    bool refresh = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, retry, [this] { return stopping_ || !jobs_.empty() || notified_; });
      // Queued jobs still run when stopping: each holds a request waiting for its answer.
      if (stopping_ && jobs_.empty()) break;
      refresh = notified_;
      drain = notified_ || spill_.size() > 0;
      notified_ = false;
      if (!jobs_.empty()) {
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    // Spilled entries first: a list or replay then sees them.
    if (drain) drain_spill();
    if (refresh) store_.refresh_gauges();
    if (job) {
      job(store_);
      if (changed_) changed_();
    }
  }
}

}  // namespace spot
