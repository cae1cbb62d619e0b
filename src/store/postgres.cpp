#include "spot/store/postgres.h"

#include <libpq-fe.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <pqxx/pqxx>

namespace spot {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool is_uri(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

}  // namespace

std::string DbError::error_class() const {
  if (sqlstate.size() >= 2) return sqlstate.substr(0, 2);
  return timed_out ? "timeout" : "connection";
}

DbError DbError::availability(std::string message) {
  DbError e;
  e.kind = DbErrorKind::Availability;
  e.message = std::move(message);
  return e;
}

DbError DbError::from_sqlstate(std::string sqlstate, std::string message) {
  DbError e;
  e.kind = classify_sqlstate(sqlstate);
  e.sqlstate = std::move(sqlstate);
  e.message = std::move(message);
  return e;
}

DbErrorKind classify_sqlstate(std::string_view sqlstate) {
  if (sqlstate.starts_with("22") || sqlstate.starts_with("23")) return DbErrorKind::Data;
  return DbErrorKind::Availability;
}

std::string redact_password(const std::string& url) {
  std::string out = url;
  if (is_uri(out)) {
    // postgresql://user:secret@host/...: the password is between the first ':' after the
    // scheme and the '@'.
    const std::size_t start = out.find("://") + 3;
    const std::size_t at = out.find('@', start);
    const std::size_t colon = out.find(':', start);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (const std::string key : {"password="}) {
    std::size_t at = out.find(key);
    while (at != std::string::npos) {
      const std::size_t value = at + key.size();
      std::size_t end = value;
      while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
      out.replace(value, end - value, "***");
      at = out.find(key, value + 3);
    }
  }
  return out;
}

std::string connection_string(const PostgresOptions& options) {
  std::string out = options.url;
  const bool uri = is_uri(out);
  const auto add = [&](const std::string& key, const std::string& value) {
    if (out.find(key + "=") != std::string::npos) return;  // the operator's own choice wins
    if (uri) {
      out += out.find('?') == std::string::npos ? '?' : '&';
    } else if (!out.empty()) {
      out += ' ';
    }
    out += key + "=" + value;
  };
  // libpq counts connect_timeout in whole seconds and treats 1 as 2.
  add("connect_timeout",
      std::to_string(std::max<std::int64_t>(2, options.connect_timeout_ms / 1000)));
  add("keepalives", "1");
  add("keepalives_idle", "5");
  add("keepalives_interval", "2");
  add("keepalives_count", "3");
  // Unacknowledged data past this drops the connection (a black-holed server).
  add("tcp_user_timeout", std::to_string(options.call_deadline_ms));
  add("application_name", "spotd");
  return out;
}

PgSession::PgSession(PostgresOptions options)
    : options_(std::move(options)), conninfo_(connection_string(options_)) {
  // Where ping() knocks: the first host (or hostaddr) and port of the connection string,
  // with libpq's defaults (the local socket directory, 5432).
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo_.c_str(), &error);
  if (parsed != nullptr) {
    for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
      if (o->val == nullptr || *o->val == '\0') continue;
      const std::string value(o->val);
      const std::string first = value.substr(0, value.find(','));
      if (std::string_view(o->keyword) == "hostaddr") ping_host_ = first;
      if (std::string_view(o->keyword) == "host" && ping_host_.empty()) ping_host_ = first;
      if (std::string_view(o->keyword) == "port") ping_port_ = first;
    }
    PQconninfoFree(parsed);
  }
  PQfreemem(error);
  if (ping_host_.empty()) ping_host_ = "/var/run/postgresql";
  if (ping_port_.empty()) ping_port_ = "5432";
  watchdog_ = std::thread([this] { watch(); });
}

PgSession::~PgSession() {
  close();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  watchdog_.join();
}

void PgSession::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (armed_fd_ < 0) {
      wake_.wait(lock);
      continue;
    }
    const std::int64_t left_ns = deadline_ns_ - now_ns();
    if (left_ns > 0) {
      wake_.wait_for(lock, std::chrono::nanoseconds(left_ns));
      continue;
    }
    // Past the deadline: wake the blocked call. shutdown (not close) leaves the
    // descriptor to libpq, and the mutex keeps it from being closed meanwhile.
    ::shutdown(armed_fd_, SHUT_RDWR);
    fired_ = true;
    armed_fd_ = -1;
  }
}

