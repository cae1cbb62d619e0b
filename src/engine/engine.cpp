#include "spot/engine/engine.h"

#include "spot/core/binary.h"

#include <algorithm>

namespace spot {
namespace {

std::string idempotency_key(AccountId account, const SubmitOrder& order) {
  if (!order.client_order_id.empty()) {
    return std::to_string(account.value) + ":s:" + order.client_order_id;
  }
  if (order.client_token != 0) {
    return std::to_string(account.value) + ":t:" + std::to_string(order.client_token);
  }
  return {};
}

}  // namespace

std::string_view to_string(OrderStatus s) {
  switch (s) {
    case OrderStatus::New:
      return "NEW";
    case OrderStatus::PartiallyFilled:
      return "PARTIALLY_FILLED";
    case OrderStatus::Filled:
      return "FILLED";
    case OrderStatus::Canceled:
      return "CANCELED";
    case OrderStatus::Expired:
      return "EXPIRED";
    case OrderStatus::Rejected:
      return "REJECTED";
  }
  return "UNKNOWN";
}

Engine::Engine(std::vector<SymbolSpec> symbols, EngineLimits limits)
    : matcher_(std::move(symbols), limits.book_capacity), limits_(limits) {
  events_.reserve(1024);
}

Reply Engine::execute(const CommandBody& command, const std::string& request_id) {
  return std::visit(
      [&](const auto& c) -> Reply {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, SubmitOrder>) {
          return submit(c, request_id);
        } else if constexpr (std::is_same_v<T, CancelRequest>) {
          return cancel(c);
        } else if constexpr (std::is_same_v<T, GetOrder>) {
          return get(c);
        } else if constexpr (std::is_same_v<T, OpenOrders>) {
          return open_orders(c);
        } else if constexpr (std::is_same_v<T, GetDepth>) {
          return depth(c);
        } else if constexpr (std::is_same_v<T, CreateAccount>) {
          return create_account(c);
        } else {
          return state();
        }
      },
      command);
}

OrderReply Engine::submit(const SubmitOrder& order, const std::string& request_id) {
  OrderReply reply;
  const auto account = accounts_.find(order.account.value);
  if (account == accounts_.end()) {
    reply.reject = RejectReason::Unauthorized;
    return reply;
  }
  const std::string key = idempotency_key(order.account, order);
  if (!key.empty()) {
    const auto seen = idempotency_.find(key);
    if (seen != idempotency_.end()) {
      reply.order = records_.at(seen->second);
      reply.replayed = true;
      return reply;
    }
  }
  if (account->second.open_orders.size() >= limits_.max_open_orders_per_account &&
      order.tif == TimeInForce::Gtc) {
    reply.reject = RejectReason::TooManyOpenOrders;
    return reply;
  }

  const OrderId id{next_order_id_++};
  events_.clear();
  matcher_.submit(NewOrder{id, order.account, order.symbol, order.side, order.type, order.tif,
                           order.price, order.qty},
                  events_);
  if (events_.front().type == EventType::Rejected) {
    reply.reject = events_.front().reason;
    return reply;
  }
  OrderRecord& record = records_[id.value];
  record.id = id;
  record.account = order.account;
  record.symbol = order.symbol;
  record.side = order.side;
  record.type = order.type;
  record.tif = order.tif;
  record.price = order.type == OrderType::Market ? 0 : order.price;
  record.qty = order.qty;
  record.client_order_id = order.client_order_id;
  record.client_token = order.client_token;
  record.request_id = request_id;
  apply_events(record, reply);
  if (!key.empty()) idempotency_.emplace(key, id.value);
  reply.order = record;
  if (is_terminal(record.status)) {
    finish(record);
  } else {
    accounts_.at(order.account.value).open_orders.insert(id.value);
  }
  return reply;
}

