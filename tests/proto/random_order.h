// Random orders and fills for the tests that compare a hand-written reply with the
// nlohmann document it replaced (http_json_test, binance_json_test): ids at the top of
// uint64, prices and quantities up to 2^62, every side, type, time in force and status,
// and client order ids with quotes, backslashes, control characters and bytes that are
// not UTF-8 (which the APIs refuse but a writer must still escape or pass on).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "spot/engine/commands.h"

namespace spot::proto {

class RandomOrders {
 public:
  explicit RandomOrders(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t next() { return rng_(); }
  std::uint64_t pick(std::uint64_t n) { return rng_() % n; }

  // Up to 11 characters, some of them JSON's special ones or not UTF-8.
  std::string text() {
    static const std::string kChars =
        std::string("aZ09._:-\"\\/ \x7f\xc3\xa9") + '\0' + "\b\f\n\r\t\x01\x1f";
    std::string s;
    for (std::uint64_t k = pick(12); k > 0; --k) s += kChars[pick(kChars.size())];
    return s;
  }

  // The `i`th order of a run: every 7th has an id at the top of uint64.
  OrderRecord order(int i) {
    OrderRecord o;
    o.id = OrderId{i % 7 == 0 ? ~std::uint64_t{0} - pick(3) : rng_()};
    o.symbol = static_cast<SymbolId>(pick(2));
    o.side = pick(2) == 0 ? Side::Buy : Side::Sell;
    o.type = pick(3) == 0 ? OrderType::Market : OrderType::Limit;
    o.post_only = o.type == OrderType::Limit && pick(4) == 0;
    o.tif = static_cast<TimeInForce>(pick(3));
    o.status = static_cast<OrderStatus>(pick(6));
    o.price = static_cast<Ticks>(pick(4) == 0 ? pick(10) : rng_() >> 2);
    o.qty = static_cast<Lots>(rng_() >> 2);
    o.executed = pick(3) == 0 ? 0 : static_cast<Lots>(pick(1'000'000));
    o.quote_qty = pick(2) == 0 ? 0 : static_cast<std::int64_t>(rng_() >> 1);
    o.client_order_id = text();
    return o;
  }

  // Up to three fills.
  std::vector<Fill> fills() {
    std::vector<Fill> out(pick(4));
    for (Fill& f : out) {
      f = Fill{TradeId{rng_()}, static_cast<Ticks>(rng_() >> 2), static_cast<Lots>(rng_() >> 2),
               static_cast<std::int64_t>(rng_() >> 2), static_cast<std::int64_t>(pick(1u << 20))};
    }
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace spot::proto
