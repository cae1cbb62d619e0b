// `spot-bench project`: how fast the PostgreSQL projector catches up with a journal of
// W1 flow, beside PostgreSQL's own COPY rate for the same final rows.
//
// It writes a real journal once (bench/replay: one account, then the W1 prefill and
// ops as spotd journals them). Then, each round, two phases on a fresh schema (DROP
// SCHEMA public CASCADE; CREATE SCHEMA public), taking turns which goes first:
//   A. the real spot::Projector, in this process on its own thread, from checkpoint 0
//      with durable_seq fixed at the journal's last record; it applies the migrations
//      itself. Timed from start() until committed_seq() reaches the last record.
//   B. the rows the projector ends up with, derived beforehand (untimed) by replaying
//      the journal through one ProjectionBatch covering every record, written with
//      COPY ... FROM STDIN (libpq, text format) into the tables the migrations created,
//      in one transaction. Timed from connecting to COMMIT.
// After each round the row counts (and an md5 of every row) of the two phases must be
// equal, or the run fails.
#pragma once

#include <cstdint>
#include <string>

#include "spot/store/postgres.h"

namespace spot::bench {

struct ProjectOptions {
  // url (required): a database this run may wipe; batch_max_records, copy_min_rows and
  // flush_ms as the projector uses them, every other field as spotd's defaults.
  PostgresOptions postgres;
  std::uint64_t orders = 200'000;  // W1 ops after prefill (new orders and cancels)
  std::uint64_t seed = 20240601;
  std::uint64_t prefill = 1'000;  // per symbol
  int rounds = 3;
  std::string dir;  // journal directory (new or empty); empty: a temporary one, removed after
  // A projector that has not caught up by then fails the run.
  std::int64_t catch_up_timeout_ms = 600'000;
};

// Prints a table per round, the medians and one JSON summary line on stdout; progress
// and errors on stderr. Returns the exit code: 0 measured and verified, 1 a phase
// failed or the phases disagree, 2 bad options.
int run_project(const ProjectOptions& options);

}  // namespace spot::bench
