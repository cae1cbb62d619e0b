// Randomized differential test: hundreds of thousands of random ops through the heap
// book and through a deliberately naive reference book (linear scans, no indexes);
// every event and the final state must agree, and the invariants must hold after
// every op.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <vector>

#include "bench/workload/workload.h"
#include "book_test_util.h"
#include "spot/engine/engine.h"

namespace spot::test {
namespace {

// The obviously-correct book: a flat list of resting orders, scanned for every match.
class ReferenceBook {
 public:
  void submit(const OrderRequest& o, EventBuffer& out) {
    const bool is_market = o.type == OrderType::Market;
    Event base;
    base.side = o.side;
    base.order_id = o.id;
    base.account = o.account;
    base.price = o.price;
    base.qty = o.qty;
    auto reject = [&](RejectReason r) {
      Event e = base;
      e.type = EventType::Rejected;
      e.reason = r;
      out.push_back(e);
    };
    if (o.qty <= 0) return reject(RejectReason::BadQuantity);
    if (!is_market && o.price <= 0) return reject(RejectReason::BadPrice);
    if (is_market && o.tif == TimeInForce::Gtc) return reject(RejectReason::BadOrderType);
    if (o.id.value == 0 || find(o.id.value) != orders_.end()) {
      return reject(RejectReason::DuplicateOrderId);
    }
    base.type = EventType::Accepted;
    base.price = is_market ? 0 : o.price;
    out.push_back(base);

    auto crosses = [&](const Resting& r) {
      if (r.side == o.side) return false;
      if (is_market) return true;
      return o.side == Side::Buy ? r.price <= o.price : r.price >= o.price;
    };
    if (o.tif == TimeInForce::Fok) {
      Lots available = 0;
      for (const Resting& r : orders_) {
        if (crosses(r)) available += r.remaining;
      }
      if (available < o.qty) {
        Event e = base;
        e.type = EventType::Expired;
        out.push_back(e);
        return;
      }
    }
    Lots left = o.qty;
    while (left > 0) {
      auto best = orders_.end();
      for (auto it = orders_.begin(); it != orders_.end(); ++it) {
        if (!crosses(*it)) continue;
        if (best == orders_.end()) {
          best = it;
          continue;
        }
        const bool better_price =
            o.side == Side::Buy ? it->price < best->price : it->price > best->price;
        if (better_price || (it->price == best->price && it->seq < best->seq)) best = it;
      }
      if (best == orders_.end()) break;
      const Lots traded = std::min(left, best->remaining);
      left -= traded;
      best->remaining -= traded;
      Event t;
      t.type = EventType::Trade;
      t.side = o.side;
      t.order_id = o.id;
      t.account = o.account;
      t.price = best->price;
      t.qty = traded;
      t.remaining = left;
      t.maker_id = OrderId{best->id};
      t.maker_account = AccountId{best->account};
      t.maker_remaining = best->remaining;
      out.push_back(t);
      if (best->remaining == 0) orders_.erase(best);
    }
    if (left == 0) return;
    if (o.tif == TimeInForce::Gtc) {
      orders_.push_back(Resting{o.id.value, o.account.value, o.side, o.price, o.qty, left, ++seq_});
      return;
    }
    Event e = base;
    e.type = EventType::Expired;
    e.qty = left;
    out.push_back(e);
  }

  void cancel(OrderId id, EventBuffer& out) {
    Event e;
    e.order_id = id;
    auto it = find(id.value);
    if (it == orders_.end()) {
      e.type = EventType::Rejected;
      e.reason = RejectReason::UnknownOrder;
      out.push_back(e);
      return;
    }
    e.type = EventType::Canceled;
    e.side = it->side;
    e.account = AccountId{it->account};
    e.price = it->price;
    e.qty = it->remaining;
    out.push_back(e);
    orders_.erase(it);
  }

  // Resting orders of a side, best price first, then by time.
  std::vector<RestingOrder> orders(Side side) const {
    std::vector<Resting> mine;
    for (const Resting& r : orders_) {
      if (r.side == side) mine.push_back(r);
    }
    std::sort(mine.begin(), mine.end(), [side](const Resting& a, const Resting& b) {
      if (a.price != b.price) return side == Side::Buy ? a.price > b.price : a.price < b.price;
      return a.seq < b.seq;
    });
    std::vector<RestingOrder> out;
    for (const Resting& r : mine) {
      out.push_back(RestingOrder{OrderId{r.id}, AccountId{r.account}, r.side, r.price, r.original,
                                 r.remaining});
    }
    return out;
  }

