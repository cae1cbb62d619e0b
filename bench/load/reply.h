// What a server response means for the request it answers, for both protocols.
#pragma once

#include <cstdint>

#include "bench/load/stats.h"
#include "spot/core/reject_reason.h"
#include "spot/proto/tcp.h"

namespace spot::bench::load {

// Order and Cancel are the W1 ops; GetOrder, OpenOrders and Depth the reads of the
// mixed mode (HTTP only).
enum class RequestKind : std::uint8_t { Order, Cancel, GetOrder, OpenOrders, Depth };

// The first response to one request: an HTTP response, or a tcp Accepted, Canceled
// (reason requested) or Rejected.
struct Reply {
  enum class Type : std::uint8_t { Http, Accepted, Canceled, Rejected };
  Type type = Type::Http;
  int http_status = 0;
  std::uint64_t order_id = 0;  // the server's order id, 0 when the reply carries none
  RejectReason reason = RejectReason::None;
  std::uint8_t rejected_type = 0;  // tcp Rejected: the type byte of the rejected message
};

enum class Outcome : std::uint8_t {
  Accepted,       // an order acknowledged with its server id
  Canceled,       // a cancel done
  CancelUnknown,  // a cancel of an order already filled or canceled: not an error
  Read,           // a read answered 2xx
  ReadNotFound,   // GET order answered 404: the server no longer knows the order
  Error,
};

struct Classified {
  Outcome outcome = Outcome::Error;
  ErrorKind error = ErrorKind::BadResponse;  // when outcome == Error
  RejectReason reason = RejectReason::None;  // when error == Rejected
  std::uint64_t order_id = 0;                // when outcome == Accepted
};

Classified classify(RequestKind kind, const Reply& reply);

// Whether `reply` can be the answer to a request of `kind`. A tcp Rejected names the
// type it rejects: one for another type (a Login, or a frame the server could not read)
// answers none of the pending requests and must not be matched to the oldest one.
bool answers(RequestKind kind, const Reply& reply);

// What one tcp server frame is to the client.
struct TcpMessage {
  enum class Kind : std::uint8_t {
    Ignored,  // Executed, Canceled (expired), Heartbeat, unknown types
    LoginAccepted,
    Answer,  // the first response to a request: `reply` is set
    Bad,     // a known type that does not decode
  };
  Kind kind = Kind::Ignored;
  Reply reply;
};

TcpMessage interpret(const proto::tcp::Frame& frame);

}  // namespace spot::bench::load
