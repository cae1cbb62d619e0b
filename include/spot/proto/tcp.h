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
  CancelOrder = 'X',
  Heartbeat = 'H',
  LoginAccepted = 'a',
  Accepted = 'A',
  Executed = 'E',
  Canceled = 'C',
  Rejected = 'J',
};

inline constexpr std::size_t kLengthBytes = 2;
inline constexpr std::size_t kApiKeyBytes = 64;

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
bool decode(const Frame& f, CancelOrderMsg& out);

// Encoders append one whole frame to `out`.
void encode(const Login& m, std::string& out);
void encode(const EnterOrder& m, std::string& out);
void encode(const CancelOrderMsg& m, std::string& out);
void encode_heartbeat(std::string& out);
void encode(const LoginAccepted& m, std::string& out);
void encode(const Accepted& m, std::string& out);
void encode(const Executed& m, std::string& out);
void encode(const Canceled& m, std::string& out);
void encode(const Rejected& m, std::string& out);

// Server-message decoders, for clients (spot-bench) and tests.
bool decode(const Frame& f, LoginAccepted& out);
bool decode(const Frame& f, Accepted& out);
bool decode(const Frame& f, Executed& out);
bool decode(const Frame& f, Canceled& out);
bool decode(const Frame& f, Rejected& out);

}  // namespace spot::proto::tcp