 private:
  struct Resting {
    std::uint64_t id;
    std::uint64_t account;
    Side side;
    Ticks price;
    Lots original;
    Lots remaining;
    std::uint64_t seq;
  };

  std::vector<Resting>::iterator find(std::uint64_t id) {
    return std::find_if(orders_.begin(), orders_.end(),
                        [id](const Resting& r) { return r.id == id; });
  }

  std::vector<Resting> orders_;
  std::uint64_t seq_ = 0;
};

bool same(const Event& a, const Event& b) {
  return a.type == b.type && a.side == b.side && a.reason == b.reason && a.symbol == b.symbol &&
         a.order_id == b.order_id && a.account == b.account && a.price == b.price &&
         a.qty == b.qty && a.remaining == b.remaining && a.maker_id == b.maker_id &&
         a.maker_account == b.maker_account && a.maker_remaining == b.maker_remaining &&
         a.trade_id == b.trade_id;
}

bool same(const RestingOrder& a, const RestingOrder& b) {
  return a.id == b.id && a.account == b.account && a.side == b.side && a.price == b.price &&
         a.original_qty == b.original_qty && a.remaining_qty == b.remaining_qty;
}

void run_differential(std::uint64_t seed, int ops) {
  bench::SplitMix64 rng(seed);
  OrderBook book(0, BookCapacity{64, 16});  // small, so pools and indexes must grow
  ReferenceBook reference;
  EventBuffer got;
  EventBuffer want;
  std::uint64_t next_id = 1;
  for (int op = 0; op < ops; ++op) {
    got.clear();
    want.clear();
    const std::uint64_t r = rng.uniform(100);
    if (r < 35) {
      // Cancel: mostly a recent id (live, filled or canceled), sometimes one never used.
      const std::uint64_t back = 1 + rng.uniform(200);
      const std::uint64_t id =
          rng.uniform(20) == 0 ? next_id + 1000 : (next_id > back ? next_id - back : 1);
      book.cancel(OrderId{id}, got);
      reference.cancel(OrderId{id}, want);
    } else {
      OrderRequest o;
      // Occasionally reuse a recent id, to exercise duplicate detection.
      o.id =
          OrderId{rng.uniform(50) == 0 && next_id > 2 ? next_id - 1 - rng.uniform(2) : next_id++};
      o.account = AccountId{1 + rng.uniform(3)};
      o.side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
      const std::uint64_t kind = rng.uniform(100);
      o.type = kind < 8 ? OrderType::Market : OrderType::Limit;
      const std::uint64_t tif = rng.uniform(100);
      o.tif = tif < 70 ? TimeInForce::Gtc : tif < 88 ? TimeInForce::Ioc : TimeInForce::Fok;
      if (o.type == OrderType::Market && o.tif == TimeInForce::Gtc && rng.uniform(10) != 0) {
        o.tif = TimeInForce::Ioc;
      }
      // A narrow band around 1,000 so that orders cross often; rare bad values.
      o.price = o.type == OrderType::Market ? 0 : 990 + static_cast<Ticks>(rng.uniform(21));
      if (rng.uniform(500) == 0) o.price = -static_cast<Ticks>(rng.uniform(2));
      o.qty = 1 + static_cast<Lots>(rng.uniform(20));
      if (rng.uniform(500) == 0) o.qty = -static_cast<Lots>(rng.uniform(2));
      book.submit(o, got);
      reference.submit(o, want);
    }
    ASSERT_EQ(got.size(), want.size()) << "op " << op << " seed " << seed;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(same(got[i], want[i]))
          << "op " << op << " seed " << seed << " event " << i << ": got " << describe(got[i])
          << ", want " << describe(want[i]);
    }
    std::string why;
    ASSERT_TRUE(book.check_invariants(&why)) << "op " << op << " seed " << seed << ": " << why;
  }
  for (const Side side : {Side::Buy, Side::Sell}) {
    const auto got_orders = book.orders(side);
    const auto want_orders = reference.orders(side);
    ASSERT_EQ(got_orders.size(), want_orders.size());
    for (std::size_t i = 0; i < got_orders.size(); ++i) {
      ASSERT_TRUE(same(got_orders[i], want_orders[i])) << "resting order " << i;
    }
  }
}

// The reference with money: the naive book above for the matching, and balances kept
// in plain maps, moved by the reference book's own events. The engine must reject the
// same orders for funds and hold the same balances after every op, and money must be
// conserved in both.
class ReferenceExchange {
 public:
  // BTC-USDT with a 0.01 tick, a 0.001 lot and 8 decimals per asset: one lot is 10^5
  // satoshi-like units of BTC, one tick times one lot 10^3 units of USDT.
  static constexpr std::int64_t kBasePerLot = 100'000;
  static constexpr std::int64_t kQuotePerTickLot = 1'000;
  static constexpr std::int32_t kMakerBps = 10;
  static constexpr std::int32_t kTakerBps = 25;
  static constexpr int kBase = 0;
  static constexpr int kQuote = 1;

