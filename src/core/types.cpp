#include "spot/core/types.h"
#include "spot/core/reject_reason.h"

namespace spot {

std::string int128_to_string(Int128 v) {
  const bool negative = v < 0;
  std::string digits;
  do {
    const int digit = static_cast<int>(v % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (negative ? -digit : digit)));
    v /= 10;
  } while (v != 0);
  return negative ? "-" + digits : digits;
}

std::string_view to_string(Side s) { return s == Side::Buy ? "BUY" : "SELL"; }

std::string_view to_string(OrderType t) { return t == OrderType::Limit ? "LIMIT" : "MARKET"; }

std::string_view to_string(TimeInForce t) {
  switch (t) {
    case TimeInForce::Gtc:
      return "GTC";
    case TimeInForce::Ioc:
      return "IOC";
    case TimeInForce::Fok:
      return "FOK";
  }
  return "?";
}

std::string_view to_string(RejectReason r) {
  switch (r) {
    case RejectReason::None:
      return "NONE";
    case RejectReason::UnknownSymbol:
      return "UNKNOWN_SYMBOL";
    case RejectReason::BadPrice:
      return "BAD_PRICE";
    case RejectReason::BadQuantity:
      return "BAD_QUANTITY";
    case RejectReason::BadOrderType:
      return "BAD_ORDER_TYPE";
    case RejectReason::DuplicateOrderId:
      return "DUPLICATE_ORDER_ID";
    case RejectReason::UnknownOrder:
      return "UNKNOWN_ORDER";
    case RejectReason::DuplicateClientOrderId:
      return "DUPLICATE_CLIENT_ORDER_ID";
    case RejectReason::NotOwner:
      return "NOT_OWNER";
    case RejectReason::RateLimited:
      return "RATE_LIMITED";
    case RejectReason::Overloaded:
      return "OVERLOADED";
    case RejectReason::NotReady:
      return "NOT_READY";
    case RejectReason::BadRequest:
      return "BAD_REQUEST";
    case RejectReason::Unauthorized:
      return "UNAUTHORIZED";
    case RejectReason::TooManyOpenOrders:
      return "TOO_MANY_OPEN_ORDERS";
    case RejectReason::InsufficientBalance:
      return "INSUFFICIENT_BALANCE";
    case RejectReason::WouldMatch:
      return "WOULD_MATCH";
    case RejectReason::UnknownAccount:
      return "UNKNOWN_ACCOUNT";
    case RejectReason::UnknownAsset:
      return "UNKNOWN_ASSET";
  }
  return "UNKNOWN";
}

bool is_safe_id(std::string_view text, std::size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes) return false;
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace spot
