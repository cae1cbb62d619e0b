// What the book reports. Every call into the book appends events to a caller-owned
// buffer; the book itself does no I/O, reads no clock and logs nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "spot/core/reject_reason.h"
#include "spot/core/types.h"

namespace spot {

enum class EventType : std::uint8_t {
  Accepted = 0,  // a new order passed validation; always the first event of an order
  Trade = 1,     // order_id (taker) matched maker_id at the maker's price
  Canceled = 2,  // qty = the quantity removed from the book
  Expired = 3,   // IOC/MARKET remainder, or an unfillable FOK; qty = quantity not filled
  Rejected = 4,  // reason says why; nothing else changed
};

struct Event {
  EventType type = EventType::Accepted;
  Side side = Side::Buy;  // side of order_id (the taker, for a trade)
  RejectReason reason = RejectReason::None;
  SymbolId symbol = 0;
  OrderId order_id;
  AccountId account;   // owner of order_id
  Ticks price = 0;     // Accepted: limit price (0 for market); Trade: execution price
  Lots qty = 0;        // Accepted: order quantity; Trade: traded; Canceled/Expired: removed
  Lots remaining = 0;  // Trade: taker quantity left after this trade
  // Trade only:
  OrderId maker_id;
  AccountId maker_account;
  Lots maker_remaining = 0;
  TradeId trade_id;  // stamped by the engine, not by the book
};

// An event about one order (not a trade): accepted, rejected, canceled or expired.
inline Event order_event(EventType type, SymbolId symbol, OrderId id, AccountId account, Side side,
                         Ticks price, Lots qty, RejectReason reason = RejectReason::None) {
  Event e;
  e.type = type;
  e.side = side;
  e.reason = reason;
  e.symbol = symbol;
  e.order_id = id;
  e.account = account;
  e.price = price;
  e.qty = qty;
  return e;
}

using EventBuffer = std::vector<Event>;

}  // namespace spot
