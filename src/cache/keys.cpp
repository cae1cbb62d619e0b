#include "spot/cache/keys.h"

#include <nlohmann/json.hpp>

#include "spot/core/assert.h"
#include "spot/core/decimal.h"

namespace spot {

namespace {

using nlohmann::json;

// `text` as steps of `step`, if it is an exact decimal on the grid.
std::optional<std::int64_t> steps_of(const json& text, Decimal step) {
  if (!text.is_string()) return std::nullopt;
  const auto d = parse_decimal(text.get_ref<const std::string&>());
  if (!d) return std::nullopt;
  const auto steps = to_steps(d.value(), step, RejectReason::BadRequest);
  if (!steps) return std::nullopt;
  return steps.value();
}

template <class T>
std::optional<T> number_of(const json& j, const char* field) {
  const auto it = j.find(field);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<T>();
}

std::optional<std::string> text_of(const json& j, const char* field) {
  const auto it = j.find(field);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json levels_json(const std::vector<DepthLevel>& levels, const SymbolSpec& spec) {
  json out = json::array();
  for (const DepthLevel& l : levels) {
    out.push_back(
        {format_steps(l.price, spec.tick_size), format_steps(l.qty, spec.lot_size), l.orders});
  }
  return out;
}

std::optional<std::vector<DepthLevel>> levels_of(const json& j, const SymbolSpec& spec) {
  if (!j.is_array()) return std::nullopt;
  std::vector<DepthLevel> out;
  for (const json& l : j) {
    if (!l.is_array() || l.size() != 3 || !l[2].is_number_unsigned()) return std::nullopt;
    const auto price = steps_of(l[0], spec.tick_size);
    const auto qty = steps_of(l[1], spec.lot_size);
    if (!price || !qty) return std::nullopt;
    out.push_back(DepthLevel{*price, *qty, l[2].get<std::uint32_t>()});
  }
  return out;
}

std::optional<json> parse_object(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

}  // namespace

CacheKeys::CacheKeys(std::string_view prefix, std::uint64_t epoch) : epoch_(epoch) {
  SPOT_ASSERT(epoch >= 1, "cache: epochs start at 1");
  stem_.reserve(prefix.size() + 24);
  stem_.append(prefix);
  stem_ += ':';
  stem_ += std::to_string(epoch);
  stem_ += ':';
}

std::string CacheKeys::epoch_counter(std::string_view prefix) {
  return std::string(prefix) + ":epoch";
}

std::string CacheKeys::make(std::string_view kind, std::string_view id) const {
  std::string key;
  key.reserve(stem_.size() + kind.size() + 1 + id.size());
  key += stem_;
  key += kind;
  key += ':';
  key += id;
  return key;
}

std::string CacheKeys::seq() const { return stem_ + "seq"; }
std::string CacheKeys::order(std::uint64_t id) const { return make("order", std::to_string(id)); }
std::string CacheKeys::trades(std::uint64_t id) const { return make("trades", std::to_string(id)); }
std::string CacheKeys::open_orders(std::uint64_t account) const {
  return make("open", std::to_string(account));
}
std::string CacheKeys::depth(std::string_view symbol) const { return make("depth", symbol); }

std::string encode_order(const OrderRow& row, const SymbolSpec& spec) {
  const json j = {
      {"seq", row.journal_seq},
      {"orderId", row.order_id},
      {"accountId", row.account.value},
      {"symbol", spec.name},
      {"side", to_string(row.side)},
      {"type", to_string(row.type)},
      {"timeInForce", to_string(row.tif)},
      {"price", row.type == OrderType::Market ? json(nullptr)
                                              : json(format_steps(row.price, spec.tick_size))},
      {"quantity", format_steps(row.qty, spec.lot_size)},
      {"executedQty", format_steps(row.executed, spec.lot_size)},
      {"status", to_string(row.status)},
      {"clientOrderId", row.client_order_id},
      {"correlationId", row.correlation_id},
      {"updatedUs", row.updated_us},
  };
  return j.dump();
}

std::optional<CachedOrder> decode_order(std::string_view text, const SymbolTable& symbols) {
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto seq = number_of<std::uint64_t>(*j, "seq");
  const auto id = number_of<std::uint64_t>(*j, "orderId");
  const auto account = number_of<std::uint64_t>(*j, "accountId");
  const auto updated = number_of<std::int64_t>(*j, "updatedUs");
  const auto symbol_name = text_of(*j, "symbol");
  const auto side = text_of(*j, "side");
  const auto type = text_of(*j, "type");
  const auto tif = text_of(*j, "timeInForce");
  const auto status = text_of(*j, "status");
  const auto client = text_of(*j, "clientOrderId");
  const auto correlation = text_of(*j, "correlationId");
  if (!seq || !id || !account || !updated || !symbol_name || !side || !type || !tif || !status ||
      !client || !correlation) {
    return std::nullopt;
  }
  const auto symbol = symbols.find(*symbol_name);
  if (!symbol) return std::nullopt;
  const SymbolSpec& spec = symbols.spec(*symbol);
  CachedOrder out;
  OrderRecord& r = out.record;
  const auto s = enum_named<Side>(*side, 2);
  const auto t = enum_named<OrderType>(*type, 2);
  const auto f = enum_named<TimeInForce>(*tif, 3);
  const auto st = enum_named<OrderStatus>(*status, 6);
  const auto qty = steps_of(j->value("quantity", json()), spec.lot_size);
  const auto executed = steps_of(j->value("executedQty", json()), spec.lot_size);
  if (!s || !t || !f || !st || !qty || !executed) return std::nullopt;
  r.account = AccountId{*account};
  r.symbol = *symbol;
  r.side = *s;
  r.type = *t;
  r.tif = *f;
  if (r.type == OrderType::Limit) {
    const auto price = steps_of(j->value("price", json()), spec.tick_size);
    if (!price) return std::nullopt;
    r.price = *price;
  }
  r.qty = *qty;
  r.client_order_id = *client;
  r.id = OrderId{*id};
  r.executed = *executed;
  r.status = *st;
  r.request_id = *correlation;
  out.seq = *seq;
  out.updated_us = *updated;
  return out;
}

std::string encode_trade(const TradeRow& t, const SymbolSpec& spec) {
  const json j = {
      {"tradeId", t.trade_id},
      {"seq", t.journal_seq},
      {"symbol", spec.name},
      {"price", format_steps(t.price, spec.tick_size)},
      {"qty", format_steps(t.qty, spec.lot_size)},
      {"makerOrderId", t.maker_order_id},
      {"makerAccountId", t.maker_account_id},
      {"takerOrderId", t.taker_order_id},
      {"takerAccountId", t.taker_account_id},
      {"takerSide", to_string(t.taker_side)},
      {"executedUs", t.executed_us},
      {"makerFee", t.maker_fee},
      {"takerFee", t.taker_fee},
  };
  return j.dump();
}

std::optional<CachedTrade> decode_trade(std::string_view text, const SymbolTable& symbols) {
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto symbol_name = text_of(*j, "symbol");
  const auto side = text_of(*j, "takerSide");
  if (!symbol_name || !side) return std::nullopt;
  const auto symbol = symbols.find(*symbol_name);
  const auto s = enum_named<Side>(*side, 2);
  if (!symbol || !s) return std::nullopt;
  const SymbolSpec& spec = symbols.spec(*symbol);
  CachedTrade out;
  TradeRow& t = out.trade;
  const auto id = number_of<std::uint64_t>(*j, "tradeId");
  const auto seq = number_of<std::uint64_t>(*j, "seq");
  const auto maker = number_of<std::uint64_t>(*j, "makerOrderId");
  const auto maker_account = number_of<std::uint64_t>(*j, "makerAccountId");
  const auto taker = number_of<std::uint64_t>(*j, "takerOrderId");
  const auto taker_account = number_of<std::uint64_t>(*j, "takerAccountId");
  const auto executed = number_of<std::int64_t>(*j, "executedUs");
  const auto price = steps_of(j->value("price", json()), spec.tick_size);
  const auto qty = steps_of(j->value("qty", json()), spec.lot_size);
  if (!id || !seq || !maker || !maker_account || !taker || !taker_account || !executed || !price ||
      !qty) {
    return std::nullopt;
  }
  t.trade_id = *id;
  t.symbol = *symbol;
  t.price = *price;
  t.qty = *qty;
  t.maker_order_id = *maker;
  t.maker_account_id = *maker_account;
  t.taker_order_id = *taker;
  t.taker_account_id = *taker_account;
  t.taker_side = *s;
  t.journal_seq = *seq;
  t.executed_us = *executed;
  // Absent in entries written before fees were cached: 0, as the table had them then.
  t.maker_fee = number_of<std::int64_t>(*j, "makerFee").value_or(0);
  t.taker_fee = number_of<std::int64_t>(*j, "takerFee").value_or(0);
  return out;
}

std::string encode_open_orders(std::uint64_t seq, const std::vector<std::uint64_t>& order_ids) {
  return json{{"seq", seq}, {"orderIds", order_ids}}.dump();
}

std::optional<CachedOpenOrders> decode_open_orders(std::string_view text) {
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto seq = number_of<std::uint64_t>(*j, "seq");
  const auto ids = j->find("orderIds");
  if (!seq || ids == j->end() || !ids->is_array()) return std::nullopt;
  CachedOpenOrders out;
  out.seq = *seq;
  for (const json& id : *ids) {
    if (!id.is_number_unsigned()) return std::nullopt;
    out.order_ids.push_back(id.get<std::uint64_t>());
  }
  return out;
}

std::string encode_depth(std::uint64_t seq, const DepthReply& depth, const SymbolSpec& spec) {
  return json{{"seq", seq},
              {"symbol", spec.name},
              {"bids", levels_json(depth.bids, spec)},
              {"asks", levels_json(depth.asks, spec)}}
      .dump();
}

std::optional<CachedDepth> decode_depth(std::string_view text, const SymbolTable& symbols) {
  const auto j = parse_object(text);
  if (!j) return std::nullopt;
  const auto seq = number_of<std::uint64_t>(*j, "seq");
  const auto symbol_name = text_of(*j, "symbol");
  if (!seq || !symbol_name) return std::nullopt;
  const auto symbol = symbols.find(*symbol_name);
  if (!symbol) return std::nullopt;
  const SymbolSpec& spec = symbols.spec(*symbol);
  auto bids = levels_of(j->value("bids", json()), spec);
  auto asks = levels_of(j->value("asks", json()), spec);
  if (!bids || !asks) return std::nullopt;
  CachedDepth out;
  out.seq = *seq;
  out.depth.symbol = *symbol;
  out.depth.bids = std::move(*bids);
  out.depth.asks = std::move(*asks);
  return out;
}

}  // namespace spot
