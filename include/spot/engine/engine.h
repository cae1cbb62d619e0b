// Engine: the state the matching thread owns, and the one place commands change it.
// It wraps the Matcher with what the API needs around it: order ids, the record of
// every order (live and, up to a bound, finished), accounts, client-order-id
// idempotency, and ownership. Pure and deterministic like the Matcher: no I/O, no
// clock, no logging, so a journal can replay it exactly.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "spot/engine/commands.h"
#include "spot/engine/matcher.h"

namespace spot {

struct EngineLimits {
  std::size_t order_history = 1'000'000;  // finished orders remembered for GET and idempotency
  std::size_t max_open_orders_per_account = 100'000;
  BookCapacity book_capacity;
};

class Engine {
 public:
  Engine(std::vector<SymbolSpec> symbols, EngineLimits limits);

  Reply execute(const CommandBody& command, const std::string& request_id);

  OrderReply submit(const SubmitOrder& order, const std::string& request_id);
  OrderReply cancel(const CancelRequest& request);
  OrderReply get(const GetOrder& request) const;
  OpenOrdersReply open_orders(const OpenOrders& request) const;
  DepthReply depth(const GetDepth& request) const;
  AccountReply create_account(const CreateAccount& request);
  StateReply state() const;

  // The whole engine state in a compact binary form, and back. `restore` REQUIRES a
  // freshly constructed engine with the same symbols; on malformed input it returns
  // false with *error set (and the engine must be discarded).
  void serialize(std::string& out) const;
  bool restore(std::string_view in, std::string* error);

  template <class Fn>
  void for_each_account(Fn&& fn) const {
    for (const auto& [id, account] : accounts_) fn(AccountId{id}, account.key_hash);
  }

  const Matcher& matcher() const { return matcher_; }
  std::size_t account_count() const { return accounts_.size(); }
  std::size_t record_count() const { return records_.size(); }
  std::uint64_t trade_count() const { return matcher_.last_trade_id(); }

  bool check_invariants(std::string* why = nullptr) const;

  // A digest (FNV-1a 64) of everything replay must rebuild: every resting order in
  // book priority order, the live order records, accounts, and the id counters. Two
  // engines with equal hashes match every future command the same way.
  std::uint64_t state_hash() const;

 private:
  struct Account {
    std::string name;
    std::string key_hash;
    std::set<std::uint64_t> open_orders;  // ids, ascending
  };

  OrderRecord* find_record(OrderId id);
  const OrderRecord* find_owned(AccountId account, OrderId id) const;
  void apply_events(OrderRecord& taker, OrderReply& reply);
  void finish(OrderRecord& record);
  void forget_oldest_finished();

  Matcher matcher_;
  EngineLimits limits_;
  std::uint64_t next_order_id_ = 1;
  std::uint64_t next_account_id_ = 1;
  std::unordered_map<std::uint64_t, OrderRecord> records_;
  std::deque<std::uint64_t> finished_;  // finished order ids, oldest first
  std::map<std::uint64_t, Account> accounts_;
  std::unordered_map<std::string, std::uint64_t> idempotency_;  // "<account>:<key>" -> order id
  EventBuffer events_;
};

}  // namespace spot
