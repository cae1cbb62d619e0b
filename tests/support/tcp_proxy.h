// Test support: a TCP proxy on 127.0.0.1 between a client (spotd) and a server
// (PostgreSQL), to inject the network faults that only a connection in the middle can
// make: a reply lost after the request reached the server, a black hole, a cut, latency.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spot::test {

class TcpProxy {
 public:
  // Listens on a free 127.0.0.1 port and forwards every connection to
  // 127.0.0.1:upstream_port.
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }

  // The next time a client sends bytes containing `marker` (a statement's text or name),
  // they are forwarded to the server; what the server answers is swallowed until its
  // ReadyForQuery (the PostgreSQL wire protocol's end of a reply: the statement has run
  // and committed), and then both sides of that connection are closed. The request
  // happened; its reply is lost. Once. A reply that carries an error (the statement
  // did not commit: a statement timeout on a slow machine) or no CommandComplete (the
  // reply to a Parse, which only prepared the statement) is passed on instead, and the
  // next one with `marker` is lost in its place.
  void lose_reply_after(const std::string& marker);
  // How many replies lose_reply_after has cut so far.
  int replies_lost() const { return replies_lost_.load(); }

  // Latency: every chunk read from either side is passed on `one_way_ms` after it was
  // read (a round trip then takes twice that). One pump per direction holds the chunk,
  // so bytes that arrive while one is held wait for it: a stream's bandwidth is at most
  // 64 KiB per delay, as on a long thin link. 0: none.
  void set_delay_ms(int one_way_ms) { delay_ms_.store(one_way_ms); }
  // While on, nothing is forwarded either way and connections stay open: a black hole.
  void set_black_hole(bool on) { black_hole_.store(on); }
  // Closes every open connection now (new ones are still accepted).
  void cut_all();
  // The connections open now are abandoned: nothing more is forwarded on them and they
  // are never closed (until the proxy goes), so the server sees a live, silent client
  // (its keepalives are answered by this side's kernel). New connections work as usual:
  // a network path that broke behind a middlebox, as with a TCP load balancer.
  void abandon_open_links();

 private:
  struct Link {
    int client = -1;
    int server = -1;
    std::atomic<bool> closed{false};
    std::atomic<bool> losing_reply{false};  // swallowing the server's reply, then cut
    std::atomic<bool> abandoned{false};
  };
  void accept_loop();
  void pump(Link* link, bool from_client);
  void close_link(Link* link);

  int listen_fd_ = -1;
  int port_ = 0;
  int upstream_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> black_hole_{false};
  std::atomic<int> delay_ms_{0};
  std::atomic<int> replies_lost_{0};
  std::mutex mutex_;
  std::string marker_;  // armed when non-empty
  std::string armed_;   // the marker lose_reply_after was given, to arm again
  std::vector<Link*> links_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace spot::test
