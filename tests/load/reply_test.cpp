#include <gtest/gtest.h>

#include <string>

#include "bench/load/reply.h"

namespace spot::bench::load {
namespace {

Reply http(int status, std::uint64_t order_id = 0) {
  Reply r;
  r.type = Reply::Type::Http;
  r.http_status = status;
  r.order_id = order_id;
  return r;
}

Reply tcp(Reply::Type type, std::uint64_t order_id = 0, RejectReason reason = RejectReason::None) {
  Reply r;
  r.type = type;
  r.order_id = order_id;
  r.reason = reason;
  return r;
}

// Scenario table: request kind, reply -> outcome and error kind.
struct Row {
  const char* name;
  RequestKind kind;
  Reply reply;
  Outcome outcome;
  ErrorKind error;
};

TEST(Classify, Table) {
  const Row rows[] = {
      {"201 with id", RequestKind::Order, http(201, 9), Outcome::Accepted, ErrorKind::BadResponse},
      {"201 without id", RequestKind::Order, http(201), Outcome::Error, ErrorKind::BadResponse},
      {"cancel 200", RequestKind::Cancel, http(200), Outcome::Canceled, ErrorKind::BadResponse},
      {"cancel 404", RequestKind::Cancel, http(404), Outcome::CancelUnknown,
       ErrorKind::BadResponse},
      {"order 404", RequestKind::Order, http(404), Outcome::Error, ErrorKind::Http4xx},
      {"400", RequestKind::Order, http(400), Outcome::Error, ErrorKind::Http4xx},
      {"429", RequestKind::Cancel, http(429), Outcome::Error, ErrorKind::Http429},
      {"503", RequestKind::Order, http(503), Outcome::Error, ErrorKind::Http503},
      {"500", RequestKind::Order, http(500), Outcome::Error, ErrorKind::Http5xx},
      {"302", RequestKind::Order, http(302), Outcome::Error, ErrorKind::BadResponse},
      {"get order 200", RequestKind::GetOrder, http(200, 7), Outcome::Read, ErrorKind::BadResponse},
      {"get order 404", RequestKind::GetOrder, http(404), Outcome::ReadNotFound,
       ErrorKind::BadResponse},
      {"get order 400", RequestKind::GetOrder, http(400), Outcome::Error, ErrorKind::Http4xx},
      {"openOrders 200", RequestKind::OpenOrders, http(200), Outcome::Read, ErrorKind::BadResponse},
      {"openOrders 404", RequestKind::OpenOrders, http(404), Outcome::Error, ErrorKind::Http4xx},
      {"depth 200", RequestKind::Depth, http(200), Outcome::Read, ErrorKind::BadResponse},
      {"depth 503", RequestKind::Depth, http(503), Outcome::Error, ErrorKind::Http503},
      {"Accepted", RequestKind::Order, tcp(Reply::Type::Accepted, 3), Outcome::Accepted,
       ErrorKind::BadResponse},
      {"Accepted for a cancel", RequestKind::Cancel, tcp(Reply::Type::Accepted, 3), Outcome::Error,
       ErrorKind::BadResponse},
      {"Canceled", RequestKind::Cancel, tcp(Reply::Type::Canceled, 3), Outcome::Canceled,
       ErrorKind::BadResponse},
      {"Canceled for an order", RequestKind::Order, tcp(Reply::Type::Canceled, 3), Outcome::Error,
       ErrorKind::BadResponse},
      {"cancel unknown", RequestKind::Cancel,
       tcp(Reply::Type::Rejected, 3, RejectReason::UnknownOrder), Outcome::CancelUnknown,
       ErrorKind::BadResponse},
      {"rate limited", RequestKind::Order, tcp(Reply::Type::Rejected, 0, RejectReason::RateLimited),
       Outcome::Error, ErrorKind::Rejected},
  };
  for (const Row& row : rows) {
    const Classified c = classify(row.kind, row.reply);
    EXPECT_EQ(c.outcome, row.outcome) << row.name;
    if (row.outcome == Outcome::Error) {
      EXPECT_EQ(c.error, row.error) << row.name;
    }
  }
  EXPECT_EQ(classify(RequestKind::Order, http(201, 9)).order_id, 9u);
  EXPECT_EQ(
      classify(RequestKind::Order, tcp(Reply::Type::Rejected, 0, RejectReason::Overloaded)).reason,
      RejectReason::Overloaded);
}

TEST(Answers, RejectedMustNameTheRequestType) {
  Reply rejected = tcp(Reply::Type::Rejected, 0, RejectReason::BadRequest);
  rejected.rejected_type = 'O';
  EXPECT_TRUE(answers(RequestKind::Order, rejected));
  EXPECT_FALSE(answers(RequestKind::Cancel, rejected));
  rejected.rejected_type = 'X';
  EXPECT_TRUE(answers(RequestKind::Cancel, rejected));
  rejected.rejected_type = 'L';  // a login rejected after the fact answers no request
  EXPECT_FALSE(answers(RequestKind::Order, rejected));
  rejected.rejected_type = 0;
  EXPECT_FALSE(answers(RequestKind::Cancel, rejected));
  EXPECT_TRUE(answers(RequestKind::Order, tcp(Reply::Type::Accepted, 1)));
  EXPECT_TRUE(answers(RequestKind::Cancel, http(404)));
}

TcpMessage interpret_encoded(const std::string& bytes) {
  proto::tcp::Frame f;
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                           bytes.size());
  EXPECT_EQ(proto::tcp::next_frame(data, 256, f), proto::tcp::FrameStatus::Complete);
  return interpret(f);
}

TEST(InterpretTcp, OnlyFirstResponsesAreAnswers) {
  namespace p = proto::tcp;
  std::string s;
  p::encode(p::LoginAccepted{1}, s);
  EXPECT_EQ(interpret_encoded(s).kind, TcpMessage::Kind::LoginAccepted);

  s.clear();
  p::Accepted a;
  a.order_id = 77;
  p::encode(a, s);
  TcpMessage m = interpret_encoded(s);
  EXPECT_EQ(m.kind, TcpMessage::Kind::Answer);
  EXPECT_EQ(m.reply.type, Reply::Type::Accepted);
  EXPECT_EQ(m.reply.order_id, 77u);

  s.clear();
  p::encode(p::Executed{1, 77, 5, 100, 1, 0, 'M'}, s);
  EXPECT_EQ(interpret_encoded(s).kind, TcpMessage::Kind::Ignored);

  s.clear();
  p::encode(p::Canceled{1, 77, 3, p::CancelReasonCode::Expired}, s);
  EXPECT_EQ(interpret_encoded(s).kind, TcpMessage::Kind::Ignored);

  s.clear();
  p::encode(p::Canceled{0, 77, 3, p::CancelReasonCode::Requested}, s);
  m = interpret_encoded(s);
  EXPECT_EQ(m.kind, TcpMessage::Kind::Answer);
  EXPECT_EQ(m.reply.type, Reply::Type::Canceled);

  s.clear();
  p::encode(p::Rejected{0, 77, 'X', RejectReason::UnknownOrder}, s);
  m = interpret_encoded(s);
  EXPECT_EQ(m.kind, TcpMessage::Kind::Answer);
  EXPECT_EQ(m.reply.reason, RejectReason::UnknownOrder);
  EXPECT_EQ(m.reply.rejected_type, 'X');

  s.clear();
  p::encode_heartbeat(s);
  EXPECT_EQ(interpret_encoded(s).kind, TcpMessage::Kind::Ignored);

  // An Accepted frame of the wrong size does not decode.
  const std::string short_accepted = {2, 0, 'A', 0};
  EXPECT_EQ(interpret_encoded(short_accepted).kind, TcpMessage::Kind::Bad);
}

}  // namespace
}  // namespace spot::bench::load
