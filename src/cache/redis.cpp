#include "spot/cache/redis.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>

#include "spot/core/assert.h"

namespace spot {

namespace {

using SteadyClock = std::chrono::steady_clock;

timeval to_timeval(std::int64_t ms) {
  ms = std::max<std::int64_t>(ms, 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

bool parse_int(std::string_view text, int min, int max, int* out) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

RedisReply convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::Status;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::Error;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::Integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = RedisReply::Kind::String;
      out.text.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::Array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    default:
      out.kind = RedisReply::Kind::Nil;
  }
  return out;
}

void append_bulk(std::string& out, std::string_view value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.size());
  (void)ec;
  out += '$';
  out.append(digits, end);
  out += "\r\n";
  out.append(value);
  out += "\r\n";
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* error) {
  const auto bad = [&](const std::string& why) -> std::optional<RedisAddress> {
    *error = why;
    return std::nullopt;
  };
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return bad("must start with redis:// (redis://host:port/db)");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress a;
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parse_int(db, 0, 65535, &a.db)) {
      return bad("the database after '/' must be a number from 0 to 65535");
    }
  }
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const std::size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      a.password = std::string(credentials);  // redis://password@host, as redis-cli -u
    } else {
      a.user = std::string(credentials.substr(0, colon));
      a.password = std::string(credentials.substr(colon + 1));
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an IPv6 host needs its closing ']'");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("expected ':port' after the IPv6 host");
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) return bad("the host is missing (redis://host:port/db)");
  if (!port.empty() && !parse_int(port, 1, 65535, &a.port)) {
    return bad("the port must be a number from 1 to 65535");
  }
  a.host = std::string(host);
  return a;
}

std::string redact_redis_url(const std::string& url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.rfind(kScheme, 0) != 0) return url;
  const std::size_t slash = url.find('/', kScheme.size());
  const std::size_t at = url.rfind('@', slash);
  if (at == std::string::npos || at < kScheme.size()) return url;
  const std::size_t colon = url.find(':', kScheme.size());
  const std::size_t from = colon != std::string::npos && colon < at ? colon + 1 : kScheme.size();
  return url.substr(0, from) + "***" + url.substr(at);
}

RespTransactions::RespTransactions(std::size_t max_commands) : max_commands_(max_commands) {
  SPOT_ASSERT(max_commands_ >= 1, "cache: a transaction holds at least one command");
}

void RespTransactions::command(std::size_t argc) {
  if (open_.commands == max_commands_) close();
  if (open_.bytes.empty()) open_.bytes = "*1\r\n$5\r\nMULTI\r\n";
  open_.bytes += '*';
  open_.bytes += std::to_string(argc);
  open_.bytes += "\r\n";
  ++open_.commands;
  ++total_;
}

void RespTransactions::arg(std::string_view value) { append_bulk(open_.bytes, value); }