  struct Money {
    std::int64_t free = 0;
    std::int64_t locked = 0;
  };

  RejectReason deposit(std::uint64_t account, int asset, std::int64_t amount,
                       const std::string& reference) {
    if (!references_.insert(reference).second) return RejectReason::None;  // a repeat
    money_[{account, asset}].free += amount;
    deposited_[asset] += amount;
    return RejectReason::None;
  }

  RejectReason withdraw(std::uint64_t account, int asset, std::int64_t amount,
                        const std::string& reference) {
    if (references_.count(reference) != 0) return RejectReason::None;
    Money& m = money_[{account, asset}];
    if (amount > m.free) return RejectReason::InsufficientBalance;
    references_.insert(reference);
    m.free -= amount;
    withdrawn_[asset] += amount;
    return RejectReason::None;
  }

  // The order as the engine takes it (id assigned by the caller, as the engine does).
  RejectReason submit(const SubmitOrder& order, OrderId id) {
    OrderRequest o{order, id};
    const bool by_quote = order.quote_qty != 0;
    if (by_quote) {
      // What the money buys, walking the asks best first, order by order.
      std::int64_t left = order.quote_qty;
      Lots qty = 0;
      for (const RestingOrder& r : book_.orders(Side::Sell)) {
        const Lots affordable = left / (r.price * kQuotePerTickLot);
        const Lots take = std::min(affordable, r.remaining_qty);
        qty += take;
        left -= take * r.price * kQuotePerTickLot;
        if (take < r.remaining_qty) break;
      }
      o.qty = qty;
      if (qty <= 0) return RejectReason::BadQuantity;
    }
    if (order.post_only) {
      for (const RestingOrder& r : book_.orders(opposite(order.side))) {
        const bool crosses =
            order.side == Side::Buy ? r.price <= order.price : r.price >= order.price;
        if (crosses) return RejectReason::WouldMatch;
      }
    }
    std::int64_t need = 0;
    int asset = kQuote;
    if (order.side == Side::Sell) {
      asset = kBase;
      need = o.qty * kBasePerLot;
    } else if (by_quote) {
      need = order.quote_qty;
    } else if (order.type == OrderType::Limit) {
      need = o.price * o.qty * kQuotePerTickLot;
    } else {
      Lots left = o.qty;
      for (const RestingOrder& r : book_.orders(Side::Sell)) {
        const Lots take = std::min(left, r.remaining_qty);
        need += take * r.price * kQuotePerTickLot;
        left -= take;
        if (left == 0) break;
      }
    }
    Money& payer = money_[{order.account.value, asset}];
    if (need > payer.free) return RejectReason::InsufficientBalance;
    payer.free -= need;
    payer.locked += need;
    std::int64_t taker_locked = need;

    EventBuffer events;
    book_.submit(o, events);
    Lots left = o.qty;
    for (const Event& e : events) {
      if (e.type != EventType::Trade) continue;
      left = e.remaining;
      const std::int64_t base = e.qty * kBasePerLot;
      const std::int64_t quote = e.price * e.qty * kQuotePerTickLot;
      const bool taker_buys = order.side == Side::Buy;
      const std::uint64_t buyer = taker_buys ? order.account.value : e.maker_account.value;
      const std::uint64_t seller = taker_buys ? e.maker_account.value : order.account.value;
      money_[{buyer, kQuote}].locked -= quote;
      money_[{seller, kBase}].locked -= base;
      receive(buyer, kBase, base, taker_buys ? kTakerBps : kMakerBps);
      receive(seller, kQuote, quote, taker_buys ? kMakerBps : kTakerBps);
      taker_locked -= taker_buys ? quote : base;
      live_[e.maker_id.value].remaining = e.maker_remaining;
      if (e.maker_remaining == 0) live_.erase(e.maker_id.value);
    }
    const bool rests = order.type == OrderType::Limit && order.tif == TimeInForce::Gtc &&
                       left > 0 &&
                       std::any_of(events.begin(), events.end(),
                                   [](const Event& e) { return e.type == EventType::Accepted; }) &&
                       std::none_of(events.begin(), events.end(),
                                    [](const Event& e) { return e.type == EventType::Expired; });
    // What stays locked: a resting order's remaining quantity at its own price; all
    // else goes back to free.
    const std::int64_t keep = !rests                    ? 0
                              : order.side == Side::Buy ? o.price * left * kQuotePerTickLot
                                                        : left * kBasePerLot;
    Money& back = money_[{order.account.value, asset}];
    back.locked -= taker_locked - keep;
    back.free += taker_locked - keep;
    if (rests) live_[id.value] = Live{order.account.value, order.side, o.price, left};
    return RejectReason::None;
  }

