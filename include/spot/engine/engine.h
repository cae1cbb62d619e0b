// Engine: the state the matching thread owns, and the one place commands change it.
// It wraps the Matcher with what the API needs around it: order ids, the record of
// every order (live and, up to a bound, finished), accounts, client-order-id
// idempotency, and ownership. Pure and deterministic like the Matcher: no I/O, no
// clock, no logging, so a journal can replay it exactly.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "spot/core/flat_index.h"
#include "spot/core/status.h"
#include "spot/engine/balances.h"
#include "spot/engine/commands.h"
#include "spot/engine/idempotency_window.h"
#include "spot/engine/market_data.h"
#include "spot/engine/matcher.h"
#include "spot/engine/symbol_money.h"

namespace spot {

struct EngineLimits {
  // Finished orders whose whole record is kept for GET and idempotency; older ones are
  // served by the read path (Redis, then PostgreSQL).
  std::size_t order_history = 50'000;
  // Idempotency keys of orders past order_history, kept as (key hash -> order id) for
  // this many more orders (IdempotencyWindow); 0 keeps none.
  std::size_t idempotency_window = 1'000'000;
  std::size_t max_open_orders_per_account = 100'000;
  // Preallocated per symbol: orders, and price levels per side.
  BookCapacity book_capacity{65'536, 4'096};
  // Every order must be paid for: it locks what it may spend, fills settle between the
  // accounts' balances. Off: the pure book (benchmark W1, tests of matching alone);
  // deposits and withdrawals still move balances, orders neither lock nor settle.
  bool check_balances = true;
  // Public trades kept per symbol for /api/v3/trades and aggTrades (MarketData);
  // Binance's own maximum limit is 1,000.
  std::size_t recent_trades = 1'000;
};

class Engine {
 public:
  Engine(std::vector<SymbolSpec> symbols, EngineLimits limits);

  // `time_ns`: the wall-clock time the matching thread stamped the command's journal
  // record with (ns since the Unix epoch), the time of its public trades (MarketData);
  // a replay passes the recorded time, so it rebuilds the same market data.
  Reply execute(const CommandBody& command, const std::string& request_id,
                std::int64_t time_ns = 0);

  // Starts loading the balance a command will lock or release, for a caller that holds
  // the command before the one ahead of it has run (the matching loop: the next command
  // of its batch). A balance is a random row of a table larger than the L1 cache, and
  // its miss is most of what a lock or a release costs. A new order names its balance;
  // a cancel's is found from its order's record. Changes nothing; ignores other commands.
  void prefetch(const CommandBody& command) const;

  OrderReply submit(const SubmitOrder& order, const std::string& request_id);
  OrderReply cancel(const CancelRequest& request);
  OrderReply get(const GetOrder& request) const;
  OpenOrdersReply open_orders(const OpenOrders& request) const;
  DepthReply depth(const GetDepth& request) const;
  AccountReply create_account(const CreateAccount& request);
  StateReply state() const;
  TransferReply deposit(const Deposit& request);
  TransferReply withdraw(const Withdraw& request);
  BalancesReply balances(const GetBalances& request) const;
  TradesReply trades(const GetTrades& request) const;
  TickerReply ticker(const GetTicker& request) const;

  // Assets in the order the symbols name them (base, then quote, first seen first).
  const std::vector<std::string>& assets() const { return balances_.assets(); }
  std::optional<AssetId> find_asset(std::string_view name) const {
    return balances_.find_asset(name);
  }
  int asset_decimals(AssetId asset) const { return balances_.decimals(asset); }
  // An account's balance of an asset (zero for an unknown account); account 0 is the
  // fee account, whose whole balance is free.
  Balance balance(AccountId account, AssetId asset) const {
    return balances_.balance(account, asset);
  }
  std::vector<AssetTotals> asset_totals() const { return balances_.asset_totals(); }
  bool checks_balances() const { return limits_.check_balances; }
  const Balances& money() const { return balances_; }
  // Every balance change from now on is appended to `sink` (nullptr: to none). Replay
  // with a sink attached reports exactly the changes the live engine made.
  // REQUIRES: `sink` outlives the engine or is detached first.
  void set_ledger(LedgerSink* sink) { balances_.set_ledger(sink); }

  // The whole engine state in a compact binary form, and back. `restore` REQUIRES a
  // freshly constructed engine with the same symbols; on malformed input it returns
  // Corruption (and the engine must be discarded).
  void serialize(std::string& out) const;
  Status restore(std::string_view in);

  template <class Fn>
  void for_each_account(Fn&& fn) const {
    for (const auto& [id, account] : accounts_) {
      fn(AccountId{id}, account.key_hash, account.sealed_secret);
    }
  }

  // The record of order `id`, live or finished; null if the engine never had it or has
  // forgotten it (past order_history). Valid until the next command.
  const OrderRecord* find(OrderId id) const;
  // True if `id` was handed out (to an order, or to a submit the matcher rejected) but
  // has no record in memory: the read path may know it.
  bool forgot(OrderId id) const;
  // The ids of the account's live orders, ascending (none for an unknown account).
  std::vector<std::uint64_t> open_order_ids(AccountId account) const;

