// Test support: runs a real spotd binary on ephemeral loopback ports, and small
// synchronous HTTP and TCP clients to talk to it over real sockets.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "spot/proto/tcp.h"

namespace spot::test {

// A spotd child process. Writes a config with two symbols (BTC-USDT, ETH-USDT; tick
// 0.01, lot 0.001) plus `extra` lines, starts spotd with ports 0, and waits for ready.
class SpotdProcess {
 public:
  // The journal lives in the process's temp dir unless `journal_dir` names another
  // (to restart on the journal of an earlier process). `binary` runs another build of
  // the daemon (e.g. one on a fault-injecting file system) instead of spotd.
  explicit SpotdProcess(std::vector<std::string> extra_args = {}, std::string extra_toml = "",
                        std::string journal_dir = "", std::string binary = "");
  ~SpotdProcess();
  SpotdProcess(const SpotdProcess&) = delete;
  SpotdProcess& operator=(const SpotdProcess&) = delete;

  std::uint16_t http_port() const { return http_port_; }
  std::uint16_t tcp_port() const { return tcp_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  const std::string& admin_token() const { return token_; }
  pid_t pid() const { return pid_; }
  const std::string& journal_dir() const { return journal_dir_; }
  // The TOML file the process was started with.
  std::string config_path() const { return dir_ + "/spotd.toml"; }
  // Everything spotd wrote to stderr so far (its JSON log lines).
  std::string log() const;
  // Waits until the log holds `text` (polling); false if it does not within `limit`.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds limit) const;

  // Sends SIGTERM and waits; returns the exit status (or -signal).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the process to exit by itself; returns as terminate() does.
  int wait_exit(std::chrono::milliseconds timeout);
  bool running();

  // Creates an account through the admin API and, unless `funded` is false, funds it
  // (100,000 BTC and ETH, 100,000,000 USDT: every order a test places can be paid for);
  // returns its API key.
  std::string create_account(const std::string& name = "trader", bool funded = true);
  // Deposits what create_account gives every test account (BTC, ETH, USDT) into one
  // created otherwise.
  void fund(std::uint64_t account);
  // POST /admin/v1/accounts/{account}/deposits; returns the response body (throws
  // unless 200 or 201). An empty reference names one from the account and asset.
  std::string deposit(std::uint64_t account, const std::string& asset, const std::string& amount,
                      std::string reference = {});

 private:
  std::string dir_;
  std::string log_path_;
  std::string journal_dir_;
  std::string token_ = "test-admin-token";
  pid_t pid_ = -1;
  std::uint16_t http_port_ = 0;
  std::uint16_t tcp_port_ = 0;
  std::uint16_t admin_port_ = 0;
};

// Runs spotd with arguments to completion (for --help, --version, bad config).
struct ExitResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};
ExitResult run_spotd(const std::vector<std::string>& args, const std::string& config_toml = "");
// Runs any program (args[0] is its path) to completion.
ExitResult run_program(const std::vector<std::string>& args);

struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

// One keep-alive HTTP/1.1 connection.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port);
  HttpReply request(boost::beast::http::verb method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});
  // Writes raw bytes and reads one response (for malformed requests).
  HttpReply raw(const std::string& bytes);
  // Writes, then reads `n` responses (pipelining).
  std::vector<HttpReply> pipeline(const std::string& bytes, std::size_t n);
  // The same one step at a time, without throwing: false / nullopt once the connection
  // is gone (for load that runs into a kill).
  bool try_write(const std::string& bytes);
  std::optional<HttpReply> try_read();
  // True if the server closed the connection (read returns EOF) within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout);
  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  HttpReply read_one();
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// A binary-protocol client.
class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port);
  void send(const std::string& bytes);
  // Next frame (type, payload bytes); nullopt on EOF or timeout.
  struct Msg {
    std::uint8_t type = 0;
    std::vector<std::uint8_t> payload;
    proto::tcp::Frame frame() const;
  };
  std::optional<Msg> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Next frame that is not a heartbeat.
  std::optional<Msg> receive_non_heartbeat(
      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool login(const std::string& api_key);

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  std::vector<std::uint8_t> buffer_;
};

std::string json_field(const std::string& json, const std::string& name);

}  // namespace spot::test
