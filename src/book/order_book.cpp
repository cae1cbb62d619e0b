#include "spot/book/order_book.h"

#include <algorithm>

#include "spot/core/assert.h"

namespace spot {
namespace {

std::uint64_t price_key(Ticks price) { return static_cast<std::uint64_t>(price); }

}  // namespace

OrderBook::OrderBook(SymbolId symbol, BookCapacity capacity)
    : symbol_(symbol),
      price_index_{SlotIndex(capacity.levels), SlotIndex(capacity.levels)},
      order_index_(capacity.orders) {
  nodes_.resize(std::max<std::size_t>(1, capacity.orders));
  levels_.resize(std::max<std::size_t>(1, capacity.levels * 2));
  heap_[0].reserve(capacity.levels);
  heap_[1].reserve(capacity.levels);
  frontier_.reserve(capacity.levels + 2);
}

void OrderBook::emit_reject(const OrderRequest& order, RejectReason reason,
                            EventBuffer& out) const {
  out.push_back(order_event(EventType::Rejected, symbol_, order.id, order.account, order.side,
                            order.price, order.qty, reason));
}

void OrderBook::submit(const OrderRequest& order, EventBuffer& out) {
  const bool is_market = order.type == OrderType::Market;
  if (order.qty <= 0) return emit_reject(order, RejectReason::BadQuantity, out);
  if (!is_market && order.price <= 0) return emit_reject(order, RejectReason::BadPrice, out);
  if (is_market && order.tif == TimeInForce::Gtc) {
    return emit_reject(order, RejectReason::BadOrderType, out);
  }
  if (!order.id.valid() || order_index_.find(order.id.value) != SlotIndex::kNone) {
    return emit_reject(order, RejectReason::DuplicateOrderId, out);
  }

  const Event accepted = order_event(EventType::Accepted, symbol_, order.id, order.account,
                                     order.side, is_market ? 0 : order.price, order.qty);
  out.push_back(accepted);

  if (order.tif == TimeInForce::Fok && !can_fill(order.side, is_market, order.price, order.qty)) {
    Event expired = accepted;
    expired.type = EventType::Expired;
    out.push_back(expired);
    return;
  }

  const Lots left = match(order, order.qty, out);
  if (left == 0) return;
  if (order.tif == TimeInForce::Gtc) {
    rest(order, left);
    return;
  }
  Event expired = accepted;
  expired.type = EventType::Expired;
  expired.qty = left;
  out.push_back(expired);
}

Lots OrderBook::match(const OrderRequest& order, Lots qty, EventBuffer& out) {
  const Side maker_side = opposite(order.side);
  auto& heap = heap_[index(maker_side)];
  const bool is_market = order.type == OrderType::Market;
  Lots left = qty;
  while (left > 0 && !heap.empty()) {
    const HeapEntry top = heap.front();
    if (!is_market && !crosses(order.side, order.price, top.price)) break;
    Level& level = levels_[top.level];
    while (left > 0 && level.head != kNil) {
      const std::uint32_t n = level.head;
      Node& maker = nodes_[n];
      const Lots traded = std::min(left, maker.remaining);
      left -= traded;
      maker.remaining -= traded;
      level.total -= traded;

      Event trade;
      trade.type = EventType::Trade;
      trade.side = order.side;
      trade.symbol = symbol_;
      trade.order_id = order.id;
      trade.account = order.account;
      trade.price = top.price;
      trade.qty = traded;
      trade.remaining = left;
      trade.maker_id = maker.id;
      trade.maker_account = maker.account;
      trade.maker_remaining = maker.remaining;
      out.push_back(trade);

      if (maker.remaining == 0) {
        level.head = maker.next;
        if (level.head != kNil) {
          nodes_[level.head].prev = kNil;
        } else {
          level.tail = kNil;
        }
        --level.count;
        const bool indexed = order_index_.erase(maker.id.value);
        SPOT_ASSERT(indexed, "book: a resting order is in the id index");
        free_node(n);
      }
    }
    if (level.head == kNil) remove_level(maker_side, top.level);
  }
  return left;
}

bool OrderBook::can_fill(Side taker_side, bool is_market, Ticks limit, Lots qty) const {
  // Depth-first walk of the maker heap, pruning at the first level that does not
  // cross: by heap order, nothing below it crosses either. Stops as soon as enough
  // quantity is found, so it visits at most the crossing levels and their children.
  const auto& heap = heap_[index(opposite(taker_side))];
  if (heap.empty()) return false;
  std::uint32_t stack[64];
  std::size_t top = 0;
  stack[top++] = 0;
  Lots found = 0;
  while (top > 0) {
    const std::uint32_t pos = stack[--top];
    const HeapEntry& e = heap[pos];
    if (!is_market && !crosses(taker_side, limit, e.price)) continue;
    found += levels_[e.level].total;
    if (found >= qty) return true;
    const std::size_t child = 2 * static_cast<std::size_t>(pos) + 1;
    // The stack never exceeds the heap depth plus one per level (< 64 for 2^32 levels).
    if (child < heap.size()) stack[top++] = static_cast<std::uint32_t>(child);
    if (child + 1 < heap.size()) stack[top++] = static_cast<std::uint32_t>(child + 1);
  }
  return false;
}

OrderBook::Sweep OrderBook::sweep(Side taker_side, Lots max_qty, Int128 max_cost) const {
  // Best-first walk of the maker heap: the next best level is always a child of one
  // already taken, so the frontier holds the root, then the children of each level
  // taken; the best of it comes next.
  Sweep out;
  const Side maker_side = opposite(taker_side);
  const auto& heap = heap_[index(maker_side)];
  if (heap.empty() || max_qty <= 0) return out;
  frontier_.clear();
  frontier_.push_back(0);
  while (!frontier_.empty() && out.qty < max_qty) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < frontier_.size(); ++i) {
      if (better(maker_side, heap[frontier_[i]].price, heap[frontier_[best]].price)) best = i;
    }
    const std::uint32_t pos = frontier_[best];
    frontier_[best] = frontier_.back();
    frontier_.pop_back();
    const HeapEntry& e = heap[pos];
    const Lots available = levels_[e.level].total;
    Lots take = std::min(available, max_qty - out.qty);
    // Divide (a 128-bit division is a library call) only when the money runs out here.
    const Int128 budget = max_cost - out.cost;
    if (static_cast<Int128>(take) * e.price > budget) take = static_cast<Lots>(budget / e.price);
    out.qty += take;
    out.cost += static_cast<Int128>(take) * e.price;
    if (take < available) break;  // the quantity or the money is spent
    const std::size_t child = 2 * static_cast<std::size_t>(pos) + 1;
    if (child < heap.size()) frontier_.push_back(static_cast<std::uint32_t>(child));
    if (child + 1 < heap.size()) frontier_.push_back(static_cast<std::uint32_t>(child + 1));
  }
  return out;
}

