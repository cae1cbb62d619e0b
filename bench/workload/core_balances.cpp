#include "bench/workload/core_balances.h"

#include "spot/core/assert.h"

namespace spot::bench {
namespace {

// The Matcher and the Balances, and the glue between them: what the Engine does with
// money per order, without its order records (the book's events carry all it needs:
// a trade names its maker's account, a cancel its price and the quantity removed).
class CoreWithBalances {
 public:
  explicit CoreWithBalances(const Workload& w) : matcher_(w1b_symbol_specs(w), book_capacity(w)) {
    const std::vector<SymbolSpec> specs = w1b_symbol_specs(w);
    // Registered in the Engine's order (assets_of), so that an AssetId names the same
    // asset in both and the cross-check can compare them row by row.
    for (const AssetSpec& a : assets_of(specs)) balances_.add_asset(a.name, a.decimals);
    for (const SymbolSpec& spec : specs) {
      const SymbolMoney m =
          money_of(spec, balances_.add_asset(base_asset_of(spec), spec.base_decimals),
                   balances_.add_asset(quote_asset_of(spec), spec.quote_decimals));
      SPOT_ASSERT(m.base_per_lot > 0 && m.quote_per_tick_lot > 0,
                  "core bench: a lot and a tick-lot are whole units of their assets");
      money_.push_back(m);
    }
    balances_.resize_accounts(kW1bAccounts + 1);
    for (std::uint64_t a = 1; a <= kW1bAccounts; ++a) {
      for (AssetId asset = 0; asset < balances_.asset_count(); ++asset) {
        const RejectReason r = balances_.deposit(AccountId{a}, asset, kW1bFunds, "w1b");
        SPOT_ASSERT(r == RejectReason::None, "core bench: W1-B's funding fits int64");
      }
    }
    events_.reserve(4096);
  }

  // Plays one op of `owner` (w1b_owner of its id); its events stay in events(). False if
  // a new order was refused for money (W1-B funds every order, so that must not happen;
  // the Matcher saw nothing). Inlined into the timed loop, as the plain W1 run's glue
  // (workload.h's apply) is into its own: GCC would call it, and its entry and exit
  // alone (saving and restoring six registers) were 19 instructions an op, which are the
  // harness's cost, not the balances'.
  [[gnu::always_inline]] bool play(const Op& op, AccountId owner) {
    events_.clear();
    if (op.kind == OpKind::Cancel) {
      matcher_.cancel(CancelOrder{op.id, op.symbol, owner}, events_);
      for (const Event& e : events_) {
        if (e.type != EventType::Canceled) continue;
        const SymbolMoney& m = money_[e.symbol];
        balances_.release(e.account, m.paying(e.side), m.held_by(e.side, e.price, e.qty),
                          e.order_id);
      }
      return true;
    }
    OrderRequest request;
    request.id = op.id;
    request.account = owner;
    request.symbol = op.symbol;
    request.side = op.side;
    request.type = op.kind == OpKind::Market ? OrderType::Market : OrderType::Limit;
    request.tif = op.kind == OpKind::GtcLimit ? TimeInForce::Gtc : TimeInForce::Ioc;
    request.price = op.kind == OpKind::Market ? 0 : op.price;
    request.qty = op.qty;
    const SymbolMoney& m = money_[op.symbol];
    const bool buys = op.side == Side::Buy;
    const AssetId asset = m.paying(op.side);

    // Lock what the order may spend, as Engine::admit does. A market buy: the cost of
    // sweeping the book for its whole quantity (what it cannot fill expires unpaid).
    Int128 need = 0;
    if (buys && request.type == OrderType::Market) {
      constexpr Int128 kUnbounded = static_cast<Int128>(1) << 100;
      need = matcher_.book(op.symbol).sweep(Side::Buy, request.qty, kUnbounded).cost *
             m.quote_per_tick_lot;
    } else {
      need = m.lock_of(op.side, request.price, request.qty);
    }
    if (balances_.lock(owner, asset, need, op.id) != RejectReason::None) return false;
    auto locked = static_cast<std::int64_t>(need);

    matcher_.submit(request, events_);
    Lots left = request.qty;  // what the order may still rest with
    const bool improvable = buys && request.type == OrderType::Limit;
    for (const Event& e : events_) {
      if (e.type == EventType::Rejected) {
        left = 0;  // nothing rests: the whole lock goes back below
      } else if (e.type == EventType::Trade) {
        left = e.remaining;
        TradeMoney t;
        t.base = m.base;
        t.quote = m.quote;
        t.base_units = e.qty * m.base_per_lot;
        t.quote_units = e.price * e.qty * m.quote_per_tick_lot;
        t.buyer = buys ? owner : e.maker_account;
        t.buyer_order = buys ? op.id : e.maker_id;
        t.buyer_fee_bps = buys ? m.taker_fee_bps : m.maker_fee_bps;
        t.seller = buys ? e.maker_account : owner;
        t.seller_order = buys ? e.maker_id : op.id;
        t.seller_fee_bps = buys ? m.maker_fee_bps : m.taker_fee_bps;
        t.trade = e.trade_id;
        balances_.settle(t);
        // A limit buy that bought below its limit locked the difference for nothing: it
        // goes back (a release of 0 for every other trade, as Engine::settle does).
        const std::int64_t saved =
            improvable ? (request.price - e.price) * e.qty * m.quote_per_tick_lot : 0;
        balances_.release(owner, m.quote, saved, op.id);
        locked -= (buys ? t.quote_units : t.base_units) + saved;
      }
    }
    // A GTC remainder rests and keeps exactly its lock; an IOC or market remainder
    // expired, and a market buy may not have needed all of its worst case.
    const std::int64_t keep =
        request.tif == TimeInForce::Gtc ? m.held_by(op.side, request.price, left) : 0;
    SPOT_ASSERT(locked >= keep, "core bench: an order's lock covers what rests of it");
    balances_.release(owner, asset, locked - keep, op.id);
    return true;
  }

