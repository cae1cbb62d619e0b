#include "bench/workload/workload.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace spot::bench {
namespace {

constexpr std::array<std::uint64_t, kW1Symbols> kWeights = {40, 20, 10, 10, 5, 5, 5, 5};
constexpr char kMagic[8] = {'S', 'P', 'O', 'T', 'W', 'L', '0', '1'};
constexpr std::size_t kHeaderBytes = 32;
constexpr std::size_t kRecordBytes = 32;

template <class T>
void put(unsigned char* at, T v) {
  // Little-endian on every host: write byte by byte.
  auto u = static_cast<std::uint64_t>(v);
  for (std::size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<unsigned char>(u >> (8 * i));
}

template <class T>
T get(const unsigned char* at) {
  std::uint64_t u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) u |= static_cast<std::uint64_t>(at[i]) << (8 * i);
  return static_cast<T>(u);
}

}  // namespace

Workload generate_w1(const W1Params& params) {
  // A cancel drawn before any GTC order exists would need uniform(0): W1 is defined
  // with a prefill, and callers validate prefill >= 1.
  assert(params.prefill >= 1);
  SplitMix64 rng(params.seed);
  std::array<Ticks, kW1Symbols> mid;
  mid.fill(10'000);
  std::uint64_t next_id = 1;
  auto qty = [&rng] { return static_cast<Lots>((1 + rng.uniform(10)) * 100); };
  auto pick = [&rng] {
    const std::uint64_t u = rng.uniform(100);
    std::uint64_t sum = 0;
    for (std::size_t s = 0; s < kWeights.size(); ++s) {
      sum += kWeights[s];
      if (sum > u) return static_cast<SymbolId>(s);
    }
    return static_cast<SymbolId>(kWeights.size() - 1);
  };

  Workload w;
  w.symbols = kW1Symbols;
  w.prefill_per_symbol = params.prefill;
  w.ops.reserve(kW1Symbols * params.prefill + params.ops);
  std::vector<Op> gtc;  // every GTC order ever generated, with its symbol
  gtc.reserve(kW1Symbols * params.prefill + params.ops / 2);

  for (SymbolId s = 0; s < kW1Symbols; ++s) {
    for (std::uint64_t i = 0; i < params.prefill; ++i) {
      Op op;
      op.kind = OpKind::GtcLimit;
      op.side = i % 2 == 0 ? Side::Buy : Side::Sell;
      const auto off = static_cast<Ticks>(1 + rng.uniform(50));
      op.price = op.side == Side::Buy ? mid[s] - off : mid[s] + off;
      op.qty = qty();
      op.symbol = s;
      op.id = OrderId{next_id++};
      w.ops.push_back(op);
      gtc.push_back(op);
    }
  }

  std::size_t cursor = 0;
  for (std::uint64_t k = 0; k < params.ops; ++k) {
    if (k > 0 && k % 1000 == 0) {
      for (auto& m : mid) m += static_cast<Ticks>(rng.uniform(3)) - 1;
    }
    const SymbolId s = pick();
    const std::uint64_t r = rng.uniform(100);
    Op op;
    op.symbol = s;
    if (r < 40) {
      op.kind = OpKind::GtcLimit;
      op.side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
      const auto off = static_cast<Ticks>(1 + rng.uniform(50));
      op.price = op.side == Side::Buy ? mid[s] - off : mid[s] + off;
      op.qty = qty();
      op.id = OrderId{next_id++};
      gtc.push_back(op);
    } else if (r < 88) {
      const Op* target = nullptr;
      if (rng.uniform(4) != 0 && cursor < gtc.size()) {
        target = &gtc[cursor++];
      } else {
        const std::uint64_t window = std::min<std::uint64_t>(5000, gtc.size());
        target = &gtc[gtc.size() - 1 - rng.uniform(window)];
      }
      op.kind = OpKind::Cancel;
      op.side = target->side;
      op.symbol = target->symbol;
      op.id = target->id;
    } else if (r < 96) {
      op.kind = OpKind::IocLimit;
      op.side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
      const auto off = static_cast<Ticks>(rng.uniform(5));
      op.price = op.side == Side::Buy ? mid[s] + off : mid[s] - off;
      op.qty = qty();
      op.id = OrderId{next_id++};
    } else {
      op.kind = OpKind::Market;
      op.side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
      op.qty = qty();
      op.id = OrderId{next_id++};
    }
    w.ops.push_back(op);
  }
  return w;
}

bool write_workload(const std::string& path, const Workload& workload, std::string* error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    *error = "cannot open " + path + " for writing";
    return false;
  }
  unsigned char header[kHeaderBytes] = {};
  std::memcpy(header, kMagic, sizeof(kMagic));
  put<std::uint32_t>(header + 8, 1);
  put<std::uint32_t>(header + 12, workload.symbols);
  put<std::uint64_t>(header + 16, workload.ops.size());
  put<std::uint64_t>(header + 24, workload.prefill_per_symbol);
  out.write(reinterpret_cast<const char*>(header), kHeaderBytes);
  std::vector<unsigned char> buffer(kRecordBytes * workload.ops.size());
  unsigned char* at = buffer.data();
  for (const Op& op : workload.ops) {
    put<std::uint8_t>(at, static_cast<std::uint8_t>(op.kind));
    put<std::uint8_t>(at + 1, static_cast<std::uint8_t>(op.side));
    put<std::uint16_t>(at + 2, op.symbol);
    put<std::uint32_t>(at + 4, 0);
    put<std::uint64_t>(at + 8, op.id.value);
    put<std::int64_t>(at + 16, op.price);
    put<std::int64_t>(at + 24, op.qty);
    at += kRecordBytes;
  }
  out.write(reinterpret_cast<const char*>(buffer.data()),
            static_cast<std::streamsize>(buffer.size()));
  out.flush();
  if (!out) {
    *error = "write to " + path + " failed";
    return false;
  }
  return true;
}