void OrderBook::rest(const OrderRequest& order, Lots qty) {
  SPOT_ASSERT(qty > 0 && qty <= order.qty, "book: a resting quantity is in (0, original]");
  SPOT_ASSERT(order.price > 0, "book: a resting order has a positive limit price");
  const std::uint32_t l = level_for(order.side, order.price);
  const std::uint32_t n = alloc_node();
  Node& node = nodes_[n];
  node.id = order.id;
  node.account = order.account;
  node.price = order.price;
  node.original = order.qty;
  node.remaining = qty;
  node.side = order.side;
  node.level = l;
  node.next = kNil;
  Level& level = levels_[l];
  node.prev = level.tail;
  if (level.tail != kNil) {
    nodes_[level.tail].next = n;
  } else {
    level.head = n;
  }
  level.tail = n;
  ++level.count;
  level.total += qty;
  const bool inserted = order_index_.insert(order.id.value, n);
  SPOT_ASSERT(inserted, "book: resting order ids are unique");
}

void OrderBook::cancel(OrderId id, EventBuffer& out, AccountId owner) {
  const std::uint32_t n = order_index_.find(id.value);
  Event e;
  e.symbol = symbol_;
  e.order_id = id;
  if (n == SlotIndex::kNone) {
    e.type = EventType::Rejected;
    e.reason = RejectReason::UnknownOrder;
    out.push_back(e);
    return;
  }
  Node& node = nodes_[n];
  if (owner.valid() && node.account != owner) {
    e.type = EventType::Rejected;
    e.account = owner;
    e.reason = RejectReason::NotOwner;
    out.push_back(e);
    return;
  }
  e.type = EventType::Canceled;
  e.side = node.side;
  e.account = node.account;
  e.price = node.price;
  e.qty = node.remaining;
  out.push_back(e);

  const std::uint32_t l = node.level;
  SPOT_ASSERT(l < levels_used_, "book: a resting order's level exists");
  Level& level = levels_[l];
  SPOT_ASSERT(level.count > 0, "book: a resting order's level counts it");
  if (node.prev != kNil) {
    nodes_[node.prev].next = node.next;
  } else {
    level.head = node.next;
  }
  if (node.next != kNil) {
    nodes_[node.next].prev = node.prev;
  } else {
    level.tail = node.prev;
  }
  --level.count;
  level.total -= node.remaining;
  const Side side = node.side;
  order_index_.erase(id.value);
  free_node(n);
  if (level.head == kNil) remove_level(side, l);
}