  // Starts loading the balance a new order will lock, while the op before it plays: what
  // the daemon's matching loop does for the next command of the batch it has taken
  // (Engine::prefetch). A cancel names only its order, and finding the order here to
  // learn whose balance it releases takes the very cache miss in the book's order index
  // that the cancel would take a moment later: perf put that miss in OrderBook::find
  // instead of OrderBook::cancel, and the run was no faster with it (3 pairs, 0.766 to
  // 0.794 either way), so a cancel's balance is not prefetched. (The Engine's prefetch
  // still finds a cancel's record: it looks the record up for the cancel anyway.)
  void prefetch(const Op& op, AccountId owner) const {
    if (op.kind != OpKind::Cancel) {
      balances_.prefetch(owner, money_[op.symbol].paying(op.side));
    }
  }

  const EventBuffer& events() const { return events_; }
  const Matcher& matcher() const { return matcher_; }
  const Balances& balances() const { return balances_; }

 private:
  Matcher matcher_;
  Balances balances_;
  std::vector<SymbolMoney> money_;
  EventBuffer events_;
};

}  // namespace

CoreRun play_core(const Workload& w) {
  CoreWithBalances core(w);
  CoreRun run;
  const std::size_t prefill = w.prefill_ops();
  for (std::size_t i = 0; i < prefill; ++i) core.play(w.ops[i], w1b_owner(w.ops[i].id));
  const Stopwatch clock;
  AccountId owner = prefill < w.ops.size() ? w1b_owner(w.ops[prefill].id) : AccountId{};
  for (std::size_t i = prefill; i < w.ops.size(); ++i) {
    AccountId next;
    if (i + 1 < w.ops.size()) {
      next = w1b_owner(w.ops[i + 1].id);
      core.prefetch(w.ops[i + 1], next);
    }
    if (!core.play(w.ops[i], owner)) ++run.sums.other_rejects;
    account(core.events(), run.sums);
    owner = next;
  }
  run.seconds = clock.wall_seconds();
  run.cpu_seconds = clock.cpu_seconds();
  for (SymbolId s = 0; s < core.matcher().symbol_count(); ++s) {
    run.sums.resting += core.matcher().book(s).order_count();
  }
  run.totals = core.balances().asset_totals();
  for (const AssetTotals& t : run.totals) run.conserved = run.conserved && t.conserved();
  run.balances = core.balances();
  return run;
}

bool same_balances(const Balances& a, const Balances& b, std::string* why) {
  auto differ = [why](std::string what) {
    if (why != nullptr) *why = std::move(what);
    return false;
  };
  if (a.assets() != b.assets()) return differ("the assets differ");
  if (a.account_rows() != b.account_rows()) {
    return differ("account rows differ: " + std::to_string(a.account_rows()) + " vs " +
                  std::to_string(b.account_rows()));
  }
  for (AssetId asset = 0; asset < a.asset_count(); ++asset) {
    const std::string& name = a.assets()[asset];
    if (a.fees(asset) != b.fees(asset) || a.deposited(asset) != b.deposited(asset) ||
        a.withdrawn(asset) != b.withdrawn(asset)) {
      return differ("the totals of " + name + " differ");
    }
    for (std::uint64_t id = 0; id < a.account_rows(); ++id) {
      const Balance x = a.balance(AccountId{id}, asset);
      const Balance y = b.balance(AccountId{id}, asset);
      if (x != y) {
        return differ("account " + std::to_string(id) + " " + name + ": free " +
                      std::to_string(x.free) + " locked " + std::to_string(x.locked) + " vs free " +
                      std::to_string(y.free) + " locked " + std::to_string(y.locked));
      }
    }
  }
  return true;
}

}  // namespace spot::bench