void Engine::apply_events(OrderRecord& taker, OrderReply& reply) {
  for (const Event& e : events_) {
    switch (e.type) {
      case EventType::Trade: {
        taker.executed += e.qty;
        reply.fills.push_back(Fill{e.trade_id, e.price, e.qty, e.remaining});
        OrderRecord* maker = find_record(e.maker_id);
        if (maker != nullptr) {
          maker->executed += e.qty;
          maker->status =
              e.maker_remaining == 0 ? OrderStatus::Filled : OrderStatus::PartiallyFilled;
          reply.maker_fills.push_back(
              MakerFill{maker->account, maker->id, maker->client_token,
                        Fill{e.trade_id, e.price, e.qty, e.maker_remaining}});
          if (e.maker_remaining == 0) finish(*maker);
        }
        break;
      }
      case EventType::Expired:
        taker.status = OrderStatus::Expired;
        return;
      default:
        break;
    }
  }
  if (taker.executed == taker.qty) {
    taker.status = OrderStatus::Filled;
  } else {
    taker.status = taker.executed > 0 ? OrderStatus::PartiallyFilled : OrderStatus::New;
  }
}

OrderReply Engine::cancel(const CancelRequest& request) {
  OrderReply reply;
  const OrderRecord* owned = find_owned(request.account, request.order_id);
  if (owned == nullptr || is_terminal(owned->status)) {
    reply.reject = RejectReason::UnknownOrder;
    if (owned != nullptr) reply.order = *owned;
    return reply;
  }
  OrderRecord& record = records_.at(request.order_id.value);
  events_.clear();
  matcher_.cancel(CancelOrder{record.id, record.symbol, record.account}, events_);
  if (events_.front().type != EventType::Canceled) {
    // The record says live but the book disagrees: report, never guess.
    reply.reject = events_.front().reason;
    return reply;
  }
  record.status = OrderStatus::Canceled;
  reply.order = record;
  finish(record);
  return reply;
}

OrderReply Engine::get(const GetOrder& request) const {
  OrderReply reply;
  const OrderRecord* owned = find_owned(request.account, request.order_id);
  if (owned == nullptr) {
    reply.reject = RejectReason::UnknownOrder;
    return reply;
  }
  reply.order = *owned;
  return reply;
}

OpenOrdersReply Engine::open_orders(const OpenOrders& request) const {
  OpenOrdersReply reply;
  const auto account = accounts_.find(request.account.value);
  if (account == accounts_.end()) return reply;
  for (const std::uint64_t id : account->second.open_orders) {
    const OrderRecord& record = records_.at(id);
    if (!request.symbol || record.symbol == *request.symbol) reply.orders.push_back(record);
  }
  return reply;
}

DepthReply Engine::depth(const GetDepth& request) const {
  DepthReply reply;
  reply.symbol = request.symbol;
  if (request.symbol >= matcher_.symbol_count()) return reply;
  const OrderBook& book = matcher_.book(request.symbol);
  reply.bids = book.depth(Side::Buy, request.limit);
  reply.asks = book.depth(Side::Sell, request.limit);
  return reply;
}

AccountReply Engine::create_account(const CreateAccount& request) {
  AccountReply reply;
  if (request.key_hash.empty()) {
    reply.reject = RejectReason::BadRequest;
    return reply;
  }
  reply.account = AccountId{next_account_id_++};
  accounts_.emplace(reply.account.value, Account{request.name, request.key_hash, {}});
  return reply;
}

OrderRecord* Engine::find_record(OrderId id) {
  const auto it = records_.find(id.value);
  return it == records_.end() ? nullptr : &it->second;
}

const OrderRecord* Engine::find_owned(AccountId account, OrderId id) const {
  const auto it = records_.find(id.value);
  if (it == records_.end() || it->second.account != account) return nullptr;
  return &it->second;
}

void Engine::finish(OrderRecord& record) {
  const auto account = accounts_.find(record.account.value);
  if (account != accounts_.end()) account->second.open_orders.erase(record.id.value);
  finished_.push_back(record.id.value);
  while (finished_.size() > limits_.order_history) forget_oldest_finished();
}

void Engine::forget_oldest_finished() {
  const std::uint64_t id = finished_.front();
  finished_.pop_front();
  const auto it = records_.find(id);
  if (it == records_.end()) return;
  SubmitOrder key_source;
  key_source.client_order_id = it->second.client_order_id;
  key_source.client_token = it->second.client_token;
  const std::string key = idempotency_key(it->second.account, key_source);
  if (!key.empty()) idempotency_.erase(key);
  records_.erase(it);
}

