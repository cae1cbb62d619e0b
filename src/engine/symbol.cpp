#include "spot/engine/symbol.h"

namespace spot {
namespace {

// mantissa * 10^exponent as a positive int64, or 0 if it is not a whole number or does
// not fit.
std::int64_t scaled(Int128 mantissa, int exponent) {
  if (mantissa <= 0) return 0;
  constexpr Int128 kMax = INT64_MAX;
  for (; exponent > 0; --exponent) {
    mantissa *= 10;
    if (mantissa > kMax) return 0;
  }
  for (; exponent < 0; ++exponent) {
    if (mantissa % 10 != 0) return 0;
    mantissa /= 10;
  }
  return mantissa > kMax ? 0 : static_cast<std::int64_t>(mantissa);
}

}  // namespace

std::string base_asset_of(const SymbolSpec& spec) {
  if (!spec.base_asset.empty()) return spec.base_asset;
  return spec.name.substr(0, spec.name.find('-'));
}

std::string quote_asset_of(const SymbolSpec& spec) {
  if (!spec.quote_asset.empty()) return spec.quote_asset;
  const std::size_t dash = spec.name.find('-');
  return dash == std::string::npos ? std::string() : spec.name.substr(dash + 1);
}

std::int64_t units_per_lot(const SymbolSpec& spec) {
  return scaled(spec.lot_size.mantissa, spec.base_decimals - spec.lot_size.scale);
}

std::int64_t units_per_tick_lot(const SymbolSpec& spec) {
  if (spec.tick_size.mantissa > (std::int64_t{1} << 31) ||
      spec.lot_size.mantissa > (std::int64_t{1} << 31)) {
    return 0;  // keeps the product below 2^62
  }
  return scaled(static_cast<Int128>(spec.tick_size.mantissa) * spec.lot_size.mantissa,
                spec.quote_decimals - spec.tick_size.scale - spec.lot_size.scale);
}

std::vector<AssetSpec> assets_of(const std::vector<SymbolSpec>& specs) {
  std::vector<AssetSpec> out;
  auto add = [&out](std::string name, int decimals) {
    for (const AssetSpec& a : out) {
      if (a.name == name) return;
    }
    out.push_back(AssetSpec{std::move(name), decimals});
  };
  for (const SymbolSpec& spec : specs) {
    add(base_asset_of(spec), spec.base_decimals);
    add(quote_asset_of(spec), spec.quote_decimals);
  }
  return out;
}

SymbolTable::SymbolTable(std::vector<SymbolSpec> specs)
    : specs_(std::move(specs)), assets_(assets_of(specs_)) {}

std::optional<SymbolId> SymbolTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<SymbolId>(i);
  }
  return std::nullopt;
}

Result<Ticks> SymbolTable::parse_price(SymbolId symbol, std::string_view text) const {
  const SymbolSpec& spec = specs_[symbol];
  const auto decimal = parse_decimal(text);
  if (!decimal) return RejectReason::BadPrice;
  auto ticks = to_steps(decimal.value(), spec.tick_size, RejectReason::BadPrice);
  if (!ticks) return ticks;
  if (ticks.value() < spec.min_price || ticks.value() > spec.max_price) {
    return RejectReason::BadPrice;
  }
  return ticks;
}

Result<Lots> SymbolTable::parse_qty(SymbolId symbol, std::string_view text) const {
  const SymbolSpec& spec = specs_[symbol];
  const auto decimal = parse_decimal(text);
  if (!decimal) return RejectReason::BadQuantity;
  auto lots = to_steps(decimal.value(), spec.lot_size, RejectReason::BadQuantity);
  if (!lots) return lots;
  if (lots.value() < spec.min_qty || lots.value() > spec.max_qty) return RejectReason::BadQuantity;
  return lots;
}

}  // namespace spot
