// The matching loop against a wall clock that is stepped forward and back (an injected
// FakeClock; tests/store/clock_fault_test.cpp steps a real spotd's clock with faketime).
// Every command's journal record, and so the database rows and public trades built from
// it, carries a time that never runs backwards, across a restart too; a step forward is
// taken as it comes.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "spot/app/matching_loop.h"
#include "spot/core/clock.h"
#include "spot/engine/engine.h"
#include "spot/engine/order_queue.h"
#include "spot/journal/file_system.h"
#include "spot/journal/journal.h"
#include "spot/journal/reader.h"
#include "spot/journal/recovery.h"
#include "spot/metrics/metrics.h"
#include "support/temp_dir.h"

namespace spot {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kHour = 3'600 * kSecond;
constexpr std::int64_t kStart = 1'800'000'000'000'000'000;  // 2027-01-15, ns since the epoch

std::vector<SymbolSpec> symbols() {
  SymbolSpec btc;
  btc.name = "BTC-USDT";
  return {btc};
}

EngineLimits limits() {
  EngineLimits l;
  l.book_capacity.orders = 256;
  l.book_capacity.levels = 64;
  l.check_balances = false;
  return l;
}

SubmitOrder order(Side side, Ticks price) {
  SubmitOrder o;
  o.account = AccountId{1};
  o.side = side;
  o.price = price;
  o.qty = 1;
  return o;
}

// An engine, its matching loop and journal on a FakeClock.
class Exchange {
 public:
  Exchange(const std::string& dir, Engine& engine, std::uint64_t next_seq, const Clock& clock)
      : journal_(fs_, options(dir), next_seq, nullptr),
        loop_(engine, queue_, metrics_, clock, 16, nullptr, &journal_) {
    journal_.start();
    loop_.start();
  }
  ~Exchange() {
    loop_.stop();
    journal_.stop();
  }

  // Runs one command through the loop; its reply, once durable.
  Reply run(CommandBody body) {
    std::promise<Reply> promise;
    std::future<Reply> reply = promise.get_future();
    Command command;
    command.body = std::move(body);
    command.request_id = "clock";
    command.done = [p = &promise](Reply&& r) { p->set_value(std::move(r)); };
    EXPECT_TRUE(queue_.try_push(command));
    return reply.get();
  }

 private:
  static JournalOptions options(const std::string& dir) {
    JournalOptions o;
    o.dir = dir;
    return o;
  }

  PosixFileSystem fs_;
  Metrics metrics_{"test"};
  RingOrderQueue queue_{64};
  JournalWriter journal_;
  MatchingLoop loop_;
};

// The times of the journal's records 1..last, in order.
std::vector<std::int64_t> record_times(const std::string& dir, std::uint64_t last) {
  PosixFileSystem fs;
  JournalReader reader(fs, dir, 1);
  std::vector<std::int64_t> times;
  EXPECT_TRUE(
      reader.read_until(last, [&](const JournalRecord& r) { times.push_back(r.time_ns); }).ok());
  return times;
}

TEST(MatchingLoopClock, AWallClockSteppedBackHoldsTimeStillAndOneSteppedForwardIsTaken) {
  test::TempDir dir("spot-clock");
  FakeClock clock(kStart);
  Engine engine(symbols(), limits());
  {
    Exchange exchange(dir.path(), engine, 1, clock);
    exchange.run(CreateAccount{"alice", std::string(64, 'a')});  // record 1, at kStart
    exchange.run(order(Side::Sell, 100));                        // 2, at kStart
    clock.advance_ns(kSecond);
    clock.step_wall_ns(-kHour);           // the wall clock reads an hour back
    exchange.run(order(Side::Buy, 100));  // 3 trades: time holds at kStart
    clock.advance_ns(kSecond);
    exchange.run(order(Side::Sell, 101));  // 4: still held
    clock.step_wall_ns(2 * kHour);         // an hour ahead of the true time
    exchange.run(order(Side::Buy, 101));   // 5 trades, an hour on
  }
  const std::vector<std::int64_t> t = record_times(dir.path(), 5);
  const std::int64_t ahead = kStart + 2 * kSecond + kHour;
  EXPECT_EQ(t, (std::vector<std::int64_t>{kStart, kStart, kStart, kStart, ahead}));
  // The public trades carry the same times.
  ASSERT_EQ(engine.market().trade_count(0), 2u);
  std::vector<PublicTrade> trades;
  engine.market().trades(0, TradeQuery{}, trades);
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0].time_ns, kStart);
  EXPECT_EQ(trades[1].time_ns, ahead);
  EXPECT_EQ(engine.last_time_ns(), ahead);
}

TEST(MatchingLoopClock, AfterARestartTheClockIsHeldAtTheLastRecordedTime) {
  test::TempDir dir("spot-clock");
  FakeClock clock(kStart);
  {
    Engine engine(symbols(), limits());
    Exchange exchange(dir.path(), engine, 1, clock);
    exchange.run(CreateAccount{"alice", std::string(64, 'a')});
    exchange.run(order(Side::Sell, 100));
    exchange.run(order(Side::Buy, 100));  // 3: a trade at kStart
  }
  // spotd restarts on a machine whose clock went a day back meanwhile.
  clock.step_wall_ns(-24 * kHour);
  PosixFileSystem fs;
  RecoveredEngine recovered;
  ASSERT_TRUE(recover_engine(fs, dir.path(), symbols(), limits(), &recovered).ok());
  EXPECT_EQ(recovered.engine->last_time_ns(), kStart);
  {
    Exchange exchange(dir.path(), *recovered.engine, recovered.next_seq, clock);
    exchange.run(order(Side::Sell, 100));  // 4
    exchange.run(order(Side::Buy, 100));   // 5: trades
  }
  EXPECT_EQ(record_times(dir.path(), 5),
            (std::vector<std::int64_t>{kStart, kStart, kStart, kStart, kStart}));
}

TEST(MatchingLoopClock, ARestoredSnapshotHoldsTheTimeOfItsLastTrade) {
  Engine engine(symbols(), limits());
  engine.execute(CreateAccount{"alice", std::string(64, 'a')}, "r", kStart);
  engine.execute(order(Side::Sell, 100), "r", kStart);
  engine.execute(order(Side::Buy, 100), "r", kStart + 5);
  std::string image;
  engine.serialize(image);
  Engine restored(symbols(), limits());
  ASSERT_TRUE(restored.restore(image).ok());
  EXPECT_EQ(restored.last_time_ns(), kStart + 5);
  EXPECT_EQ(Engine(symbols(), limits()).last_time_ns(), 0);
}

}  // namespace
}  // namespace spot
