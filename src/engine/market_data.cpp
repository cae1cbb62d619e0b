#include "spot/engine/market_data.h"

#include <algorithm>

#include "spot/core/assert.h"
#include "spot/core/fnv.h"
#include "spot/engine/commands.h"

namespace spot {
namespace {

__extension__ using U128 = unsigned __int128;

std::int64_t minute_of(std::int64_t time_ns) {
  const std::int64_t m = time_ns / MarketData::kMinuteNs;
  return (time_ns % MarketData::kMinuteNs != 0 && time_ns < 0) ? m - 1 : m;
}

std::size_t slot_of(std::int64_t minute) {
  const std::int64_t r = minute % MarketData::kMinutes;
  return static_cast<std::size_t>(r < 0 ? r + MarketData::kMinutes : r);
}

// Int128 in the snapshot: low then high 64 bits.
void put128(binary::Writer& out, Int128 v) {
  out.put(static_cast<std::uint64_t>(v));
  out.put(static_cast<std::uint64_t>(static_cast<U128>(v) >> 64));
}
bool get128(binary::Reader& in, Int128& v) {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  if (!in.get(lo) || !in.get(hi)) return false;
  v = static_cast<Int128>((static_cast<U128>(hi) << 64) | lo);
  return true;
}

}  // namespace

MarketData::MarketData(std::size_t symbols, std::size_t trades_kept)
    : capacity_(trades_kept), symbols_(symbols) {
  SPOT_ASSERT(trades_kept >= 1, "market data: at least one trade is kept");
  for (Symbol& s : symbols_) {
    s.ring.resize(capacity_);
    s.buckets.resize(kMinutes);
  }
}

void MarketData::on_submit(const OrderReply& reply, std::int64_t time_ns) {
  if (reply.reject != RejectReason::None || reply.replayed) return;
  const OrderRecord& order = reply.order;
  if (order.symbol >= symbols_.size()) return;
  for (const Fill& f : reply.fills) {
    record_trade(order.symbol, f.trade_id.value, f.price, f.qty, order.id.value, order.side,
                 time_ns);
  }
  // An order that neither traded nor rests (an IOC or FOK that found nothing) leaves
  // the book as it was.
  if (!reply.fills.empty() || !is_terminal(order.status)) book_changed(order.symbol);
}

void MarketData::on_cancel(const OrderReply& reply) {
  if (reply.reject != RejectReason::None || reply.order.symbol >= symbols_.size()) return;
  book_changed(reply.order.symbol);
}

void MarketData::add_to_bucket(Bucket& b, const Trade& t) {
  if (b.count == 0) {
    b.open = b.high = b.low = t.price;
    b.first_id = t.id;
  }
  b.high = std::max(b.high, t.price);
  b.low = std::min(b.low, t.price);
  b.close = t.price;
  b.last_id = t.id;
  b.volume += t.qty;
  b.quote_volume += static_cast<Int128>(t.price) * t.qty;
  b.count++;
}

void MarketData::record_trade(SymbolId symbol, std::uint64_t trade_id, Ticks price, Lots qty,
                              std::uint64_t taker_order, Side taker_side, std::int64_t time_ns) {
  Symbol& s = symbols_[symbol];
  // Never backwards: a stepped-back wall clock must not reopen an older minute.
  if (s.traded) time_ns = std::max(time_ns, s.last_time_ns);
  const Trade t{trade_id, price, qty, time_ns, taker_order, taker_side == Side::Sell};
  s.ring[s.next] = t;
  s.next = (s.next + 1) % capacity_;
  s.size = std::min(s.size + 1, capacity_);
  const std::int64_t minute = minute_of(time_ns);
  Bucket& b = s.buckets[slot_of(minute)];
  if (b.count != 0 && b.minute != minute) {
    // At least a day old: out of every window from now on, except as the close before one.
    if (s.evicted.count == 0 || b.minute > s.evicted.minute) s.evicted = b;
    b = Bucket{};
  }
  b.minute = minute;
  add_to_bucket(b, t);
  s.last_time_ns = time_ns;
  s.last_price = price;
  s.last_qty = qty;
  s.traded = true;
}

std::optional<std::pair<Ticks, Lots>> MarketData::last_trade(SymbolId symbol) const {
  const Symbol& s = symbols_[symbol];
  if (!s.traded) return std::nullopt;
  return std::make_pair(s.last_price, s.last_qty);
}

std::int64_t MarketData::last_time_ns() const {
  std::int64_t last = 0;
  for (const Symbol& s : symbols_) {
    if (s.traded) last = std::max(last, s.last_time_ns);
  }
  return last;
}

void MarketData::trades(SymbolId symbol, const TradeQuery& query,
                        std::vector<PublicTrade>& out) const {
  const Symbol& s = symbols_[symbol];
  std::vector<PublicTrade> all;
  all.reserve(s.size);
  for (std::size_t i = 0; i < s.size; ++i) {
    const Trade& t = kept(s, i);
    if (query.aggregate && !all.empty()) {
      // Consecutive trades of one taker order at one price are one aggregate trade
      // (they share the command, so their time too).
      const Trade& prev = kept(s, i - 1);
      PublicTrade& a = all.back();
      if (prev.taker_order == t.taker_order && prev.price == t.price &&
          prev.buyer_maker == t.buyer_maker) {
        a.qty += t.qty;
        a.last_id = t.id;
        continue;
      }
    }
    all.push_back(PublicTrade{t.id, t.id, t.price, t.qty, t.time_ns, t.buyer_maker});
  }
  const auto pass = [&query](const PublicTrade& t) {
    return (!query.from_id || t.id >= *query.from_id) &&
           (!query.start_ns || t.time_ns >= *query.start_ns) &&
           (!query.end_ns || t.time_ns <= *query.end_ns);
  };
  std::size_t first = 0;
  std::size_t passing = 0;
  for (const PublicTrade& t : all) passing += pass(t) ? 1 : 0;
  const bool from_start = query.from_id.has_value() || query.start_ns.has_value();
  // Without a start, skip the oldest passing ones beyond `limit`.
  std::size_t skip = from_start || passing <= query.limit ? 0 : passing - query.limit;
  std::size_t taken = 0;
  for (; first < all.size() && taken < query.limit; ++first) {
    if (!pass(all[first])) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    out.push_back(all[first]);
    ++taken;
  }
}

DayStats MarketData::day(SymbolId symbol, std::int64_t now_ns) const {
  const Symbol& s = symbols_[symbol];
  if (s.traded) now_ns = std::max(now_ns, s.last_time_ns);
  DayStats d;
  d.close_time_ns = now_ns;
  d.open_time_ns = now_ns - kDayNs;
  const std::int64_t now_minute = minute_of(now_ns);
  const std::int64_t first_minute = now_minute - (kMinutes - 1);
  const Bucket* oldest = nullptr;
  const Bucket* newest = nullptr;
  const Bucket* before =
      s.evicted.count != 0 && s.evicted.minute < first_minute ? &s.evicted : nullptr;
  for (const Bucket& b : s.buckets) {
    if (b.count == 0) continue;
    if (b.minute < first_minute) {
      if (before == nullptr || b.minute > before->minute) before = &b;
      continue;
    }
    if (b.minute > now_minute) continue;  // cannot happen: now is at or after the last trade
    if (d.count == 0) {
      d.high = b.high;
      d.low = b.low;
    }
    d.high = std::max(d.high, b.high);
    d.low = std::min(d.low, b.low);
    d.volume += b.volume;
    d.quote_volume += b.quote_volume;
    d.count += b.count;
    if (oldest == nullptr || b.minute < oldest->minute) oldest = &b;
    if (newest == nullptr || b.minute > newest->minute) newest = &b;
  }
  d.prev_close = before != nullptr ? before->close : 0;
  d.last_qty = s.last_qty;
  if (d.count == 0) {
    d.open = d.high = d.low = d.last = s.last_price;
    return d;
  }
  d.open = oldest->open;
  d.first_id = oldest->first_id;
  d.last = newest->close;
  d.last_id = newest->last_id;
  return d;
}

// ---- snapshot ----

void MarketData::put_bucket(binary::Writer& out, const Bucket& b) {
  out.put(b.minute);
  out.put(b.count);
  out.put(b.open);
  out.put(b.high);
  out.put(b.low);
  out.put(b.close);
  out.put(b.volume);
  put128(out, b.quote_volume);
  out.put(b.first_id);
  out.put(b.last_id);
}

bool MarketData::get_bucket(binary::Reader& in, Bucket& b) {
  return in.get(b.minute) && in.get(b.count) && in.get(b.open) && in.get(b.high) && in.get(b.low) &&
         in.get(b.close) && in.get(b.volume) && get128(in, b.quote_volume) && in.get(b.first_id) &&
         in.get(b.last_id);
}

void MarketData::serialize(binary::Writer& out) const {
  out.put(static_cast<std::uint32_t>(symbols_.size()));
  for (const Symbol& s : symbols_) {
    out.put(s.update_id);
    out.put(static_cast<std::uint8_t>(s.traded));
    out.put(s.last_time_ns);
    out.put(s.last_price);
    out.put(s.last_qty);
    out.put(static_cast<std::uint64_t>(s.size));
    for (std::size_t i = 0; i < s.size; ++i) {
      const Trade& t = kept(s, i);
      out.put(t.id);
      out.put(t.price);
      out.put(t.qty);
      out.put(t.time_ns);
      out.put(t.taker_order);
      out.put(static_cast<std::uint8_t>(t.buyer_maker));
    }
    std::uint32_t used = 0;
    for (const Bucket& b : s.buckets) used += b.count != 0 ? 1 : 0;
    out.put(used);
    for (const Bucket& b : s.buckets) {
      if (b.count != 0) put_bucket(out, b);
    }
    put_bucket(out, s.evicted);
  }
}

Status MarketData::restore(binary::Reader& in) {
  auto fail = [](const std::string& what) {
    return Status::corruption("engine snapshot: market data: " + what);
  };
  std::uint32_t symbols = 0;
  if (!in.get(symbols)) return fail("truncated");
  if (symbols != symbols_.size()) return fail("the configured symbols differ");
  for (Symbol& s : symbols_) {
    std::uint8_t traded = 0;
    std::uint64_t kept_trades = 0;
    if (!in.get(s.update_id) || !in.get(traded) || !in.get(s.last_time_ns) ||
        !in.get(s.last_price) || !in.get(s.last_qty) || !in.get(kept_trades) || traded > 1) {
      return fail("truncated symbol");
    }
    s.traded = traded != 0;
    for (std::uint64_t k = 0; k < kept_trades; ++k) {
      Trade t;
      std::uint8_t buyer_maker = 0;
      if (!in.get(t.id) || !in.get(t.price) || !in.get(t.qty) || !in.get(t.time_ns) ||
          !in.get(t.taker_order) || !in.get(buyer_maker) || buyer_maker > 1) {
        return fail("truncated trade");
      }
      t.buyer_maker = buyer_maker != 0;
      // A ring smaller than the one that wrote the snapshot keeps the newest.
      s.ring[s.next] = t;
      s.next = (s.next + 1) % capacity_;
      s.size = std::min(s.size + 1, capacity_);
    }
    std::uint32_t used = 0;
    if (!in.get(used) || used > kMinutes) return fail("bad bucket count");
    for (std::uint32_t k = 0; k < used; ++k) {
      Bucket b;
      if (!get_bucket(in, b) || b.count == 0) return fail("bad bucket");
      Bucket& slot = s.buckets[slot_of(b.minute)];
      if (slot.count != 0) return fail("two buckets in one minute slot");
      slot = b;
    }
    if (!get_bucket(in, s.evicted)) return fail("truncated bucket");
  }
  return Status();
}

std::uint64_t MarketData::hash(std::uint64_t h) const {
  auto mix = [&h](std::uint64_t v) { h = fnv1a(v, h); };
  auto mix_bucket = [&mix](const Bucket& b) {
    mix(static_cast<std::uint64_t>(b.minute));
    mix(b.count);
    mix(static_cast<std::uint64_t>(b.open));
    mix(static_cast<std::uint64_t>(b.high));
    mix(static_cast<std::uint64_t>(b.low));
    mix(static_cast<std::uint64_t>(b.close));
    mix(static_cast<std::uint64_t>(b.volume));
    mix(static_cast<std::uint64_t>(b.quote_volume));
    mix(static_cast<std::uint64_t>(static_cast<U128>(b.quote_volume) >> 64));
    mix(b.first_id);
    mix(b.last_id);
  };
  for (const Symbol& s : symbols_) {
    mix(s.update_id);
    mix(s.traded ? 1 : 0);
    mix(static_cast<std::uint64_t>(s.last_time_ns));
    mix(static_cast<std::uint64_t>(s.last_price));
    mix(static_cast<std::uint64_t>(s.last_qty));
    mix(s.size);
    for (std::size_t i = 0; i < s.size; ++i) {
      const Trade& t = kept(s, i);
      mix(t.id);
      mix(static_cast<std::uint64_t>(t.price));
      mix(static_cast<std::uint64_t>(t.qty));
      mix(static_cast<std::uint64_t>(t.time_ns));
      mix(t.taker_order);
      mix(t.buyer_maker ? 1 : 0);
    }
    for (const Bucket& b : s.buckets) {
      if (b.count != 0) mix_bucket(b);
    }
    mix_bucket(s.evicted);
  }
  return h;
}

bool MarketData::check_invariants(std::string* why) const {
  auto fail = [why](std::string msg) {
    if (why != nullptr) *why = std::move(msg);
    return false;
  };
  for (std::size_t sym = 0; sym < symbols_.size(); ++sym) {
    const Symbol& s = symbols_[sym];
    const std::string name = "market data of symbol " + std::to_string(sym) + ": ";
    if (s.size > capacity_ || s.next >= capacity_) return fail(name + "ring out of bounds");
    for (std::size_t i = 1; i < s.size; ++i) {
      if (kept(s, i).id <= kept(s, i - 1).id || kept(s, i).time_ns < kept(s, i - 1).time_ns) {
        return fail(name + "kept trades out of order");
      }
    }
    if (s.size > 0 && (kept(s, s.size - 1).price != s.last_price || !s.traded)) {
      return fail(name + "the last price is not the newest trade's");
    }
    for (std::size_t k = 0; k < s.buckets.size(); ++k) {
      const Bucket& b = s.buckets[k];
      if (b.count == 0) continue;
      if (slot_of(b.minute) != k) return fail(name + "a bucket in another minute's slot");
      if (b.minute > minute_of(s.last_time_ns)) return fail(name + "a bucket after the last trade");
      if (b.low > b.high || b.open < b.low || b.open > b.high || b.close < b.low ||
          b.close > b.high || b.first_id > b.last_id) {
        return fail(name + "a bucket's prices or ids disagree");
      }
    }
  }
  return true;
}

}  // namespace spot