namespace {

using Out = binary::Writer;
using In = binary::Reader;

constexpr std::uint32_t kEngineFormat = 1;

}  // namespace

void Engine::serialize(std::string& out) const {
  Out o(out);
  o.put(kEngineFormat);
  o.put(next_order_id_);
  o.put(next_account_id_);
  o.put(matcher_.last_order_id());
  o.put(matcher_.last_trade_id());
  o.put(static_cast<std::uint64_t>(accounts_.size()));
  for (const auto& [id, account] : accounts_) {
    o.put(id);
    o.str(account.name);
    o.str(account.key_hash);
  }
  // Records: finished ones in finishing order (that order decides which are forgotten
  // first), then the live ones in id order (which is time priority within a level).
  auto put_record = [&o](const OrderRecord& r) {
    o.put(r.id.value);
    o.put(r.account.value);
    o.put(r.symbol);
    o.put(static_cast<std::uint8_t>(r.side));
    o.put(static_cast<std::uint8_t>(r.type));
    o.put(static_cast<std::uint8_t>(r.tif));
    o.put(static_cast<std::uint8_t>(r.status));
    o.put(r.price);
    o.put(r.qty);
    o.put(r.executed);
    o.put(r.client_token);
    o.str(r.client_order_id);
    o.str(r.request_id);
  };
  o.put(static_cast<std::uint64_t>(finished_.size()));
  for (const std::uint64_t id : finished_) {
    const auto it = records_.find(id);
    o.put(static_cast<std::uint8_t>(it != records_.end()));
    if (it != records_.end()) put_record(it->second);
  }
  std::vector<std::uint64_t> live;
  for (const auto& [id, record] : records_) {
    if (!is_terminal(record.status)) live.push_back(id);
  }
  std::sort(live.begin(), live.end());
  o.put(static_cast<std::uint64_t>(live.size()));
  for (const std::uint64_t id : live) put_record(records_.at(id));
}

bool Engine::restore(std::string_view in, std::string* error) {
  In i(in);
  auto fail = [error](const char* what) {
    *error = std::string("engine snapshot: ") + what;
    return false;
  };
  std::uint32_t format = 0;
  std::uint64_t last_order_id = 0;
  std::uint64_t last_trade_id = 0;
  std::uint64_t accounts = 0;
  if (!i.get(format) || format != kEngineFormat) return fail("unknown format");
  if (!i.get(next_order_id_) || !i.get(next_account_id_) || !i.get(last_order_id) ||
      !i.get(last_trade_id) || !i.get(accounts)) {
    return fail("truncated header");
  }
  matcher_.restore_counters(last_order_id, last_trade_id);
  for (std::uint64_t k = 0; k < accounts; ++k) {
    std::uint64_t id = 0;
    Account a;
    if (!i.get(id) || !i.str(a.name) || !i.str(a.key_hash)) return fail("truncated account");
    accounts_.emplace(id, std::move(a));
  }
  auto get_record = [&i, this](OrderRecord& r) {
    std::uint8_t side = 0;
    std::uint8_t type = 0;
    std::uint8_t tif = 0;
    std::uint8_t status = 0;
    if (!i.get(r.id.value) || !i.get(r.account.value) || !i.get(r.symbol) || !i.get(side) ||
        !i.get(type) || !i.get(tif) || !i.get(status) || !i.get(r.price) || !i.get(r.qty) ||
        !i.get(r.executed) || !i.get(r.client_token) || !i.str(r.client_order_id) ||
        !i.str(r.request_id)) {
      return false;
    }
    if (side > 1 || type > 1 || tif > 2 || status > 5 || r.symbol >= matcher_.symbol_count())
      return false;
    r.side = static_cast<Side>(side);
    r.type = static_cast<OrderType>(type);
    r.tif = static_cast<TimeInForce>(tif);
    r.status = static_cast<OrderStatus>(status);
    return true;
  };
  auto index_key = [this](const OrderRecord& r) {
    SubmitOrder key_source;
    key_source.client_order_id = r.client_order_id;
    key_source.client_token = r.client_token;
    const std::string key = idempotency_key(r.account, key_source);
    if (!key.empty()) idempotency_.emplace(key, r.id.value);
  };
  std::uint64_t finished = 0;
  if (!i.get(finished)) return fail("truncated record count");
  for (std::uint64_t k = 0; k < finished; ++k) {
    std::uint8_t present = 0;
    if (!i.get(present)) return fail("truncated finished record");
    OrderRecord r;
    if (present != 0) {
      if (!get_record(r)) return fail("bad finished record");
      finished_.push_back(r.id.value);
      index_key(r);
      records_.emplace(r.id.value, std::move(r));
    }
  }
  std::uint64_t live = 0;
  if (!i.get(live)) return fail("truncated live count");
  for (std::uint64_t k = 0; k < live; ++k) {
    OrderRecord r;
    if (!get_record(r) || is_terminal(r.status)) return fail("bad live record");
    const RestingOrder resting{r.id, r.account, r.side, r.price, r.qty, r.qty - r.executed};
    if (!matcher_.restore(r.symbol, resting)) return fail("live order does not fit its book");
    const auto account = accounts_.find(r.account.value);
    if (account == accounts_.end()) return fail("live order of an unknown account");
    account->second.open_orders.insert(r.id.value);
    index_key(r);
    records_.emplace(r.id.value, std::move(r));
  }
  if (!i.done()) return fail("trailing bytes");
  return true;
}

