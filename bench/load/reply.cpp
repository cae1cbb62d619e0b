#include "bench/load/reply.h"

namespace spot::bench::load {
namespace {

Classified error(ErrorKind kind, RejectReason reason = RejectReason::None) {
  Classified c;
  c.outcome = Outcome::Error;
  c.error = kind;
  c.reason = reason;
  return c;
}

Classified outcome(Outcome o, std::uint64_t order_id = 0) {
  Classified c;
  c.outcome = o;
  c.order_id = order_id;
  return c;
}

Classified classify_http(RequestKind kind, const Reply& reply) {
  const int status = reply.http_status;
  const bool read = kind == RequestKind::GetOrder || kind == RequestKind::OpenOrders ||
                    kind == RequestKind::Depth;
  if (read && status >= 200 && status < 300) return outcome(Outcome::Read);
  // An order that has left the server's memory, while no read path reaches further back.
  if (status == 404 && kind == RequestKind::GetOrder) return outcome(Outcome::ReadNotFound);
  if (status >= 200 && status < 300) {
    if (kind == RequestKind::Cancel) return outcome(Outcome::Canceled);
    // An order is only acknowledged with its id: without it no cancel could name it.
    if (reply.order_id == 0) return error(ErrorKind::BadResponse);
    return outcome(Outcome::Accepted, reply.order_id);
  }
  if (status == 404 && kind == RequestKind::Cancel) return outcome(Outcome::CancelUnknown);
  if (status == 429) return error(ErrorKind::Http429);
  if (status == 503) return error(ErrorKind::Http503);
  if (status >= 400 && status < 500) return error(ErrorKind::Http4xx);
  if (status >= 500 && status < 600) return error(ErrorKind::Http5xx);
  return error(ErrorKind::BadResponse);
}

}  // namespace

Classified classify(RequestKind kind, const Reply& reply) {
  switch (reply.type) {
    case Reply::Type::Http:
      return classify_http(kind, reply);
    case Reply::Type::Accepted:
      if (kind != RequestKind::Order || reply.order_id == 0) return error(ErrorKind::BadResponse);
      return outcome(Outcome::Accepted, reply.order_id);
    case Reply::Type::Canceled:
      if (kind != RequestKind::Cancel) return error(ErrorKind::BadResponse);
      return outcome(Outcome::Canceled);
    case Reply::Type::Rejected:
      if (kind == RequestKind::Cancel && reply.reason == RejectReason::UnknownOrder) {
        return outcome(Outcome::CancelUnknown);
      }
      return error(ErrorKind::Rejected, reply.reason);
  }
  return error(ErrorKind::BadResponse);
}

bool answers(RequestKind kind, const Reply& reply) {
  if (reply.type != Reply::Type::Rejected) return true;
  const auto expected =
      static_cast<std::uint8_t>(kind == RequestKind::Order ? proto::tcp::MsgType::EnterOrder
                                                           : proto::tcp::MsgType::CancelOrder);
  return reply.rejected_type == expected;
}

TcpMessage interpret(const proto::tcp::Frame& frame) {
  using proto::tcp::MsgType;
  TcpMessage m;
  switch (static_cast<MsgType>(frame.type)) {
    case MsgType::LoginAccepted: {
      proto::tcp::LoginAccepted msg;
      m.kind = decode(frame, msg) ? TcpMessage::Kind::LoginAccepted : TcpMessage::Kind::Bad;
      return m;
    }
    case MsgType::Accepted: {
      proto::tcp::Accepted msg;
      if (!decode(frame, msg)) break;
      m.kind = TcpMessage::Kind::Answer;
      m.reply.type = Reply::Type::Accepted;
      m.reply.order_id = msg.order_id;
      return m;
    }
    case MsgType::Canceled: {
      proto::tcp::Canceled msg;
      if (!decode(frame, msg)) break;
      // An expired IOC/market remainder follows its order's Accepted: not an answer.
      if (msg.reason != proto::tcp::CancelReasonCode::Requested) return m;
      m.kind = TcpMessage::Kind::Answer;
      m.reply.type = Reply::Type::Canceled;
      m.reply.order_id = msg.order_id;
      return m;
    }
    case MsgType::Rejected: {
      proto::tcp::Rejected msg;
      if (!decode(frame, msg)) break;
      m.kind = TcpMessage::Kind::Answer;
      m.reply.type = Reply::Type::Rejected;
      m.reply.order_id = msg.order_id;
      m.reply.reason = msg.reason;
      m.reply.rejected_type = msg.rejected_type;
      return m;
    }
    case MsgType::Executed: {
      proto::tcp::Executed msg;
      if (!decode(frame, msg)) break;
      return m;
    }
    default:
      return m;  // Heartbeat, or a type this client does not know
  }
  m.kind = TcpMessage::Kind::Bad;
  return m;
}

}  // namespace spot::bench::load