std::optional<Workload> read_workload(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return std::nullopt;
  }
  unsigned char header[kHeaderBytes];
  if (!in.read(reinterpret_cast<char*>(header), kHeaderBytes)) {
    *error = path + ": file shorter than its 32-byte header";
    return std::nullopt;
  }
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    *error = path + ": bad magic (not a SPOTWL01 workload file)";
    return std::nullopt;
  }
  if (get<std::uint32_t>(header + 8) != 1) {
    *error = path + ": unsupported version";
    return std::nullopt;
  }
  Workload w;
  w.symbols = get<std::uint32_t>(header + 12);
  const auto count = get<std::uint64_t>(header + 16);
  w.prefill_per_symbol = get<std::uint64_t>(header + 24);
  if (w.symbols == 0 || w.symbols > 0xFFFF || w.prefill_ops() > count) {
    *error = path + ": header fields out of range";
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  if (size != kHeaderBytes + count * kRecordBytes) {
    *error = path + ": size does not match the op count in its header";
    return std::nullopt;
  }
  in.seekg(kHeaderBytes);
  std::vector<unsigned char> buffer(count * kRecordBytes);
  in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
  w.ops.resize(count);
  const unsigned char* at = buffer.data();
  for (std::uint64_t i = 0; i < count; ++i, at += kRecordBytes) {
    Op& op = w.ops[i];
    const auto kind = get<std::uint8_t>(at);
    const auto side = get<std::uint8_t>(at + 1);
    if (kind < 1 || kind > 4 || side > 1) {
      *error = path + ": record " + std::to_string(i) + " has a bad kind or side";
      return std::nullopt;
    }
    op.kind = static_cast<OpKind>(kind);
    op.side = static_cast<Side>(side);
    op.symbol = get<std::uint16_t>(at + 2);
    if (op.symbol >= w.symbols) {
      *error = path + ": record " + std::to_string(i) + " names an unknown symbol";
      return std::nullopt;
    }
    op.id = OrderId{get<std::uint64_t>(at + 8)};
    op.price = get<std::int64_t>(at + 16);
    op.qty = get<std::int64_t>(at + 24);
  }
  return w;
}

std::vector<SymbolSpec> symbol_specs(const Workload& workload) {
  std::vector<SymbolSpec> specs;
  for (std::uint32_t s = 0; s < workload.symbols; ++s) {
    SymbolSpec spec;
    spec.name = std::to_string(s);
    spec.name.insert(0, 1, 'S');
    spec.min_price = 1;
    spec.max_price = std::int64_t{1} << 40;
    spec.min_qty = 1;
    spec.max_qty = std::int64_t{1} << 40;
    specs.push_back(spec);
  }
  return specs;
}

BookCapacity book_capacity(const Workload& workload) {
  BookCapacity capacity;
  // Sized for the working set of W1 (resting orders grow to roughly twice the prefill
  // plus a few percent of the ops on the busiest symbol), as an operator would size it.
  const std::size_t flow = workload.ops.size() - workload.prefill_ops();
  capacity.orders = std::max<std::size_t>(4096, workload.prefill_per_symbol * 2 + flow / 32);
  capacity.levels = 1024;
  return capacity;
}

Matcher make_matcher(const Workload& workload) {
  return Matcher(symbol_specs(workload), book_capacity(workload));
}

void account(const EventBuffer& events, Checksums& sums) {
  for (const Event& e : events) {
    switch (e.type) {
      case EventType::Trade:
        ++sums.fills;
        sums.fill_qty += static_cast<std::uint64_t>(e.qty);
        sums.notional += static_cast<std::uint64_t>(e.price) * static_cast<std::uint64_t>(e.qty);
        break;
      case EventType::Canceled:
        ++sums.cancels;
        break;
      case EventType::Expired:
        ++sums.ioc_remainders;
        break;
      case EventType::Rejected:
        if (e.reason == RejectReason::UnknownOrder) {
          ++sums.cancel_rejects;
        } else {
          ++sums.other_rejects;
        }
        break;
      case EventType::Accepted:
        break;
    }
  }
}