void PgSession::arm() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_fd_ = conn_ ? conn_->sock() : -1;
    deadline_ns_ = now_ns() + options_.call_deadline_ms * 1'000'000;
    fired_ = false;
  }
  wake_.notify_one();
}

void PgSession::disarm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_fd_ = -1;
}

DbError PgSession::connect() {
  close();
  try {
    // Bounded by libpq's own connect_timeout; the watchdog has no socket yet.
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const std::exception& e) {
    conn_.reset();
    return DbError::availability(e.what());
  }
  return run([this](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec("SET statement_timeout = " + std::to_string(options_.statement_timeout_ms));
    tx.exec("SET lock_timeout = " + std::to_string(options_.statement_timeout_ms));
    // The server's side of the same TCP limits as the client's (connection_string): a
    // backend whose client is gone behind a broken network ends within seconds instead
    // of the kernel's two hours, and gives up what it holds (the projector's lock).
    tx.exec(
        "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
        "SET tcp_keepalives_count = 3; SET tcp_user_timeout = " +
        std::to_string(options_.call_deadline_ms));
  });
}

void PgSession::close() {
  disarm();
  conn_.reset();
}

DbError PgSession::run(const std::function<void(pqxx::connection&)>& work) {
  if (!conn_) return DbError::availability("not connected");
  DbError error;
  arm();
  try {
    work(*conn_);
  } catch (const pqxx::in_doubt_error& e) {
    error = DbError::availability(e.what());
    error.in_doubt = true;
  } catch (const pqxx::broken_connection& e) {
    error = DbError::availability(e.what());
  } catch (const pqxx::sql_error& e) {
    error = DbError::from_sqlstate(e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    error = DbError::availability(e.what());
  }
  bool fired = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_fd_ = -1;
    fired = fired_;
  }
  if (fired) {
    error.kind = DbErrorKind::Availability;
    error.sqlstate.clear();
    error.timed_out = true;
    error.message = "client deadline of " + std::to_string(options_.call_deadline_ms) +
                    " ms passed; connection dropped (" + error.message + ")";
  }
  if (!error.ok() && (fired || error.sqlstate.empty() || !conn_->is_open())) conn_.reset();
  return error;
}

void PgSession::abort() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (armed_fd_ < 0) return;
  ::shutdown(armed_fd_, SHUT_RDWR);
  fired_ = true;
  armed_fd_ = -1;
}

namespace {

// Sends an SSLRequest on `fd` (a socket whose connect is under way) and waits until
// `deadline` for the server's one-byte answer ('S' or 'N'). Closes fd.
bool knock(int fd, std::chrono::steady_clock::time_point deadline) {
  const auto wait_for = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) == 1 && (p.revents & events) != 0 &&
           (p.revents & (POLLERR | POLLHUP)) == 0;
  };
  // SSLRequest: length 8, code 80877103.
  const unsigned char request[8] = {0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f};
  bool answered = false;
  if (wait_for(POLLOUT) && ::send(fd, request, sizeof(request), MSG_NOSIGNAL) == 8 &&
      wait_for(POLLIN)) {
    char reply = 0;
    answered = ::recv(fd, &reply, 1, 0) == 1;
  }
  ::close(fd);
  return answered;
}

}  // namespace

bool PgSession::ping() const {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.ping_timeout_ms);
  if (ping_host_.front() == '/') {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = ping_host_ + "/.s.PGSQL." + ping_port_;
    if (path.size() >= sizeof(addr.sun_path)) return false;
    path.copy(addr.sun_path, path.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 &&
        errno != EINPROGRESS && errno != EAGAIN) {
      ::close(fd);
      return false;
    }
    return knock(fd, deadline);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(ping_host_.c_str(), ping_port_.c_str(), &hints, &found) != 0) return false;
  // Every address the name has, as libpq tries them (localhost: ::1, then 127.0.0.1).
  bool answered = false;
  for (const addrinfo* a = found; a != nullptr && !answered; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      continue;
    }
    answered = knock(fd, deadline);
  }
  ::freeaddrinfo(found);
  return answered;
}

}  // namespace spot
