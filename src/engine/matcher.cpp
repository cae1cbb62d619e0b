#include "spot/engine/matcher.h"

#include "spot/core/assert.h"

namespace spot {

Matcher::Matcher(std::vector<SymbolSpec> symbols, BookCapacity capacity)
    : specs_(std::move(symbols)) {
  SPOT_ASSERT(specs_.size() <= 0xFFFF, "matcher: at most 65535 symbols");
  books_.reserve(specs_.size());
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    books_.emplace_back(static_cast<SymbolId>(i), capacity);
  }
}

RejectReason Matcher::validate(const OrderRequest& order) const {
  if (order.symbol >= specs_.size()) return RejectReason::UnknownSymbol;
  if (order.id.value <= last_order_id_) return RejectReason::DuplicateOrderId;
  const SymbolSpec& spec = specs_[order.symbol];
  if (order.qty < spec.min_qty || order.qty > spec.max_qty) return RejectReason::BadQuantity;
  if (order.type == OrderType::Market) {
    if (order.tif == TimeInForce::Gtc) return RejectReason::BadOrderType;
    return RejectReason::None;
  }
  if (order.price < spec.min_price || order.price > spec.max_price) return RejectReason::BadPrice;
  return RejectReason::None;
}

void Matcher::submit(const OrderRequest& order, EventBuffer& out) {
  const RejectReason reason = validate(order);
  if (reason != RejectReason::None) {
    out.push_back(order_event(EventType::Rejected, order.symbol, order.id, order.account,
                              order.side, order.price, order.qty, reason));
    return;
  }
  last_order_id_ = order.id.value;
  const std::size_t first = out.size();
  books_[order.symbol].submit(order, out);
  for (std::size_t i = first; i < out.size(); ++i) {
    if (out[i].type == EventType::Trade) out[i].trade_id = TradeId{++last_trade_id_};
  }
}

void Matcher::cancel(const CancelOrder& cancel, EventBuffer& out) {
  if (cancel.symbol >= specs_.size()) {
    Event e;
    e.type = EventType::Rejected;
    e.symbol = cancel.symbol;
    e.order_id = cancel.id;
    e.account = cancel.account;
    e.reason = RejectReason::UnknownSymbol;
    out.push_back(e);
    return;
  }
  books_[cancel.symbol].cancel(cancel.id, out, cancel.account);
}

bool Matcher::check_invariants(std::string* why) const {
  for (const OrderBook& book : books_) {
    if (!book.check_invariants(why)) return false;
  }
  return true;
}

}  // namespace spot
