// SymbolMoney: how one symbol's orders and trades move money. Its two assets, how many
// of their smallest units one lot and one tick-lot are, and its fees; what an order
// pays with and what a resting order keeps locked.
//
// The Engine and the W1-B core benchmark (bench/workload/core_balances.h) both lock by
// these rules, so that the benchmark times the engine's own arithmetic.
//
// The side of an order is a coin toss to a branch predictor (half the orders of W1 buy),
// so what depends on it is picked from a two-entry table, not branched on: a mispredicted
// branch costs more than the rest of the arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>

#include "spot/core/types.h"
#include "spot/engine/balances.h"
#include "spot/engine/symbol.h"

namespace spot {

struct SymbolMoney {
  AssetId base = 0;
  AssetId quote = 0;
  std::int64_t base_per_lot = 1;        // base units in one lot
  std::int64_t quote_per_tick_lot = 1;  // quote units in one tick times one lot
  std::int32_t maker_fee_bps = 0;
  std::int32_t taker_fee_bps = 0;

  // The asset an order on `side` pays with: the quote asset for a buy, the base asset
  // for a sell.
  AssetId paying(Side side) const {
    const AssetId pays[2] = {quote, base};
    return pays[side_index(side)];
  }

  // What a limit order on `side` at `price` locks for `qty` lots: price x qty of the
  // quote asset for a buy, qty of the base asset for a sell. Exact in 128 bits, for
  // checking an order before it is accepted (or a damaged snapshot's orders).
  Int128 lock_of(Side side, Ticks price, Int128 qty) const {
    const Int128 per_lot[2] = {static_cast<Int128>(price) * quote_per_tick_lot, base_per_lot};
    return per_lot[side_index(side)] * qty;
  }
  // The same for an order already accepted, whose whole lock was checked to fit int64
  // (so does any part of it): what a resting order holds, what a cancel releases.
  // A buy's price x tick-lot is worked out for a sell too (no branch), where it may not
  // fit: in unsigned arithmetic, which wraps instead of overflowing, and is exact
  // whenever the buy's lock fits.
  std::int64_t held_by(Side side, Ticks price, Lots qty) const {
    const std::int64_t per_lot[2] = {
        static_cast<std::int64_t>(static_cast<std::uint64_t>(price) *
                                  static_cast<std::uint64_t>(quote_per_tick_lot)),
        base_per_lot};
    return per_lot[side_index(side)] * qty;
  }

 private:
  static_assert(static_cast<int>(Side::Buy) == 0 && static_cast<int>(Side::Sell) == 1);
  static std::size_t side_index(Side side) { return static_cast<std::size_t>(side); }
};

// A symbol's money: its assets as the Balances registered them, its units from its
// spec (0 when a grid is not whole units of its assets: config validation refuses
// those for an engine that checks balances).
inline SymbolMoney money_of(const SymbolSpec& spec, AssetId base, AssetId quote) {
  SymbolMoney m;
  m.base = base;
  m.quote = quote;
  m.base_per_lot = units_per_lot(spec);
  m.quote_per_tick_lot = units_per_tick_lot(spec);
  m.maker_fee_bps = spec.maker_fee_bps;
  m.taker_fee_bps = spec.taker_fee_bps;
  return m;
}

}  // namespace spot
