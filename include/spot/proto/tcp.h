// The binary TCP protocol of docs/tcp-protocol.md: framing and fixed-layout messages.
// Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "spot/core/reject_reason.h"
#include "spot/core/types.h"

namespace spot::proto::tcp {

enum class MsgType : std::uint8_t {
  Login = 'L',
  EnterOrder = 'O',
  EnterQuoteOrder = 'Q',
  CancelOrder = 'X',
  BalanceQuery = 'B',
  Heartbeat = 'H',
  LoginAccepted = 'a',
  Accepted = 'A',
  Executed = 'E',
  Canceled = 'C',
  Rejected = 'J',
  Balance = 'b',
  BalanceEnd = 'z',
};

inline constexpr std::size_t kLengthBytes = 2;
inline constexpr std::size_t kApiKeyBytes = 64;
// Asset codes on the wire: NUL- or space-padded ASCII. Configured asset names are 1 to
// 32 characters (app/config.cpp checks it), so every asset fits.
inline constexpr std::size_t kAssetBytes = 32;

// EnterOrder's flags byte (the byte old clients sent as reserved = 0). A bit not
// defined here makes the message invalid (Rejected BAD_REQUEST), so a client never
// has a flag it set silently ignored by an older server.
inline constexpr std::uint8_t kFlagPostOnly = 0x01;  // LIMIT GTC only; WOULD_MATCH if it crosses
inline constexpr std::uint8_t kKnownOrderFlags = kFlagPostOnly;

enum class OrderStatusCode : std::uint8_t {
  New = 0,
  PartiallyFilled = 1,
  Filled = 2,
  Canceled = 3,
  Expired = 4,
};

enum class CancelReasonCode : std::uint8_t { Requested = 0, Expired = 1 };

struct Login {
  std::string api_key;  // padding stripped
};

// The order's spec (its account is the connection's, not on the wire) and the
// client's numeric token.
struct EnterOrder : OrderSpec {
  std::uint64_t client_order_id = 0;
  bool post_only = false;  // kFlagPostOnly
};

// A MARKET order for an amount of the quote asset (in its smallest units) rather than
// a quantity of lots: SubmitOrder::quote_qty. Only BUY is accepted by the engine today
// (a SELL is BAD_ORDER_TYPE); the side is on the wire so that a later server can take
// SELL without a new message.
struct EnterQuoteOrder {
  std::uint64_t client_order_id = 0;
  SymbolId symbol = 0;
  Side side = Side::Buy;
  std::int64_t quote_qty = 0;
};

// The logged-in account's balances: one asset by its code, or (asset empty) every
// asset in the engine's order starting at index `first`, a page at a time.
struct BalanceQuery {
  std::uint64_t query_id = 0;  // the client's tag, echoed in every answer
  std::uint16_t first = 0;     // 0 when `asset` is named
  std::string asset;           // padding stripped; empty: all assets
};

struct CancelOrderMsg {
  std::uint64_t order_id = 0;
};

struct LoginAccepted {
  std::uint64_t account_id = 0;
};

struct Accepted {
  std::uint64_t client_order_id = 0;
  std::uint64_t order_id = 0;
  std::uint16_t symbol = 0;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::Gtc;
  OrderStatusCode status = OrderStatusCode::New;
  Ticks price = 0;
  Lots qty = 0;
  Lots executed_qty = 0;
};

struct Executed {
  std::uint64_t client_order_id = 0;
  std::uint64_t order_id = 0;
  std::uint64_t trade_id = 0;
  Ticks price = 0;
  Lots qty = 0;
  Lots leaves_qty = 0;
  char liquidity = 'T';
};

struct Canceled {
  std::uint64_t client_order_id = 0;
  std::uint64_t order_id = 0;
  Lots canceled_qty = 0;
  CancelReasonCode reason = CancelReasonCode::Requested;
};

struct Rejected {
  std::uint64_t client_order_id = 0;
  std::uint64_t order_id = 0;
  std::uint8_t rejected_type = 0;
  RejectReason reason = RejectReason::BadRequest;
};

// One asset's balance, in the asset's smallest units (10^-decimals).
struct BalanceMsg {
  std::uint64_t query_id = 0;
  std::uint16_t asset_index = 0;  // position in the engine's asset list
  std::string asset;
  std::uint8_t decimals = 0;
  std::int64_t free = 0;
  std::int64_t locked = 0;
};

// Ends the answer to one BalanceQuery: `count` Balance messages came before it; `next`
// is the `first` to ask for the next page, 0 when there are no more assets.
struct BalanceEnd {
  std::uint64_t query_id = 0;
  std::uint16_t count = 0;
  std::uint16_t next = 0;
};

// Payload size of each message type (the frame's length field is this plus 1), or
// nullopt for an unknown type.
std::optional<std::size_t> payload_size(std::uint8_t type);

struct Frame {
  std::uint8_t type = 0;
  std::span<const std::uint8_t> payload;
  std::size_t frame_bytes = 0;  // length prefix + type + payload
};

enum class FrameStatus { Complete, NeedMore, BadLength };

// Looks for one frame at the start of `data`. BadLength: length 0 or over
// max_frame_bytes (the stream cannot be trusted any more).
FrameStatus next_frame(std::span<const std::uint8_t> data, std::size_t max_frame_bytes,
                       Frame& frame);

// Decoders. Return false when the payload size or a field value is invalid.
bool decode(const Frame& f, Login& out);
bool decode(const Frame& f, EnterOrder& out);
bool decode(const Frame& f, EnterQuoteOrder& out);
bool decode(const Frame& f, CancelOrderMsg& out);
bool decode(const Frame& f, BalanceQuery& out);

// Encoders append one whole frame to `out`.
void encode(const Login& m, std::string& out);
void encode(const EnterOrder& m, std::string& out);
void encode(const EnterQuoteOrder& m, std::string& out);
void encode(const CancelOrderMsg& m, std::string& out);
void encode(const BalanceQuery& m, std::string& out);
void encode_heartbeat(std::string& out);
void encode(const LoginAccepted& m, std::string& out);
void encode(const Accepted& m, std::string& out);
void encode(const Executed& m, std::string& out);
void encode(const Canceled& m, std::string& out);
void encode(const Rejected& m, std::string& out);
// REQUIRES: m.asset is at most kAssetBytes long.
void encode(const BalanceMsg& m, std::string& out);
void encode(const BalanceEnd& m, std::string& out);

// Server-message decoders, for clients (spot-bench) and tests.
bool decode(const Frame& f, LoginAccepted& out);
bool decode(const Frame& f, Accepted& out);
bool decode(const Frame& f, Executed& out);
bool decode(const Frame& f, Canceled& out);
bool decode(const Frame& f, Rejected& out);
bool decode(const Frame& f, BalanceMsg& out);
bool decode(const Frame& f, BalanceEnd& out);

}  // namespace spot::proto::tcp
