// The commands the gateway sends to the matching thread, and what comes back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "spot/book/order_book.h"
#include "spot/core/inplace_function.h"
#include "spot/core/reject_reason.h"
#include "spot/core/types.h"
#include "spot/engine/market_data.h"

namespace spot {

enum class OrderStatus : std::uint8_t { New, PartiallyFilled, Filled, Canceled, Expired, Rejected };

std::string_view to_string(OrderStatus s);
inline bool is_terminal(OrderStatus s) {
  return s != OrderStatus::New && s != OrderStatus::PartiallyFilled;
}

// The enum whose to_string() is `text`, among the first `count` values (Side,
// OrderType, TimeInForce, OrderStatus as stored in Redis and PostgreSQL).
template <class E>
std::optional<E> enum_named(std::string_view text, int count) {
  for (int i = 0; i < count; ++i) {
    const E e = static_cast<E>(i);
    if (to_string(e) == text) return e;
  }
  return std::nullopt;
}

struct Fill {
  TradeId trade_id;
  Ticks price = 0;
  Lots qty = 0;
  Lots leaves = 0;  // the order's quantity left after this fill
  // The fee this order paid on this fill, in smallest units of the asset it received
  // (base for a buy, quote for a sell); 0 without balance checks.
  std::int64_t fee = 0;
};

// A resting order hit by someone else's order: sent to the maker's TCP sessions.
struct MakerFill {
  AccountId account;
  OrderId order_id;
  std::uint64_t client_token = 0;
  Fill fill;
};

// A new order, as a protocol decodes it.
struct SubmitOrder : OrderSpec {
  std::string client_order_id;     // idempotency key (HTTP); empty if none
  std::uint64_t client_token = 0;  // idempotency key (TCP); 0 if none
  // LIMIT GTC only: rejected (WouldMatch) instead of taking liquidity (Binance's
  // LIMIT_MAKER).
  bool post_only = false;
  // MARKET BUY only, with qty 0: spend at most this many smallest units of the quote
  // asset (Binance's quoteOrderQty); the engine sets qty to what that buys now.
  std::int64_t quote_qty = 0;
};

// What the engine remembers about an order, live or finished: the order as submitted
// (price 0 for MARKET) and what has become of it.
struct OrderRecord : SubmitOrder {
  OrderId id;
  Lots executed = 0;
  OrderStatus status = OrderStatus::New;
  std::string request_id;  // correlation id of the request that created it
};

struct CancelRequest {
  AccountId account;
  OrderId order_id;
};

// By id, or (order_id 0) by the account's clientOrderId.
struct GetOrder {
  AccountId account;
  OrderId order_id;
  std::string client_order_id = {};
};

struct OpenOrders {
  AccountId account;
  std::optional<SymbolId> symbol;
};

struct GetDepth {
  SymbolId symbol = 0;
  std::size_t limit = 100;
};

struct CreateAccount {
  std::string name;
  std::string key_hash;  // hex SHA-256 of the API key
  // The API secret sealed under the server key (AES-256-GCM, gateway/secrets.h); ""
  // for an account without one. Never the secret in the clear.
  std::string sealed_secret = {};
};

// The engine's state digest and counters (admin, recovery checks).
struct GetState {};

// Money moved in or out of an account by an operator, in the asset's smallest units.
// Idempotent on `reference`: a repeat of an applied transfer answers its original
// result and moves nothing.
struct Transfer {
  AccountId account;
  std::string asset;  // name, e.g. "USDT"
  std::int64_t amount = 0;
  std::string reference;  // 1 to 128 characters, unique over every transfer
};
struct Deposit : Transfer {};
struct Withdraw : Transfer {};  // refused (InsufficientBalance) above the free balance

// Every asset's balance of one account (account 0: the fee account).
struct GetBalances {
  AccountId account;
};

// A symbol's kept public trades (GET /api/v3/trades, aggTrades, /api/v1/trades).
struct GetTrades {
  SymbolId symbol = 0;
  TradeQuery query;
};

// The last price, 24-hour statistics and best bid and ask of one symbol or of all.
struct GetTicker {
  std::optional<SymbolId> symbol;  // none: every symbol, in SymbolId order
  std::int64_t now_ns = 0;         // the statistics' 24 hours end here (the reader's clock)
};

using CommandBody =
    std::variant<SubmitOrder, CancelRequest, GetOrder, OpenOrders, GetDepth, CreateAccount,
                 GetState, Deposit, Withdraw, GetBalances, GetTrades, GetTicker>;

struct OrderReply {
  RejectReason reject = RejectReason::None;
  OrderRecord order;
  std::vector<Fill> fills;  // fills of this request (submit only)
  bool replayed = false;    // an idempotent resend: the original order, no new matching
  // The order's record has left memory (finished, past engine.order_history): order.id
  // names it, and the read path (cache/read_path.h) has the rest.
  bool forgotten = false;
  std::vector<MakerFill> maker_fills;
};

struct OpenOrdersReply {
  std::vector<OrderRecord> orders;
};

struct DepthReply {
  SymbolId symbol = 0;
  std::uint64_t update_id = 0;  // the symbol's book update id (MarketData), Binance's lastUpdateId
  std::vector<DepthLevel> bids;
  std::vector<DepthLevel> asks;
};

struct AccountReply {
  RejectReason reject = RejectReason::None;
  AccountId account;
};

struct Balance {
  std::int64_t free = 0;
  std::int64_t locked = 0;
  auto operator<=>(const Balance&) const = default;
};

struct TransferReply {
  RejectReason reject = RejectReason::None;
  bool replayed = false;  // a repeated reference: the original result
  bool deposit = true;
  AccountId account;
  std::string asset;
  std::int64_t amount = 0;
  Balance balance;  // the account's balance of the asset right after the transfer
};

struct AssetBalance {
  std::string asset;
  int decimals = 0;
  Balance balance;
};

struct BalancesReply {
  RejectReason reject = RejectReason::None;
  AccountId account;
  std::vector<AssetBalance> balances;  // every asset, in the engine's asset order
};

struct StateReply {
  std::uint64_t state_hash = 0;
  std::uint64_t last_order_id = 0;
  std::uint64_t last_trade_id = 0;
  std::size_t accounts = 0;
  std::size_t resting_orders = 0;
};

// A command that was not carried out, or whose effects could not be made durable:
// turned away before the queue (not ready, rate limited, overloaded, a request that
// did not decode), or answered by a matching loop whose journal has failed.
struct Refused {
  RejectReason reason = RejectReason::NotReady;
  double retry_after_s = 0;  // RateLimited: when a token is back
};

struct TradesReply {
  SymbolId symbol = 0;
  std::vector<PublicTrade> trades;  // oldest first
};

struct SymbolTicker {
  SymbolId symbol = 0;
  std::uint64_t update_id = 0;
  bool traded = false;  // false: no trade ever, the prices are 0
  DayStats day;
  // The best level of each side; qty 0 for an empty side.
  DepthLevel bid;
  DepthLevel ask;
};

struct TickerReply {
  std::vector<SymbolTicker> tickers;
};

using Reply = std::variant<OrderReply, OpenOrdersReply, DepthReply, AccountReply, StateReply,
                           Refused, TransferReply, BalancesReply, TradesReply, TickerReply>;

// Where a command's reply goes: held inline (no allocation per order), so what a
// protocol captures must fit in kReplyCallbackBytes (a compile error otherwise).
inline constexpr std::size_t kReplyCallbackBytes = 96;
using ReplyCallback = InplaceFunction<void(Reply&&), kReplyCallbackBytes>;

struct Command {
  CommandBody body;
  std::string request_id;        // correlation id
  std::int64_t received_ns = 0;  // monotonic time the request arrived, for latency
  // Called once with the reply: on the journal writer's thread once the command is
  // durable (on the matching thread without a journal). Must not block and must not
  // render: it only hands the reply to the connection's own executor.
  ReplyCallback done;
};

}  // namespace spot