void RespTransactions::arg(std::uint64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  (void)ec;
  append_bulk(open_.bytes, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void RespTransactions::arg(std::int64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  (void)ec;
  append_bulk(open_.bytes, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void RespTransactions::close() {
  if (open_.commands == 0) return;
  open_.bytes += "*1\r\n$4\r\nEXEC\r\n";
  done_.push_back(std::move(open_));
  open_ = Transaction{};
}

std::vector<RespTransactions::Transaction> RespTransactions::take() {
  close();
  std::vector<Transaction> out = std::move(done_);
  done_.clear();
  total_ = 0;
  return out;
}

RedisSession::RedisSession(RedisOptions options) : options_(std::move(options)) {
  address_ = parse_redis_url(options_.url, &address_error_);
}

RedisSession::~RedisSession() { close(); }

void RedisSession::close() {
  std::lock_guard<std::mutex> lock(fd_mutex_);
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
  fd_ = -1;
}

void RedisSession::abort() {
  std::lock_guard<std::mutex> lock(fd_mutex_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Status RedisSession::fail(std::string what) {
  close();
  return Status::io_error(std::move(what));
}

void RedisSession::set_timeout(std::int64_t timeout_ms) {
  redisSetTimeout(context_, to_timeval(timeout_ms));
}

Status RedisSession::connect() {
  close();
  if (!address_) return Status::io_error("redis.url: " + address_error_);
  redisContext* c = redisConnectWithTimeout(address_->host.c_str(), address_->port,
                                            to_timeval(options_.connect_timeout_ms));
  if (c == nullptr) return Status::io_error("redis: cannot allocate a connection");
  if (c->err != 0) {
    std::string why = "redis connect to " + address_->host + ":" + std::to_string(address_->port) +
                      ": " + c->errstr;
    redisFree(c);
    return Status::io_error(std::move(why));
  }
  {
    std::lock_guard<std::mutex> lock(fd_mutex_);
    context_ = c;
    fd_ = c->fd;
  }
  redisEnableKeepAlive(context_);
  RedisReply reply;
  const auto setup = [&](std::vector<std::string> args, const char* what) -> Status {
    set_timeout(options_.connect_timeout_ms);
    Status s = command(args, &reply);
    if (!s.ok()) return s;
    if (reply.kind == RedisReply::Kind::Error) return fail(std::string(what) + ": " + reply.text);
    return Status();
  };
  if (!address_->password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!address_->user.empty()) auth.push_back(address_->user);
    auth.push_back(address_->password);
    if (Status s = setup(std::move(auth), "redis AUTH"); !s.ok()) return s;
  }
  if (address_->db != 0) {
    if (Status s = setup({"SELECT", std::to_string(address_->db)}, "redis SELECT"); !s.ok()) {
      return s;
    }
  }
  return Status();
}

Status RedisSession::round_trip(std::size_t replies, std::int64_t timeout_ms, RedisReply* last) {
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  set_timeout(timeout_ms);
  std::string first_error;
  for (std::size_t i = 0; i < replies; ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      const bool timed_out = SteadyClock::now() >= deadline ||
                             (context_->err == REDIS_ERR_IO &&
                              (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS));
      return fail(std::string(timed_out ? "redis: timeout after " : "redis: ") +
                  (timed_out ? std::to_string(timeout_ms) + " ms" : context_->errstr));
    }
    std::unique_ptr<redisReply, void (*)(void*)> r(static_cast<redisReply*>(raw), freeReplyObject);
    if (r->type == REDIS_REPLY_ERROR && first_error.empty()) first_error.assign(r->str, r->len);
    if (r->type == REDIS_REPLY_ARRAY && first_error.empty()) {
      for (std::size_t e = 0; e < r->elements; ++e) {
        if (r->element[e]->type == REDIS_REPLY_ERROR) {
          first_error.assign(r->element[e]->str, r->element[e]->len);
          break;
        }
      }
    }
    if (i + 1 == replies && last != nullptr) *last = convert(*r);
    // A server that trickles replies must not stretch the round trip past its deadline.
    if ((i & 1023) == 1023 && SteadyClock::now() >= deadline) {
      return fail("redis: timeout after " + std::to_string(timeout_ms) + " ms");
    }
  }
  if (!first_error.empty() && last == nullptr) return Status::io_error("redis: " + first_error);
  return Status();
}

Status RedisSession::command(const std::vector<std::string>& args, RedisReply* reply) {
  if (context_ == nullptr) return Status::io_error("redis: not connected");
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(),
                             lengths.data()) != REDIS_OK) {
    return fail(std::string("redis: ") + context_->errstr);
  }
  ++commands_sent_;
  return round_trip(1, options_.command_timeout_ms, reply);
}

Status RedisSession::transaction(const RespTransactions::Transaction& t) {
  if (context_ == nullptr) return Status::io_error("redis: not connected");
  if (redisAppendFormattedCommand(context_, t.bytes.data(), t.bytes.size()) != REDIS_OK) {
    return fail(std::string("redis: ") + context_->errstr);
  }
  commands_sent_ += t.commands + 2;
  RedisReply exec;
  Status s = round_trip(t.commands + 2, options_.command_timeout_ms, &exec);
  if (!s.ok()) return s;
  if (exec.kind == RedisReply::Kind::Error) return Status::io_error("redis EXEC: " + exec.text);
  if (exec.kind != RedisReply::Kind::Array || exec.elements.size() != t.commands) {
    return Status::io_error("redis EXEC: the transaction was not executed");
  }
  for (const RedisReply& e : exec.elements) {
    if (e.kind == RedisReply::Kind::Error) return Status::io_error("redis: " + e.text);
  }
  return Status();
}

bool RedisSession::ping(std::int64_t timeout_ms) {
  if (context_ == nullptr && !connect().ok()) return false;
  const char* argv[] = {"PING"};
  const std::size_t lengths[] = {4};
  if (redisAppendCommandArgv(context_, 1, argv, lengths) != REDIS_OK) {
    close();
    return false;
  }
  ++commands_sent_;
  RedisReply reply;
  const Status s = round_trip(1, timeout_ms, &reply);
  return s.ok() && reply.kind == RedisReply::Kind::Status && reply.text == "PONG";
}

}  // namespace spot
