#include "spot/app/matching_loop.h"

#include <algorithm>
#include <chrono>

#include "spot/journal/codec.h"
#include "spot/log/log.h"

namespace spot {

namespace {

// What a client gets for a command whose journal write failed, or that a halted loop
// did not run.
Reply not_durable() { return Refused{RejectReason::NotReady}; }

}  // namespace

MatchingLoop::MatchingLoop(Engine& engine, OrderQueue& queue, Metrics& metrics, const Clock& clock,
                           std::size_t batch_max, FillRouter* maker_fills, JournalWriter* journal,
                           std::function<void()> on_journal_failure)
    : engine_(engine),
      queue_(queue),
      metrics_(metrics),
      clock_(clock),
      batch_max_(batch_max),
      maker_fills_(maker_fills),
      journal_(journal),
      on_journal_failure_(std::move(on_journal_failure)) {}

MatchingLoop::~MatchingLoop() { stop(); }

void MatchingLoop::start() {
  heartbeat_ns_.store(clock_.monotonic_ns(), std::memory_order_relaxed);
  thread_ = std::thread([this] {
    log::set_component("matching");
    run();
  });
}

void MatchingLoop::stop() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void MatchingLoop::run() {
  std::vector<Command> batch;
  batch.reserve(batch_max_);
  constexpr auto kWait = std::chrono::milliseconds(50);
  while (queue_.wait(kWait)) {
    std::size_t take = batch_max_;
    // Backpressure before execution: take only what the journal can take now.
    if (journal_ != nullptr && (take = journal_->wait_for_room(batch_max_, kWait)) == 0) {
      heartbeat_ns_.store(clock_.monotonic_ns(), std::memory_order_relaxed);
      continue;
    }
    batch.clear();
    const std::size_t depth = queue_.size();
    if (depth > high_water_) {
      high_water_ = depth;
      metrics_.queue_high_water(static_cast<double>(depth));
    }
    queue_.pop_batch(batch, take);
    // One wall-clock reading stamps the journal records of the whole batch, and is the
    // time of their public trades (MarketData): a replay reads it back from the records.
    const std::int64_t now_ns = stamp();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Command& command = batch[i];
      if (i + 1 < batch.size()) engine_.prefetch(batch[i + 1].body);
      if (journal_ != nullptr) {
        execute_journaled(command, now_ns);
        continue;
      }
      Reply reply = engine_.execute(command.body, command.request_id, now_ns);
      observe(command, reply);
      notify_makers(reply);
      this->reply(command.done, std::move(reply));
    }
    // Without a journal writer thread this writes and fsyncs the batch's records here,
    // and hands their replies back once the fsync has returned.
    if (journal_ != nullptr) journal_->commit();
    publish_books();
  }
  publish_books();
}

std::int64_t MatchingLoop::stamp() {
  // Never earlier than the last stamp: a wall clock stepped back holds time still until
  // it catches up, rather than running it backwards in the journal, the database and
  // market data. Said once per step back of more than a second.
  const std::int64_t wall = clock_.wall_ns();
  const std::int64_t last = engine_.last_time_ns();
  constexpr std::int64_t kSecondNs = 1'000'000'000;
  if (wall >= last) {
    clock_behind_ = false;
  } else if (last - wall > kSecondNs && !clock_behind_) {
    clock_behind_ = true;
    log::warn("wall clock is behind the last recorded time: time is held until it catches up", {},
              {{"behind_ms", std::to_string((last - wall) / 1'000'000)}});
  }
  return std::max(wall, last);
}

void MatchingLoop::publish_books() {
  // Ten times a second at most: a few gauges per symbol, off the per-command path.
  constexpr std::int64_t kEveryNs = 100'000'000;
  const std::int64_t now = clock_.monotonic_ns();
  heartbeat_ns_.store(now, std::memory_order_relaxed);
  if (now - books_published_ns_ < kEveryNs) return;
  books_published_ns_ = now;
  const Matcher& m = engine_.matcher();
  for (SymbolId s = 0; s < m.symbol_count(); ++s) {
    const OrderBook& b = m.book(s);
    metrics_.book(s, static_cast<double>(b.order_count()),
                  static_cast<double>(b.level_count(Side::Buy)),
                  static_cast<double>(b.level_count(Side::Sell)));
  }
}

void MatchingLoop::execute_journaled(Command& command, std::int64_t now_ns) {
  if (!halted_ && journal_->failed()) halt();
  if (halted_) {
    // Nothing more runs against, or is read from, an engine the journal no longer
    // follows.
    reply(command.done, not_durable());
    return;
  }
  Reply reply = engine_.execute(command.body, command.request_id, now_ns);
  observe(command, reply);
  payload_.clear();  // keeps its buffer: encoding a record allocates nothing
  if (journal::is_mutating(command.body)) {
    journal::encode_command(command.body, command.request_id, now_ns, payload_);
  }
  // Held inline by the journal entry (JournalWriter::Completion): no allocation.
  JournalWriter::Completion completion = [this, done = std::move(command.done),
                                          reply = std::move(reply)](bool durable) mutable {
    if (!durable && on_journal_failure_) on_journal_failure_();
    // Makers hear of their fills only once the trade is durable, like the taker.
    if (durable) notify_makers(reply);
    this->reply(done, durable ? std::move(reply) : not_durable());
  };
  // wait_for_room made space for this batch, so a refusal means the journal failed or
  // is stopping after the engine executed the command: the engine is now ahead of the
  // journal, which is fatal for acknowledgements.
  if (!journal_->submit(payload_, std::move(completion))) {
    halt();
    completion(false);  // submit leaves a refused completion untouched
  }
}

void MatchingLoop::halt() {
  if (halted_) return;
  halted_ = true;
  if (on_journal_failure_) on_journal_failure_();
}

void MatchingLoop::notify_makers(const Reply& reply) const {
  const auto* r = std::get_if<OrderReply>(&reply);
  if (r != nullptr && !r->maker_fills.empty() && maker_fills_ != nullptr) {
    maker_fills_->publish(r->maker_fills);
  }
}

void MatchingLoop::reply(ReplyCallback& done, Reply&& reply) {
  if (done) done(std::move(reply));
  replied_.fetch_add(1, std::memory_order_acq_rel);
}

void MatchingLoop::observe(const Command& command, const Reply& reply) {
  if (!std::holds_alternative<SubmitOrder>(command.body)) return;
  const auto& r = std::get<OrderReply>(reply);
  if (r.reject != RejectReason::None) {
    metrics_.order_rejected(r.reject);
  } else if (!r.replayed) {
    metrics_.order_accepted();
    if (!r.fills.empty()) metrics_.trades(static_cast<double>(r.fills.size()));
  }
  metrics_.order_latency(static_cast<double>(clock_.monotonic_ns() - command.received_ns) / 1e9);
}

}  // namespace spot
