// Test support: a real Prometheus server (Debian package prometheus) per test, on a free
// 127.0.0.1 port, scraping one spotd's admin /metrics every second and evaluating the
// rules it is given every second.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace spot::test {

// One private Prometheus, started by the constructor: its configuration, rule file and
// storage live in a fresh temp directory. Every failure throws std::runtime_error with
// the server's log: a test that needs Prometheus fails, never skips.
//
// Nothing leaks: the destructor stops the server (SIGTERM, SIGKILL after 10 s) and
// removes its directory; a test process that dies without it takes the server with it
// (parent-death signal SIGKILL).
// REQUIRES: the thread that calls the constructor outlives the server (the parent-death
// signal follows the thread, not the process).
class PrometheusServer {
 public:
  // Scrapes `target` ("127.0.0.1:PORT", job "spotd") every second; `rules` is the text of
  // the rule file it loads (evaluated every second), empty for none. Returns once the
  // server is ready and has scraped `target` once (`up` has a sample).
  PrometheusServer(const std::string& target, const std::string& rules);
  // Never throws.
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Everything the server wrote to its log so far.
  std::string log() const;

  // GET `target` (path and query) of the HTTP API; its JSON body, whatever the status
  // (Prometheus answers errors with {"status":"error","errorType":...,"error":...}).
  nlohmann::json get(const std::string& target) const;
  // /api/v1/query?query=expr (evaluated now).
  nlohmann::json query(const std::string& expr) const;
  // The one value of an instant query's vector result; NaN when the result is not a
  // vector of exactly one element.
  double query_value(const std::string& expr) const;

 private:
  bool start_on(std::uint16_t port);  // false: the port was taken meanwhile
  void stop() noexcept;
  [[noreturn]] void fail(const std::string& what) const;

  std::string dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// `text` percent-encoded for a URL query component (RFC 3986 unreserved kept).
std::string url_encode(const std::string& text);

}  // namespace spot::test
