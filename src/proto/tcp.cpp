#include "spot/proto/tcp.h"

#include <cstring>

namespace spot::proto::tcp {
namespace {

// Little-endian writer/reader over a fixed payload.
class Writer {
 public:
  Writer(std::string& out, MsgType type, std::size_t payload) : out_(out) {
    const std::size_t length = payload + 1;
    out_.push_back(static_cast<char>(length & 0xFF));
    out_.push_back(static_cast<char>(length >> 8));
    out_.push_back(static_cast<char>(type));
  }
  template <class T>
  Writer& put(T v) {
    auto u = static_cast<std::uint64_t>(v);
    for (std::size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<char>(u >> (8 * i)));
    return *this;
  }
  Writer& bytes(std::string_view s, std::size_t n, char pad) {
    for (std::size_t i = 0; i < n; ++i) out_.push_back(i < s.size() ? s[i] : pad);
    return *this;
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> p) : p_(p) {}
  template <class T>
  T get() {
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      u |= static_cast<std::uint64_t>(p_[at_ + i]) << (8 * i);
    at_ += sizeof(T);
    return static_cast<T>(u);
  }

 private:
  std::span<const std::uint8_t> p_;
  std::size_t at_ = 0;
};

bool sized(const Frame& f, MsgType type) {
  const auto size = payload_size(static_cast<std::uint8_t>(type));
  return f.type == static_cast<std::uint8_t>(type) && size && f.payload.size() == *size;
}

// A fixed-width text field without its trailing NUL or space padding.
std::string unpadded(std::span<const std::uint8_t> field) {
  std::string text(reinterpret_cast<const char*>(field.data()), field.size());
  const auto end = text.find_last_not_of(std::string_view("\0 ", 2));
  text.resize(end == std::string::npos ? 0 : end + 1);
  return text;
}

constexpr std::size_t kEnterOrderBytes = 30;
constexpr std::size_t kEnterQuoteOrderBytes = 20;
constexpr std::size_t kBalanceQueryBytes = 10 + kAssetBytes;
constexpr std::size_t kBalanceBytes = 27 + kAssetBytes;
constexpr std::size_t kBalanceEndBytes = 12;

}  // namespace

std::optional<std::size_t> payload_size(std::uint8_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::Login:
      return kApiKeyBytes;
    case MsgType::EnterOrder:
      return kEnterOrderBytes;
    case MsgType::EnterQuoteOrder:
      return kEnterQuoteOrderBytes;
    case MsgType::CancelOrder:
      return 8;
    case MsgType::BalanceQuery:
      return kBalanceQueryBytes;
    case MsgType::Heartbeat:
      return 0;
    case MsgType::LoginAccepted:
      return 8;
    case MsgType::Accepted:
      return 46;
    case MsgType::Executed:
      return 49;
    case MsgType::Canceled:
      return 25;
    case MsgType::Rejected:
      return 19;
    case MsgType::Balance:
      return kBalanceBytes;
    case MsgType::BalanceEnd:
      return kBalanceEndBytes;
  }
  return std::nullopt;
}

FrameStatus next_frame(std::span<const std::uint8_t> data, std::size_t max_frame_bytes,
                       Frame& frame) {
  if (data.size() < kLengthBytes) return FrameStatus::NeedMore;
  const std::size_t length =
      static_cast<std::size_t>(data[0]) | (static_cast<std::size_t>(data[1]) << 8);
  if (length == 0 || length > max_frame_bytes) return FrameStatus::BadLength;
  if (data.size() < kLengthBytes + length) return FrameStatus::NeedMore;
  frame.type = data[2];
  frame.payload = data.subspan(3, length - 1);
  frame.frame_bytes = kLengthBytes + length;
  return FrameStatus::Complete;
}

bool decode(const Frame& f, Login& out) {
  if (!sized(f, MsgType::Login)) return false;
  out.api_key = unpadded(f.payload);
  return true;
}

bool decode(const Frame& f, EnterOrder& out) {
  if (!sized(f, MsgType::EnterOrder)) return false;
  Reader r(f.payload);
  out.client_order_id = r.get<std::uint64_t>();
  out.symbol = r.get<std::uint16_t>();
  const auto side = r.get<std::uint8_t>();
  const auto type = r.get<std::uint8_t>();
  const auto tif = r.get<std::uint8_t>();
  const auto flags = r.get<std::uint8_t>();
  out.price = r.get<std::int64_t>();
  out.qty = r.get<std::int64_t>();
  if (side > 1 || type > 1 || tif > 2 || (flags & ~kKnownOrderFlags) != 0) return false;
  out.side = static_cast<Side>(side);
  out.type = static_cast<OrderType>(type);
  out.tif = static_cast<TimeInForce>(tif);
  out.post_only = (flags & kFlagPostOnly) != 0;
  return true;
}

