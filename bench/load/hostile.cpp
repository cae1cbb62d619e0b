#include "bench/load/hostile.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/load/http_codec.h"
#include "spot/proto/tcp.h"

namespace spot::bench::load {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
namespace wire = proto::tcp;

// Bounds that are not worth an option: they only keep a mistake from running away.
constexpr int kMaxRounds = 1'000'000;
constexpr std::size_t kMaxExamples = 8;             // unexpected answers kept for the summary
constexpr std::size_t kMaxAnswerBytes = 64 * 1024;  // what is kept of one answer
constexpr std::size_t kSendChunkBytes = 16 * 1024;  // one send() at most
constexpr std::size_t kMaxFlood = 100'000;
constexpr std::size_t kMaxSize = 16u << 20;  // any one probe's bytes
constexpr double kMaxSeconds = 24 * 3600;
// Descriptors kept free beside the flood (probes, slowloris, stdio).
constexpr std::size_t kSpareDescriptors = 256;

TimePoint after(TimePoint from, double seconds) {
  return from +
         std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
}

double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

int ms_until(TimePoint t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - SteadyClock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
}

// An owned socket descriptor. reset() closes with SO_LINGER 0: an abortive close (RST),
// as a hostile client does, which also keeps the client's ports out of TIME_WAIT.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ < 0) return;
    const linger abort_close{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

enum class ConnectResult { Ok, Refused, Timeout, Failed };

ConnectResult classify_connect_errno(int e) {
  if (e == 0) return ConnectResult::Ok;
  if (e == ECONNREFUSED || e == ECONNRESET) return ConnectResult::Refused;
  if (e == ETIMEDOUT) return ConnectResult::Timeout;
  return ConnectResult::Failed;
}

// Starts a non-blocking connect; the Fd is invalid when the socket could not be made.
Fd start_connect(const sockaddr_in& to, int* connect_errno) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    *connect_errno = errno;
    return fd;
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
  *connect_errno = rc == 0 ? 0 : errno;
  return fd;
}

int socket_error(int fd) {
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
  return error;
}

// One connection, made within timeout_s.
std::pair<Fd, ConnectResult> connect_to(const sockaddr_in& to, double timeout_s) {
  int e = 0;
  Fd fd = start_connect(to, &e);
  if (!fd.valid()) return {Fd(), ConnectResult::Failed};
  if (e == EINPROGRESS) {
    const TimePoint deadline = after(SteadyClock::now(), timeout_s);
    pollfd p{fd.get(), POLLOUT, 0};
    int n = 0;
    do {
      n = ::poll(&p, 1, ms_until(deadline));
    } while (n < 0 && errno == EINTR && SteadyClock::now() < deadline);
    if (n <= 0) return {Fd(), ConnectResult::Timeout};
    e = socket_error(fd.get());
  }
  const ConnectResult r = classify_connect_errno(e);
  if (r != ConnectResult::Ok) return {Fd(), r};
  return {std::move(fd), r};
}

// What one connection got back for what it sent.
struct Exchange {
  std::size_t sent_bytes = 0;
  std::string data;     // the server's bytes, the first kMaxAnswerBytes of them
  bool whole = false;   // `done` accepted the answer
  bool closed = false;  // the server closed (EOF) or reset the connection
  bool reset = false;
  double close_after_s = 0;  // from the start, when closed
};

// Sends `request` while reading what comes back (a server may answer, and close, before
// the whole request is in), until `done(data)` accepts the answer and the server closes
// or `linger_s` passes, the server closes, or the deadline. A failed send (the server
// closed first) ends the sending, not the reading.
template <typename Done>
Exchange converse(int fd, std::string_view request, TimePoint deadline, double linger_s,
                  Done done) {
  Exchange x;
  const TimePoint start = SteadyClock::now();
  bool can_send = !request.empty();
  std::vector<char> buffer(16 * 1024);
  while (SteadyClock::now() < deadline) {
    pollfd p{fd, static_cast<short>(POLLIN | (can_send ? POLLOUT : 0)), 0};
    const int n = ::poll(&p, 1, ms_until(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (got > 0) {
        const std::size_t keep =
            std::min(static_cast<std::size_t>(got), kMaxAnswerBytes - x.data.size());
        x.data.append(buffer.data(), keep);
        if (!x.whole && done(std::string_view(x.data))) {
          x.whole = true;
          deadline = std::min(deadline, after(SteadyClock::now(), linger_s));
        }
        continue;
      }
      if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        x.closed = true;
        x.reset = got < 0 && errno == ECONNRESET;
        x.close_after_s = seconds_between(start, SteadyClock::now());
        break;
      }
    }
    if (can_send && (p.revents & POLLOUT) != 0) {
      const std::size_t chunk = std::min(request.size() - x.sent_bytes, kSendChunkBytes);
      const ssize_t put = ::send(fd, request.data() + x.sent_bytes, chunk, MSG_NOSIGNAL);
      if (put > 0) {
        x.sent_bytes += static_cast<std::size_t>(put);
      } else if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        can_send = false;
      }
      if (x.sent_bytes == request.size()) can_send = false;
    }
  }
  return x;
}

// ---- what is sent -------------------------------------------------------------------

enum class CloseRule { Either, Closes, StaysOpen };

// The answer a probe should get. HTTP: `status` exactly, else any of `status_class`xx;
// TCP: a Rejected with `reason` (None: any answer, or none).
struct Expect {
  int status = 0;
  int status_class = 4;
  RejectReason reason = RejectReason::None;
  CloseRule close = CloseRule::Either;
};

struct Probe {
  std::string name;
  std::string bytes;
  Expect expect;
  bool login = false;  // TCP: log in with the API key first
};

std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// HTTP requests, for the trader port (admin == false) or the admin port.
class HttpProbes {
 public:
  HttpProbes(const HostileOptions& o, std::uint16_t port, bool admin)
      : o_(o), host_(o.host + ":" + std::to_string(port)), admin_(admin) {}

