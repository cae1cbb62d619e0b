// What the engine knows about a tradable symbol (its grid and bounds), and the
// immutable table of every configured symbol that the network side validates against.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spot/core/decimal.h"
#include "spot/core/result.h"
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
  // The assets traded: empty names are derived from the symbol's name ("BTC-USDT" ->
  // BTC, USDT; base_asset_of / quote_asset_of). Balances count each asset in its
  // smallest unit, 10^-decimals: one lot must be a whole number of base units and one
  // tick times one lot a whole number of quote units (units_per_lot, units_per_tick_lot).
  std::string base_asset;
  std::string quote_asset;
  int base_decimals = 8;
  int quote_decimals = 8;
  // Fees in basis points of what each side receives, credited to the fee account.
  std::int32_t maker_fee_bps = 0;
  std::int32_t taker_fee_bps = 0;
};

// The spec's asset names, derived from its name when not configured: the text before
// and after the first '-' (the whole name and "" when there is none).
std::string base_asset_of(const SymbolSpec& spec);
std::string quote_asset_of(const SymbolSpec& spec);
// Smallest units of the base asset in one lot, of the quote asset in one tick times
// one lot; 0 if not a whole positive number that fits in int64.
std::int64_t units_per_lot(const SymbolSpec& spec);
std::int64_t units_per_tick_lot(const SymbolSpec& spec);

// An asset the symbols trade, and its smallest unit (10^-decimals).
struct AssetSpec {
  std::string name;
  int decimals = 8;
};
// The assets `specs` name, each once, in the order they first appear (each symbol's
// base, then its quote): an asset's index here is its AssetId in the engine.
std::vector<AssetSpec> assets_of(const std::vector<SymbolSpec>& specs);

// The configured symbols, by index (SymbolId) and by name. Never changes after
// construction, so any thread may read it.
class SymbolTable {
 public:
  // REQUIRES: names are unique; at most 65535 symbols.
  explicit SymbolTable(std::vector<SymbolSpec> specs);

  std::optional<SymbolId> find(std::string_view name) const;
  // REQUIRES: symbol < size().
  const SymbolSpec& spec(SymbolId symbol) const { return specs_[symbol]; }
  std::size_t size() const { return specs_.size(); }
  const std::vector<SymbolSpec>& specs() const { return specs_; }
  // assets_of(specs()), by AssetId.
  const std::vector<AssetSpec>& assets() const { return assets_; }

  // Exact decimal text -> grid units; off-grid or out-of-bounds values fail with
  // BadPrice / BadQuantity. REQUIRES: symbol < size().
  Result<Ticks> parse_price(SymbolId symbol, std::string_view text) const;
  Result<Lots> parse_qty(SymbolId symbol, std::string_view text) const;

 private:
  std::vector<SymbolSpec> specs_;
  std::vector<AssetSpec> assets_;
};

}  // namespace spot
