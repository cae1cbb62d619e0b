// Randomized differential test: hundreds of thousands of random ops through the heap
// book and through a deliberately naive reference book (linear scans, no indexes);
// every event and the final state must agree, and the invariants must hold after
// every op.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "bench/workload/workload.h"
#include "book_test_util.h"

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

TEST(Differential, HeapBookMatchesNaiveReferenceSeed1) { run_differential(1, 100'000); }
TEST(Differential, HeapBookMatchesNaiveReferenceSeed2) { run_differential(2, 100'000); }
TEST(Differential, HeapBookMatchesNaiveReferenceSeed3) { run_differential(3, 100'000); }

}  // namespace
}  // namespace spot::test
