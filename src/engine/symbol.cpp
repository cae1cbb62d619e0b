#include "spot/engine/symbol.h"

namespace spot {

SymbolTable::SymbolTable(std::vector<SymbolSpec> specs) : specs_(std::move(specs)) {}

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
