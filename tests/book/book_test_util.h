// Helpers shared by the book tests: compact event formatting and order builders.
#pragma once

#include <string>
#include <vector>

#include "spot/book/events.h"
#include "spot/book/order_book.h"

namespace spot::test {

inline std::string describe(const Event& e) {
  const std::string id = std::to_string(e.order_id.value);
  switch (e.type) {
    case EventType::Accepted:
      return "accepted " + id;
    case EventType::Trade:
      return "trade " + id + " x " + std::to_string(e.maker_id.value) + " @" +
             std::to_string(e.price) + " q" + std::to_string(e.qty) + " r" +
             std::to_string(e.remaining) + " mr" + std::to_string(e.maker_remaining);
    case EventType::Canceled:
      return "canceled " + id + " q" + std::to_string(e.qty);
    case EventType::Expired:
      return "expired " + id + " q" + std::to_string(e.qty);
    case EventType::Rejected:
      return "rejected " + id + " " + std::string(to_string(e.reason));
  }
  return "?";
}

inline std::vector<std::string> describe(const EventBuffer& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(describe(e));
  return out;
}

inline std::string describe(const std::vector<DepthLevel>& levels) {
  std::string out;
  for (const DepthLevel& l : levels) {
    if (!out.empty()) out += ' ';
    out += std::to_string(l.price) + ":" + std::to_string(l.qty) + "/" + std::to_string(l.orders);
  }
  return out;
}

inline OrderRequest buy(std::uint64_t id, Ticks price, Lots qty,
                        TimeInForce tif = TimeInForce::Gtc) {
  return OrderRequest{{AccountId{1}, 0, Side::Buy, OrderType::Limit, tif, price, qty}, OrderId{id}};
}
inline OrderRequest sell(std::uint64_t id, Ticks price, Lots qty,
                         TimeInForce tif = TimeInForce::Gtc) {
  return OrderRequest{{AccountId{1}, 0, Side::Sell, OrderType::Limit, tif, price, qty},
                      OrderId{id}};
}
inline OrderRequest market(std::uint64_t id, Side side, Lots qty,
                           TimeInForce tif = TimeInForce::Ioc) {
  return OrderRequest{{AccountId{1}, 0, side, OrderType::Market, tif, 0, qty}, OrderId{id}};
}

}  // namespace spot::test
