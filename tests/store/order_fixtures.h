// Commands for the projection tests: one symbol and limit orders on it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "spot/engine/commands.h"
#include "spot/engine/symbol.h"

namespace spot::test {

inline SymbolSpec btc() {
  SymbolSpec s;
  s.name = "BTC-USDT";
  return s;  // tick 0.01, lot 0.001
}

inline SubmitOrder limit(std::uint64_t account, Side side, Ticks price, Lots qty,
                         std::string client_id = "") {
  SubmitOrder o;
  o.account = AccountId{account};
  o.symbol = 0;
  o.side = side;
  o.type = OrderType::Limit;
  o.tif = TimeInForce::Gtc;
  o.price = price;
  o.qty = qty;
  o.client_order_id = std::move(client_id);
  return o;
}

}  // namespace spot::test
