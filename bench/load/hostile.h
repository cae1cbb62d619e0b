// `spot-bench hostile`: malformed and hostile input on every port of a spotd (DESIGN.md
// §9, issue 15), for the soak (bench/soak.sh) to run beside honest load.
//
// Five workers run at once until --duration passes, each in rounds:
//   http, admin  per round, on fresh connections: bodies over http.max_body_bytes (by
//                Content-Length and chunked), headers over http.max_header_bytes (one long
//                header, many headers, a long target), bad JSON on the order route (and on
//                admin routes with --admin-token), garbage bytes, bad request lines and bad
//                Content-Length values; a wrong admin token;
//   tcp          per round: frames over tcp.max_frame_bytes, a zero length, a known type of
//                the wrong size, an unknown type, garbage, orders before Login, a bad Login,
//                and (with --api-key) invalid orders and garbage after a good Login;
//   slowloris    per round, on each port: connections that send a request (HTTP) or a Login
//                (TCP) one byte at a time and never finish it, until the server closes them
//                or --slowloris-max passes;
//   flood        every --flood-every seconds, on each port: as many connections as its
//                --flood-* count (set it above spotd's connection limit), held open for
//                --flood-hold, then reset.
// Each probe has the answer docs/http-api.md and docs/tcp-protocol.md promise (an HTTP
// status class, a TCP Rejected reason, the connection closed or kept); an answer that
// differs is counted as unexpected and the first few are printed in the summary. A probe
// refused at the connection limit while our own flood holds its port (HTTP 503 "too many
// connections"; TCP closed without a word), or closed then to make room for another
// connection (spotd closes the one idle longest: an HTTP connection not yet read, a TCP
// one not logged in), is counted as at_limit instead: it says nothing about the parser.
//
// Every loop is bounded: rounds by the duration (and kMaxRounds), connections by the
// counts, every wait by --io-timeout, --slowloris-max or --flood-hold. The host must be a
// loopback address: this is an attack tool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace spot::bench::load {

struct HostileOptions {
  std::string host = "127.0.0.1";  // loopback only
  std::uint16_t http_port = 0;     // 0: that port is left alone
  std::uint16_t tcp_port = 0;
  std::uint16_t admin_port = 0;
  std::string api_key;      // optional: bad JSON past authentication, garbage after Login
  std::string admin_token;  // optional: bad JSON on admin routes past authentication
  double duration_s = 60;   // the attack ends by itself after this long
  std::uint64_t seed = 20240601;

  // Probes per round of each kind (per port where it applies); 0 leaves a kind out.
  int oversized = 2;  // each oversized-body and oversized-header probe, per round
  int bad_json = 2;   // each bad-JSON body, per round
  int garbage = 2;    // garbage and malformed-framing probes, per round
  double round_pause_s = 1;

  // Sizes of what is sent; set them above spotd's limits (config/spotd.toml).
  std::size_t body_bytes = 64 * 1024;    // > http.max_body_bytes (16 KiB)
  std::size_t header_bytes = 32 * 1024;  // > http.max_header_bytes (8 KiB)
  std::size_t frame_bytes = 1024;        // length field, > tcp.max_frame_bytes (256)
  std::size_t garbage_bytes = 4096;

  int slowloris = 8;                  // connections per port per round
  double slowloris_interval_s = 0.5;  // one byte per connection this often
  double slowloris_max_s = 30;        // connections the server has not closed by then are
                                      // counted as held and reset
  std::size_t flood_http = 0;         // connections per flood on each port; 0: no flood there
  std::size_t flood_tcp = 0;
  std::size_t flood_admin = 0;
  double flood_hold_s = 2;          // how long a flood's connections are held open
  double flood_every_s = 30;        // from the start of one flood to the next
  std::size_t connect_batch = 256;  // flood connects in flight at once
  double connect_timeout_s = 2;     // one connect
  double io_timeout_s = 3;          // waiting for one answer
  // After an answer that should leave the connection open: how long to watch it stay so.
  double stay_open_check_s = 0.3;
};

// Empty when the options are usable, else what is wrong with them.
std::string validate_options(const HostileOptions& options);

// Attacks until the duration passes, then prints one JSON line ({"mode":"hostile",...}:
// per port what was sent and how spotd answered: HTTP statuses, TCP Rejected reasons,
// connections closed by the server, slowloris close times, flood connections accepted,
// refused at the limit and failed to connect, and the unexpected answers) and returns
// the exit code: 0 when it ran (unexpected answers included: they are the findings),
// 1 when no port could be reached at all, 2 for invalid options.
int run_hostile(const HostileOptions& options);

}  // namespace spot::bench::load
