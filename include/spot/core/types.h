// Basic value types shared by every module: ids, ticks, lots, sides, order types.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace spot {

// A strongly typed integer id: OrderId and AccountId cannot be mixed by accident.
template <class Tag>
struct StrongId {
  std::uint64_t value = 0;

  constexpr StrongId() = default;
  constexpr explicit StrongId(std::uint64_t v) : value(v) {}
  constexpr auto operator<=>(const StrongId&) const = default;
  constexpr bool valid() const { return value != 0; }
};

using OrderId = StrongId<struct OrderIdTag>;
using AccountId = StrongId<struct AccountIdTag>;
using TradeId = StrongId<struct TradeIdTag>;

// Index of a symbol in the engine's configured symbol list.
using SymbolId = std::uint16_t;

// Prices are integer ticks, quantities integer lots. No floating point touches money.
using Ticks = std::int64_t;
using Lots = std::int64_t;

// For products of prices, quantities and unit factors that may pass int64 before a
// bound check (GCC and Clang both have it; __extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 Int128;

// Decimal digits of a 128-bit value (for messages; std::to_string has no overload).
std::string int128_to_string(Int128 v);

enum class Side : std::uint8_t { Buy = 0, Sell = 1 };
enum class OrderType : std::uint8_t { Limit = 0, Market = 1 };
enum class TimeInForce : std::uint8_t { Gtc = 0, Ioc = 1, Fok = 2 };

constexpr Side opposite(Side s) { return s == Side::Buy ? Side::Sell : Side::Buy; }

std::string_view to_string(Side s);
std::string_view to_string(OrderType t);
std::string_view to_string(TimeInForce t);

// A client-chosen id (clientOrderId, X-Request-ID) that is safe to echo, log and store:
// 1 to `max_bytes` characters of [A-Za-z0-9._:-].
bool is_safe_id(std::string_view text, std::size_t max_bytes);

// What an order asks for: whose, in which book, which way, how, at what price, how
// much. Each layer's order embeds this one struct (as its base) instead of copying its
// fields one by one: the TCP message (proto::tcp::EnterOrder), the command
// (SubmitOrder), the matcher's and book's request (OrderRequest), and the engine's
// record of it (OrderRecord).
struct OrderSpec {
  AccountId account;  // filled in by the gateway; not on the wire
  SymbolId symbol = 0;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::Gtc;
  Ticks price = 0;  // ignored for MARKET
  Lots qty = 0;
};

}  // namespace spot

template <class Tag>
struct std::hash<spot::StrongId<Tag>> {
  std::size_t operator()(const spot::StrongId<Tag>& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value);
  }
};
