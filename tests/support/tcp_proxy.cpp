#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace spot::test {

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("tcp proxy: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  stopping_.store(true);
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  cut_all();
  for (std::thread& t : threads_) t.join();
  for (Link* link : links_) delete link;
  ::close(listen_fd_);
}

void TcpProxy::lose_reply_after(const std::string& marker) {
  std::lock_guard<std::mutex> lock(mutex_);
  marker_ = marker;
  armed_ = marker;
}

void TcpProxy::cut_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Link* link : links_) close_link(link);
}

void TcpProxy::abandon_open_links() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (Link* link : links_) link->abandoned.store(true);
}

void TcpProxy::close_link(Link* link) {
  if (link->closed.exchange(true)) return;
  // shutdown wakes both pumps; the descriptors are closed when the proxy goes.
  ::shutdown(link->client, SHUT_RDWR);
  ::shutdown(link->server, SHUT_RDWR);
}

void TcpProxy::accept_loop() {
  while (!stopping_.load()) {
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (stopping_.load()) return;
      continue;
    }
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(client);
      if (server >= 0) ::close(server);
      continue;  // the server is down: the client sees its connection closed
    }
    auto* link = new Link;
    link->client = client;
    link->server = server;
    std::lock_guard<std::mutex> lock(mutex_);
    links_.push_back(link);
    threads_.emplace_back([this, link] { pump(link, true); });
    threads_.emplace_back([this, link] { pump(link, false); });
  }
}

void TcpProxy::pump(Link* link, bool from_client) {
  const int in = from_client ? link->client : link->server;
  const int out = from_client ? link->server : link->client;
  char buf[65536];
  std::string swallowed;  // server side, while losing a reply: what it has sent
  while (!link->closed.load()) {
    if (black_hole_.load() || link->abandoned.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    pollfd p{in, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const ssize_t n = ::recv(in, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (const int delay = delay_ms_.load(); delay > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    }
    if (from_client) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!marker_.empty() && std::string_view(buf, static_cast<std::size_t>(n)).find(marker_) !=
                                  std::string_view::npos) {
        marker_.clear();
        link->losing_reply.store(true);
      }
    } else if (link->losing_reply.load()) {
      // Swallow the reply; once its ReadyForQuery ('Z', length 5) has come, cut.
      swallowed.append(buf, static_cast<std::size_t>(n));
      std::size_t at = 0;
      bool ready = false;
      bool error = false;     // an ErrorResponse: the statement did not commit
      bool executed = false;  // a CommandComplete: a statement ran (not just a Parse)
      while (at + 5 <= swallowed.size()) {
        const auto* b = reinterpret_cast<const unsigned char*>(swallowed.data() + at);
        const std::size_t length = (std::size_t{b[1]} << 24) | (std::size_t{b[2]} << 16) |
                                   (std::size_t{b[3]} << 8) | std::size_t{b[4]};
        if (at + 1 + length > swallowed.size()) break;
        ready = ready || b[0] == 'Z';
        error = error || b[0] == 'E';
        executed = executed || b[0] == 'C';
        at += 1 + length;
      }
      if (ready && (error || !executed)) {
        // Nothing committed (an error, or the reply to a Parse that only prepared the
        // statement on a new connection): pass the reply on and lose the next one instead.
        link->losing_reply.store(false);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          marker_ = armed_;
        }
        std::size_t sent = 0;
        while (sent < swallowed.size()) {
          const ssize_t m =
              ::send(out, swallowed.data() + sent, swallowed.size() - sent, MSG_NOSIGNAL);
          if (m <= 0) break;
          sent += static_cast<std::size_t>(m);
        }
        swallowed.clear();
        continue;
      }
      if (ready) {
        replies_lost_.fetch_add(1);
        std::lock_guard<std::mutex> lock(mutex_);
        close_link(link);
        return;
      }
      continue;
    }
    ssize_t sent = 0;
    while (sent < n) {
      const ssize_t m = ::send(out, buf + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
      if (m <= 0) break;
      sent += m;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  close_link(link);
}

}  // namespace spot::test
