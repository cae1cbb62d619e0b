// The binary TCP protocol: framing, encoders and decoders.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "spot/proto/tcp.h"

namespace spot::proto::tcp {
namespace {

constexpr std::size_t kMaxFrame = 256;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Parses `wire` as exactly one whole frame of `type`.
Frame one_frame(const std::string& wire, MsgType type) {
  Frame f;
  EXPECT_EQ(next_frame(bytes_of(wire), kMaxFrame, f), FrameStatus::Complete);
  EXPECT_EQ(f.frame_bytes, wire.size());
  EXPECT_EQ(f.type, static_cast<std::uint8_t>(type));
  const auto size = payload_size(f.type);
  EXPECT_TRUE(size.has_value());
  if (size) {
    EXPECT_EQ(f.payload.size(), *size);
  }
  return f;
}

// A frame with an arbitrary type and payload, for malformed-input tests.
std::string raw_frame(std::uint8_t type, const std::string& payload) {
  const std::size_t length = payload.size() + 1;
  std::string out;
  out.push_back(static_cast<char>(length & 0xFF));
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(type));
  out += payload;
  return out;
}

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t kMinI64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

TEST(TcpRoundTrip, Login) {
  for (const std::string& key :
       {std::string("k"), std::string(kApiKeyBytes, 'z'), std::string("abc123_-XYZ")}) {
    std::string wire;
    encode(Login{key}, wire);
    EXPECT_EQ(wire.size(), kLengthBytes + 1 + kApiKeyBytes);
    Login out;
    ASSERT_TRUE(decode(one_frame(wire, MsgType::Login), out));
    EXPECT_EQ(out.api_key, key);
  }
}

TEST(TcpRoundTrip, EnterOrderWithEveryEnumValue) {
  for (const Side side : {Side::Buy, Side::Sell}) {
    for (const OrderType type : {OrderType::Limit, OrderType::Market}) {
      for (const TimeInForce tif : {TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok}) {
        const EnterOrder in{{{}, 65535, side, type, tif, -123'456'789, kMaxI64}, kMax64 - 1};
        std::string wire;
        encode(in, wire);
        EnterOrder out;
        ASSERT_TRUE(decode(one_frame(wire, MsgType::EnterOrder), out));
        EXPECT_EQ(out.client_order_id, in.client_order_id);
        EXPECT_EQ(out.symbol, in.symbol);
        EXPECT_EQ(out.side, side);
        EXPECT_EQ(out.type, type);
        EXPECT_EQ(out.tif, tif);
        EXPECT_EQ(out.price, in.price);
        EXPECT_EQ(out.qty, in.qty);
      }
    }
  }
}

TEST(TcpRoundTrip, EnterOrderPostOnlyIsBitZeroOfTheFlagsByte) {
  EnterOrder in{{{}, 1, Side::Sell, OrderType::Limit, TimeInForce::Gtc, 100, 5}, 9};
  std::string plain;
  encode(in, plain);
  EXPECT_EQ(plain[kLengthBytes + 1 + 13], '\0');  // old clients' reserved byte
  in.post_only = true;
  std::string wire;
  encode(in, wire);
  ASSERT_EQ(wire.size(), plain.size());
  EXPECT_EQ(wire[kLengthBytes + 1 + 13], static_cast<char>(kFlagPostOnly));
  EnterOrder out;
  ASSERT_TRUE(decode(one_frame(wire, MsgType::EnterOrder), out));
  EXPECT_TRUE(out.post_only);
  EXPECT_EQ(out.side, Side::Sell);
  EXPECT_EQ(out.price, 100);
  EXPECT_EQ(out.qty, 5);
  ASSERT_TRUE(decode(one_frame(plain, MsgType::EnterOrder), out));
  EXPECT_FALSE(out.post_only);  // a decoder reused on a plain order forgets the flag
}

TEST(TcpDecode, UnknownOrderFlagBitsFail) {
  for (int bit = 1; bit < 8; ++bit) {
    SCOPED_TRACE(bit);
    std::string wire;
    encode(EnterOrder{{{}, 1, Side::Buy, OrderType::Limit, TimeInForce::Gtc, 100, 5}, 77}, wire);
    wire[kLengthBytes + 1 + 13] = static_cast<char>((1 << bit) | kFlagPostOnly);
    EnterOrder out;
    EXPECT_FALSE(decode(one_frame(wire, MsgType::EnterOrder), out));
    EXPECT_EQ(out.client_order_id, 77u);  // still read, so that the Rejected can echo it
  }
}

TEST(TcpRoundTrip, EnterQuoteOrder) {
  const EnterQuoteOrder in{kMax64, 65535, Side::Buy, kMaxI64};
  std::string wire;
  encode(in, wire);
  EXPECT_EQ(wire.size(), kLengthBytes + 1 + 20);
  EnterQuoteOrder out;
  ASSERT_TRUE(decode(one_frame(wire, MsgType::EnterQuoteOrder), out));
  EXPECT_EQ(out.client_order_id, kMax64);
  EXPECT_EQ(out.symbol, 65535);
  EXPECT_EQ(out.side, Side::Buy);
  EXPECT_EQ(out.quote_qty, kMaxI64);
  // Byte layout: token, symbol, side, flags, quote amount.
  std::string small;
  encode(EnterQuoteOrder{1, 2, Side::Sell, 0x0102}, small);
  const std::vector<std::uint8_t> expected = {21, 0, 'Q', 1, 0, 0, 0, 0, 0, 0, 0, 2,
                                              0,  1, 0,   2, 1, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(std::vector<std::uint8_t>(small.begin(), small.end()), expected);
}

TEST(TcpDecode, EnterQuoteOrderWithABadSideOrAnyFlagFails) {
  for (const auto& [offset, value] :
       {std::pair<std::size_t, std::uint8_t>{10, 2}, {10, 255}, {11, 1}, {11, 0x80}}) {
    SCOPED_TRACE(offset * 1000 + value);
    std::string wire;
    encode(EnterQuoteOrder{33, 0, Side::Buy, 1'000}, wire);
    wire[kLengthBytes + 1 + offset] = static_cast<char>(value);
    EnterQuoteOrder out;
    EXPECT_FALSE(decode(one_frame(wire, MsgType::EnterQuoteOrder), out));
    EXPECT_EQ(out.client_order_id, 33u);
  }
}

TEST(TcpRoundTrip, BalanceQuery) {
  for (const BalanceQuery& in :
       {BalanceQuery{7, 0, ""}, BalanceQuery{kMax64, 65535, ""}, BalanceQuery{8, 0, "USDT"},
        BalanceQuery{9, 0, std::string(kAssetBytes, 'A')}}) {
    std::string wire;
    encode(in, wire);
    EXPECT_EQ(wire.size(), kLengthBytes + 1 + 42);
    BalanceQuery out;
    ASSERT_TRUE(decode(one_frame(wire, MsgType::BalanceQuery), out)) << in.asset;
    EXPECT_EQ(out.query_id, in.query_id);
    EXPECT_EQ(out.first, in.first);
    EXPECT_EQ(out.asset, in.asset);
  }
}

TEST(TcpDecode, BalanceQueryAssetCodes) {
  struct Case {
    const char* name;
    std::uint16_t first;
    std::string asset;  // the 32 bytes on the wire
    bool ok;
    std::string decoded;
  };
  const std::vector<Case> cases = {
      {"space padded", 0, "BTC" + std::string(29, ' '), true, "BTC"},
      {"NUL padded", 0, "ETH" + std::string(29, '\0'), true, "ETH"},
      {"all padding: every asset", 3, std::string(32, ' '), true, ""},
      {"a page of one asset", 1, "BTC" + std::string(29, '\0'), false, "BTC"},
      {"inner space", 0, "BT C" + std::string(28, '\0'), false, "BT C"},
      {"inner NUL", 0, std::string("BT\0C", 4) + std::string(28, ' '), false, ""},
      {"not an asset character", 0, "US$" + std::string(29, '\0'), false, "US$"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.asset.size(), kAssetBytes);
    std::string payload(10, '\0');
    payload[0] = 42;
    payload[8] = static_cast<char>(c.first & 0xFF);
    payload[9] = static_cast<char>(c.first >> 8);
    const std::string wire = raw_frame('B', payload + c.asset);
    BalanceQuery out;
    EXPECT_EQ(decode(one_frame(wire, MsgType::BalanceQuery), out), c.ok);
    EXPECT_EQ(out.query_id, 42u);
    if (c.ok) {
      EXPECT_EQ(out.asset, c.decoded);
    }
  }
}

TEST(TcpRoundTrip, BalanceAndBalanceEnd) {
  const BalanceMsg in{kMax64, 65534, std::string(kAssetBytes, 'Z'), 18, kMaxI64, kMinI64};
  std::string wire;
  encode(in, wire);
  EXPECT_EQ(wire.size(), kLengthBytes + 1 + 59);
  BalanceMsg out;
  ASSERT_TRUE(decode(one_frame(wire, MsgType::Balance), out));
  EXPECT_EQ(out.query_id, in.query_id);
  EXPECT_EQ(out.asset_index, 65534);
  EXPECT_EQ(out.asset, in.asset);
  EXPECT_EQ(out.decimals, 18);
  EXPECT_EQ(out.free, kMaxI64);
  EXPECT_EQ(out.locked, kMinI64);
  std::string short_code;
  encode(BalanceMsg{1, 0, "BTC", 8, 5, 0}, short_code);
  ASSERT_TRUE(decode(one_frame(short_code, MsgType::Balance), out));
  EXPECT_EQ(out.asset, "BTC");

  std::string end;
  encode(BalanceEnd{0x0102030405060708ULL, 256, 3}, end);
  const std::vector<std::uint8_t> expected = {13, 0, 'z', 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 3, 0};
  EXPECT_EQ(std::vector<std::uint8_t>(end.begin(), end.end()), expected);
  BalanceEnd end_out;
  ASSERT_TRUE(decode(one_frame(end, MsgType::BalanceEnd), end_out));
  EXPECT_EQ(end_out.query_id, 0x0102030405060708ULL);
  EXPECT_EQ(end_out.count, 256);
  EXPECT_EQ(end_out.next, 3);
}

TEST(TcpRoundTrip, CancelOrderIsLittleEndian) {
  std::string wire;
  encode(CancelOrderMsg{0x0102030405060708ULL}, wire);
  const std::vector<std::uint8_t> expected = {9, 0, 'X', 8, 7, 6, 5, 4, 3, 2, 1};
  EXPECT_EQ(std::vector<std::uint8_t>(wire.begin(), wire.end()), expected);
  CancelOrderMsg out;
  ASSERT_TRUE(decode(one_frame(wire, MsgType::CancelOrder), out));
  EXPECT_EQ(out.order_id, 0x0102030405060708ULL);
}

TEST(TcpRoundTrip, Heartbeat) {
  std::string wire;
  encode_heartbeat(wire);
  EXPECT_EQ(wire, std::string("\x01\x00H", 3));
  const Frame f = one_frame(wire, MsgType::Heartbeat);
  EXPECT_TRUE(f.payload.empty());
}

TEST(TcpRoundTrip, LoginAccepted) {
  std::string wire;
  encode(LoginAccepted{kMax64}, wire);
  LoginAccepted out;
  ASSERT_TRUE(decode(one_frame(wire, MsgType::LoginAccepted), out));
  EXPECT_EQ(out.account_id, kMax64);
}

TEST(TcpRoundTrip, Accepted) {
  for (const OrderStatusCode status :
       {OrderStatusCode::New, OrderStatusCode::PartiallyFilled, OrderStatusCode::Filled,
        OrderStatusCode::Canceled, OrderStatusCode::Expired}) {
    const Accepted in{11,     kMax64,  3,     Side::Sell, OrderType::Market, TimeInForce::Fok,
                      status, kMinI64, 1'000, 999};
    std::string wire;
    encode(in, wire);
    Accepted out;
    ASSERT_TRUE(decode(one_frame(wire, MsgType::Accepted), out));
    EXPECT_EQ(out.client_order_id, in.client_order_id);
    EXPECT_EQ(out.order_id, in.order_id);
    EXPECT_EQ(out.symbol, in.symbol);
    EXPECT_EQ(out.side, in.side);
    EXPECT_EQ(out.type, in.type);
    EXPECT_EQ(out.tif, in.tif);
    EXPECT_EQ(out.status, status);
    EXPECT_EQ(out.price, in.price);
    EXPECT_EQ(out.qty, in.qty);
    EXPECT_EQ(out.executed_qty, in.executed_qty);
  }
}

TEST(TcpRoundTrip, Executed) {
  for (const char liquidity : {'T', 'M'}) {
    const Executed in{1, 2, 3, 10'025, 1'500, 0, liquidity};
    std::string wire;
    encode(in, wire);
    Executed out;
    ASSERT_TRUE(decode(one_frame(wire, MsgType::Executed), out));
    EXPECT_EQ(out.client_order_id, 1u);
    EXPECT_EQ(out.order_id, 2u);
    EXPECT_EQ(out.trade_id, 3u);
    EXPECT_EQ(out.price, 10'025);
    EXPECT_EQ(out.qty, 1'500);
    EXPECT_EQ(out.leaves_qty, 0);
    EXPECT_EQ(out.liquidity, liquidity);
  }
}

TEST(TcpRoundTrip, Canceled) {
  for (const CancelReasonCode reason : {CancelReasonCode::Requested, CancelReasonCode::Expired}) {
    const Canceled in{kMax64, 77, 42, reason};
    std::string wire;
    encode(in, wire);
    Canceled out;
    ASSERT_TRUE(decode(one_frame(wire, MsgType::Canceled), out));
    EXPECT_EQ(out.client_order_id, kMax64);
    EXPECT_EQ(out.order_id, 77u);
    EXPECT_EQ(out.canceled_qty, 42);
    EXPECT_EQ(out.reason, reason);
  }
}

TEST(TcpRoundTrip, RejectedWithEveryReason) {
  for (int r = 1; r <= static_cast<int>(kLastRejectReason); ++r) {
    const Rejected in{5, 6, static_cast<std::uint8_t>('O'), static_cast<RejectReason>(r)};
    std::string wire;
    encode(in, wire);
    Rejected out;
    ASSERT_TRUE(decode(one_frame(wire, MsgType::Rejected), out));
    EXPECT_EQ(out.client_order_id, 5u);
    EXPECT_EQ(out.order_id, 6u);
    EXPECT_EQ(out.rejected_type, 'O');
    EXPECT_EQ(out.reason, in.reason) << r;
  }
}

TEST(TcpRoundTrip, RejectedWithoutAKnownReasonDoesNotDecode) {
  for (const int r : {0, static_cast<int>(kLastRejectReason) + 1, 255}) {
    std::string wire;
    encode(Rejected{5, 6, static_cast<std::uint8_t>('O'), static_cast<RejectReason>(r)}, wire);
    Rejected out;
    EXPECT_FALSE(decode(one_frame(wire, MsgType::Rejected), out)) << r;
  }
}

TEST(TcpFraming, PayloadSizesOfKnownAndUnknownTypes) {
  EXPECT_EQ(payload_size('L'), kApiKeyBytes);
  EXPECT_EQ(payload_size('O'), 30u);
  EXPECT_EQ(payload_size('Q'), 20u);
  EXPECT_EQ(payload_size('X'), 8u);
  EXPECT_EQ(payload_size('B'), 42u);
  EXPECT_EQ(payload_size('H'), 0u);
  EXPECT_EQ(payload_size('b'), 59u);
  EXPECT_EQ(payload_size('z'), 12u);
  EXPECT_FALSE(payload_size('Z'));
  EXPECT_FALSE(payload_size(0));
  EXPECT_FALSE(payload_size(255));
}

TEST(TcpFraming, EveryStrictPrefixNeedsMore) {
  std::string wire;
  encode(EnterOrder{{{}, 2, Side::Buy, OrderType::Limit, TimeInForce::Gtc, 3, 4}, 1}, wire);
  Frame f;
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(next_frame(bytes_of(wire).first(n), kMaxFrame, f), FrameStatus::NeedMore) << n;
  }
  EXPECT_EQ(next_frame(bytes_of(wire), kMaxFrame, f), FrameStatus::Complete);
}

TEST(TcpFraming, BadLengths) {
  Frame f;
  const std::string zero("\x00\x00H", 3);
  EXPECT_EQ(next_frame(bytes_of(zero), kMaxFrame, f), FrameStatus::BadLength);
  // The length alone decides: no need to wait for the rest of an impossible frame.
  const std::string too_long("\x01\x01", 2);  // 257
  EXPECT_EQ(next_frame(bytes_of(too_long), kMaxFrame, f), FrameStatus::BadLength);
  const std::string huge("\xFF\xFF", 2);
  EXPECT_EQ(next_frame(bytes_of(huge), kMaxFrame, f), FrameStatus::BadLength);
  // Exactly the maximum is allowed (and then incomplete here).
  const std::string at_max("\x00\x01", 2);  // 256
  EXPECT_EQ(next_frame(bytes_of(at_max), kMaxFrame, f), FrameStatus::NeedMore);
  // A smaller maximum applies.
  std::string wire;
  encode(Login{"key"}, wire);
  EXPECT_EQ(next_frame(bytes_of(wire), 64, f), FrameStatus::BadLength);
  EXPECT_EQ(next_frame(bytes_of(wire), 65, f), FrameStatus::Complete);
}

TEST(TcpFraming, FramesAreTakenOneAtATime) {
  std::string wire;
  encode(CancelOrderMsg{1}, wire);
  encode_heartbeat(wire);
  encode(CancelOrderMsg{2}, wire);
  wire.push_back('\x09');  // the start of a fourth frame

  std::span<const std::uint8_t> rest = bytes_of(wire);
  Frame f;
  ASSERT_EQ(next_frame(rest, kMaxFrame, f), FrameStatus::Complete);
  CancelOrderMsg c;
  ASSERT_TRUE(decode(f, c));
  EXPECT_EQ(c.order_id, 1u);
  rest = rest.subspan(f.frame_bytes);
  ASSERT_EQ(next_frame(rest, kMaxFrame, f), FrameStatus::Complete);
  EXPECT_EQ(f.type, 'H');
  rest = rest.subspan(f.frame_bytes);
  ASSERT_EQ(next_frame(rest, kMaxFrame, f), FrameStatus::Complete);
  ASSERT_TRUE(decode(f, c));
  EXPECT_EQ(c.order_id, 2u);
  rest = rest.subspan(f.frame_bytes);
  EXPECT_EQ(rest.size(), 1u);
  EXPECT_EQ(next_frame(rest, kMaxFrame, f), FrameStatus::NeedMore);
}

TEST(TcpDecode, WrongPayloadSizeFails) {
  std::string order_wire;
  encode(EnterOrder{}, order_wire);
  const std::string payload = order_wire.substr(3);
  Frame f;

  const std::string short_order = raw_frame('O', payload.substr(0, 29));
  ASSERT_EQ(next_frame(bytes_of(short_order), kMaxFrame, f), FrameStatus::Complete);
  EnterOrder order;
  EXPECT_FALSE(decode(f, order));

  const std::string long_order = raw_frame('O', payload + '\0');
  ASSERT_EQ(next_frame(bytes_of(long_order), kMaxFrame, f), FrameStatus::Complete);
  EXPECT_FALSE(decode(f, order));

  const std::string short_cancel = raw_frame('X', std::string(7, '\0'));
  ASSERT_EQ(next_frame(bytes_of(short_cancel), kMaxFrame, f), FrameStatus::Complete);
  CancelOrderMsg cancel;
  EXPECT_FALSE(decode(f, cancel));

  const std::string short_login = raw_frame('L', std::string(63, 'k'));
  ASSERT_EQ(next_frame(bytes_of(short_login), kMaxFrame, f), FrameStatus::Complete);
  Login login;
  EXPECT_FALSE(decode(f, login));

  for (const auto& [type, size] : {std::pair<char, std::size_t>{'Q', 19},
                                   {'Q', 21},
                                   {'B', 41},
                                   {'B', 43},
                                   {'b', 58},
                                   {'z', 13}}) {
    SCOPED_TRACE(std::string(1, type) + std::to_string(size));
    const std::string wire = raw_frame(static_cast<std::uint8_t>(type), std::string(size, '\0'));
    ASSERT_EQ(next_frame(bytes_of(wire), kMaxFrame, f), FrameStatus::Complete);
    EnterQuoteOrder quote;
    BalanceQuery query;
    BalanceMsg balance;
    BalanceEnd end;
    EXPECT_FALSE(decode(f, quote));
    EXPECT_FALSE(decode(f, query));
    EXPECT_FALSE(decode(f, balance));
    EXPECT_FALSE(decode(f, end));
  }

  const std::string short_accepted = raw_frame('A', std::string(45, '\0'));
  ASSERT_EQ(next_frame(bytes_of(short_accepted), kMaxFrame, f), FrameStatus::Complete);
  Accepted accepted;
  EXPECT_FALSE(decode(f, accepted));
}

TEST(TcpDecode, WrongTypeFails) {
  std::string wire;
  encode(LoginAccepted{1}, wire);  // 8-byte payload, like CancelOrder
  Frame f;
  ASSERT_EQ(next_frame(bytes_of(wire), kMaxFrame, f), FrameStatus::Complete);
  CancelOrderMsg cancel;
  EXPECT_FALSE(decode(f, cancel));
  LoginAccepted accepted;
  EXPECT_TRUE(decode(f, accepted));
}

TEST(TcpDecode, BadEnumValuesFail) {
  // Payload offsets: client_order_id 0-7, symbol 8-9, side 10, type 11, tif 12.
  struct Case {
    const char* name;
    std::size_t offset;
    std::uint8_t value;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"side 1", 10, 1, true}, {"side 2", 10, 2, false},    {"side 255", 10, 255, false},
      {"type 1", 11, 1, true}, {"type 2", 11, 2, false},    {"tif 2", 12, 2, true},
      {"tif 3", 12, 3, false}, {"tif 255", 12, 255, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string wire;
    encode(EnterOrder{{{}, 1, Side::Buy, OrderType::Limit, TimeInForce::Gtc, 100, 5}, 9}, wire);
    wire[kLengthBytes + 1 + c.offset] = static_cast<char>(c.value);
    Frame f;
    ASSERT_EQ(next_frame(bytes_of(wire), kMaxFrame, f), FrameStatus::Complete);
    EnterOrder out;
    EXPECT_EQ(decode(f, out), c.ok);
  }
}

TEST(TcpDecode, LoginPaddingIsStripped) {
  struct Case {
    const char* name;
    std::string payload;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"space padded", "key-1" + std::string(59, ' '), "key-1"},
      {"NUL padded", "key-2" + std::string(59, '\0'), "key-2"},
      {"mixed padding", "key-3  " + std::string(57, '\0'), "key-3"},
      {"inner space kept", "ab cd" + std::string(59, ' '), "ab cd"},
      {"full width", std::string(64, 'q'), std::string(64, 'q')},
      {"all padding", std::string(64, ' '), ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.payload.size(), kApiKeyBytes);
    const std::string wire = raw_frame('L', c.payload);
    Frame f;
    ASSERT_EQ(next_frame(bytes_of(wire), kMaxFrame, f), FrameStatus::Complete);
    Login out;
    ASSERT_TRUE(decode(f, out));
    EXPECT_EQ(out.api_key, c.key);
  }
}

}  // namespace
}  // namespace spot::proto::tcp
