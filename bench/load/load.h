// The open-loop network load generator behind `spot-bench http` and `spot-bench tcp`
// (W1-E2E of WORKLOADS.md).
//
// Op i of the W1 stream has the intended send time start + i / rate. Latency is measured
// from that intended time to the arrival of the request's acknowledgement, so a server
// that stalls shows up as latency instead of as fewer samples (no coordinated omission).
#pragma once

#include <cstdint>
#include <string>

namespace spot::bench::load {

struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // spotd HTTP port (http mode) or TCP port (tcp mode)
  double rate = 1000;      // offered orders/s (open loop: fixed arrival schedule)
  double duration_s = 10;  // measured phase length; the run stops by itself
  int connections = 8;
  std::string api_key;
  std::string acks_out;  // if non-empty: one acknowledged server orderId per line
  std::uint64_t seed = 20240601;
  std::uint64_t prefill = 100;  // W1 prefill per symbol; sent first, not measured
  double warmup_s = 0;          // scheduled like the measured phase, not measured
  // Orders are sent when they fall due, at most this often (0: each one at its own time):
  // what falls due in between goes out together, in one send on one connection (the
  // next in turn), as a client with a burst of orders would send them. Latency still
  // counts from each order's own intended time.
  double send_interval_us = 0;
  bool sweep = false;
  double p99_limit_ms = 50;
  double sweep_max_rate = 200000;
  double sweep_step_s = 5;

  int symbols = 8;  // tcp only: W1 symbol s is sent as s % symbols
  // Added to each workload order id to form the client order id ("w<id + offset>" over
  // HTTP). Client order ids are idempotent per account, so a second run against the same
  // server and account needs a different offset to place new orders.
  std::uint64_t client_id_offset = 0;
  // Limits and timings. Every run ends within roughly
  // connect + prefill + warmup + duration + drain seconds.
  double connect_timeout_s = 5;   // connecting (and, for tcp, logging in) all connections
  double prefill_timeout_s = 60;  // the whole unmeasured prefill
  double drain_s = 5;             // waiting for answers after the last scheduled send
};

// Empty when the options are usable, else what is wrong with them.
std::string validate_options(const LoadOptions& options);

// The JSON line of a run: mode, offered_rate, achieved_rate (= acked / duration_s),
// duration_s, ops (measured ops in the schedule), sent, answered (any response), acked
// (answered without error; cancel_unknown included), cancel_unmapped (cancels skipped
// because their target had no server id yet), cancel_unknown (404 / UNKNOWN_ORDER),
// prefill_sent, prefill_acked, errors {kind: n} (stats.h ErrorKind), rejected_reasons
// {REASON: n} (tcp), latency_samples and p50/p90/p99/p999/max_ms over every answered
// measured request (error answers included; timeouts and lost requests excluded),
// connections, and "error" when the run could not happen.
//
// Each prints exactly one JSON line to stdout (with sweep: one per step and a final
// {"sweep_result":...} line) and returns the process exit code: 0 when the run(s)
// happened, 1 when they could not (no connection, exchangeInfo or acks file failed),
// 2 for invalid options.
int run_http(const LoadOptions& options);
int run_tcp(const LoadOptions& options);

}  // namespace spot::bench::load