bool OrderBook::restore(const RestingOrder& order) {
  if (!order.id.valid() || order.price <= 0 || order.remaining_qty <= 0 ||
      order.remaining_qty > order.original_qty ||
      order_index_.find(order.id.value) != SlotIndex::kNone) {
    return false;
  }
  const auto best_other = best_price(opposite(order.side));
  if (best_other && crosses(order.side, order.price, *best_other)) return false;
  const OrderRequest request{{order.account, symbol_, order.side, OrderType::Limit,
                              TimeInForce::Gtc, order.price, order.original_qty},
                             order.id};
  rest(request, order.remaining_qty);
  return true;
}

std::optional<RestingOrder> OrderBook::find(OrderId id) const {
  const std::uint32_t n = order_index_.find(id.value);
  if (n == SlotIndex::kNone) return std::nullopt;
  const Node& node = nodes_[n];
  return RestingOrder{node.id, node.account, node.side, node.price, node.original, node.remaining};
}

std::optional<Ticks> OrderBook::best_price(Side side) const {
  const auto& heap = heap_[index(side)];
  if (heap.empty()) return std::nullopt;
  return heap.front().price;
}

std::vector<DepthLevel> OrderBook::depth(Side side, std::size_t limit) const {
  std::vector<HeapEntry> entries = heap_[index(side)];
  const std::size_t n = std::min(limit, entries.size());
  std::partial_sort(
      entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(n), entries.end(),
      [side](const HeapEntry& a, const HeapEntry& b) { return better(side, a.price, b.price); });
  std::vector<DepthLevel> result;
  result.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Level& level = levels_[entries[i].level];
    result.push_back(DepthLevel{level.price, level.total, level.count});
  }
  return result;
}

std::vector<RestingOrder> OrderBook::orders(Side side) const {
  std::vector<HeapEntry> entries = heap_[index(side)];
  std::sort(entries.begin(), entries.end(), [side](const HeapEntry& a, const HeapEntry& b) {
    return better(side, a.price, b.price);
  });
  std::vector<RestingOrder> result;
  for (const HeapEntry& e : entries) {
    for (std::uint32_t n = levels_[e.level].head; n != kNil; n = nodes_[n].next) {
      const Node& node = nodes_[n];
      result.push_back(RestingOrder{node.id, node.account, node.side, node.price, node.original,
                                    node.remaining});
    }
  }
  return result;
}

// ---- pools ----

std::uint32_t OrderBook::alloc_node() {
  if (free_nodes_ != kNil) {
    const std::uint32_t n = free_nodes_;
    free_nodes_ = nodes_[n].next;
    return n;
  }
  if (nodes_used_ == nodes_.size()) nodes_.resize(nodes_.size() * 2);
  return nodes_used_++;
}

void OrderBook::free_node(std::uint32_t n) {
  // Checked here, the free list holds only pool slots, so alloc_node need not check.
  SPOT_ASSERT(n < nodes_used_, "book: a freed node is from the pool");
  nodes_[n].id = OrderId{};
  nodes_[n].level = kNil;
  nodes_[n].next = free_nodes_;
  free_nodes_ = n;
}

std::uint32_t OrderBook::alloc_level() {
  if (free_levels_ != kNil) {
    const std::uint32_t l = free_levels_;
    free_levels_ = levels_[l].heap_pos;
    return l;
  }
  if (levels_used_ == levels_.size()) levels_.resize(levels_.size() * 2);
  return levels_used_++;
}

void OrderBook::free_level(std::uint32_t l) {
  // Checked here, the free list holds only pool slots, so alloc_level need not check.
  SPOT_ASSERT(l < levels_used_, "book: a freed level is from the pool");
  levels_[l] = Level{};
  levels_[l].heap_pos = free_levels_;
  free_levels_ = l;
}

std::uint32_t OrderBook::level_for(Side side, Ticks price) {
  SlotIndex& prices = price_index_[index(side)];
  const std::uint32_t found = prices.find(price_key(price));
  if (found != SlotIndex::kNone) return found;
  const std::uint32_t l = alloc_level();
  levels_[l].price = price;
  prices.insert(price_key(price), l);
  heap_push(side, HeapEntry{price, l});
  return l;
}

