// OrderBook: the limit order book of one symbol, with price-time priority.
//
// Each side is a binary heap of price levels (max-heap of bids, min-heap of asks),
// indexed so that an emptied level leaves the heap in O(log levels) from any
// position. Each level is an intrusive FIFO of orders. An id index maps an order id to
// its node, so cancel is O(1) plus the heap removal of an emptied level, with no
// scanning. Orders and levels live in pools that recycle freed slots: once the book
// has reached its working size it no longer allocates.
//
// The book is single-threaded, pure and deterministic: the same calls produce the
// same events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spot/book/events.h"
#include "spot/core/flat_index.h"
#include "spot/core/types.h"

namespace spot {

struct BookCapacity {
  std::size_t orders = 1 << 12;  // live orders to size the pools for up front
  std::size_t levels = 1 << 10;  // live price levels per side to size for up front
};

// A new order for the book (and the Matcher, which picks the book by its symbol).
struct OrderRequest : OrderSpec {
  OrderId id;  // must be greater than every id the matcher has accepted before
};

struct RestingOrder {
  OrderId id;
  AccountId account;
  Side side = Side::Buy;
  Ticks price = 0;
  Lots original_qty = 0;
  Lots remaining_qty = 0;
};

struct DepthLevel {
  Ticks price = 0;
  Lots qty = 0;
  std::uint32_t orders = 0;
};

class OrderBook {
 public:
  explicit OrderBook(SymbolId symbol, BookCapacity capacity = {});

  // Validates and matches a new order, appending Accepted, then Trade events, then
  // Expired for an IOC/MARKET remainder or an unfillable FOK; a GTC remainder rests.
  // A malformed order (non-positive qty, non-positive limit price, MARKET+GTC, or an
  // id already resting here) yields one Rejected event and changes nothing.
  void submit(const OrderRequest& order, EventBuffer& out);

  // Removes a resting order: one Canceled event, or Rejected(UnknownOrder). When
  // `owner` is valid, only that account's order is removed (else Rejected(NotOwner),
  // changing nothing): checked in the same index lookup as the removal, since a cancel's
  // cost is mostly that one cache miss.
  void cancel(OrderId id, EventBuffer& out, AccountId owner = AccountId{});

  // Puts an order back at the tail of its level without matching, for rebuilding a
  // book from a snapshot. Orders of one level must be restored in time priority.
  // Returns false (changing nothing) if the order would cross the book, its id is
  // resting already, or its quantities are not 0 < remaining <= original.
  bool restore(const RestingOrder& order);

  // What a taker on `taker_side` would take by sweeping the book now, best price
  // first: at most `max_qty` lots costing (price times lots, summed) at most
  // `max_cost` tick-lots. Changes nothing; does not allocate while the levels visited
  // fit the book's level capacity.
  struct Sweep {
    Lots qty = 0;
    Int128 cost = 0;  // tick-lots
  };
  Sweep sweep(Side taker_side, Lots max_qty, Int128 max_cost) const;

  std::optional<RestingOrder> find(OrderId id) const;
  std::optional<Ticks> best_price(Side side) const;

  // Up to `limit` levels of `side`, best first.
  std::vector<DepthLevel> depth(Side side, std::size_t limit) const;

  // Every resting order, level by level (best first), in time priority within a level.
  std::vector<RestingOrder> orders(Side side) const;

  SymbolId symbol() const { return symbol_; }
  std::size_t order_count() const { return order_index_.size(); }
  std::size_t level_count(Side side) const { return heap_[index(side)].size(); }

  // Verifies heap order, heap positions, level totals and counts, FIFO links, the
  // price and id indexes, and that the book is not crossed. On failure returns false
  // and, if `why` is given, describes the first broken invariant.
  bool check_invariants(std::string* why = nullptr) const;

 private:
  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;

  // Order ids and prices come in runs of nearby values: keep those runs together.
  using SlotIndex = FlatIndex<BlockFibonacciHash>;

  struct Node {
    OrderId id;
    AccountId account;
    Ticks price = 0;
    Lots original = 0;
    Lots remaining = 0;
    std::uint32_t prev = kNil;
    std::uint32_t next = kNil;  // also the free-list link while the node is free
    std::uint32_t level = kNil;
    Side side = Side::Buy;
  };

  struct Level {
    Ticks price = 0;
    Lots total = 0;
    std::uint32_t head = kNil;
    std::uint32_t tail = kNil;
    std::uint32_t count = 0;
    std::uint32_t heap_pos = kNil;  // also the free-list link while the level is free
  };

  // Heap entries carry the price so that sifting compares without chasing pointers.
  struct HeapEntry {
    Ticks price;
    std::uint32_t level;
  };

  static constexpr int index(Side s) { return static_cast<int>(s); }
  // True when a resting price `a` has priority over `b` on `side`.
  static bool better(Side side, Ticks a, Ticks b) { return side == Side::Buy ? a > b : a < b; }
  // True when a taker on `taker_side` with limit `limit` may trade at resting `price`.
  static bool crosses(Side taker_side, Ticks limit, Ticks price) {
    return taker_side == Side::Buy ? price <= limit : price >= limit;
  }

  Lots match(const OrderRequest& order, Lots qty, EventBuffer& out);
  bool can_fill(Side taker_side, bool is_market, Ticks limit, Lots qty) const;
  void rest(const OrderRequest& order, Lots qty);

  std::uint32_t alloc_node();
  void free_node(std::uint32_t n);
  std::uint32_t alloc_level();
  void free_level(std::uint32_t l);
  std::uint32_t level_for(Side side, Ticks price);
  void remove_level(Side side, std::uint32_t l);

  void heap_push(Side side, HeapEntry e);
  void heap_remove(Side side, std::uint32_t pos);
  void sift_up(Side side, std::uint32_t pos);
  void sift_down(Side side, std::uint32_t pos);
  void heap_place(Side side, std::uint32_t pos, HeapEntry e);

  void emit_reject(const OrderRequest& order, RejectReason reason, EventBuffer& out) const;

  SymbolId symbol_;
  // Pools: slots [0, *_used_) have been handed out at least once; freed slots are
  // chained through free_*. The vectors are sized (and so touched) up front, so a book
  // within its capacity neither allocates nor page-faults while matching.
  std::vector<Node> nodes_;
  std::uint32_t nodes_used_ = 0;
  std::uint32_t free_nodes_ = kNil;
  std::vector<Level> levels_;
  std::uint32_t levels_used_ = 0;
  std::uint32_t free_levels_ = kNil;
  std::vector<HeapEntry> heap_[2];
  SlotIndex price_index_[2];
  SlotIndex order_index_;
  // Heap positions still to visit, for sweep (scratch; sized up front).
  mutable std::vector<std::uint32_t> frontier_;
};

}  // namespace spot