  std::vector<Probe> round(std::mt19937_64& rng) const {
    std::vector<Probe> out;
    const std::string post_target = admin_ ? "/admin/v1/accounts" : "/api/v1/orders";
    const std::string get_target = admin_ ? "/readyz" : "/api/v1/exchangeInfo";
    const std::string auth = admin_ ? bearer(o_.admin_token) : api_key();
    for (int i = 0; i < o_.oversized; ++i) {
      out.push_back(
          {"oversized_body",
           head("POST", post_target, auth) + "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(o_.body_bytes) + "\r\n\r\n" + std::string(o_.body_bytes, 'x'),
           {413, 4, RejectReason::None, CloseRule::Closes}});
      std::string chunked = head("POST", post_target, auth) +
                            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (std::size_t n = 0; n <= o_.body_bytes; n += 4096) {
        chunked += "1000\r\n" + std::string(4096, 'x') + "\r\n";
      }
      chunked += "0\r\n\r\n";
      out.push_back({"oversized_chunked",
                     std::move(chunked),
                     {413, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back({"oversized_header",
                     head("GET", get_target, auth) + "X-Pad: " + std::string(o_.header_bytes, 'a') +
                         "\r\n\r\n",
                     {431, 4, RejectReason::None, CloseRule::Closes}});
      std::string many = head("GET", get_target, auth);
      for (std::size_t n = 0; n * 16 <= o_.header_bytes; ++n) {
        char line[32];
        std::snprintf(line, sizeof line, "X-H%07zu: 12\r\n", n);
        many += line;
      }
      many += "\r\n";
      out.push_back(
          {"many_headers", std::move(many), {431, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back({"long_target",
                     "GET " + get_target + "?pad=" + std::string(o_.header_bytes, 'A') +
                         " HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n",
                     {431, 4, RejectReason::None, CloseRule::Closes}});
    }
    // Bad JSON past authentication where there is a key (else 401 comes first: still 4xx).
    if (!admin_ || !o_.admin_token.empty()) {
      for (int i = 0; i < o_.bad_json; ++i) {
        const std::string body = bad_json(rng);
        out.push_back({"bad_json",
                       head("POST", post_target, auth) +
                           "Content-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body,
                       {0, 4, RejectReason::None, CloseRule::Either}});
      }
    }
    if (admin_) {
      out.push_back({"wrong_token",
                     head("POST", post_target, bearer("not-the-token")) +
                         "Content-Length: 13\r\n\r\n{\"name\":\"x\"}\n",
                     {0, 4, RejectReason::None, CloseRule::Either}});
    }
    for (int i = 0; i < o_.garbage; ++i) {
      // A control byte first, so that the first line is never a valid method by chance.
      out.push_back({"garbage",
                     "\x01" + random_bytes(rng, o_.garbage_bytes) + "\r\n\r\n",
                     {400, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back({"bad_request_line",
                     "HELLO THERE\r\n\r\n",
                     {400, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back(
          {"header_without_colon",
           "GET " + get_target + " HTTP/1.1\r\nHost: " + host_ + "\r\nNoColonHere\r\n\r\n",
           {400, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back({"negative_content_length",
                     head("POST", post_target, auth) + "Content-Length: -5\r\n\r\nhello",
                     {400, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back(
          {"conflicting_content_length",
           head("POST", post_target, auth) + "Content-Length: 2\r\nContent-Length: 9\r\n\r\n{}",
           {400, 4, RejectReason::None, CloseRule::Closes}});
      out.push_back(
          {"huge_content_length",
           head("POST", post_target, auth) + "Content-Length: 99999999999999999999999\r\n\r\n{}",
           {0, 4, RejectReason::None, CloseRule::Closes}});
    }
    return out;
  }

 private:
  std::string head(std::string_view method, std::string_view target,
                   const std::string& auth) const {
    return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: " + host_ +
           "\r\n" + auth;
  }
  std::string api_key() const {
    return o_.api_key.empty() ? std::string() : "X-API-Key: " + o_.api_key + "\r\n";
  }
  static std::string bearer(const std::string& token) {
    return token.empty() ? std::string() : "Authorization: Bearer " + token + "\r\n";
  }

  // One of a few kinds of bad JSON, within the body limit. The trader port also gets
  // JSON that parses but whose values are wrong; the admin port only text that does not
  // parse (a well-formed object there may be a valid request, e.g. an account).
  std::string bad_json(std::mt19937_64& rng) const {
    static constexpr char kNulInside[] = "{\"symbol\":\"BTC-USDT\"\0,\"side\":\"BUY\"}";
    const std::size_t room = std::max<std::size_t>(o_.body_bytes / 8, 64);
    const std::uint64_t kinds = admin_ ? 5 : 8;
    switch (rng() % kinds) {
      case 0:
        return "{";
      case 1:
        return "this is not json";
      case 2:  // invalid UTF-8 in a string
        return "{\"symbol\":\"\xc3\x28\xff\",\"side\":\"BUY\"}";
      case 3:
        return std::string(kNulInside, sizeof kNulInside - 1);
      case 4:  // nesting that never closes: a recursive parser would use the stack up
        return std::string(room, '[');
      case 5:  // deep but closed: a recursive destructor would use the stack up
        return std::string(room / 2, '[') + std::string(room / 2, ']');
      case 6:
        return "{\"symbol\":\"BTC-USDT\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"quantity\":"
               "99999999999999999999999999,\"price\":\"NaN\"}";
      default: {
        std::string many = "{";
        for (std::size_t n = 0; many.size() + 16 < room; ++n) {
          many += "\"k" + std::to_string(n) + "\":" + std::to_string(n) + ",";
        }
        many.back() = '}';
        return many;
      }
    }
  }

  const HostileOptions& o_;
  std::string host_;
  bool admin_;
};

void put_u16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// An EnterOrder frame written byte by byte, so that out-of-range fields can be sent.
std::string enter_order_frame(std::uint8_t side, std::uint8_t flags) {
  std::string payload;
  put_u64(payload, 0);  // client_order_id 0: none, nothing idempotent is remembered
  put_u16(payload, 0);  // symbol
  payload += static_cast<char>(side);
  payload += '\0';  // LIMIT
  payload += '\0';  // GTC
  payload += static_cast<char>(flags);
  put_u64(payload, 1);  // price: one tick
  put_u64(payload, 1);  // qty: one lot
  std::string frame;
  put_u16(frame, static_cast<std::uint16_t>(payload.size() + 1));
  frame += static_cast<char>(wire::MsgType::EnterOrder);
  return frame + payload;
}

std::string login_frame(std::string_view key) {
  wire::Login login;
  login.api_key = std::string(key.substr(0, wire::kApiKeyBytes));
  std::string out;
  wire::encode(login, out);
  return out;
}

std::vector<Probe> tcp_round(const HostileOptions& o, std::mt19937_64& rng) {
  std::vector<Probe> out;
  const Expect closes{0, 0, RejectReason::BadRequest, CloseRule::Closes};
  const Expect stays{0, 0, RejectReason::BadRequest, CloseRule::StaysOpen};
  const auto frame = [](std::uint16_t length, char type, std::size_t payload_bytes) {
    std::string f;
    put_u16(f, length);
    f += type;
    return f + std::string(payload_bytes, '\0');
  };
  for (int i = 0; i < o.oversized; ++i) {
    const auto length = static_cast<std::uint16_t>(std::min<std::size_t>(o.frame_bytes, 65535));
    out.push_back({"oversized_frame", frame(length, 'O', length - 1u), closes});
    out.push_back({"max_length_header_only", frame(65535, 'O', 0), closes});
  }
  for (int i = 0; i < o.garbage; ++i) {
    out.push_back({"zero_length", std::string(2, '\0'), closes});
    out.push_back({"wrong_size", frame(11, 'L', 10), closes});
    out.push_back({"unknown_type", frame(5, 'Z', 4), stays});
    // Random bytes may hold any frames at all: counted, not judged.
    out.push_back({"garbage", random_bytes(rng, o.garbage_bytes), Expect{0, 0}});
    out.push_back({"order_before_login",
                   enter_order_frame(0, 0),
                   {0, 0, RejectReason::Unauthorized, CloseRule::StaysOpen}});
    out.push_back({"bad_login",
                   login_frame(std::string(wire::kApiKeyBytes, 'z')),
                   {0, 0, RejectReason::Unauthorized, CloseRule::Closes}});
    if (!o.api_key.empty()) {
      out.push_back({"bad_side_after_login", enter_order_frame(7, 0), stays, true});
      out.push_back({"unknown_flag_after_login", enter_order_frame(0, 0x80), stays, true});
      out.push_back({"second_login", login_frame(o.api_key), stays, true});
      out.push_back({"oversized_after_login", frame(65535, 'O', 0), closes, true});
    }
  }
  return out;
}

// ---- what came back -------------------------------------------------------------------

// A frame type for the summary: its letter, or its hex value when it is not one (the
// summary is JSON, which must stay valid UTF-8 whatever a server sends).
std::string type_name(std::uint8_t type) {
  if ((type >= 'a' && type <= 'z') || (type >= 'A' && type <= 'Z')) {
    return std::string(1, static_cast<char>(type));
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", type);
  return hex;
}

// The Rejected reasons (and other answers) among whole frames in `data`.
struct TcpAnswers {
  std::vector<std::string> answers;  // "REASON" for a Rejected, else the type letter
};

TcpAnswers read_frames(std::string_view data) {
  TcpAnswers a;
  std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(data.data()),
                                     data.size());
  while (!rest.empty()) {
    wire::Frame f;
    if (wire::next_frame(rest, 65535, f) != wire::FrameStatus::Complete) break;
    rest = rest.subspan(f.frame_bytes);
    if (f.type == static_cast<std::uint8_t>(wire::MsgType::Heartbeat)) continue;
    wire::Rejected r;
    if (f.type == static_cast<std::uint8_t>(wire::MsgType::Rejected) && wire::decode(f, r)) {
      a.answers.emplace_back(to_string(r.reason));
    } else {
      a.answers.push_back(type_name(f.type));
    }
  }
  return a;
}

bool has_answer_frame(std::string_view data) { return !read_frames(data).answers.empty(); }

struct ProbeCount {
  std::uint64_t sent = 0;
  std::uint64_t as_expected = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t at_limit = 0;  // refused at the connection limit: never got to be judged
};

// What one port's probes got, kept by one worker.
struct PortReport {
  std::map<std::string, ProbeCount> probes;
  std::map<std::string, std::uint64_t> answers;  // HTTP status or TCP reason -> count
  std::uint64_t connect_failed = 0;
  std::uint64_t closed_by_server = 0;
  std::uint64_t reset_by_server = 0;
  std::uint64_t left_open = 0;  // answered (or not) and still open when we hung up
  std::uint64_t no_answer = 0;
  std::uint64_t refused_at_limit = 0;
  std::uint64_t bytes_sent = 0;
  std::vector<std::string> examples;

  void unexpected(std::string what) {
    if (examples.size() < kMaxExamples) examples.push_back(std::move(what));
  }
};

std::string describe(const Expect& e, bool http) {
  std::string s =
      http ? (e.status != 0 ? std::to_string(e.status) : std::to_string(e.status_class) + "xx")
           : (e.reason == RejectReason::None ? std::string("anything")
                                             : std::string(to_string(e.reason)));
  if (e.close == CloseRule::Closes) s += " and close";
  if (e.close == CloseRule::StaysOpen) s += " and stay open";
  return s;
}

// spotd's answer to a connection over http.max_connections (or admin.max_connections).
bool refused_at_limit(const HttpResponse& response) {
  return response.status == 503 && response.body.find("too many connections") != std::string::npos;
}

// What every judgement ends with, whatever the protocol: the connection's counts, then the
// probe's verdict. A probe `at_limit` was never read (refused at the limit, or closed to
// make room for another) and is counted apart; otherwise it is as expected if its answer
// was (`answer_ok`) and the connection was closed or left open as the probe expects, and
// unexpected with a line made of `expected_got` and how the connection ended.
void record(const Probe& probe, const Exchange& x, bool at_limit, bool answer_ok,
            const std::string& expected_got, PortReport& r) {
  if (x.closed) ++r.closed_by_server;
  if (x.reset) ++r.reset_by_server;
  if (!x.closed) ++r.left_open;
  r.bytes_sent += x.sent_bytes;
  ProbeCount& c = r.probes[probe.name];
  ++c.sent;
  if (at_limit) {
    ++c.at_limit;
    ++r.refused_at_limit;
    return;
  }
  const Expect& e = probe.expect;
  bool ok = answer_ok;
  if (e.close == CloseRule::Closes && !x.closed) ok = false;
  if (e.close == CloseRule::StaysOpen && x.closed) ok = false;
  if (ok) {
    ++c.as_expected;
    return;
  }
  ++c.unexpected;
  r.unexpected(expected_got + (x.closed ? (x.reset ? " and reset" : " and close") : ", open") +
               " (" + std::to_string(x.sent_bytes) + " bytes sent)");
}

// Records one HTTP probe's exchange against its expectation. A connection refused at the
// limit, or closed unanswered to make room for another while our own flood holds the
// port (spotd closes the connection idle longest: one whose bytes it has not read yet
// may be it), is counted apart: the probe was never read.
void judge_http(const char* port_name, const Probe& probe, const Exchange& x, bool during_flood,
                PortReport& r) {
  HttpResponse response;
  int status = 0;
  bool at_limit = false;
  if (x.whole && parse_http_response(x.data, HttpLimits{}, response) == HttpParse::Complete) {
    status = response.status;
    at_limit = refused_at_limit(response);
  } else if (!x.data.empty()) {
    status = -1;  // bytes that are not an HTTP response
  }
  const std::string answer =
      status > 0 ? std::to_string(status) : (status < 0 ? "unparseable" : "none");
  ++r.answers[answer];
  if (status == 0) ++r.no_answer;
  const Expect& e = probe.expect;
  record(probe, x, at_limit || (during_flood && x.closed && x.data.empty()),
         e.status != 0 ? status == e.status : status / 100 == e.status_class,
         std::string(port_name) + " " + probe.name + ": expected " + describe(e, true) + ", got " +
             answer,
         r);
}

// As judge_http. spotd closes a TCP connection over tcp.max_connections without a word, so
// a close with no answer while our own flood holds the port counts as refused at the limit;
// so does the close of a connection not logged in that had its answer and should have
// stayed open (closed to make room for another, as the connection idle longest).
void judge_tcp(const Probe& probe, const Exchange& x, bool during_flood, PortReport& r) {
  const TcpAnswers a = read_frames(x.data);
  for (const std::string& s : a.answers) ++r.answers[s];
  if (a.answers.empty()) {
    ++r.answers["none"];
    ++r.no_answer;
  }
  const Expect& e = probe.expect;
  const bool answer_ok = e.reason == RejectReason::None ||
                         (!a.answers.empty() && a.answers.front() == to_string(e.reason));
  const bool made_room = answer_ok && !probe.login && e.close == CloseRule::StaysOpen && x.closed;
  record(probe, x, during_flood && x.closed && (x.data.empty() || made_room), answer_ok,
         "tcp " + probe.name + ": expected " + describe(e, false) + ", got " +
             (a.answers.empty() ? std::string("none") : a.answers.front()),
         r);
}

sockaddr_in address_of(const HostileOptions& o, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, o.host.c_str(), &a.sin_addr);
  return a;
}

// ---- the workers ----------------------------------------------------------------------

struct Attack {
  const HostileOptions& o;
  TimePoint start;
  TimePoint end;
  // The port the flood worker holds now (0: none). Floods go one port at a time.
  mutable std::atomic<std::uint16_t> flooding{0};

  bool over() const { return SteadyClock::now() >= end; }
  bool flooded(std::uint16_t port) const { return flooding.load() == port; }
  // Sleeps up to `seconds`, waking at the end of the attack.
  void pause(double seconds) const {
    std::this_thread::sleep_until(std::min(end, after(SteadyClock::now(), seconds)));
  }
};

// Malformed HTTP on one port, a round at a time.
void http_worker(const Attack& attack, std::uint16_t port, bool admin, std::uint64_t seed,
                 PortReport& report) {
  const HostileOptions& o = attack.o;
  const sockaddr_in to = address_of(o, port);
  const HttpProbes probes(o, port, admin);
  const char* name = admin ? "admin" : "http";
  std::mt19937_64 rng(seed);
  for (int round = 0; round < kMaxRounds && !attack.over(); ++round) {
    for (const Probe& probe : probes.round(rng)) {
      if (attack.over()) break;
      const bool flood_before = attack.flooded(port);
      auto [fd, result] = connect_to(to, o.connect_timeout_s);
      if (result != ConnectResult::Ok) {
        ++report.connect_failed;
        continue;
      }
      const double linger =
          probe.expect.close == CloseRule::Closes ? o.io_timeout_s : o.stay_open_check_s;
      const Exchange x =
          converse(fd.get(), probe.bytes, after(SteadyClock::now(), o.io_timeout_s), linger,
                   [](std::string_view data) {
                     HttpResponse r;
                     return parse_http_response(data, HttpLimits{}, r) != HttpParse::NeedMore;
                   });
      judge_http(name, probe, x, flood_before || attack.flooded(port), report);
    }
    attack.pause(o.round_pause_s);
  }
}

// Malformed frames on the TCP port, a round at a time.
void tcp_worker(const Attack& attack, std::uint16_t port, std::uint64_t seed, PortReport& report) {
  const HostileOptions& o = attack.o;
  const sockaddr_in to = address_of(o, port);
  std::mt19937_64 rng(seed);
  for (int round = 0; round < kMaxRounds && !attack.over(); ++round) {
    for (const Probe& probe : tcp_round(o, rng)) {
      if (attack.over()) break;
      const bool flood_before = attack.flooded(port);
      auto [fd, result] = connect_to(to, o.connect_timeout_s);
      if (result != ConnectResult::Ok) {
        ++report.connect_failed;
        continue;
      }
      if (probe.login) {
        const Exchange login =
            converse(fd.get(), login_frame(o.api_key), after(SteadyClock::now(), o.io_timeout_s), 0,
                     [](std::string_view data) { return has_answer_frame(data); });
        const TcpAnswers a = read_frames(login.data);
        if ((flood_before || attack.flooded(port)) && login.closed && login.data.empty()) {
          ++report.probes[probe.name].sent;
          ++report.probes[probe.name].at_limit;
          ++report.refused_at_limit;
          continue;
        }
        if (login.closed || a.answers.empty() ||
            a.answers.front() !=
                type_name(static_cast<std::uint8_t>(wire::MsgType::LoginAccepted))) {
          ++report.probes[probe.name].sent;
          ++report.probes[probe.name].unexpected;
          report.unexpected("tcp " + probe.name + ": the Login with --api-key was not accepted");
          continue;
        }
      }
      const double linger =
          probe.expect.close == CloseRule::Closes ? o.io_timeout_s : o.stay_open_check_s;
      const Exchange x =
          converse(fd.get(), probe.bytes, after(SteadyClock::now(), o.io_timeout_s), linger,
                   [](std::string_view data) { return has_answer_frame(data); });
      judge_tcp(probe, x, flood_before || attack.flooded(port), report);
    }
    attack.pause(o.round_pause_s);
  }
}

// Waits until `wake` for what the open connections of `conns` (each with fd, answer and
// open) receive: keeps it in their answer (up to kMaxAnswerBytes) and hands each one the
// server closed to `closed`, marked closed. Returns how many it closed.
template <class Conn, class Closed>
std::size_t poll_answers(std::vector<Conn>& conns, TimePoint wake, Closed&& closed) {
  std::vector<pollfd> polls;
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    if (!conns[i].open) continue;
    polls.push_back({conns[i].fd.get(), POLLIN, 0});
    index.push_back(i);
  }
  if (::poll(polls.data(), polls.size(), ms_until(wake)) <= 0) return 0;
  char buffer[4096];
  std::size_t gone = 0;
  for (std::size_t k = 0; k < polls.size(); ++k) {
    if ((polls[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    Conn& c = conns[index[k]];
    const ssize_t got = ::recv(c.fd.get(), buffer, sizeof buffer, 0);
    if (got > 0) {
      c.answer.append(buffer, std::min<std::size_t>(static_cast<std::size_t>(got),
                                                    kMaxAnswerBytes - c.answer.size()));
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    c.open = false;
    ++gone;
    closed(c);
  }
  return gone;
}

// One port's slowloris figures.
struct SlowReport {
  std::uint64_t rounds = 0;
  std::uint64_t connections = 0;
  std::uint64_t connect_failed = 0;
  std::uint64_t refused_at_limit = 0;  // refused while our flood held the port
  std::uint64_t closed_by_server = 0;
  std::uint64_t held_to_max = 0;  // still open after --slowloris-max: the server waits forever
  std::uint64_t cut_at_end = 0;   // still open when the attack ended
  std::uint64_t bytes_sent = 0;
  std::map<std::string, std::uint64_t> answers;  // what came back before the close
  std::vector<double> close_after_s;
};

struct SlowTarget {
  const char* name;
  std::uint16_t port;
  std::string payload;  // dribbled, never complete
  bool http;
};

// Requests dribbled a byte at a time on every port, until the server closes them.
void slowloris_worker(const Attack& attack, const std::vector<SlowTarget>& targets,
                      std::map<std::string, SlowReport>& reports) {
  const HostileOptions& o = attack.o;
  struct Conn {
    const SlowTarget* target;
    Fd fd;
    std::size_t sent = 0;
    std::string answer;
    TimePoint opened;
    TimePoint next_send;
    bool open = true;
    bool during_flood = false;  // made while our flood held its port
  };
  for (int round = 0; round < kMaxRounds && !attack.over(); ++round) {
    const TimePoint round_start = SteadyClock::now();
    const TimePoint round_max = after(round_start, o.slowloris_max_s);
    const TimePoint round_end = std::min(round_max, attack.end);
    std::vector<Conn> conns;
    for (const SlowTarget& t : targets) {
      SlowReport& r = reports[t.name];
      ++r.rounds;
      for (int i = 0; i < o.slowloris; ++i) {
        auto [fd, result] = connect_to(address_of(o, t.port), o.connect_timeout_s);
        if (result != ConnectResult::Ok) {
          ++r.connect_failed;
          continue;
        }
        ++r.connections;
        const TimePoint now = SteadyClock::now();
        conns.push_back({&t, std::move(fd), 0, {}, now, now, true, attack.flooded(t.port)});
      }
    }
    std::size_t open = conns.size();
    while (open > 0 && SteadyClock::now() < round_end) {
      TimePoint wake = round_end;
      const TimePoint now = SteadyClock::now();
      for (Conn& c : conns) {
        if (!c.open) continue;
        if (c.next_send <= now && c.sent < c.target->payload.size()) {
          const ssize_t put =
              ::send(c.fd.get(), c.target->payload.data() + c.sent, 1, MSG_NOSIGNAL);
          if (put == 1) {
            ++c.sent;
            ++reports[c.target->name].bytes_sent;
          }
          c.next_send = after(now, o.slowloris_interval_s);
        }
        if (c.sent < c.target->payload.size()) wake = std::min(wake, c.next_send);
      }
      open -= poll_answers(conns, wake, [&](Conn& c) {
        SlowReport& r = reports[c.target->name];
        std::string answer = "none";
        bool at_limit = false;
        if (c.target->http) {
          HttpResponse response;
          if (parse_http_response(c.answer, HttpLimits{}, response) == HttpParse::Complete) {
            answer = std::to_string(response.status);
            at_limit = refused_at_limit(response);
          } else if (!c.answer.empty()) {
            answer = "unparseable";
          }
        } else {
          const TcpAnswers a = read_frames(c.answer);
          if (!a.answers.empty()) answer = a.answers.front();
          at_limit =
              (c.during_flood || attack.flooded(c.target->port)) && c.answer.empty() && c.sent <= 1;
        }
        if (at_limit) {
          ++r.refused_at_limit;
          return;
        }
        ++r.closed_by_server;
        r.close_after_s.push_back(seconds_between(c.opened, SteadyClock::now()));
        ++r.answers[answer];
      });
    }
    for (Conn& c : conns) {
      if (!c.open) continue;
      SlowReport& r = reports[c.target->name];
      if (SteadyClock::now() >= round_max) {
        ++r.held_to_max;
      } else {
        ++r.cut_at_end;
      }
    }
    conns.clear();  // resets whatever is still open
    attack.pause(o.round_pause_s);
  }
}

struct FloodReport {
  std::uint64_t floods = 0;
  std::uint64_t attempted = 0;
  std::uint64_t connected = 0;
  std::uint64_t connect_refused = 0;
  std::uint64_t connect_timeout = 0;
  std::uint64_t connect_failed = 0;
  std::uint64_t answered_503 = 0;           // refused over the limit with 503 (HTTP)
  std::uint64_t closed_without_answer = 0;  // closed by the server with no bytes (TCP: refused)
  std::uint64_t other_answers = 0;
  std::uint64_t held_open = 0;      // summed over floods: still open at the end of the hold
  std::uint64_t held_open_max = 0;  // the most held open in one flood
  double seconds_to_open_max = 0;   // the slowest flood's connect phase
};

// Opens `count` connections (--connect-batch at a time), holds them for --flood-hold while
// watching which the server refuses or closes, then resets them all.
void flood_port(const Attack& attack, std::uint16_t port, std::size_t count, bool http,
                FloodReport& r) {
  const HostileOptions& o = attack.o;
  const sockaddr_in to = address_of(o, port);
  ++r.floods;
  attack.flooding.store(port);
  struct Conn {
    Fd fd;
    std::string answer;
    bool open = true;
  };
  std::vector<Conn> conns;
  conns.reserve(count);
  const TimePoint opening = SteadyClock::now();
  std::size_t started = 0;
  while (started < count && !attack.over()) {
    // One batch of connects in flight at once.
    std::vector<Fd> pending;
    const std::size_t batch = std::min(o.connect_batch, count - started);
    for (std::size_t i = 0; i < batch; ++i) {
      int e = 0;
      Fd fd = start_connect(to, &e);
      ++r.attempted;
      if (!fd.valid() || (e != 0 && e != EINPROGRESS)) {
        const ConnectResult c = classify_connect_errno(e);
        ++(c == ConnectResult::Refused ? r.connect_refused : r.connect_failed);
        continue;
      }
      if (e == 0) {
        ++r.connected;
        conns.push_back({std::move(fd), {}, true});
        continue;
      }
      pending.push_back(std::move(fd));
    }
    started += batch;
    const TimePoint deadline = after(SteadyClock::now(), o.connect_timeout_s);
    std::vector<pollfd> polls;
    while (!pending.empty() && SteadyClock::now() < deadline) {
      polls.clear();
      for (const Fd& fd : pending) polls.push_back({fd.get(), POLLOUT, 0});
      const int n = ::poll(polls.data(), polls.size(), ms_until(deadline));
      if (n <= 0) continue;
      std::vector<Fd> still;
      for (std::size_t k = 0; k < polls.size(); ++k) {
        if (polls[k].revents == 0) {
          still.push_back(std::move(pending[k]));
          continue;
        }
        const ConnectResult c = classify_connect_errno(socket_error(pending[k].get()));
        if (c == ConnectResult::Ok) {
          ++r.connected;
          conns.push_back({std::move(pending[k]), {}, true});
        } else {
          ++(c == ConnectResult::Refused ? r.connect_refused : r.connect_failed);
        }
      }
      pending = std::move(still);
    }
    r.connect_timeout += pending.size();
  }
  r.seconds_to_open_max =
      std::max(r.seconds_to_open_max, seconds_between(opening, SteadyClock::now()));

  // The hold: see which connections the server refuses (503, or a close) or keeps.
  const TimePoint hold_end = std::min(after(SteadyClock::now(), o.flood_hold_s), attack.end);
  std::size_t open = conns.size();
  while (open > 0 && SteadyClock::now() < hold_end) {
    open -= poll_answers(conns, hold_end, [&](Conn& c) {
      if (c.answer.empty()) {
        ++r.closed_without_answer;
      } else if (http && c.answer.starts_with("HTTP/1.1 503")) {
        ++r.answered_503;
      } else {
        ++r.other_answers;
      }
    });
  }
  r.held_open += open;
  r.held_open_max = std::max<std::uint64_t>(r.held_open_max, open);
  conns.clear();  // resets them all
  attack.flooding.store(0);
}

struct FloodTarget {
  const char* name;
  std::uint16_t port;
  std::size_t count;
  bool http;
};

void flood_worker(const Attack& attack, const std::vector<FloodTarget>& targets,
                  std::map<std::string, FloodReport>& reports) {
  const HostileOptions& o = attack.o;
  for (int round = 0; round < kMaxRounds && !attack.over(); ++round) {
    const TimePoint next = after(SteadyClock::now(), o.flood_every_s);
    for (const FloodTarget& t : targets) {
      if (attack.over()) break;
      flood_port(attack, t.port, t.count, t.http, reports[t.name]);
    }
    std::this_thread::sleep_until(std::min(next, attack.end));
  }
}

// ---- the summary ----------------------------------------------------------------------

json to_json(const PortReport& r) {
  json probes = json::object();
  std::uint64_t unexpected = 0;
  for (const auto& [name, c] : r.probes) {
    probes[name] = {{"sent", c.sent},
                    {"as_expected", c.as_expected},
                    {"unexpected", c.unexpected},
                    {"at_limit", c.at_limit}};
    unexpected += c.unexpected;
  }
  std::uint64_t c4xx = 0, c5xx = 0;
  for (const auto& [answer, n] : r.answers) {
    if (answer.size() == 3 && answer[0] == '4') c4xx += n;
    if (answer.size() == 3 && answer[0] == '5') c5xx += n;
  }
  return {{"probes", probes},
          {"answers", r.answers},
          {"answers_4xx", c4xx},
          {"answers_5xx", c5xx},
          {"connect_failed", r.connect_failed},
          {"closed_by_server", r.closed_by_server},
          {"reset_by_server", r.reset_by_server},
          {"left_open", r.left_open},
          {"no_answer", r.no_answer},
          {"refused_at_limit", r.refused_at_limit},
          {"bytes_sent", r.bytes_sent},
          {"unexpected", unexpected},
          {"examples", r.examples}};
}

json to_json(SlowReport r) {
  json closes = json::object();
  if (!r.close_after_s.empty()) {
    std::sort(r.close_after_s.begin(), r.close_after_s.end());
    const auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
    closes = {{"min", round3(r.close_after_s.front())},
              {"p50", round3(r.close_after_s[r.close_after_s.size() / 2])},
              {"max", round3(r.close_after_s.back())}};
  }
  return {{"rounds", r.rounds},
          {"connections", r.connections},
          {"connect_failed", r.connect_failed},
          {"refused_at_limit", r.refused_at_limit},
          {"closed_by_server", r.closed_by_server},
          {"close_after_s", closes},
          {"answers", r.answers},
          {"held_to_max", r.held_to_max},
          {"cut_at_end", r.cut_at_end},
          {"bytes_sent", r.bytes_sent}};
}

json to_json(const FloodReport& r) {
  return {{"floods", r.floods},
          {"attempted", r.attempted},
          {"connected", r.connected},
          {"connect_refused", r.connect_refused},
          {"connect_timeout", r.connect_timeout},
          {"connect_failed", r.connect_failed},
          {"refused_503", r.answered_503},
          {"closed_without_answer", r.closed_without_answer},
          {"other_answers", r.other_answers},
          {"held_open_max", r.held_open_max},
          {"held_open_total", r.held_open},
          {"seconds_to_open_max", std::round(r.seconds_to_open_max * 1000) / 1000}};
}

bool is_loopback_ipv4(const std::string& host) {
  in_addr a{};
  if (::inet_pton(AF_INET, host.c_str(), &a) != 1) return false;
  return (ntohl(a.s_addr) >> 24) == 127;
}

// Raises the soft descriptor limit to the hard one; returns the soft limit now.
std::size_t raise_descriptor_limit() {
  rlimit l{};
  if (::getrlimit(RLIMIT_NOFILE, &l) != 0) return 0;
  if (l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &l);
    ::getrlimit(RLIMIT_NOFILE, &l);
  }
  return static_cast<std::size_t>(l.rlim_cur);
}

}  // namespace

std::string validate_options(const HostileOptions& o) {
  if (!is_loopback_ipv4(o.host)) return "host must be an IPv4 loopback address (127.x.x.x)";
  if (o.http_port == 0 && o.tcp_port == 0 && o.admin_port == 0) {
    return "give at least one of --http-port, --tcp-port, --admin-port";
  }
  const auto seconds_ok = [](double s, double min) {
    return std::isfinite(s) && s >= min && s <= kMaxSeconds;
  };
  if (!seconds_ok(o.duration_s, 0.1)) return "duration must be 0.1 s .. 24 h";
  if (!seconds_ok(o.round_pause_s, 0)) return "round pause must be 0 .. 24 h";
  if (!seconds_ok(o.slowloris_interval_s, 0.001)) return "slowloris interval must be >= 1 ms";
  if (!seconds_ok(o.slowloris_max_s, 0.1)) return "slowloris max must be >= 0.1 s";
  if (!seconds_ok(o.flood_hold_s, 0)) return "flood hold must be 0 .. 24 h";
  if (!seconds_ok(o.flood_every_s, 0.1)) return "flood every must be >= 0.1 s";
  if (!seconds_ok(o.connect_timeout_s, 0.01)) return "connect timeout must be >= 10 ms";
  if (!seconds_ok(o.io_timeout_s, 0.01)) return "io timeout must be >= 10 ms";
  if (!seconds_ok(o.stay_open_check_s, 0.01)) return "stay-open check must be >= 10 ms";
  if (o.connect_batch < 1 || o.connect_batch > 65'536) return "connect batch must be 1..65536";
  for (int n : {o.oversized, o.bad_json, o.garbage, o.slowloris}) {
    if (n < 0 || n > 10'000) return "counts per round must be 0..10000";
  }
  for (std::size_t n : {o.body_bytes, o.header_bytes, o.garbage_bytes}) {
    if (n < 1 || n > kMaxSize) return "sizes must be 1 B .. 16 MiB";
  }
  if (o.frame_bytes < 2 || o.frame_bytes > 65535) return "frame bytes must be 2..65535";
  for (std::size_t n : {o.flood_http, o.flood_tcp, o.flood_admin}) {
    if (n > kMaxFlood) return "flood counts must be 0..100000";
  }
  if (o.api_key.size() > wire::kApiKeyBytes) return "the api key is longer than 64 bytes";
  return {};
}

int run_hostile(const HostileOptions& o) {
  if (const std::string problem = validate_options(o); !problem.empty()) {
    std::fprintf(stderr, "spot-bench hostile: %s\n", problem.c_str());
    return 2;
  }
  // The flood holds every connection of one port at once, beside the other workers'.
  const std::size_t biggest_flood = std::max({o.flood_http, o.flood_tcp, o.flood_admin});
  const std::size_t need =
      biggest_flood + 3 * static_cast<std::size_t>(o.slowloris) + kSpareDescriptors;
  if (const std::size_t have = raise_descriptor_limit(); have < need) {
    std::fprintf(stderr,
                 "spot-bench hostile: the flood needs %zu descriptors, the limit is %zu "
                 "(ulimit -n)\n",
                 need, have);
    return 2;
  }
  // Reachable at all? A spotd that is not there makes every probe a connect failure.
  bool reachable = false;
  for (std::uint16_t port : {o.http_port, o.tcp_port, o.admin_port}) {
    if (port != 0 &&
        connect_to(address_of(o, port), o.connect_timeout_s).second == ConnectResult::Ok) {
      reachable = true;
    }
  }
  if (!reachable) {
    std::printf("{\"mode\":\"hostile\",\"error\":\"no port could be reached\"}\n");
    return 1;
  }

  const Attack attack{o, SteadyClock::now(), after(SteadyClock::now(), o.duration_s)};
  PortReport http_report, admin_report, tcp_report;
  std::map<std::string, SlowReport> slow_reports;
  std::map<std::string, FloodReport> flood_reports;

  // Slowloris payloads: a request head (HTTP) or a Login frame (TCP) that never ends. The
  // HTTP one is long enough to outlast slowloris_max at the interval; the Login stops one
  // byte short of whole.
  const auto slow_bytes = static_cast<std::size_t>(
      std::min(o.slowloris_max_s / o.slowloris_interval_s + 2, double(kMaxSize)));
  const auto slow_http = [&](std::uint16_t port, const char* target) {
    std::string head = std::string("GET ") + target + " HTTP/1.1\r\nHost: " + o.host + ":" +
                       std::to_string(port) + "\r\nX-Slow: ";
    return head + std::string(slow_bytes, 'a');
  };
  std::string slow_login = login_frame(std::string(wire::kApiKeyBytes, 's'));
  slow_login.pop_back();
  std::vector<SlowTarget> slow_targets;
  std::vector<FloodTarget> flood_targets;
  if (o.http_port != 0) {
    slow_targets.push_back(
        {"http", o.http_port, slow_http(o.http_port, "/api/v1/exchangeInfo"), true});
    if (o.flood_http > 0) flood_targets.push_back({"http", o.http_port, o.flood_http, true});
  }
  if (o.tcp_port != 0) {
    slow_targets.push_back({"tcp", o.tcp_port, slow_login, false});
    if (o.flood_tcp > 0) flood_targets.push_back({"tcp", o.tcp_port, o.flood_tcp, false});
  }
  if (o.admin_port != 0) {
    slow_targets.push_back({"admin", o.admin_port, slow_http(o.admin_port, "/readyz"), true});
    if (o.flood_admin > 0) flood_targets.push_back({"admin", o.admin_port, o.flood_admin, true});
  }

  std::vector<std::thread> workers;
  if (o.http_port != 0) {
    workers.emplace_back([&] { http_worker(attack, o.http_port, false, o.seed, http_report); });
  }
  if (o.admin_port != 0) {
    workers.emplace_back(
        [&] { http_worker(attack, o.admin_port, true, o.seed + 1, admin_report); });
  }
  if (o.tcp_port != 0) {
    workers.emplace_back([&] { tcp_worker(attack, o.tcp_port, o.seed + 2, tcp_report); });
  }
  if (o.slowloris > 0) {
    workers.emplace_back([&] { slowloris_worker(attack, slow_targets, slow_reports); });
  }
  if (!flood_targets.empty()) {
    workers.emplace_back([&] { flood_worker(attack, flood_targets, flood_reports); });
  }
  for (std::thread& t : workers) t.join();

  json out = {
      {"mode", "hostile"},
      {"host", o.host},
      {"duration_s", o.duration_s},
      {"elapsed_s", std::round(seconds_between(attack.start, SteadyClock::now()) * 1000) / 1000}};
  std::uint64_t unexpected = 0;
  std::vector<std::string> examples;
  const auto add_port = [&](const char* name, std::uint16_t port, const PortReport& r) {
    if (port == 0) return;
    json j = to_json(r);
    j["port"] = port;
    unexpected += j["unexpected"].get<std::uint64_t>();
    for (const std::string& e : r.examples) examples.push_back(e);
    out[name] = std::move(j);
  };
  add_port("http", o.http_port, http_report);
  add_port("admin", o.admin_port, admin_report);
  add_port("tcp", o.tcp_port, tcp_report);
  json slow = json::object();
  for (const auto& [name, r] : slow_reports) {
    slow[name] = to_json(r);
    unexpected += r.held_to_max;
    if (r.held_to_max > 0) {
      examples.push_back("slowloris " + name + ": " + std::to_string(r.held_to_max) +
                         " connections still open after " + std::to_string(o.slowloris_max_s) +
                         " s");
    }
  }
  out["slowloris"] = std::move(slow);
  json flood = json::object();
  for (const auto& [name, r] : flood_reports) flood[name] = to_json(r);
  out["flood"] = std::move(flood);
  out["unexpected"] = unexpected;
  out["examples"] = examples;
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace spot::bench::load