StateReply Engine::state() const {
  StateReply r;
  r.state_hash = state_hash();
  r.last_order_id = next_order_id_ - 1;
  r.last_trade_id = matcher_.last_trade_id();
  r.accounts = accounts_.size();
  for (SymbolId s = 0; s < matcher_.symbol_count(); ++s)
    r.resting_orders += matcher_.book(s).order_count();
  return r;
}

std::uint64_t Engine::state_hash() const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  };
  mix(next_order_id_);
  mix(next_account_id_);
  mix(matcher_.last_trade_id());
  for (const auto& [id, account] : accounts_) {
    mix(id);
    for (const char c : account.key_hash) mix(static_cast<unsigned char>(c));
    for (const std::uint64_t open : account.open_orders) mix(open);
  }
  for (SymbolId s = 0; s < matcher_.symbol_count(); ++s) {
    for (const Side side : {Side::Buy, Side::Sell}) {
      for (const RestingOrder& o : matcher_.book(s).orders(side)) {
        mix(o.id.value);
        mix(o.account.value);
        mix(static_cast<std::uint64_t>(o.price));
        mix(static_cast<std::uint64_t>(o.original_qty));
        mix(static_cast<std::uint64_t>(o.remaining_qty));
        const OrderRecord& r = records_.at(o.id.value);
        mix(static_cast<std::uint64_t>(r.executed));
        mix(static_cast<std::uint64_t>(r.status));
      }
    }
  }
  return h;
}

bool Engine::check_invariants(std::string* why) const {
  if (!matcher_.check_invariants(why)) return false;
  auto fail = [why](std::string msg) {
    if (why != nullptr) *why = std::move(msg);
    return false;
  };
  std::size_t live = 0;
  for (const auto& [id, record] : records_) {
    if (is_terminal(record.status)) continue;
    ++live;
    const auto resting = matcher_.book(record.symbol).find(record.id);
    if (!resting) return fail("live order " + std::to_string(id) + " is not in its book");
    if (resting->remaining_qty != record.qty - record.executed) {
      return fail("order " + std::to_string(id) + " remaining differs from its record");
    }
    const auto account = accounts_.find(record.account.value);
    if (account == accounts_.end() || account->second.open_orders.count(id) == 0) {
      return fail("live order " + std::to_string(id) + " missing from its account's open orders");
    }
  }
  std::size_t in_books = 0;
  for (SymbolId s = 0; s < matcher_.symbol_count(); ++s) in_books += matcher_.book(s).order_count();
  if (in_books != live) return fail("books hold orders the engine has no live record of");
  return true;
}

}  // namespace spot