bool decode(const Frame& f, EnterQuoteOrder& out) {
  if (!sized(f, MsgType::EnterQuoteOrder)) return false;
  Reader r(f.payload);
  out.client_order_id = r.get<std::uint64_t>();
  out.symbol = r.get<std::uint16_t>();
  const auto side = r.get<std::uint8_t>();
  const auto flags = r.get<std::uint8_t>();  // none defined yet
  out.quote_qty = r.get<std::int64_t>();
  if (side > 1 || flags != 0) return false;
  out.side = static_cast<Side>(side);
  return true;
}

bool decode(const Frame& f, BalanceQuery& out) {
  if (!sized(f, MsgType::BalanceQuery)) return false;
  Reader r(f.payload);
  out.query_id = r.get<std::uint64_t>();
  out.first = r.get<std::uint16_t>();
  out.asset = unpadded(f.payload.subspan(10, kAssetBytes));
  // A named asset is one answer, not a page; its code is an asset name's characters.
  if (out.asset.empty()) return true;
  return out.first == 0 && is_safe_id(out.asset, kAssetBytes);
}

bool decode(const Frame& f, CancelOrderMsg& out) {
  if (!sized(f, MsgType::CancelOrder)) return false;
  out.order_id = Reader(f.payload).get<std::uint64_t>();
  return true;
}

void encode(const Login& m, std::string& out) {
  Writer(out, MsgType::Login, kApiKeyBytes).bytes(m.api_key, kApiKeyBytes, ' ');
}

void encode(const EnterOrder& m, std::string& out) {
  Writer(out, MsgType::EnterOrder, kEnterOrderBytes)
      .put(m.client_order_id)
      .put(m.symbol)
      .put(static_cast<std::uint8_t>(m.side))
      .put(static_cast<std::uint8_t>(m.type))
      .put(static_cast<std::uint8_t>(m.tif))
      .put(static_cast<std::uint8_t>(m.post_only ? kFlagPostOnly : 0))
      .put(m.price)
      .put(m.qty);
}

void encode(const EnterQuoteOrder& m, std::string& out) {
  Writer(out, MsgType::EnterQuoteOrder, kEnterQuoteOrderBytes)
      .put(m.client_order_id)
      .put(m.symbol)
      .put(static_cast<std::uint8_t>(m.side))
      .put(std::uint8_t{0})
      .put(m.quote_qty);
}

void encode(const CancelOrderMsg& m, std::string& out) {
  Writer(out, MsgType::CancelOrder, 8).put(m.order_id);
}

void encode(const BalanceQuery& m, std::string& out) {
  Writer(out, MsgType::BalanceQuery, kBalanceQueryBytes)
      .put(m.query_id)
      .put(m.first)
      .bytes(m.asset, kAssetBytes, '\0');
}

void encode_heartbeat(std::string& out) { Writer(out, MsgType::Heartbeat, 0); }

void encode(const LoginAccepted& m, std::string& out) {
  Writer(out, MsgType::LoginAccepted, 8).put(m.account_id);
}

void encode(const Accepted& m, std::string& out) {
  Writer(out, MsgType::Accepted, 46)
      .put(m.client_order_id)
      .put(m.order_id)
      .put(m.symbol)
      .put(static_cast<std::uint8_t>(m.side))
      .put(static_cast<std::uint8_t>(m.type))
      .put(static_cast<std::uint8_t>(m.tif))
      .put(static_cast<std::uint8_t>(m.status))
      .put(m.price)
      .put(m.qty)
      .put(m.executed_qty);
}

void encode(const Executed& m, std::string& out) {
  Writer(out, MsgType::Executed, 49)
      .put(m.client_order_id)
      .put(m.order_id)
      .put(m.trade_id)
      .put(m.price)
      .put(m.qty)
      .put(m.leaves_qty)
      .put(static_cast<std::uint8_t>(m.liquidity));
}

void encode(const Canceled& m, std::string& out) {
  Writer(out, MsgType::Canceled, 25)
      .put(m.client_order_id)
      .put(m.order_id)
      .put(m.canceled_qty)
      .put(static_cast<std::uint8_t>(m.reason));
}

