// What the cache keeps in Redis, and how: key names and value encodings, for the writer
// (cache_writer.h) and for readers. Pure.
//
// Keys, for key prefix P and epoch E (docs/cache.md):
//   P:epoch             the epoch counter (INCR on every new epoch); no TTL
//   P:E:seq             the last journal record whose batch is written in epoch E
//   P:E:order:ID        the order's latest state, with the journal record it reflects
//   P:E:trades:ID       the order's trades, oldest first (a list; complete only when their
//                       quantities add up to the order's executedQty)
//   P:E:open:ACCOUNT    the account's live order ids, with the record they reflect
//   P:E:depth:SYMBOL    the top price levels of the symbol's book, with the record
// Values are JSON objects; prices and quantities are exact decimal strings in the
// symbol's units, as in PostgreSQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/engine/commands.h"
#include "spot/engine/symbol.h"
#include "spot/store/projection.h"

namespace spot {

class CacheKeys {
 public:
  // REQUIRES: epoch >= 1.
  CacheKeys(std::string_view prefix, std::uint64_t epoch);

  static std::string epoch_counter(std::string_view prefix);
  std::uint64_t epoch() const { return epoch_; }
  std::string seq() const;
  std::string order(std::uint64_t order_id) const;
  std::string trades(std::uint64_t order_id) const;
  std::string open_orders(std::uint64_t account_id) const;
  std::string depth(std::string_view symbol) const;

 private:
  std::string make(std::string_view kind, std::string_view id) const;

  std::string stem_;  // "P:E:"
  std::uint64_t epoch_;
};

// An order as the cache holds it: the record a reader answers with, the journal record
// that last changed it, and that record's time.
struct CachedOrder {
  OrderRecord record;
  std::uint64_t seq = 0;
  std::int64_t updated_us = 0;
};

struct CachedTrade {
  TradeRow trade;  // correlation_id is not kept
};

struct CachedOpenOrders {
  std::uint64_t seq = 0;
  std::vector<std::uint64_t> order_ids;  // ascending
};

struct CachedDepth {
  std::uint64_t seq = 0;
  DepthReply depth;
};

std::string encode_order(const OrderRow& row, const SymbolSpec& spec);
std::string encode_trade(const TradeRow& trade, const SymbolSpec& spec);
std::string encode_open_orders(std::uint64_t seq, const std::vector<std::uint64_t>& order_ids);
std::string encode_depth(std::uint64_t seq, const DepthReply& depth, const SymbolSpec& spec);

// nullopt for anything that does not decode, or names a symbol `symbols` does not have,
// or a price or quantity off its grid: a reader treats it as a miss.
std::optional<CachedOrder> decode_order(std::string_view text, const SymbolTable& symbols);
std::optional<CachedTrade> decode_trade(std::string_view text, const SymbolTable& symbols);
std::optional<CachedOpenOrders> decode_open_orders(std::string_view text);
std::optional<CachedDepth> decode_depth(std::string_view text, const SymbolTable& symbols);

}  // namespace spot
