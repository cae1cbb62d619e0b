#include "spot/engine/engine.h"

#include "spot/core/assert.h"
#include "spot/core/binary.h"
#include "spot/core/fnv.h"

#include <algorithm>

namespace spot {
namespace {

std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

bool has_idempotency_key(const std::string& client_order_id, std::uint64_t client_token) {
  return !client_order_id.empty() || client_token != 0;
}

// The idempotency key of an order is (account, client_order_id) if it has one, else
// (account, client_token). Only its hash is indexed; candidates are checked against the
// record (key_matches), so two keys with the same hash stay distinct while the record
// is remembered. Past order_history only the hash is kept (IdempotencyWindow).
std::uint64_t idempotency_hash(AccountId account, const std::string& client_order_id,
                               std::uint64_t client_token) {
  if (!client_order_id.empty()) {
    return mix64(fnv1a(client_order_id) ^ mix64(account.value * 2));
  }
  return mix64(client_token ^ mix64(account.value * 2 + 1));
}

bool key_matches(const OrderRecord& r, AccountId account, const std::string& client_order_id,
                 std::uint64_t client_token) {
  if (r.account != account) return false;
  if (!client_order_id.empty()) return r.client_order_id == client_order_id;
  return r.client_order_id.empty() && r.client_token == client_token;
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
    : matcher_(symbols, limits.book_capacity),
      limits_(limits),
      window_(limits.idempotency_window),
      market_(symbols.size(), limits.recent_trades) {
  events_.reserve(1024);
  // Registered in assets_of's order, so that an AssetId means the same asset in every
  // SymbolTable of these symbols (the projector names assets by it).
  for (const AssetSpec& asset : assets_of(symbols)) balances_.add_asset(asset.name, asset.decimals);
  for (const SymbolSpec& spec : symbols) {
    SymbolMoney m = money_of(spec, balances_.add_asset(base_asset_of(spec), spec.base_decimals),
                             balances_.add_asset(quote_asset_of(spec), spec.quote_decimals));
    // Config validation refuses grids that are not whole units; a pure book needs none.
    SPOT_ASSERT(!limits_.check_balances || (m.base_per_lot > 0 && m.quote_per_tick_lot > 0),
                "engine: a lot and a tick-lot are whole units of their assets");
    if (m.base_per_lot <= 0) m.base_per_lot = 1;
    if (m.quote_per_tick_lot <= 0) m.quote_per_tick_lot = 1;
    money_.push_back(m);
  }
}

std::uint32_t Engine::allocate_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t s = free_slots_.back();
    SPOT_ASSERT(s < slots_used_, "engine: a free record slot is from the pool");
    free_slots_.pop_back();
    return s;
  }
  SPOT_ASSERT(slots_used_ < SlotIndex::kNone, "engine: record slot numbers fit below kNone");
  if ((slots_used_ >> kChunkBits) == chunks_.size()) {
    chunks_.push_back(std::make_unique<Slot[]>(std::size_t{1} << kChunkBits));
  }
  return slots_used_++;
}

std::uint32_t Engine::find_slot(std::uint64_t id) const { return by_id_.find(id); }

std::uint32_t Engine::find_by_key(std::uint64_t key_hash, AccountId account,
                                  const std::string& client_order_id,
                                  std::uint64_t client_token) const {
  return by_key_.find(key_hash, [&](std::uint32_t s) {
    return key_matches(slot(s).record, account, client_order_id, client_token);
  });
}

void Engine::index_slot(std::uint32_t s) {
  Slot& sl = slot(s);
  const OrderRecord& r = sl.record;
  // Ids are unique: submit takes a fresh one, restore refuses a repeat.
  const bool inserted = by_id_.insert(r.id.value, s);
  SPOT_ASSERT(inserted, "engine: order ids are unique in the record index");
  sl.has_key = has_idempotency_key(r.client_order_id, r.client_token);
  if (sl.has_key) {
    sl.key_hash = idempotency_hash(r.account, r.client_order_id, r.client_token);
    by_key_.insert_duplicate(sl.key_hash, s);
  }
}

void Engine::add_open(std::uint32_t s) {
  std::vector<std::uint32_t>& open = accounts_.at(slot(s).record.account.value).open_slots;
  slot(s).open_index = static_cast<std::uint32_t>(open.size());
  open.push_back(s);
}

std::vector<std::uint64_t> Engine::sorted_open_ids(const Account& account) const {
  std::vector<std::uint64_t> ids;
  ids.reserve(account.open_slots.size());
  for (const std::uint32_t s : account.open_slots) ids.push_back(slot(s).record.id.value);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Reply Engine::execute(const CommandBody& command, const std::string& request_id,
                      std::int64_t time_ns) {
  last_time_ns_ = std::max(last_time_ns_, time_ns);
  return std::visit(
      [&](const auto& c) -> Reply {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, SubmitOrder>) {
          OrderReply reply = submit(c, request_id);
          market_.on_submit(reply, time_ns);
          return reply;
        } else if constexpr (std::is_same_v<T, CancelRequest>) {
          OrderReply reply = cancel(c);
          market_.on_cancel(reply);
          return reply;
        } else if constexpr (std::is_same_v<T, GetTrades>) {
          return trades(c);
        } else if constexpr (std::is_same_v<T, GetTicker>) {
          return ticker(c);
        } else if constexpr (std::is_same_v<T, GetOrder>) {
          return get(c);
        } else if constexpr (std::is_same_v<T, OpenOrders>) {
          return open_orders(c);
        } else if constexpr (std::is_same_v<T, GetDepth>) {
          return depth(c);
        } else if constexpr (std::is_same_v<T, CreateAccount>) {
          return create_account(c);
        } else if constexpr (std::is_same_v<T, Deposit>) {
          return deposit(c);
        } else if constexpr (std::is_same_v<T, Withdraw>) {
          return withdraw(c);
        } else if constexpr (std::is_same_v<T, GetBalances>) {
          return balances(c);
        } else {
          return state();
        }
      },
      command);
}

void Engine::prefetch(const CommandBody& command) const {
  if (!limits_.check_balances) return;
  if (const auto* order = std::get_if<SubmitOrder>(&command)) {
    if (order->symbol < money_.size()) {
      balances_.prefetch(order->account, money_[order->symbol].paying(order->side));
    }
  } else if (const auto* cancel = std::get_if<CancelRequest>(&command)) {
    const std::uint32_t s = find_slot(cancel->order_id.value);
    if (s == SlotIndex::kNone) return;
    const OrderRecord& record = slot(s).record;
    balances_.prefetch(record.account, money_[record.symbol].paying(record.side));
  }
}

OrderReply Engine::submit(const SubmitOrder& order, const std::string& request_id) {
  OrderReply reply;
  const auto account = accounts_.find(order.account.value);
  if (account == accounts_.end()) {
    reply.reject = RejectReason::Unauthorized;
    return reply;
  }
  if (has_idempotency_key(order.client_order_id, order.client_token)) {
    const std::uint64_t key_hash =
        idempotency_hash(order.account, order.client_order_id, order.client_token);
    const std::uint32_t seen =
        find_by_key(key_hash, order.account, order.client_order_id, order.client_token);
    if (seen != SlotIndex::kNone) {
      reply.order = slot(seen).record;
      reply.replayed = true;
      return reply;
    }
    // A key whose record has left memory: only the original id is known here.
    if (const std::uint64_t forgotten_id = window_.find(key_hash); forgotten_id != 0) {
      reply.replayed = true;
      reply.forgotten = true;
      reply.order.id = OrderId{forgotten_id};
      reply.order.account = order.account;
      reply.order.client_order_id = order.client_order_id;
      reply.order.client_token = order.client_token;
      return reply;
    }
  }
  if (account->second.open_slots.size() >= limits_.max_open_orders_per_account &&
      order.tif == TimeInForce::Gtc) {
    reply.reject = RejectReason::TooManyOpenOrders;
    return reply;
  }

  const OrderId id{next_order_id_++};
  SPOT_ASSERT(id.value > matcher_.last_order_id(), "engine: a new order id is above the last");
  OrderRequest request{order, id};
  std::int64_t locked = 0;
  if (const RejectReason r = admit(order, request, locked); r != RejectReason::None) {
    reply.reject = r;
    return reply;
  }
  events_.clear();
  matcher_.submit(request, events_);
  SPOT_ASSERT(!events_.empty(), "engine: the matcher answers every order with an event");
  if (events_.front().type == EventType::Rejected) {
    // admit ran the matcher's checks, so this is not expected; undo the lock anyway.
    if (locked > 0) {
      balances_.release(order.account, money_[order.symbol].paying(order.side), locked, id);
    }
    reply.reject = events_.front().reason;
    return reply;
  }
  const std::uint32_t s = allocate_slot();
  // A recycled slot: assigning every field (strings reuse their buffers) resets it.
  OrderRecord& record = slot(s).record;
  static_cast<SubmitOrder&>(record) = order;
  if (record.type == OrderType::Market) record.price = 0;
  record.qty = request.qty;  // a quoteOrderQty buy: what its money bought
  record.id = id;
  record.request_id = request_id;
  record.executed = 0;
  record.status = OrderStatus::New;
  slot(s).open_index = SlotIndex::kNone;
  index_slot(s);
  apply_events(record, reply, locked);
  if (limits_.check_balances) {
    if (is_terminal(record.status)) {
      // Filled, expired, or a FOK that could not fill: nothing stays locked.
      balances_.release(record.account, paying_asset(record), locked, record.id);
    } else {
      SPOT_ASSERT(locked == lock_of(record), "engine: a resting order keeps exactly its lock");
    }
  }
  reply.order = record;
  if (is_terminal(record.status)) {
    finish(s);
  } else {
    add_open(s);
  }
  return reply;
}

RejectReason Engine::admit(const SubmitOrder& order, OrderRequest& request, std::int64_t& locked) {
  const bool by_quote = order.quote_qty != 0;
  if (by_quote && (order.type != OrderType::Market || order.side != Side::Buy ||
                   order.quote_qty < 0 || order.qty != 0)) {
    return RejectReason::BadOrderType;
  }
  if (order.post_only && (order.type != OrderType::Limit || order.tif != TimeInForce::Gtc)) {
    return RejectReason::BadOrderType;
  }
  if (order.symbol >= matcher_.symbol_count()) return RejectReason::UnknownSymbol;
  const OrderBook& book = matcher_.book(order.symbol);
  const SymbolMoney& m = money_[order.symbol];
  constexpr Int128 kUnbounded = static_cast<Int128>(1) << 100;
  if (by_quote) {
    // Matching the quantity the money buys now is matching by money: nothing moves
    // the book in between. Less than a lot's worth is a bad quantity.
    request.qty = book.sweep(Side::Buy, matcher_.spec(order.symbol).max_qty,
                             order.quote_qty / m.quote_per_tick_lot)
                      .qty;
  }
  if (const RejectReason r = matcher_.validate(request); r != RejectReason::None) return r;
  if (order.post_only) {
    const auto best = book.best_price(opposite(order.side));
    if (best && (order.side == Side::Buy ? *best <= order.price : *best >= order.price)) {
      return RejectReason::WouldMatch;
    }
  }
  if (!limits_.check_balances) return RejectReason::None;
  Int128 need = 0;
  if (by_quote) {
    need = order.quote_qty;
  } else if (order.side == Side::Buy && order.type == OrderType::Market) {
    // The worst case the book could charge: the cost of sweeping it for the whole
    // quantity (what it cannot fill expires and costs nothing).
    need = book.sweep(Side::Buy, request.qty, kUnbounded).cost * m.quote_per_tick_lot;
  } else {
    need = m.lock_of(order.side, request.price, request.qty);
  }
  const RejectReason r = balances_.lock(order.account, m.paying(order.side), need, request.id);
  if (r == RejectReason::None) locked = static_cast<std::int64_t>(need);
  return r;
}

AssetId Engine::paying_asset(const OrderRecord& record) const {
  return money_[record.symbol].paying(record.side);
}

Int128 Engine::lock_of(const OrderRecord& record) const {
  return money_[record.symbol].lock_of(record.side, record.price,
                                       static_cast<Int128>(record.qty) - record.executed);
}

TradeFees Engine::settle(const OrderRecord& taker, const OrderRecord& maker, const Event& trade,
                         std::int64_t& taker_locked) {
  const SymbolMoney& m = money_[taker.symbol];
  const bool taker_buys = taker.side == Side::Buy;
  const OrderRecord& buyer = taker_buys ? taker : maker;
  const OrderRecord& seller = taker_buys ? maker : taker;
  TradeMoney t;
  t.base = m.base;
  t.quote = m.quote;
  // Both fit int64: each is within a lock that was checked to.
  t.base_units = trade.qty * m.base_per_lot;
  t.quote_units = trade.price * trade.qty * m.quote_per_tick_lot;
  t.buyer = buyer.account;
  t.buyer_order = buyer.id;
  t.buyer_fee_bps = taker_buys ? m.taker_fee_bps : m.maker_fee_bps;
  t.seller = seller.account;
  t.seller_order = seller.id;
  t.seller_fee_bps = taker_buys ? m.maker_fee_bps : m.taker_fee_bps;
  t.trade = trade.trade_id;
  const TradeFees fees = balances_.settle(t);
  // A limit buy that bought below its limit locked the difference for nothing: it goes
  // back. For every other trade that is a release of 0, made rather than branched
  // around (the taker's side is a coin toss to a branch predictor; the buyer's quote
  // balance was just credited or debited, so it is in the cache).
  const std::int64_t saved = taker_buys && taker.type == OrderType::Limit
                                 ? (taker.price - trade.price) * trade.qty * m.quote_per_tick_lot
                                 : 0;
  balances_.release(buyer.account, m.quote, saved, buyer.id);
  taker_locked -= (taker_buys ? t.quote_units : t.base_units) + saved;
  return fees;
}

void Engine::apply_events(OrderRecord& taker, OrderReply& reply, std::int64_t& taker_locked) {
  for (const Event& e : events_) {
    switch (e.type) {
      case EventType::Trade: {
        taker.executed += e.qty;
        const std::uint32_t maker_slot = find_slot(e.maker_id.value);
        SPOT_ASSERT(maker_slot != SlotIndex::kNone, "engine: every resting order has a record");
        OrderRecord& maker = slot(maker_slot).record;
        maker.executed += e.qty;
        maker.status = e.maker_remaining == 0 ? OrderStatus::Filled : OrderStatus::PartiallyFilled;
        TradeFees fees;
        if (limits_.check_balances) fees = settle(taker, maker, e, taker_locked);
        const bool taker_buys = taker.side == Side::Buy;
        reply.fills.push_back(
            Fill{e.trade_id, e.price, e.qty, e.remaining, taker_buys ? fees.buyer : fees.seller});
        reply.maker_fills.push_back(MakerFill{maker.account, maker.id, maker.client_token,
                                              Fill{e.trade_id, e.price, e.qty, e.maker_remaining,
                                                   taker_buys ? fees.seller : fees.buyer}});
        if (e.maker_remaining == 0) finish(maker_slot);
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
    if (owned != nullptr) {
      reply.order = *owned;
    } else if (forgot(request.order_id)) {
      reply.forgotten = true;
      reply.order.id = request.order_id;
    }
    return reply;
  }
  const std::uint32_t s = find_slot(request.order_id.value);
  OrderRecord& record = slot(s).record;
  events_.clear();
  matcher_.cancel(CancelOrder{record.id, record.symbol, record.account}, events_);
  SPOT_ASSERT(!events_.empty(), "engine: the matcher answers every cancel with an event");
  if (events_.front().type != EventType::Canceled) {
    // The record says live but the book disagrees: report, never guess.
    reply.reject = events_.front().reason;
    return reply;
  }
  if (limits_.check_balances) {
    // A live order's lock was checked to fit int64 when it was admitted.
    const SymbolMoney& m = money_[record.symbol];
    balances_.release(record.account, m.paying(record.side),
                      m.held_by(record.side, record.price, record.qty - record.executed),
                      record.id);
  }
  record.status = OrderStatus::Canceled;
  reply.order = record;
  finish(s);
  return reply;
}

OrderReply Engine::get(const GetOrder& request) const {
  OrderReply reply;
  if (request.order_id.value == 0 && !request.client_order_id.empty()) {
    // By clientOrderId: the record in memory, else the id the window remembers.
    const std::uint64_t key_hash = idempotency_hash(request.account, request.client_order_id, 0);
    const std::uint32_t s = find_by_key(key_hash, request.account, request.client_order_id, 0);
    if (s != SlotIndex::kNone) {
      reply.order = slot(s).record;
      return reply;
    }
    reply.reject = RejectReason::UnknownOrder;
    if (const std::uint64_t forgotten_id = window_.find(key_hash); forgotten_id != 0) {
      reply.forgotten = true;
      reply.order.id = OrderId{forgotten_id};
    }
    return reply;
  }
  const OrderRecord* owned = find_owned(request.account, request.order_id);
  if (owned == nullptr) {
    reply.reject = RejectReason::UnknownOrder;
    // An id handed out once but forgotten since: the read path may have it (and checks
    // its owner; the engine no longer can).
    if (forgot(request.order_id)) {
      reply.forgotten = true;
      reply.order.id = request.order_id;
    }
    return reply;
  }
  reply.order = *owned;
  return reply;
}

OpenOrdersReply Engine::open_orders(const OpenOrders& request) const {
  OpenOrdersReply reply;
  const auto account = accounts_.find(request.account.value);
  if (account == accounts_.end()) return reply;
  // Listed in ascending id order (the open set is kept unordered, so sort here).
  for (const std::uint64_t id : sorted_open_ids(account->second)) {
    const OrderRecord& record = slot(find_slot(id)).record;
    if (!request.symbol || record.symbol == *request.symbol) reply.orders.push_back(record);
  }
  return reply;
}

DepthReply Engine::depth(const GetDepth& request) const {
  DepthReply reply;
  reply.symbol = request.symbol;
  if (request.symbol >= matcher_.symbol_count()) return reply;
  const OrderBook& book = matcher_.book(request.symbol);
  reply.update_id = market_.update_id(request.symbol);
  reply.bids = book.depth(Side::Buy, request.limit);
  reply.asks = book.depth(Side::Sell, request.limit);
  return reply;
}

TradesReply Engine::trades(const GetTrades& request) const {
  TradesReply reply;
  reply.symbol = request.symbol;
  if (request.symbol < matcher_.symbol_count()) {
    market_.trades(request.symbol, request.query, reply.trades);
  }
  return reply;
}

TickerReply Engine::ticker(const GetTicker& request) const {
  TickerReply reply;
  for (SymbolId s = 0; s < matcher_.symbol_count(); ++s) {
    if (request.symbol && *request.symbol != s) continue;
    SymbolTicker t;
    t.symbol = s;
    t.update_id = market_.update_id(s);
    t.traded = market_.last_trade(s).has_value();
    t.day = market_.day(s, request.now_ns);
    const OrderBook& book = matcher_.book(s);
    if (const auto bid = book.depth(Side::Buy, 1); !bid.empty()) t.bid = bid.front();
    if (const auto ask = book.depth(Side::Sell, 1); !ask.empty()) t.ask = ask.front();
    reply.tickers.push_back(t);
  }
  return reply;
}

AccountReply Engine::create_account(const CreateAccount& request) {
  AccountReply reply;
  if (request.key_hash.empty()) {
    reply.reject = RejectReason::BadRequest;
    return reply;
  }
  reply.account = AccountId{next_account_id_++};
  accounts_.emplace(reply.account.value,
                    Account{request.name, request.key_hash, request.sealed_secret, {}});
  balances_.resize_accounts(next_account_id_);
  return reply;
}

TransferReply Engine::deposit(const Deposit& request) { return transfer(request, true); }

TransferReply Engine::withdraw(const Withdraw& request) { return transfer(request, false); }

TransferReply Engine::transfer(const Transfer& request, bool deposit) {
  if (const auto seen = transfers_.find(request.reference); seen != transfers_.end()) {
    TransferReply original = seen->second;
    original.replayed = true;
    return original;
  }
  TransferReply reply;
  reply.deposit = deposit;
  reply.account = request.account;
  reply.asset = request.asset;
  reply.amount = request.amount;
  const auto asset = find_asset(request.asset);
  if (request.reference.empty() || request.amount <= 0) {
    reply.reject = RejectReason::BadRequest;
  } else if (accounts_.find(request.account.value) == accounts_.end()) {
    reply.reject = RejectReason::UnknownAccount;
  } else if (!asset) {
    reply.reject = RejectReason::UnknownAsset;
  }
  if (reply.reject != RejectReason::None) return reply;
  reply.reject =
      deposit ? balances_.deposit(request.account, *asset, request.amount, request.reference)
              : balances_.withdraw(request.account, *asset, request.amount, request.reference);
  reply.balance = balances_.balance(request.account, *asset);
  // Refused, not remembered: the same reference may be tried again.
  if (reply.reject != RejectReason::None) {
    // A refused deposit (its total would overflow) reported no balance before.
    if (deposit) reply.balance = Balance{};
    return reply;
  }
  transfers_.emplace(request.reference, reply);
  return reply;
}

BalancesReply Engine::balances(const GetBalances& request) const {
  BalancesReply reply;
  reply.account = request.account;
  if (request.account.value != 0 && accounts_.find(request.account.value) == accounts_.end()) {
    reply.reject = RejectReason::UnknownAccount;
    return reply;
  }
  for (AssetId a = 0; a < balances_.asset_count(); ++a) {
    reply.balances.push_back(AssetBalance{balances_.assets()[a], balances_.decimals(a),
                                          balances_.balance(request.account, a)});
  }
  return reply;
}

const OrderRecord* Engine::find(OrderId id) const {
  const std::uint32_t s = find_slot(id.value);
  return s == SlotIndex::kNone ? nullptr : &slot(s).record;
}

bool Engine::forgot(OrderId id) const {
  return id.value != 0 && id.value < next_order_id_ && find_slot(id.value) == SlotIndex::kNone;
}

std::vector<std::uint64_t> Engine::open_order_ids(AccountId account) const {
  const auto it = accounts_.find(account.value);
  if (it == accounts_.end()) return {};
  return sorted_open_ids(it->second);
}

OrderRecord* Engine::find_record(OrderId id) {
  const std::uint32_t s = find_slot(id.value);
  return s == SlotIndex::kNone ? nullptr : &slot(s).record;
}

const OrderRecord* Engine::find_owned(AccountId account, OrderId id) const {
  const std::uint32_t s = find_slot(id.value);
  if (s == SlotIndex::kNone || slot(s).record.account != account) return nullptr;
  return &slot(s).record;
}

void Engine::finish(std::uint32_t s) {
  Slot& sl = slot(s);
  const OrderRecord& record = sl.record;
  if (sl.open_index != SlotIndex::kNone) {
    const auto account = accounts_.find(record.account.value);
    SPOT_ASSERT(account != accounts_.end(), "engine: an open order's account exists");
    // Swap-remove from the unordered open list, fixing the moved slot's position.
    std::vector<std::uint32_t>& open = account->second.open_slots;
    SPOT_ASSERT(sl.open_index < open.size() && open[sl.open_index] == s,
                "engine: an open order sits at its open_index in its account's list");
    const std::uint32_t moved = open.back();
    open[sl.open_index] = moved;
    slot(moved).open_index = sl.open_index;
    open.pop_back();
    sl.open_index = SlotIndex::kNone;
  }
  finished_.push_back(record.id.value);
  while (finished_.size() > limits_.order_history) forget_oldest_finished();
}

void Engine::forget_oldest_finished() {
  const std::uint64_t id = finished_.front();
  finished_.pop_front();
  const std::uint32_t s = find_slot(id);
  SPOT_ASSERT(s != SlotIndex::kNone, "engine: a finished order has a record until forgotten");
  Slot& sl = slot(s);
  if (sl.has_key) {
    const bool keyed = by_key_.erase(sl.key_hash, s);
    SPOT_ASSERT(keyed, "engine: a keyed record is in the idempotency index");
    window_.add(sl.key_hash, id);
  }
  by_id_.erase(id);
  sl.record.id = OrderId{0};
  sl.has_key = false;
  free_slots_.push_back(s);
}

namespace {

using Out = binary::Writer;
using In = binary::Reader;

// 1: counters, accounts, finished records, live records.
// 2: the same, then the idempotency window.
// 3: the same, each account with its sealed API secret (empty: none) and each record with
//    post_only and quote_qty, then the balances.
// 4: the same, then the public market data (MarketData). Restore reads all four; an
//    older snapshot starts the market data empty (no trades kept, update ids 0).
constexpr std::uint32_t kEngineFormat = 4;
constexpr std::uint32_t kEngineFormatWithBalances = 3;
constexpr std::uint32_t kEngineFormatWithoutWindow = 1;

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
    o.str(account.sealed_secret);
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
    o.put(static_cast<std::uint8_t>(r.post_only));
    o.put(r.quote_qty);
  };
  o.put(static_cast<std::uint64_t>(finished_.size()));
  for (const std::uint64_t id : finished_) {
    const std::uint32_t s = find_slot(id);
    o.put(static_cast<std::uint8_t>(s != SlotIndex::kNone));
    if (s != SlotIndex::kNone) put_record(slot(s).record);
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> live;  // (id, slot), sorted by id
  for (std::uint32_t s = 0; s < slots_used_; ++s) {
    const OrderRecord& r = slot(s).record;
    if (r.id.value != 0 && !is_terminal(r.status)) live.emplace_back(r.id.value, s);
  }
  std::sort(live.begin(), live.end());
  o.put(static_cast<std::uint64_t>(live.size()));
  for (const auto& [id, s] : live) put_record(slot(s).record);
  // The idempotency window, oldest first (the order that rebuilds it exactly).
  o.put(static_cast<std::uint64_t>(window_.size()));
  window_.for_each([&o](std::uint64_t key_hash, std::uint64_t order_id) {
    o.put(key_hash);
    o.put(order_id);
  });
  // Balances: the asset names (checked against the configuration on restore), each
  // account's row in id order, the fee account and the totals, the transfers applied.
  o.put(static_cast<std::uint8_t>(limits_.check_balances));
  const std::size_t assets = balances_.asset_count();
  o.put(static_cast<std::uint16_t>(assets));
  for (const std::string& name : balances_.assets()) o.str(name);
  for (const auto& [id, account] : accounts_) {
    for (AssetId a = 0; a < assets; ++a) {
      const Balance b = balances_.balance(AccountId{id}, a);
      o.put(b.free);
      o.put(b.locked);
    }
  }
  for (AssetId a = 0; a < assets; ++a) {
    o.put(balances_.fees(a));
    o.put(balances_.deposited(a));
    o.put(balances_.withdrawn(a));
  }
  o.put(static_cast<std::uint64_t>(transfers_.size()));
  for (const auto& [reference, t] : transfers_) {
    o.str(reference);
    o.put(static_cast<std::uint8_t>(t.deposit));
    o.put(t.account.value);
    o.str(t.asset);
    o.put(t.amount);
    o.put(t.balance.free);
    o.put(t.balance.locked);
  }
  market_.serialize(o);
}

Status Engine::restore(std::string_view in) {
  In i(in);
  auto fail = [](const std::string& what) {
    return Status::corruption("engine snapshot: " + what);
  };
  std::uint32_t format = 0;
  std::uint64_t last_order_id = 0;
  std::uint64_t last_trade_id = 0;
  std::uint64_t accounts = 0;
  if (!i.get(format) || format < kEngineFormatWithoutWindow || format > kEngineFormat) {
    return fail("unknown format");
  }
  if (!i.get(next_order_id_) || !i.get(next_account_id_) || !i.get(last_order_id) ||
      !i.get(last_trade_id) || !i.get(accounts)) {
    return fail("truncated header");
  }
  // Checked here so that no snapshot, however malformed, can reach an assertion later:
  // a new order takes next_order_id_, which must be above every id already used.
  if (last_order_id >= next_order_id_) return fail("order id counters out of step");
  // Accounts are numbered 1, 2, ... and never removed, so the counter is one past their
  // number. Checked before the counter sizes the balance table: a damaged counter must
  // be refused, not allocated (found by tests/fuzz/snapshot).
  if (next_account_id_ == 0 || accounts != next_account_id_ - 1) {
    return fail("account count out of step with the account id counter");
  }
  matcher_.restore_counters(last_order_id, last_trade_id);
  for (std::uint64_t k = 0; k < accounts; ++k) {
    std::uint64_t id = 0;
    Account a;
    if (!i.get(id) || !i.str(a.name) || !i.str(a.key_hash)) return fail("truncated account");
    if (format >= kEngineFormatWithBalances && !i.str(a.sealed_secret)) {
      return fail("truncated account");
    }
    if (id == 0 || id >= next_account_id_) return fail("account id out of range");
    if (!accounts_.emplace(id, std::move(a)).second) return fail("account listed twice");
  }
  balances_.resize_accounts(next_account_id_);
  auto get_record = [&i, format, this](OrderRecord& r) {
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
    std::uint8_t post_only = 0;
    r.post_only = false;
    r.quote_qty = 0;
    if (format >= kEngineFormatWithBalances) {
      if (!i.get(post_only) || !i.get(r.quote_qty) || post_only > 1) return false;
      r.post_only = post_only != 0;
    }
    if (side > 1 || type > 1 || tif > 2 || status > 5 || r.symbol >= matcher_.symbol_count())
      return false;
    r.side = static_cast<Side>(side);
    r.type = static_cast<OrderType>(type);
    r.tif = static_cast<TimeInForce>(tif);
    r.status = static_cast<OrderStatus>(status);
    return true;
  };
  // Records are read straight into slots 0, 1, ... and indexed at the end, when their
  // number is known, so the indexes are sized once instead of rehashed as they grow.
  auto read_slot = [&, this](std::uint32_t& s) {
    s = allocate_slot();
    OrderRecord& r = slot(s).record;
    return get_record(r) && r.id.value != 0 && r.id.value < next_order_id_;
  };
  std::uint64_t finished = 0;
  if (!i.get(finished)) return fail("truncated record count");
  for (std::uint64_t k = 0; k < finished; ++k) {
    std::uint8_t present = 0;
    if (!i.get(present)) return fail("truncated finished record");
    if (present != 0) {
      std::uint32_t s = 0;
      if (!read_slot(s) || !is_terminal(slot(s).record.status)) {
        return fail("bad finished record");
      }
      finished_.push_back(slot(s).record.id.value);
    }
  }
  std::uint64_t live = 0;
  if (!i.get(live)) return fail("truncated live count");
  for (std::uint64_t k = 0; k < live; ++k) {
    std::uint32_t s = 0;
    if (!read_slot(s) || is_terminal(slot(s).record.status)) return fail("bad live record");
    const OrderRecord& r = slot(s).record;
    // Checked before the remaining quantity is computed from them (a damaged pair could
    // overflow the subtraction): a live order has something left.
    if (r.qty <= 0 || r.executed < 0 || r.executed >= r.qty) return fail("bad live record");
    const RestingOrder resting{r.id, r.account, r.side, r.price, r.qty, r.qty - r.executed};
    if (!matcher_.restore(r.symbol, resting)) return fail("live order does not fit its book");
    if (accounts_.find(r.account.value) == accounts_.end()) {
      return fail("live order of an unknown account");
    }
    add_open(s);  // live records come in id order, so each open list is sorted already
  }
  if (format != kEngineFormatWithoutWindow) {
    std::uint64_t keys = 0;
    if (!i.get(keys)) return fail("truncated idempotency window");
    // More keys than this engine's window holds (a snapshot taken with a larger one):
    // the oldest leave as they are added, as they would have.
    window_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(keys, 1u << 30)));
    for (std::uint64_t k = 0; k < keys; ++k) {
      std::uint64_t key_hash = 0;
      std::uint64_t order_id = 0;
      if (!i.get(key_hash) || !i.get(order_id)) return fail("truncated idempotency window");
      if (order_id == 0 || order_id >= next_order_id_) return fail("bad idempotency window key");
      window_.add(key_hash, order_id);
    }
  }
  if (format >= kEngineFormatWithBalances) {
    std::uint8_t checked = 0;
    std::uint16_t asset_count = 0;
    if (!i.get(checked) || !i.get(asset_count)) return fail("truncated balances");
    if ((checked != 0) != limits_.check_balances) {
      return fail("engine.check_balances differs from the engine that wrote the snapshot");
    }
    if (asset_count != balances_.asset_count()) return fail("the configured assets differ");
    for (AssetId a = 0; a < asset_count; ++a) {
      std::string name;
      if (!i.str(name)) return fail("truncated asset name");
      if (name != balances_.assets()[a]) return fail("the configured assets differ: " + name);
    }
    for (const auto& [id, account] : accounts_) {
      for (AssetId a = 0; a < asset_count; ++a) {
        Balance b;
        if (!i.get(b.free) || !i.get(b.locked)) return fail("truncated balance");
        balances_.restore_balance(id, a, b);
      }
    }
    for (AssetId a = 0; a < asset_count; ++a) {
      std::int64_t fees = 0;
      std::int64_t deposited = 0;
      std::int64_t withdrawn = 0;
      if (!i.get(fees) || !i.get(deposited) || !i.get(withdrawn)) {
        return fail("truncated asset totals");
      }
      balances_.restore_totals(a, fees, deposited, withdrawn);
    }
    std::uint64_t transfers = 0;
    if (!i.get(transfers)) return fail("truncated transfers");
    for (std::uint64_t k = 0; k < transfers; ++k) {
      std::string reference;
      TransferReply t;
      std::uint8_t deposit = 0;
      if (!i.str(reference) || !i.get(deposit) || !i.get(t.account.value) || !i.str(t.asset) ||
          !i.get(t.amount) || !i.get(t.balance.free) || !i.get(t.balance.locked) || deposit > 1) {
        return fail("truncated transfer");
      }
      t.deposit = deposit != 0;
      if (!transfers_.emplace(std::move(reference), std::move(t)).second) {
        return fail("duplicate transfer reference");
      }
    }
  } else if (limits_.check_balances && live > 0) {
    // Orders from before balances rest with nothing locked: cancelling one would free
    // money that never was.
    return fail(
        "a snapshot from before balances holds live orders; it needs "
        "engine.check_balances = false");
  }
  if (format >= kEngineFormat) {
    if (Status s = market_.restore(i); !s.ok()) return s;
  }
  if (!i.done()) return fail("trailing bytes");
  last_time_ns_ = market_.last_time_ns();
  by_id_.reserve(slots_used_);
  by_key_.reserve(slots_used_);
  for (std::uint32_t s = 0; s < slots_used_; ++s) {
    // An id seen twice (only a malformed snapshot has one) is refused, not shadowed.
    if (find_slot(slot(s).record.id.value) != SlotIndex::kNone) return fail("duplicate order id");
    index_slot(s);
  }
  // A snapshot of an engine with a longer order_history: forget the oldest now, as the
  // next finished order would (their keys join the idempotency window).
  while (finished_.size() > limits_.order_history) forget_oldest_finished();
  // Each part read well but together they may still disagree (a lock no live order
  // holds, an order its account does not list): such a state is not an engine.
  if (std::string why; !check_invariants(&why)) return fail("inconsistent state: " + why);
  return Status();
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
  std::uint64_t h = kFnvOffset;
  auto mix = [&h](std::uint64_t v) { h = fnv1a(v, h); };
  mix(next_order_id_);
  mix(next_account_id_);
  mix(matcher_.last_trade_id());
  for (const auto& [id, account] : accounts_) {
    mix(id);
    for (const char c : account.key_hash) mix(static_cast<unsigned char>(c));
    for (const std::uint64_t open : sorted_open_ids(account)) mix(open);
  }
  for (SymbolId s = 0; s < matcher_.symbol_count(); ++s) {
    for (const Side side : {Side::Buy, Side::Sell}) {
      for (const RestingOrder& o : matcher_.book(s).orders(side)) {
        mix(o.id.value);
        mix(o.account.value);
        mix(static_cast<std::uint64_t>(o.price));
        mix(static_cast<std::uint64_t>(o.original_qty));
        mix(static_cast<std::uint64_t>(o.remaining_qty));
        const OrderRecord& r = slot(find_slot(o.id.value)).record;
        mix(static_cast<std::uint64_t>(r.executed));
        mix(static_cast<std::uint64_t>(r.status));
      }
    }
  }
  mix(window_.size());
  window_.for_each([&mix](std::uint64_t key_hash, std::uint64_t order_id) {
    mix(key_hash);
    mix(order_id);
  });
  mix(limits_.check_balances ? 1 : 0);
  const std::size_t assets = balances_.asset_count();
  for (const auto& [id, account] : accounts_) {
    for (AssetId a = 0; a < assets; ++a) {
      const Balance b = balances_.balance(AccountId{id}, a);
      mix(static_cast<std::uint64_t>(b.free));
      mix(static_cast<std::uint64_t>(b.locked));
    }
  }
  for (AssetId a = 0; a < assets; ++a) {
    mix(static_cast<std::uint64_t>(balances_.fees(a)));
    mix(static_cast<std::uint64_t>(balances_.deposited(a)));
    mix(static_cast<std::uint64_t>(balances_.withdrawn(a)));
  }
  mix(transfers_.size());
  for (const auto& [reference, t] : transfers_) {
    mix(fnv1a(reference));
    mix(t.account.value);
    mix(static_cast<std::uint64_t>(t.amount));
    mix(t.deposit ? 1 : 0);
  }
  return market_.hash(h);
}

bool Engine::check_invariants(std::string* why) const {
  if (!matcher_.check_invariants(why)) return false;
  if (!market_.check_invariants(why)) return false;
  auto fail = [why](std::string msg) {
    if (why != nullptr) *why = std::move(msg);
    return false;
  };
  std::size_t live = 0;
  for (std::uint32_t s = 0; s < slots_used_; ++s) {
    const OrderRecord& record = slot(s).record;
    const std::uint64_t id = record.id.value;
    if (id == 0 || is_terminal(record.status)) continue;
    ++live;
    const auto resting = matcher_.book(record.symbol).find(record.id);
    if (!resting) return fail("live order " + std::to_string(id) + " is not in its book");
    if (resting->remaining_qty != record.qty - record.executed) {
      return fail("order " + std::to_string(id) + " remaining differs from its record");
    }
    const auto account = accounts_.find(record.account.value);
    const Slot& sl = slot(s);
    if (account == accounts_.end() || sl.open_index >= account->second.open_slots.size() ||
        account->second.open_slots[sl.open_index] != s) {
      return fail("live order " + std::to_string(id) + " missing from its account's open orders");
    }
  }
  std::size_t in_books = 0;
  for (SymbolId s = 0; s < matcher_.symbol_count(); ++s) in_books += matcher_.book(s).order_count();
  if (in_books != live) return fail("books hold orders the engine has no live record of");
  if (finished_.size() > limits_.order_history)
    return fail("more finished records than order_history");
  if (window_.capacity() != limits_.idempotency_window) {
    return fail("idempotency window capacity differs from idempotency_window");
  }
  if (!window_.check_invariants(why)) return false;
  bool window_ids_ok = true;
  window_.for_each([&](std::uint64_t, std::uint64_t order_id) {
    if (order_id >= next_order_id_) window_ids_ok = false;
  });
  if (!window_ids_ok) return fail("idempotency window names an order id not handed out yet");
  // Balances: never negative, money conserved per asset (Balances), and locked is
  // exactly what the live orders lock.
  if (!balances_.check_invariants(why)) return false;
  const std::size_t assets = balances_.asset_count();
  // 128 bits: the records checked may come from a damaged snapshot.
  std::vector<Int128> expect_locked(balances_.account_rows() * assets, 0);
  if (limits_.check_balances) {
    for (std::uint32_t s = 0; s < slots_used_; ++s) {
      const OrderRecord& r = slot(s).record;
      if (r.id.value == 0 || is_terminal(r.status)) continue;
      expect_locked[r.account.value * assets + paying_asset(r)] += lock_of(r);
    }
  }
  for (std::size_t k = assets; k < expect_locked.size(); ++k) {
    const AccountId account{k / assets};
    const auto asset = static_cast<AssetId>(k % assets);
    const std::int64_t locked = balances_.balance(account, asset).locked;
    if (locked != expect_locked[k]) {
      return fail("account " + std::to_string(account.value) + " locks " + std::to_string(locked) +
                  " of " + balances_.assets()[asset] + " but its live orders lock " +
                  int128_to_string(expect_locked[k]));
    }
  }
  return true;
}

}  // namespace spot
