// MarketData: the public market data of every symbol, as the Binance-compatible API and
// /api/v1 serve it (docs/market-data.md): the newest trades, the last price, rolling
// 24-hour statistics, and a number that grows whenever the symbol's book changes.
//
// It is engine state like any other: the Engine feeds it from the reply of every
// order and cancel it executes, stamped with the time the matching thread recorded in
// that command's journal record. Replaying the journal therefore rebuilds it exactly,
// and the engine snapshot carries it (format 4). Like the book it reads no clock: the
// time of a trade and the "now" of a statistics read are inputs.
//
// Per symbol:
// - a ring of the newest `trades_kept` trades (id, price, qty, time, taker order, taker
//   side), preallocated: recording a trade allocates nothing;
// - 1,440 one-minute buckets (open/high/low/close, volume, quote volume, count, first and
//   last trade id) indexed by minute modulo 1,440, also preallocated. A trade in a new
//   minute resets the bucket that minute's slot last held, which is then at least 24
//   hours old. The statistics at `now` combine the buckets of the 1,440 minutes ending
//   with now's minute, so the window is 24 hours at minute granularity (Binance's
//   rolling windows are too: "no more than 59999 ms from the requested windowSize");
// - the book update id: +1 for every command that changed the book (an order that
//   traded or came to rest, a cancel).
//
// Trade times never go backwards here: a wall clock stepped back stamps later trades
// with the last time seen, so buckets stay in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spot/core/binary.h"
#include "spot/core/status.h"
#include "spot/core/types.h"

namespace spot {

struct OrderReply;

// A public trade, or (aggregated) a run of consecutive trades of one taker order at one
// price, as Binance's aggTrades reports them.
struct PublicTrade {
  std::uint64_t id = 0;       // trade id; of an aggregate, its first trade's id
  std::uint64_t last_id = 0;  // an aggregate's last trade id (== id for a single trade)
  Ticks price = 0;
  Lots qty = 0;
  std::int64_t time_ns = 0;
  bool buyer_maker = false;  // the taker sold
};

// Which kept trades a read wants. Filters are inclusive; an aggregate is judged by its
// first trade (id and time).
struct TradeQuery {
  std::size_t limit = 500;
  bool aggregate = false;
  std::optional<std::uint64_t> from_id;
  std::optional<std::int64_t> start_ns;
  std::optional<std::int64_t> end_ns;
  // With from_id or start_ns: the oldest `limit` that pass the filters; without: the
  // newest `limit`. Either way oldest first.
};

// The rolling 24-hour statistics of a symbol at a time. With no trade in the window
// (count 0), open/high/low/last are the last price ever (0 if none), so the change is 0.
struct DayStats {
  std::int64_t open_time_ns = 0;   // now - 24 h
  std::int64_t close_time_ns = 0;  // now
  Ticks open = 0;
  Ticks high = 0;
  Ticks low = 0;
  Ticks last = 0;
  Lots last_qty = 0;
  Ticks prev_close = 0;  // the last price before the window (0: none kept)
  Lots volume = 0;
  Int128 quote_volume = 0;  // sum of price x qty, in ticks x lots
  std::uint64_t count = 0;
  std::uint64_t first_id = 0;  // 0 when count is 0
  std::uint64_t last_id = 0;
};

class MarketData {
 public:
  static constexpr int kMinutes = 1'440;
  static constexpr std::int64_t kMinuteNs = 60'000'000'000;
  static constexpr std::int64_t kDayNs = kMinutes * kMinuteNs;

  // REQUIRES: trades_kept >= 1.
  MarketData(std::size_t symbols, std::size_t trades_kept);

  // The effects of an executed submit or cancel on the public data: its fills become
  // trades at `time_ns` (ns since the Unix epoch), and a reply that changed the book
  // moves the symbol's update id. Rejected and replayed (idempotent) replies change
  // nothing. Allocates nothing.
  void on_submit(const OrderReply& reply, std::int64_t time_ns);
  void on_cancel(const OrderReply& reply);

  // One trade (on_submit's steps, for tests and replays of single trades).
  void record_trade(SymbolId symbol, std::uint64_t trade_id, Ticks price, Lots qty,
                    std::uint64_t taker_order, Side taker_side, std::int64_t time_ns);
  void book_changed(SymbolId symbol) { symbols_[symbol].update_id++; }

  std::size_t symbol_count() const { return symbols_.size(); }
  std::size_t trades_kept() const { return capacity_; }
  std::uint64_t update_id(SymbolId symbol) const { return symbols_[symbol].update_id; }
  // The last trade's price and quantity; nullopt before the first trade.
  std::optional<std::pair<Ticks, Lots>> last_trade(SymbolId symbol) const;
  std::size_t trade_count(SymbolId symbol) const { return symbols_[symbol].size; }
  // The time of the latest trade of any symbol; 0 before the first.
  std::int64_t last_time_ns() const;

  // Appends the kept trades `query` selects to `out`, oldest first.
  void trades(SymbolId symbol, const TradeQuery& query, std::vector<PublicTrade>& out) const;
  // The statistics of the 24 hours ending at `now_ns` (or at the last trade, if later).
  DayStats day(SymbolId symbol, std::int64_t now_ns) const;

  // The state in the engine snapshot's binary form, and back. `restore` REQUIRES a fresh
  // MarketData with the same symbol count; a snapshot kept more trades than this one
  // keeps: the newest stay.
  void serialize(binary::Writer& out) const;
  Status restore(binary::Reader& in);
  // Folds the whole state into an FNV-1a digest (Engine::state_hash).
  std::uint64_t hash(std::uint64_t h) const;
  bool check_invariants(std::string* why = nullptr) const;

 private:
  struct Trade {
    std::uint64_t id = 0;
    Ticks price = 0;
    Lots qty = 0;
    std::int64_t time_ns = 0;
    std::uint64_t taker_order = 0;
    bool buyer_maker = false;
  };
  struct Bucket {
    std::int64_t minute = 0;  // time_ns / kMinuteNs of its trades
    std::uint64_t count = 0;  // 0: empty
    Ticks open = 0;
    Ticks high = 0;
    Ticks low = 0;
    Ticks close = 0;
    Lots volume = 0;
    Int128 quote_volume = 0;
    std::uint64_t first_id = 0;
    std::uint64_t last_id = 0;
  };
  struct Symbol {
    std::vector<Trade> ring;  // capacity_ slots
    std::size_t next = 0;     // slot the next trade takes
    std::size_t size = 0;
    std::vector<Bucket> buckets;  // kMinutes slots, by minute % kMinutes
    Bucket evicted;               // the newest bucket a later minute overwrote (prev close)
    std::uint64_t update_id = 0;
    std::int64_t last_time_ns = 0;
    Ticks last_price = 0;
    Lots last_qty = 0;
    bool traded = false;  // any trade ever (the last price is kept past the ring)
  };

  // The i-th kept trade, oldest first. REQUIRES: i < size.
  const Trade& kept(const Symbol& s, std::size_t i) const {
    return s.ring[(s.next + capacity_ - s.size + i) % capacity_];
  }
  static void add_to_bucket(Bucket& b, const Trade& t);
  static void put_bucket(binary::Writer& out, const Bucket& b);
  static bool get_bucket(binary::Reader& in, Bucket& b);

  std::size_t capacity_;
  std::vector<Symbol> symbols_;
};

}  // namespace spot
