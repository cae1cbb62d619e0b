// W1-B through the matching core with balances: the Matcher and the production
// Balances component, joined by a few lines of benchmark glue, with no Engine.
//
// Why this exists: issue 13 asks that "the matching core with balances keeps at least
// 80% of the pure-book rate". The Engine cannot answer that: it runs about 5x slower
// than the bare Matcher on W1 with or without balances, because of its order-record
// layer (records, idempotency index, replies), so Engine-with-balances over Matcher
// measures that layer, not the balances. This run measures the balances alone: the same
// Matcher as plain W1, plus what every order must do with money (lock, settle, release)
// through the same Balances the Engine uses, driven from the Matcher's events.
//
// It is a benchmark harness, not a second engine: it trusts W1-B's funding (no order
// is refused for money), keeps no order records, and exists to be timed beside the
// Matcher and cross-checked against the Engine: the same W1 checksums, every asset
// conserved, and every account's free and locked per asset equal to the Engine's.
#pragma once

#include <string>
#include <vector>

#include "bench/workload/workload.h"
#include "spot/engine/balances.h"
#include "spot/engine/symbol_money.h"

namespace spot::bench {

struct CoreRun {
  Checksums sums;
  double seconds = 0;      // the ops after prefill, wall clock
  double cpu_seconds = 0;  // the same, on the CPU
  std::vector<AssetTotals> totals;
  bool conserved = true;
  Balances balances;  // at the end, for the cross-check against the Engine
};

// Plays W1-B (accounts 1 + id mod 1000, w1b_symbol_specs, kW1bFunds of every asset)
// through a Matcher and a Balances: per order, lock what it may spend (a limit buy
// price x qty of quote, a sell qty of base, a market buy the cost of sweeping the book
// for its quantity, as Engine::admit does), settle each trade, release a limit buy's
// price improvement, and release what is left when the order expires, fills or is
// canceled.
CoreRun play_core(const Workload& workload);

// Whether two Balances hold the same assets (by name, in order), the same free and
// locked for every account and asset (the fee account's included), and the same fees,
// deposits and withdrawals per asset. On a difference, *why names the first one.
bool same_balances(const Balances& a, const Balances& b, std::string* why = nullptr);

}  // namespace spot::bench
