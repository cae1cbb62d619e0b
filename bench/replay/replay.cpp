#include "bench/replay/replay.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "bench/workload/workload.h"
#include "spot/core/clock.h"
#include "spot/journal/codec.h"
#include "spot/journal/journal.h"
#include "spot/journal/recovery.h"
#include "spot/journal/snapshot.h"

namespace spot::bench {
namespace {

// A correlation id the size of the ones spotd generates (16 random bytes in hex).
std::string request_id_for(std::uint64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(n * 0x9E3779B97F4A7C15ull));
  return buf;
}

}  // namespace

EngineLimits engine_limits(const Workload& w) {
  EngineLimits limits;
  limits.book_capacity = book_capacity(w);
  limits.max_open_orders_per_account = 1u << 30;
  // The pure book: W1's one account has no money (W1-B is the workload with balances).
  limits.check_balances = false;
  return limits;
}

bool write_journal(const Workload& w, const std::string& dir, std::uint64_t snapshot_at,
                   Engine& engine, std::uint64_t* last_seq, std::string* error) {
  PosixFileSystem fs;
  JournalOptions jo;
  jo.dir = dir;
  JournalWriter journal(fs, jo, 1, nullptr);
  journal.start();
  std::uint64_t seq = 0;
  bool ok = true;
  auto append = [&](const CommandBody& body, const std::string& rid) {
    // Stamped before it runs, as the matching loop does: the record's time is the time
    // of the command's public trades.
    const std::int64_t now_ns = SystemClock::instance().wall_ns();
    const Reply reply = engine.execute(body, rid, now_ns);
    // As the matching loop does: wait for room in the journal, then submit.
    journal.wait_for_room(1, std::chrono::seconds(60));
    if (!journal.submit(journal::encode_command(body, rid, now_ns),
                        [&ok](bool durable) { ok &= durable; })) {
      ok = false;
    }
    ++seq;
    if (snapshot_at != 0 && seq == snapshot_at) {
      std::string state;
      engine.serialize(state);
      const Status s = write_snapshot(fs, dir, seq, state, 2);
      if (!s.ok()) {
        *error = s.message();
        ok = false;
      }
    }
    return reply;
  };

  append(CreateAccount{"bench", std::string(64, 'a')}, request_id_for(0));
  const AccountId account{1};
  // W1 names orders by its own ids; the engine assigns its own. Cancels are mapped.
  std::vector<std::uint64_t> engine_id(w.ops.size() + 2, 0);
  std::uint64_t n = 0;
  for (const Op& op : w.ops) {
    ++n;
    if (op.kind == OpKind::Cancel) {
      const std::uint64_t target = op.id.value < engine_id.size() ? engine_id[op.id.value] : 0;
      if (target == 0) continue;  // never accepted: the load generator would skip it too
      append(CancelRequest{account, OrderId{target}}, request_id_for(n));
      continue;
    }
    SubmitOrder s;
    s.account = account;
    s.symbol = op.symbol;
    s.side = op.side;
    s.type = op.kind == OpKind::Market ? OrderType::Market : OrderType::Limit;
    s.tif = op.kind == OpKind::GtcLimit ? TimeInForce::Gtc : TimeInForce::Ioc;
    s.price = s.type == OrderType::Market ? 0 : op.price;
    s.qty = op.qty;
    s.client_order_id = "w" + std::to_string(op.id.value);
    const Reply reply = append(s, request_id_for(n));
    const auto& r = std::get<OrderReply>(reply);
    if (r.reject == RejectReason::None && op.id.value < engine_id.size()) {
      engine_id[op.id.value] = r.order.id.value;
    }
  }
  journal.stop();
  if (!ok && error->empty()) {
    *error = journal.failed() ? "journal write failed: " + journal.failure().message()
                              : "journal write failed";
  }
  *last_seq = seq;
  return ok;
}

