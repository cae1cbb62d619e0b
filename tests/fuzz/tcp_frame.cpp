// The binary TCP protocol (proto/tcp.h): a stream of bytes cut into frames by
// next_frame, each decoded by its type. What must hold: no read past the input (ASan),
// a frame never longer than the data or the limit, and every message that decodes
// re-encodes to bytes that decode to the same message (encode(decode(x)) is canonical).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.h"
#include "spot/net/tcp_server.h"
#include "spot/proto/tcp.h"

namespace {

using namespace spot::proto::tcp;

// Decodes `f` as T; if it decodes, its encoding must decode and encode to itself.
template <class T>
void round_trip(const Frame& f) {
  T message;
  if (!decode(f, message)) return;
  std::string once;
  encode(message, once);
  Frame again;
  FUZZ_CHECK(next_frame({reinterpret_cast<const std::uint8_t*>(once.data()), once.size()},
                        once.size(), again) == FrameStatus::Complete);
  FUZZ_CHECK(again.frame_bytes == once.size());
  FUZZ_CHECK(again.type == f.type);
  T decoded;
  FUZZ_CHECK(decode(again, decoded));
  std::string twice;
  encode(decoded, twice);
  FUZZ_CHECK(once == twice);
}

void decode_any(const Frame& f) {
  switch (static_cast<MsgType>(f.type)) {
    case MsgType::Login:
      return round_trip<Login>(f);
    case MsgType::EnterOrder:
      return round_trip<EnterOrder>(f);
    case MsgType::EnterQuoteOrder:
      return round_trip<EnterQuoteOrder>(f);
    case MsgType::CancelOrder:
      return round_trip<CancelOrderMsg>(f);
    case MsgType::BalanceQuery:
      return round_trip<BalanceQuery>(f);
    case MsgType::LoginAccepted:
      return round_trip<LoginAccepted>(f);
    case MsgType::Accepted:
      return round_trip<Accepted>(f);
    case MsgType::Executed:
      return round_trip<Executed>(f);
    case MsgType::Canceled:
      return round_trip<Canceled>(f);
    case MsgType::Rejected:
      return round_trip<Rejected>(f);
    case MsgType::Balance:
      return round_trip<BalanceMsg>(f);
    case MsgType::BalanceEnd:
      return round_trip<BalanceEnd>(f);
    case MsgType::Heartbeat:
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The server's own limit, as a session cuts its read buffer.
  const std::size_t max_frame_bytes = spot::TcpOptions{}.max_frame_bytes;
  std::span<const std::uint8_t> rest(data, size);
  while (!rest.empty()) {
    Frame f;
    const FrameStatus status = next_frame(rest, max_frame_bytes, f);
    if (status != FrameStatus::Complete) break;
    FUZZ_CHECK(f.frame_bytes > 0 && f.frame_bytes <= rest.size());
    FUZZ_CHECK(f.frame_bytes <= max_frame_bytes + kLengthBytes);
    FUZZ_CHECK(f.payload.data() >= rest.data() &&
               f.payload.data() + f.payload.size() <= rest.data() + f.frame_bytes);
    decode_any(f);
    rest = rest.subspan(f.frame_bytes);
  }
  return 0;
}