void OrderBook::remove_level(Side side, std::uint32_t l) {
  const bool indexed = price_index_[index(side)].erase(price_key(levels_[l].price));
  SPOT_ASSERT(indexed, "book: a live level is in its side's price index");
  heap_remove(side, levels_[l].heap_pos);
  free_level(l);
}

// ---- indexed binary heap ----

void OrderBook::heap_place(Side side, std::uint32_t pos, HeapEntry e) {
  heap_[index(side)][pos] = e;
  levels_[e.level].heap_pos = pos;
}

void OrderBook::heap_push(Side side, HeapEntry e) {
  auto& heap = heap_[index(side)];
  heap.push_back(e);
  const auto pos = static_cast<std::uint32_t>(heap.size() - 1);
  levels_[e.level].heap_pos = pos;
  sift_up(side, pos);
}

void OrderBook::heap_remove(Side side, std::uint32_t pos) {
  auto& heap = heap_[index(side)];
  SPOT_ASSERT(pos < heap.size(), "book: a live level's heap position is inside the heap");
  const HeapEntry last = heap.back();
  heap.pop_back();
  if (pos == heap.size()) return;
  heap_place(side, pos, last);
  sift_up(side, pos);
  sift_down(side, levels_[last.level].heap_pos);
}

void OrderBook::sift_up(Side side, std::uint32_t pos) {
  auto& heap = heap_[index(side)];
  const HeapEntry e = heap[pos];
  while (pos > 0) {
    const std::uint32_t parent = (pos - 1) / 2;
    if (!better(side, e.price, heap[parent].price)) break;
    heap_place(side, pos, heap[parent]);
    pos = parent;
  }
  heap_place(side, pos, e);
}

void OrderBook::sift_down(Side side, std::uint32_t pos) {
  auto& heap = heap_[index(side)];
  const std::size_t size = heap.size();
  const HeapEntry e = heap[pos];
  while (true) {
    std::size_t child = 2 * static_cast<std::size_t>(pos) + 1;
    if (child >= size) break;
    if (child + 1 < size && better(side, heap[child + 1].price, heap[child].price)) ++child;
    if (!better(side, heap[child].price, e.price)) break;
    heap_place(side, pos, heap[child]);
    pos = static_cast<std::uint32_t>(child);
  }
  heap_place(side, pos, e);
}

// ---- invariants ----

bool OrderBook::check_invariants(std::string* why) const {
  auto fail = [why](std::string msg) {
    if (why != nullptr) *why = std::move(msg);
    return false;
  };
  std::size_t orders_seen = 0;
  for (const Side side : {Side::Buy, Side::Sell}) {
    const auto& heap = heap_[index(side)];
    const SlotIndex& prices = price_index_[index(side)];
    if (prices.size() != heap.size()) return fail("price index size != heap size");
    for (std::size_t pos = 0; pos < heap.size(); ++pos) {
      const HeapEntry& e = heap[pos];
      if (pos > 0 && better(side, e.price, heap[(pos - 1) / 2].price)) {
        return fail("heap order broken at position " + std::to_string(pos));
      }
      if (e.level >= levels_used_) return fail("heap entry points past the level pool");
      const Level& level = levels_[e.level];
      if (level.heap_pos != pos) return fail("level heap_pos out of step with the heap");
      if (level.price != e.price) return fail("heap entry price != level price");
      if (prices.find(price_key(level.price)) != e.level) return fail("price index mismatch");
      if (level.head == kNil || level.count == 0) return fail("empty level left in the heap");
      Lots total = 0;
      std::uint32_t count = 0;
      std::uint32_t prev = kNil;
      for (std::uint32_t n = level.head; n != kNil; n = nodes_[n].next) {
        const Node& node = nodes_[n];
        if (node.prev != prev) return fail("FIFO back link broken");
        if (node.level != e.level) return fail("order points to the wrong level");
        if (node.price != level.price || node.side != side) return fail("order price/side");
        if (node.remaining <= 0 || node.remaining > node.original) return fail("order qty");
        if (order_index_.find(node.id.value) != n) return fail("id index mismatch");
        total += node.remaining;
        ++count;
        prev = n;
        if (count > nodes_used_) return fail("FIFO cycle");
      }
      if (prev != level.tail) return fail("level tail is not the last order");
      if (total != level.total) return fail("level total != sum of its orders");
      if (count != level.count) return fail("level count != number of its orders");
      orders_seen += count;
    }
  }
  if (orders_seen != order_index_.size()) return fail("id index holds orders not in any level");
  const auto bid = best_price(Side::Buy);
  const auto ask = best_price(Side::Sell);
  if (bid && ask && *bid >= *ask) return fail("book is crossed");
  return true;
}

}  // namespace spot