bool run_replay(const ReplayOptions& o, ReplayResult* result, std::string* error) {
  namespace fs = std::filesystem;
  if (o.dir.empty() || (fs::exists(o.dir) && !fs::is_empty(o.dir))) {
    *error = "--dir must name a new or empty directory";
    return false;
  }
  if (o.prefill == 0 || o.repeat < 1) {
    *error = "--prefill and --repeat must be at least 1";
    return false;
  }
  fs::create_directories(o.dir);
  const Workload w = generate_w1({o.seed, o.ops, o.prefill});
  EngineLimits limits = engine_limits(w);
  limits.order_history = o.order_history;
  limits.idempotency_window = o.idempotency_window;
  Engine live(symbol_specs(w), limits);
  std::uint64_t last_seq = 0;
  if (!write_journal(w, o.dir, o.snapshot_at, live, &last_seq, error)) return false;
  for (const auto& entry : fs::directory_iterator(o.dir)) {
    if (entry.path().extension() == ".wal") result->journal_bytes += entry.file_size();
    if (entry.path().extension() == ".snap") result->snapshot_bytes = entry.file_size();
  }

  PosixFileSystem files;
  std::vector<std::pair<double, std::pair<double, double>>> runs;
  for (int r = 0; r < o.repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    RecoveredEngine recovered;
    const Status s = recover_engine(files, o.dir, symbol_specs(w), limits, &recovered);
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      *error = s.message();
      return false;
    }
    runs.push_back({std::chrono::duration<double>(t1 - t0).count(),
                    {recovered.snapshot_seconds, recovered.replay_seconds}});
    result->records = recovered.records;
    result->snapshot_seq = recovered.snapshot_seq;
    result->state_hash = recovered.engine->state_hash();
    result->hash_matches = result->state_hash == live.state_hash();
    result->trades = recovered.engine->trade_count();
    std::string state;
    recovered.engine->serialize(state);
    result->end_state_bytes = state.size();
    result->records_in_memory = recovered.engine->record_count();
    result->window_keys = recovered.engine->idempotency_window().size();
    result->window_memory_bytes = recovered.engine->idempotency_window().memory_bytes();
  }
  std::sort(runs.begin(), runs.end());
  const auto& median = runs[runs.size() / 2];
  result->seconds = median.first;
  result->snapshot_seconds = median.second.first;
  result->replay_seconds = median.second.second;
  return true;
}

std::string to_json(const ReplayOptions& o, const ReplayResult& r) {
  char buf[1024];
  std::snprintf(
      buf, sizeof(buf),
      "{\"mode\":\"replay\",\"seed\":%llu,\"ops\":%llu,\"prefill\":%llu,\"repeat\":%d,"
      "\"snapshot_seq\":%llu,\"records\":%llu,\"journal_bytes\":%llu,\"trades\":%llu,"
      "\"seconds\":%.6f,\"snapshot_seconds\":%.6f,\"replay_seconds\":%.6f,"
      "\"records_per_s\":%.0f,\"replay_records_per_s\":%.0f,\"state_hash\":\"%016llx\","
      "\"hash_matches\":%s,\"order_history\":%zu,\"idempotency_window\":%zu,"
      "\"snapshot_bytes\":%llu,\"end_state_bytes\":%llu,\"records_in_memory\":%llu,"
      "\"window_keys\":%llu,\"window_memory_bytes\":%llu}",
      static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.ops),
      static_cast<unsigned long long>(o.prefill), o.repeat,
      static_cast<unsigned long long>(r.snapshot_seq), static_cast<unsigned long long>(r.records),
      static_cast<unsigned long long>(r.journal_bytes), static_cast<unsigned long long>(r.trades),
      r.seconds, r.snapshot_seconds, r.replay_seconds,
      r.seconds > 0 ? static_cast<double>(r.records) / r.seconds : 0.0,
      r.replay_seconds > 0 ? static_cast<double>(r.records) / r.replay_seconds : 0.0,
      static_cast<unsigned long long>(r.state_hash), r.hash_matches ? "true" : "false",
      o.order_history, o.idempotency_window, static_cast<unsigned long long>(r.snapshot_bytes),
      static_cast<unsigned long long>(r.end_state_bytes),
      static_cast<unsigned long long>(r.records_in_memory),
      static_cast<unsigned long long>(r.window_keys),
      static_cast<unsigned long long>(r.window_memory_bytes));
  return buf;
}

}  // namespace spot::bench
