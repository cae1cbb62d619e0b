// `spot-bench null-server`: the load generator's ceiling. A server that does no work: it
// answers every order entry request at once with a canned reply of the shape spotd
// sends (HTTP: the order JSON; TCP: Accepted), so that `spot-bench http|tcp` against it
// measures what the generator itself can offer and read back on this machine. Its
// figures are reported beside every spotd figure (bench/compare.sh).
//
// HTTP/1.1 with keep-alive and pipelining: GET /api/v1/exchangeInfo (the symbols of
// config/spotd.toml), POST /api/v1/orders -> 201, DELETE /api/v1/orders/{id} -> 200,
// anything else -> 404. TCP: Login -> LoginAccepted, EnterOrder -> Accepted (NEW),
// CancelOrder -> Canceled. Every answer of one read goes out in one write. Order ids
// count up per server; nothing else is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace spot::bench::load {

struct NullServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t http_port = 0;  // 0: an ephemeral port
  std::uint16_t tcp_port = 0;
  int threads = 1;        // io_context threads
  double duration_s = 0;  // stop by itself after this long; 0: at SIGINT/SIGTERM
  std::size_t max_connections = 4096;
  std::size_t max_request_bytes = 16384;  // one HTTP request's head + body; over: 413, closed
  std::size_t max_frame_bytes = 256;      // a longer TCP frame closes the connection
  std::string ports_file;                 // if set: {"http":P,"tcp":P} once listening
};

// Empty when usable, else what is wrong.
std::string validate_options(const NullServerOptions& options);

// Serves until the duration passes or SIGINT/SIGTERM; prints {"mode":"null-server",
// "http_port":..,"tcp_port":..} to stdout once listening and a final line with the
// order and cancel requests answered ("answered"). Returns the exit code (0; 1 when it cannot
// listen; 2 bad options).
int run_null_server(const NullServerOptions& options);

}  // namespace spot::bench::load