  RejectReason cancel(std::uint64_t account, OrderId id) {
    const auto it = live_.find(id.value);
    if (it == live_.end() || it->second.account != account) return RejectReason::UnknownOrder;
    EventBuffer events;
    book_.cancel(id, events);
    const Live& l = it->second;
    Money& m = money_[{account, l.side == Side::Buy ? kQuote : kBase}];
    const std::int64_t lock =
        l.side == Side::Buy ? l.price * l.remaining * kQuotePerTickLot : l.remaining * kBasePerLot;
    m.locked -= lock;
    m.free += lock;
    live_.erase(it);
    return RejectReason::None;
  }

  Money money(std::uint64_t account, int asset) const {
    const auto it = money_.find({account, asset});
    return it == money_.end() ? Money{} : it->second;
  }
  std::int64_t fees(int asset) const { return fees_[asset]; }
  bool conserved(int asset) const {
    std::int64_t held = 0;
    for (const auto& [key, m] : money_) {
      if (key.second == asset) held += m.free + m.locked;
    }
    return held + fees_[asset] == deposited_[asset] - withdrawn_[asset];
  }
  const ReferenceBook& book() const { return book_; }

 private:
  struct Live {
    std::uint64_t account;
    Side side;
    Ticks price;
    Lots remaining;
  };

  void receive(std::uint64_t account, int asset, std::int64_t amount, std::int32_t bps) {
    const std::int64_t fee = amount * bps / 10'000;
    money_[{account, asset}].free += amount - fee;
    fees_[asset] += fee;
  }

  ReferenceBook book_;
  std::map<std::pair<std::uint64_t, int>, Money> money_;
  std::map<std::uint64_t, Live> live_;
  std::set<std::string> references_;
  std::array<std::int64_t, 2> fees_{};
  std::array<std::int64_t, 2> deposited_{};
  std::array<std::int64_t, 2> withdrawn_{};
};

// Keeps every ledger entry the engine reports, and checks as it goes that each one
// starts from the balance the entries before it add up to.
class ReplayedLedger : public LedgerSink {
 public:
  void append(const LedgerEntry& e) override {
    Balance& b = replayed_[{e.account.value, e.asset}];
    b.free += e.delta_free;
    b.locked += e.delta_locked;
    if (b != e.after && mismatch_.empty()) {
      mismatch_ = "entry " + std::to_string(entries_) + " (" + std::string(to_string(e.cause)) +
                  ") of account " + std::to_string(e.account.value) + " leaves " +
                  std::to_string(b.free) + "/" + std::to_string(b.locked) + ", says " +
                  std::to_string(e.after.free) + "/" + std::to_string(e.after.locked);
    }
    if (e.delta_free == 0 && e.delta_locked == 0 && mismatch_.empty()) {
      mismatch_ = "entry " + std::to_string(entries_) + " changes nothing";
    }
    const bool transfer = e.cause == LedgerCause::Deposit || e.cause == LedgerCause::Withdrawal;
    if (transfer != !e.reference.empty() && mismatch_.empty()) {
      mismatch_ = "entry " + std::to_string(entries_) + " has a reference iff a transfer";
    }
    ++by_cause_[static_cast<int>(e.cause)];
    ++entries_;
  }
  // The balance the entries add up to, from zero.
  Balance balance(std::uint64_t account, AssetId asset) const {
    const auto it = replayed_.find({account, asset});
    return it == replayed_.end() ? Balance{} : it->second;
  }
  const std::string& mismatch() const { return mismatch_; }
  std::size_t entries() const { return entries_; }
  std::size_t count(LedgerCause cause) const { return by_cause_[static_cast<int>(cause)]; }

