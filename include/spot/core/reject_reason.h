// Stable reject codes. The numeric values are part of the public API (HTTP `code`,
// TCP Reject reason byte): never renumber, only append.
#pragma once

#include <cstdint>
#include <string_view>

namespace spot {

enum class RejectReason : std::uint8_t {
  None = 0,
  UnknownSymbol = 1,
  BadPrice = 2,      // missing, non-positive, off the tick grid, or out of bounds
  BadQuantity = 3,   // zero, negative, off the lot grid, or out of bounds
  BadOrderType = 4,  // unknown type or a type/time-in-force pair that makes no sense
  DuplicateOrderId = 5,
  UnknownOrder = 6,  // never existed, already filled, canceled or expired
  DuplicateClientOrderId = 7,
  NotOwner = 8,
  RateLimited = 9,
  Overloaded = 10,
  NotReady = 11,
  BadRequest = 12,
  Unauthorized = 13,
  TooManyOpenOrders = 14,    // the account is at its open-order limit
  InsufficientBalance = 15,  // the account's free balance cannot pay for the order
  WouldMatch = 16,           // a post-only order that would cross the book
  UnknownAccount = 17,       // a deposit, withdrawal or balance query of no such account
  UnknownAsset = 18,         // an asset no configured symbol names
};

// The highest RejectReason value, for tables indexed by reason.
inline constexpr RejectReason kLastRejectReason = RejectReason::UnknownAsset;

// Short, stable, machine-friendly name ("UNKNOWN_SYMBOL").
std::string_view to_string(RejectReason r);

}  // namespace spot