void encode(const Rejected& m, std::string& out) {
  Writer(out, MsgType::Rejected, 19)
      .put(m.client_order_id)
      .put(m.order_id)
      .put(m.rejected_type)
      .put(static_cast<std::uint16_t>(m.reason));
}

void encode(const BalanceMsg& m, std::string& out) {
  Writer(out, MsgType::Balance, kBalanceBytes)
      .put(m.query_id)
      .put(m.asset_index)
      .bytes(m.asset, kAssetBytes, '\0')
      .put(m.decimals)
      .put(m.free)
      .put(m.locked);
}

void encode(const BalanceEnd& m, std::string& out) {
  Writer(out, MsgType::BalanceEnd, kBalanceEndBytes).put(m.query_id).put(m.count).put(m.next);
}

bool decode(const Frame& f, LoginAccepted& out) {
  if (!sized(f, MsgType::LoginAccepted)) return false;
  out.account_id = Reader(f.payload).get<std::uint64_t>();
  return true;
}

bool decode(const Frame& f, Accepted& out) {
  if (!sized(f, MsgType::Accepted)) return false;
  Reader r(f.payload);
  out.client_order_id = r.get<std::uint64_t>();
  out.order_id = r.get<std::uint64_t>();
  out.symbol = r.get<std::uint16_t>();
  const auto side = r.get<std::uint8_t>();
  const auto type = r.get<std::uint8_t>();
  const auto tif = r.get<std::uint8_t>();
  const auto status = r.get<std::uint8_t>();
  out.price = r.get<std::int64_t>();
  out.qty = r.get<std::int64_t>();
  out.executed_qty = r.get<std::int64_t>();
  if (side > 1 || type > 1 || tif > 2 || status > 4) return false;
  out.side = static_cast<Side>(side);
  out.type = static_cast<OrderType>(type);
  out.tif = static_cast<TimeInForce>(tif);
  out.status = static_cast<OrderStatusCode>(status);
  return true;
}

bool decode(const Frame& f, Executed& out) {
  if (!sized(f, MsgType::Executed)) return false;
  Reader r(f.payload);
  out.client_order_id = r.get<std::uint64_t>();
  out.order_id = r.get<std::uint64_t>();
  out.trade_id = r.get<std::uint64_t>();
  out.price = r.get<std::int64_t>();
  out.qty = r.get<std::int64_t>();
  out.leaves_qty = r.get<std::int64_t>();
  out.liquidity = static_cast<char>(r.get<std::uint8_t>());
  return true;
}

bool decode(const Frame& f, Canceled& out) {
  if (!sized(f, MsgType::Canceled)) return false;
  Reader r(f.payload);
  out.client_order_id = r.get<std::uint64_t>();
  out.order_id = r.get<std::uint64_t>();
  out.canceled_qty = r.get<std::int64_t>();
  const auto reason = r.get<std::uint8_t>();
  if (reason > 1) return false;
  out.reason = static_cast<CancelReasonCode>(reason);
  return true;
}

bool decode(const Frame& f, Rejected& out) {
  if (!sized(f, MsgType::Rejected)) return false;
  Reader r(f.payload);
  out.client_order_id = r.get<std::uint64_t>();
  out.order_id = r.get<std::uint64_t>();
  out.rejected_type = r.get<std::uint8_t>();
  const auto reason = r.get<std::uint16_t>();
  if (reason == 0 || reason > static_cast<std::uint16_t>(kLastRejectReason)) return false;
  out.reason = static_cast<RejectReason>(reason);
  return true;
}

bool decode(const Frame& f, BalanceMsg& out) {
  if (!sized(f, MsgType::Balance)) return false;
  Reader r(f.payload);
  out.query_id = r.get<std::uint64_t>();
  out.asset_index = r.get<std::uint16_t>();
  out.asset = unpadded(f.payload.subspan(10, kAssetBytes));
  Reader rest(f.payload.subspan(10 + kAssetBytes));
  out.decimals = rest.get<std::uint8_t>();
  out.free = rest.get<std::int64_t>();
  out.locked = rest.get<std::int64_t>();
  return true;
}

bool decode(const Frame& f, BalanceEnd& out) {
  if (!sized(f, MsgType::BalanceEnd)) return false;
  Reader r(f.payload);
  out.query_id = r.get<std::uint64_t>();
  out.count = r.get<std::uint16_t>();
  out.next = r.get<std::uint16_t>();
  return true;
}

}  // namespace spot::proto::tcp