  const Matcher& matcher() const { return matcher_; }
  const MarketData& market() const { return market_; }
  // The latest time a command was executed at (after a restore, the time of the last
  // trade the snapshot holds, raised by every record replayed after it). The matching
  // loop never stamps a command earlier, so a wall clock stepped back (NTP, an
  // operator) cannot make time run backwards in the journal, the database or market
  // data, across a restart too.
  std::int64_t last_time_ns() const { return last_time_ns_; }
  std::size_t account_count() const { return accounts_.size(); }
  std::size_t record_count() const { return by_id_.size(); }
  const IdempotencyWindow& idempotency_window() const { return window_; }
  std::uint64_t trade_count() const { return matcher_.last_trade_id(); }

  bool check_invariants(std::string* why = nullptr) const;

  // A digest (FNV-1a 64) of everything replay must rebuild: every resting order in
  // book priority order, the live order records, accounts, the id counters, and the
  // idempotency window in order. Two engines with equal hashes answer every future
  // command the same way, except GETs and resends of finished orders still within
  // order_history: the finished records are not in it.
  std::uint64_t state_hash() const;

 private:
  // Record slots by order id (unique) and by idempotency hash (repeated: a hash
  // collision files two slots under one key, and lookups verify the record).
  using SlotIndex = FlatIndex<FibonacciHash>;

  // An order record plus the engine's bookkeeping for it. Slots are recycled through a
  // free list, so a new order reuses the strings' buffers of a forgotten one.
  struct Slot {
    OrderRecord record;                           // record.id == 0: a free slot
    std::uint64_t key_hash = 0;                   // idempotency hash, if has_key
    std::uint32_t open_index = SlotIndex::kNone;  // position in its account's open_slots
    bool has_key = false;
  };

  struct Account {
    std::string name;
    std::string key_hash;
    std::string sealed_secret;  // the API secret, sealed (gateway/secrets.h); "" if none
    // Slots of the account's live orders, in no order (removal swaps in the last one);
    // readers that need id order sort.
    std::vector<std::uint32_t> open_slots;
  };

  // Slots live in fixed-size chunks: references stay valid while more are added, and
  // growing never moves a million records.
  static constexpr unsigned kChunkBits = 12;
  Slot& slot(std::uint32_t i) { return chunks_[i >> kChunkBits][i & ((1u << kChunkBits) - 1)]; }
  const Slot& slot(std::uint32_t i) const {
    return chunks_[i >> kChunkBits][i & ((1u << kChunkBits) - 1)];
  }
  std::uint32_t allocate_slot();
  std::uint32_t find_slot(std::uint64_t id) const;
  std::uint32_t find_by_key(std::uint64_t key_hash, AccountId account,
                            const std::string& client_order_id, std::uint64_t client_token) const;
  // Files a filled-in slot under its id and idempotency key.
  void index_slot(std::uint32_t s);
  void add_open(std::uint32_t s);
  std::vector<std::uint64_t> sorted_open_ids(const Account& account) const;

  OrderRecord* find_record(OrderId id);
  const OrderRecord* find_owned(AccountId account, OrderId id) const;
  // Checks a new order before it reaches the book (post-only, quoteOrderQty, the
  // matcher's validation) and, with check_balances, locks what it may spend: the
  // returned `locked` units of the asset it pays with. A quoteOrderQty buy gets the
  // quantity its money buys now in `request.qty`.
  RejectReason admit(const SubmitOrder& order, OrderRequest& request, std::int64_t& locked);
  // What a live order keeps locked for its remaining quantity (128 bits: a damaged
  // snapshot's records are checked with it).
  Int128 lock_of(const OrderRecord& record) const;
  AssetId paying_asset(const OrderRecord& record) const;
  // Moves one trade's money: the buyer's locked quote to the seller, the seller's
  // locked base to the buyer, each less its fee; `taker_locked` is what the taker still
  // has locked for this order (a buy's saving on a better price is released at once).
  // Returns the fees, each in the asset its payer received.
  TradeFees settle(const OrderRecord& taker, const OrderRecord& maker, const Event& trade,
                   std::int64_t& taker_locked);
  TransferReply transfer(const Transfer& request, bool deposit);
  void apply_events(OrderRecord& taker, OrderReply& reply, std::int64_t& taker_locked);
  void finish(std::uint32_t s);
  void forget_oldest_finished();

  Matcher matcher_;
  EngineLimits limits_;
  std::uint64_t next_order_id_ = 1;
  std::uint64_t next_account_id_ = 1;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::uint32_t slots_used_ = 0;           // slots ever handed out
  std::vector<std::uint32_t> free_slots_;  // forgotten records' slots, for reuse
  SlotIndex by_id_;                        // order id -> slot, every remembered order
  SlotIndex by_key_;                       // idempotency hash of (account, client id) -> slot
  std::deque<std::uint64_t> finished_;     // finished order ids, oldest first
  IdempotencyWindow window_;               // keys of forgotten finished orders
  std::map<std::uint64_t, Account> accounts_;
  EventBuffer events_;
  std::vector<SymbolMoney> money_;  // by symbol
  Balances balances_;
  std::map<std::string, TransferReply> transfers_;  // by reference
  MarketData market_;  // fed by execute() from the replies of submits and cancels
  std::int64_t last_time_ns_ = 0;
};

}  // namespace spot