 private:
  std::map<std::pair<std::uint64_t, AssetId>, Balance> replayed_;
  std::array<std::size_t, kLedgerCauses> by_cause_{};
  std::size_t entries_ = 0;
  std::string mismatch_;
};

// The fee on a fill: of what the order received, rounded down.
std::int64_t expected_fee(const Fill& f, Side side, std::int32_t bps) {
  const std::int64_t received = side == Side::Buy
                                    ? f.qty * ReferenceExchange::kBasePerLot
                                    : f.price * f.qty * ReferenceExchange::kQuotePerTickLot;
  return static_cast<std::int64_t>(static_cast<Int128>(received) * bps / 10'000);
}

void run_balance_differential(std::uint64_t seed, int ops) {
  bench::SplitMix64 rng(seed);
  SymbolSpec spec;
  spec.name = "BTC-USDT";
  spec.maker_fee_bps = ReferenceExchange::kMakerBps;
  spec.taker_fee_bps = ReferenceExchange::kTakerBps;
  EngineLimits limits;
  limits.book_capacity = BookCapacity{64, 16};
  limits.order_history = 100;
  Engine engine({spec}, limits);
  ReplayedLedger ledger;
  engine.set_ledger(&ledger);
  ReferenceExchange reference;
  constexpr std::uint64_t kAccounts = 4;
  for (std::uint64_t a = 1; a <= kAccounts; ++a) {
    ASSERT_EQ(engine.create_account(CreateAccount{"a" + std::to_string(a), "h"}).account.value, a);
  }
  const std::array<std::string, 2> names = {"BTC", "USDT"};
  ASSERT_EQ(engine.assets(), std::vector<std::string>(names.begin(), names.end()));
  std::uint64_t next_id = 1;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> submitted;  // (id, account)
  int insufficient = 0;
  int fills = 0;
  for (int op = 0; op < ops; ++op) {
    const std::uint64_t r = rng.uniform(100);
    const std::uint64_t account = 1 + rng.uniform(kAccounts);
    RejectReason got = RejectReason::None;
    RejectReason want = RejectReason::None;
    if (r < 8) {
      // Deposits and withdrawals, sometimes repeating a reference.
      const int asset = static_cast<int>(rng.uniform(2));
      const std::int64_t amount =
          1 + static_cast<std::int64_t>(rng.uniform(asset == 0 ? 2'000'000 : 20'000'000'000ull));
      const std::string ref = "t" + std::to_string(rng.uniform(static_cast<std::uint64_t>(op) + 1));
      const Transfer t{AccountId{account}, names[static_cast<std::size_t>(asset)], amount, ref};
      if (r < 5) {
        got = engine.deposit(Deposit{t}).reject;
        want = reference.deposit(account, asset, amount, ref);
      } else {
        got = engine.withdraw(Withdraw{t}).reject;
        want = reference.withdraw(account, asset, amount, ref);
      }
    } else if (r < 35) {
      if (submitted.empty()) continue;
      const auto& [id, owner] = submitted[submitted.size() - 1 -
                                          rng.uniform(std::min<std::size_t>(submitted.size(), 30))];
      const std::uint64_t who = rng.uniform(10) == 0 ? account : owner;
      got = engine.cancel(CancelRequest{AccountId{who}, OrderId{id}}).reject;
      want = reference.cancel(who, OrderId{id});
    } else {
      SubmitOrder o;
      o.account = AccountId{account};
      o.side = rng.uniform(2) == 0 ? Side::Buy : Side::Sell;
      const std::uint64_t kind = rng.uniform(100);
      const std::uint64_t tif = rng.uniform(100);
      o.tif = tif < 70 ? TimeInForce::Gtc : tif < 88 ? TimeInForce::Ioc : TimeInForce::Fok;
      o.price = 990 + static_cast<Ticks>(rng.uniform(21));
      o.qty = 1 + static_cast<Lots>(rng.uniform(20));
      if (kind < 6) {
        o.type = OrderType::Market;
        o.price = 0;
        if (o.tif == TimeInForce::Gtc) o.tif = TimeInForce::Ioc;
      } else if (kind < 10) {
        // Buy with an amount of USDT (quoteOrderQty).
        o.type = OrderType::Market;
        o.side = Side::Buy;
        o.tif = TimeInForce::Ioc;
        o.price = 0;
        o.qty = 0;
        o.quote_qty = 1 + static_cast<std::int64_t>(rng.uniform(30'000'000));
      } else if (kind < 18) {
        o.post_only = true;
        o.tif = TimeInForce::Gtc;
      }
      const OrderId id{next_id++};
      const OrderReply reply = engine.submit(o, "r");
      got = reply.reject;
      want = reference.submit(o, id);
      if (got == RejectReason::None) {
        ASSERT_EQ(reply.order.id, id) << "op " << op;
        submitted.emplace_back(id.value, account);
        fills += static_cast<int>(reply.fills.size());
        // Each side's fee, reported per fill, is its rate of what it received.
        ASSERT_EQ(reply.fills.size(), reply.maker_fills.size());
        for (std::size_t k = 0; k < reply.fills.size(); ++k) {
          ASSERT_EQ(reply.fills[k].fee,
                    expected_fee(reply.fills[k], o.side, ReferenceExchange::kTakerBps))
              << "op " << op;
          ASSERT_EQ(reply.maker_fills[k].fill.fee,
                    expected_fee(reply.maker_fills[k].fill, opposite(o.side),
                                 ReferenceExchange::kMakerBps))
              << "op " << op;
        }
      }
      if (want == RejectReason::InsufficientBalance) ++insufficient;
    }
    ASSERT_EQ(got, want) << "op " << op << " seed " << seed << ": got " << to_string(got)
                         << ", want " << to_string(want);
    for (std::uint64_t a = 0; a <= kAccounts; ++a) {
      for (AssetId asset = 0; asset < 2; ++asset) {
        const Balance b = engine.balance(AccountId{a}, asset);
        const auto m =
            a == 0 ? ReferenceExchange::Money{reference.fees(asset), 0} : reference.money(a, asset);
        ASSERT_EQ(b.free, m.free) << "op " << op << " account " << a << " " << names[asset];
        ASSERT_EQ(b.locked, m.locked) << "op " << op << " account " << a << " " << names[asset];
      }
    }
    for (const AssetTotals& t : engine.asset_totals()) {
      ASSERT_TRUE(t.conserved()) << "op " << op << ": " << t.asset << " not conserved";
    }
    ASSERT_TRUE(reference.conserved(0) && reference.conserved(1)) << "op " << op;
    std::string why;
    ASSERT_TRUE(engine.check_invariants(&why)) << "op " << op << " seed " << seed << ": " << why;
    ASSERT_EQ(ledger.mismatch(), "") << "op " << op;
  }
  // Replaying the ledger from zero gives exactly the balances, the fee account's too.
  for (std::uint64_t a = 0; a <= kAccounts; ++a) {
    for (AssetId asset = 0; asset < 2; ++asset) {
      EXPECT_EQ(ledger.balance(a, asset), engine.balance(AccountId{a}, asset))
          << "account " << a << " " << names[asset];
    }
  }
  for (const LedgerCause cause :
       {LedgerCause::Deposit, LedgerCause::Withdrawal, LedgerCause::Lock, LedgerCause::Release,
        LedgerCause::TradeDebit, LedgerCause::TradeCredit, LedgerCause::Fee}) {
    EXPECT_GT(ledger.count(cause), 0u) << to_string(cause);
  }
  for (const Side side : {Side::Buy, Side::Sell}) {
    const auto got_orders = engine.matcher().book(0).orders(side);
    const auto want_orders = reference.book().orders(side);
    ASSERT_EQ(got_orders.size(), want_orders.size());
    for (std::size_t i = 0; i < got_orders.size(); ++i) {
      ASSERT_TRUE(same(got_orders[i], want_orders[i])) << "resting order " << i;
    }
  }
  // The stream must exercise both paths: orders refused for funds, and trades.
  EXPECT_GT(insufficient, ops / 200);
  EXPECT_GT(fills, ops / 20);
}

TEST(Differential, EngineBalancesMatchNaiveReferenceSeed1) { run_balance_differential(1, 30'000); }
TEST(Differential, EngineBalancesMatchNaiveReferenceSeed2) { run_balance_differential(2, 30'000); }
TEST(Differential, EngineBalancesMatchNaiveReferenceSeed3) { run_balance_differential(3, 30'000); }

TEST(Differential, HeapBookMatchesNaiveReferenceSeed1) { run_differential(1, 100'000); }
TEST(Differential, HeapBookMatchesNaiveReferenceSeed2) { run_differential(2, 100'000); }
TEST(Differential, HeapBookMatchesNaiveReferenceSeed3) { run_differential(3, 100'000); }

}  // namespace
}  // namespace spot::test
