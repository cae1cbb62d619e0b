// Matcher: one OrderBook per configured symbol, and the validation every order passes
// before it reaches a book. Like the book, it is pure: no I/O, no clock, no logging.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/book/events.h"
#include "spot/book/order_book.h"
#include "spot/core/result.h"
#include "spot/engine/symbol.h"

namespace spot {

struct CancelOrder {
  OrderId id;
  SymbolId symbol = 0;
  AccountId account;  // when valid, only the owner may cancel (else NotOwner)
};

class Matcher {
 public:
  // REQUIRES: symbol names are unique; at most 65535 symbols.
  explicit Matcher(std::vector<SymbolSpec> symbols, BookCapacity capacity = {});

  // Appends the events of one new order. A reject (unknown symbol, bad price or
  // quantity, bad type, duplicate or non-increasing id) is one Rejected event and
  // changes nothing. Trades are stamped with consecutive trade ids.
  void submit(const OrderRequest& order, EventBuffer& out);

  // Appends Canceled, or Rejected with UnknownSymbol, UnknownOrder or NotOwner.
  void cancel(const CancelOrder& cancel, EventBuffer& out);

  const SymbolSpec& spec(SymbolId symbol) const { return specs_[symbol]; }
  const OrderBook& book(SymbolId symbol) const { return books_[symbol]; }
  std::size_t symbol_count() const { return specs_.size(); }

  std::uint64_t last_order_id() const { return last_order_id_; }
  std::uint64_t last_trade_id() const { return last_trade_id_; }

  // For rebuilding from a snapshot. REQUIRES: order.symbol < symbol_count().
  bool restore(SymbolId symbol, const RestingOrder& order) { return books_[symbol].restore(order); }
  void restore_counters(std::uint64_t last_order_id, std::uint64_t last_trade_id) {
    last_order_id_ = last_order_id;
    last_trade_id_ = last_trade_id;
  }

  bool check_invariants(std::string* why = nullptr) const;

  // The reason submit would reject `order` for (None if it would not).
  RejectReason validate(const OrderRequest& order) const;

 private:
  std::vector<SymbolSpec> specs_;
  std::vector<OrderBook> books_;
  std::uint64_t last_order_id_ = 0;
  std::uint64_t last_trade_id_ = 0;
};

}  // namespace spot