Checksums run(const Workload& workload) {
  Matcher matcher = make_matcher(workload);
  EventBuffer events;
  events.reserve(1024);
  const std::size_t prefill = workload.prefill_ops();
  Checksums sums;
  for (std::size_t i = 0; i < workload.ops.size(); ++i) {
    events.clear();
    apply(matcher, workload.ops[i], events);
    if (i >= prefill) account(events, sums);
  }
  for (SymbolId s = 0; s < matcher.symbol_count(); ++s)
    sums.resting += matcher.book(s).order_count();
  return sums;
}

std::string to_json(const Checksums& sums) {
  char buf[512];
  std::snprintf(
      buf, sizeof(buf),
      "\"fills\":%llu,\"fill_qty\":%llu,\"notional\":%llu,\"cancels\":%llu,"
      "\"cancel_rejects\":%llu,\"ioc_remainders\":%llu,\"resting\":%llu",
      static_cast<unsigned long long>(sums.fills), static_cast<unsigned long long>(sums.fill_qty),
      static_cast<unsigned long long>(sums.notional), static_cast<unsigned long long>(sums.cancels),
      static_cast<unsigned long long>(sums.cancel_rejects),
      static_cast<unsigned long long>(sums.ioc_remainders),
      static_cast<unsigned long long>(sums.resting));
  return buf;
}

std::vector<SymbolSpec> w1b_symbol_specs(const Workload& workload) {
  std::vector<SymbolSpec> specs = symbol_specs(workload);
  for (std::size_t s = 0; s < specs.size(); ++s) {
    specs[s].base_asset = "B" + std::to_string(s);
    specs[s].quote_asset = "Q";
    specs[s].base_decimals = specs[s].lot_size.scale;                              // 1 unit a lot
    specs[s].quote_decimals = specs[s].tick_size.scale + specs[s].lot_size.scale;  // a tick-lot
  }
  return specs;
}

EngineRun play_engine(const Workload& w, bool balances) {
  EngineLimits limits;
  limits.book_capacity = book_capacity(w);
  limits.max_open_orders_per_account = 1u << 30;
  limits.check_balances = balances;
  Engine engine(w1b_symbol_specs(w), limits);
  for (std::uint64_t a = 1; a <= kW1bAccounts; ++a) {
    engine.create_account(CreateAccount{"w1b", "h"});
    if (!balances) continue;
    for (const std::string& asset : engine.assets()) {
      engine.deposit(Deposit{{AccountId{a}, asset, kW1bFunds, asset + "-" + std::to_string(a)}});
    }
  }
  // No order is rejected, so the engine's ids are W1's; a cancel names its target's owner.
  EngineRun run;
  SubmitOrder order;
  auto play = [&](const Op& op, bool count) {
    if (op.kind == OpKind::Cancel) {
      const OrderReply r = engine.cancel(CancelRequest{w1b_owner(op.id), op.id});
      if (!count) return;
      if (r.reject == RejectReason::None) {
        ++run.sums.cancels;
      } else if (r.reject == RejectReason::UnknownOrder) {
        ++run.sums.cancel_rejects;
      } else {
        ++run.sums.other_rejects;
      }
      return;
    }
    order.account = w1b_owner(op.id);
    order.symbol = op.symbol;
    order.side = op.side;
    order.type = op.kind == OpKind::Market ? OrderType::Market : OrderType::Limit;
    order.tif = op.kind == OpKind::GtcLimit ? TimeInForce::Gtc : TimeInForce::Ioc;
    order.price = op.price;
    order.qty = op.qty;
    const OrderReply r = engine.submit(order, std::string());
    if (!count) return;
    if (r.reject != RejectReason::None || r.order.id != op.id) {
      ++run.sums.other_rejects;
      return;
    }
    for (const Fill& f : r.fills) {
      ++run.sums.fills;
      run.sums.fill_qty += static_cast<std::uint64_t>(f.qty);
      run.sums.notional += static_cast<std::uint64_t>(f.price) * static_cast<std::uint64_t>(f.qty);
    }
    if (r.order.status == OrderStatus::Expired) ++run.sums.ioc_remainders;
  };
  const std::size_t prefill = w.prefill_ops();
  for (std::size_t i = 0; i < prefill; ++i) play(w.ops[i], false);
  const Stopwatch clock;
  for (std::size_t i = prefill; i < w.ops.size(); ++i) play(w.ops[i], true);
  run.seconds = clock.wall_seconds();
  run.cpu_seconds = clock.cpu_seconds();
  for (SymbolId s = 0; s < engine.matcher().symbol_count(); ++s) {
    run.sums.resting += engine.matcher().book(s).order_count();
  }
  if (balances) {
    run.totals = engine.asset_totals();
    for (const AssetTotals& t : run.totals) run.conserved = run.conserved && t.conserved();
    run.balances = engine.money();
  }
  return run;
}

std::string to_json(const std::vector<AssetTotals>& totals) {
  std::string out = "{";
  for (const AssetTotals& t : totals) {
    if (out.size() > 1) out += ",";
    out += "\"" + t.asset + "\":{\"held\":" + std::to_string(t.held) +
           ",\"locked\":" + std::to_string(t.locked) +
           ",\"deposited\":" + std::to_string(t.deposited) + "}";
  }
  return out + "}";
}

}  // namespace spot::bench
