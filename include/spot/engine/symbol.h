// What the engine knows about a tradable symbol: its grid and bounds.
#pragma once

#include <string>

#include "spot/core/decimal.h"
#include "spot/core/types.h"

namespace spot {

struct SymbolSpec {
  std::string name;
  Decimal tick_size{1, 2};  // price of one tick, e.g. 0.01
  Decimal lot_size{1, 3};   // quantity of one lot, e.g. 0.001
  Ticks min_price = 1;      // in ticks, inclusive
  Ticks max_price = 1'000'000'000;
  Lots min_qty = 1;  // in lots, inclusive
  Lots max_qty = 1'000'000'000;
};

}  // namespace spot
