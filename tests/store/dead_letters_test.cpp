// The pure parts of the dead-letter queue: the payload a refused record becomes and the
// replay parameters it gives back, the dead letter's entity and key, and the spill file
// (its records, and its behaviour on a file system that fails writes and fsyncs).
#include "spot/store/dead_letters.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "spot/engine/engine.h"
#include "spot/store/dead_letter_spill.h"
#include "store/order_fixtures.h"

namespace spot {
namespace {

// What is projected is the subject here, not money: the pure book, whose unfunded
// accounts may trade.
EngineLimits pure_book() {
  EngineLimits limits;
  limits.check_balances = false;
  return limits;
}

using nlohmann::json;

using test::btc;
using test::limit;

// Records seq 1, 2, ... executed on an engine into `batch`, which the test clears to
// start the next batch (so that later records change orders of earlier batches).
// With `money`, orders are paid for, at fees of 10 (maker) and 25 (taker) bps, and the
// balance changes go into the batch as the projector's do.
class Records {
 public:
  explicit Records(bool money = false)
      : symbols({spec(money)}), engine_({spec(money)}, money ? EngineLimits{} : pure_book()) {
    engine_.set_ledger(&ledger_);
  }
  void run(const CommandBody& command, const std::string& request_id = "rid") {
    JournalRecord record;
    record.seq = ++seq_;
    record.command = command;
    record.request_id = request_id;
    record.time_ns = static_cast<std::int64_t>(seq_) * 1'000'000'000;
    batch.add(record, engine_.execute(command, request_id), &ledger_);
  }
  ProjectionBatch batch;
  const SymbolTable symbols;

 private:
  static SymbolSpec spec(bool money) {
    SymbolSpec s = btc();
    if (money) {
      s.maker_fee_bps = 10;
      s.taker_fee_bps = 25;
    }
    return s;
  }
  Engine engine_;
  LedgerBuffer ledger_;
  std::uint64_t seq_ = 0;
};

// What the projector's one statement would send for these rows (kWriteBatch's
// parameters after the checkpoint), which kReplayRows takes in the same order.
std::vector<std::string> projector_params(const ProjectionBatch& batch,
                                          const SymbolTable& symbols) {
  std::vector<OrderRow> orders = batch.new_orders();
  for (OrderRow& r : batch.changed_orders()) orders.push_back(r);
  std::vector<std::string> out;
  for (auto&& columns :
       {order_params(orders, symbols), fill_params(batch.fills(), symbols),
        trade_params(batch.trades(), symbols), account_params(batch.accounts()),
        ledger_params(batch.ledger(), symbols), balance_params(batch.balances(), symbols)}) {
    out.insert(out.end(), columns.begin(), columns.end());
  }
  return out;
}

TEST(DeadLetterPayload, ReplaysExactlyTheRowsTheProjectorWouldHaveWritten) {
  Records r;
  r.run(CreateAccount{"maker", "h1"}, "acct-1");
  r.run(CreateAccount{"taker \"quoted\" \\ caf\xc3\xa9", "h2"}, "acct-2");
  r.run(limit(1, Side::Sell, 10'000, 5'000, "ask-1"), "req-ask");  // order 1 rests
  r.run(limit(1, Side::Sell, 10'100, 1'000), "req-ask-2");         // order 2 rests
  r.batch.clear();
  r.run(limit(2, Side::Buy, 10'000, 2'000, "buy-1"), "req-buy");  // fills order 1 (earlier)
  r.run(CancelRequest{AccountId{1}, OrderId{2}});                 // order 2 changed
  SubmitOrder market = limit(2, Side::Buy, 0, 500);
  market.type = OrderType::Market;
  market.tif = TimeInForce::Ioc;
  r.run(market, "req-market");  // a NULL price
  ASSERT_FALSE(r.batch.fills().empty());
  ASSERT_FALSE(r.batch.changed_orders().empty());
  ASSERT_FALSE(r.batch.trades().empty());

  const std::string payload = payload_json(r.batch, r.symbols);
  std::vector<std::string> params;
  const Status s = replay_params(payload, &params);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(params, projector_params(r.batch, r.symbols));
  EXPECT_EQ(params.size(), 57u);  // kReplayRows' $1..$57

  // What an operator reads: the columns by name, decimals exact.
  const json j = json::parse(payload);
  EXPECT_EQ(j["journal_seq"], 7);
  EXPECT_EQ(j["orders"][0]["symbol"], "BTC-USDT");
  EXPECT_EQ(j["orders"][0]["price"], "100.00");
  EXPECT_EQ(j["orders"][0]["client_order_id"], "buy-1");
  EXPECT_TRUE(j["orders"][1]["price"].is_null());   // the market order
  EXPECT_EQ(j["orders"][2]["status"], "CANCELED");  // changed: order 2 of the first batch
  EXPECT_EQ(j["fills"][0]["order_id"], 1);
  EXPECT_EQ(j["fills"][0]["leaves"], "2.500");  // 5 less 2 and 0.5

  // Accounts too, with names that need quoting in an array literal.
  Records a;
  a.run(CreateAccount{"odd \"name\" \\ {x}", "h"}, "acct");
  ASSERT_TRUE(replay_params(payload_json(a.batch, a.symbols), &params).ok());
  EXPECT_EQ(params, projector_params(a.batch, a.symbols));
}

TEST(DeadLetterPayload, CarriesTheLedgerTheBalancesAndTheFeesExactly) {
  Records r(true);
  r.run(CreateAccount{"maker", "h1"});
  r.run(CreateAccount{"taker", "h2"});
  r.run(Deposit{{AccountId{1}, "BTC", 500'000'000, "dep-1"}}, "req-dep");
  r.run(Deposit{{AccountId{2}, "USDT", 100'000'000'000, "dep-2"}});
  r.run(limit(1, Side::Sell, 10'000, 5'000), "req-ask");  // rests: 5 BTC locked
  r.batch.clear();
  r.run(limit(2, Side::Buy, 10'100, 2'000), "req-buy");  // takes 2 at 100.00, saves 1.00 each
  ASSERT_EQ(r.batch.trades().size(), 1u);
  EXPECT_EQ(r.batch.trades()[0].taker_fee, 2 * 100'000'000LL * 25 / 10'000);    // of 2 BTC
  EXPECT_EQ(r.batch.trades()[0].maker_fee, 200 * 100'000'000LL * 10 / 10'000);  // of 200 USDT
  const std::string payload = payload_json(r.batch, r.symbols);
  std::vector<std::string> params;
  const Status s = replay_params(payload, &params);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(params, projector_params(r.batch, r.symbols));
  const json j = json::parse(payload);
  EXPECT_EQ(j["trades"][0]["taker_fee"], "0.00500000");  // BTC, the taker bought
  EXPECT_EQ(j["trades"][0]["maker_fee"], "0.20000000");  // USDT
  // Lock, debits, credits, fees, and the release of what the better price saved.
  ASSERT_EQ(j["ledger"].size(), 10u) << j["ledger"].dump();
  EXPECT_EQ(j["ledger"][0]["cause"], "LOCK");
  EXPECT_EQ(j["ledger"][0]["delta_free"], "-202.00000000");
  EXPECT_EQ(j["ledger"][0]["n"], 0);
  EXPECT_EQ(j["ledger"][9]["cause"], "RELEASE");
  EXPECT_EQ(j["ledger"][9]["delta_free"], "2.00000000");
  // Balances: each (account, asset) the record changed, in its state after it.
  ASSERT_EQ(j["balances"].size(), 6u) << j["balances"].dump();
  EXPECT_EQ(j["balances"][0]["account_id"], 0);  // the fee account
  EXPECT_EQ(j["balances"][5]["account_id"], 2);
  EXPECT_EQ(j["balances"][5]["asset"], "USDT");
  EXPECT_EQ(j["balances"][5]["free"], "800.00000000");  // 1000 - 202 + 2
  EXPECT_EQ(j["balances"][5]["locked"], "0.00000000");

  // A withdrawal writes no order: its dead letter is the balance's.
  r.batch.clear();
  r.run(Withdraw{{AccountId{2}, "USDT", 1'000, "wd-1"}}, "req-wd");
  const DeadLetter d = make_dead_letter(
      r.batch, DbError::from_sqlstate("23514", "violates check constraint"), r.symbols, 0);
  EXPECT_EQ(d.entity, "balance");
  EXPECT_EQ(d.entity_id, 2u);
  EXPECT_EQ(d.correlation_id, "req-wd");
  ASSERT_TRUE(replay_params(d.payload, &params).ok());
  EXPECT_EQ(params, projector_params(r.batch, r.symbols));
  EXPECT_EQ(json::parse(d.payload)["ledger"][0]["reference"], "wd-1");
}

TEST(DeadLetterPayload, APayloadThisSpotdDidNotWriteIsRefusedWithWhereItIsWrong) {
  std::vector<std::string> params;
  for (
      const auto& [payload, why] : std::vector<std::pair<std::string, std::string>>{
          {"not json", "not a JSON object"},
          {"[1,2]", "not a JSON object"},
          {R"({"orders":{}})", "orders is not a list"},
          {R"({"orders":[1]})", "orders holds a non-object"},
          {R"({"trades":[{"trade_id":1}]})", "trades[0].symbol is missing"},
          {R"({"fills":[{"order_id":1,"leaves":"1; DROP","status":"FILLED","journal_seq":1,"updated_us":1}]})",
           "fills[0].leaves is not a decimal"},
          {R"({"fills":[{"order_id":1,"leaves":true,"status":"FILLED","journal_seq":1,"updated_us":1}]})",
           "fills[0].leaves is neither text, integer nor null"}}) {
    const Status s = replay_params(payload, &params);
    EXPECT_EQ(s.code(), StatusCode::Corruption) << payload;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  }
  // No rows at all is a valid (empty) replay.
  ASSERT_TRUE(replay_params("{}", &params).ok());
  EXPECT_EQ(params.size(), 57u);
  EXPECT_EQ(params[0], "{}");
}

TEST(DeadLetter, NamesTheOrderOrAccountTheRecordWroteAndKeysOnItsJournalRecord) {
  Records r;
  r.run(CreateAccount{"maker", "h1"}, "acct-1");
  const DbError refused = DbError::from_sqlstate("23514", "violates check constraint");
  DeadLetter d = make_dead_letter(r.batch, refused, r.symbols, 123);
  EXPECT_EQ(d.entity, "account");
  EXPECT_EQ(d.entity_id, 1u);
  EXPECT_EQ(d.journal_seq, 1u);
  EXPECT_EQ(d.idempotency_key, "account:1:1");
  EXPECT_EQ(d.correlation_id, "acct-1");
  EXPECT_EQ(d.error_class, "23");
  EXPECT_EQ(d.sqlstate, "23514");
  EXPECT_EQ(d.failed_at_us, 123);

  r.batch.clear();
  r.run(limit(1, Side::Sell, 10'000, 5'000, "ask"), "req-ask");
  r.batch.clear();
  r.run(limit(1, Side::Buy, 10'000, 1'000), "req-buy");  // order 2 takes from order 1
  d = make_dead_letter(r.batch, refused, r.symbols, 0);
  EXPECT_EQ(d.entity, "order");
  EXPECT_EQ(d.entity_id, 2u);  // the taker: its whole row; the maker's is a fill
  EXPECT_EQ(d.idempotency_key, "order:2:3");
  EXPECT_EQ(d.correlation_id, "req-buy");
  r.batch.clear();
  r.run(CancelRequest{AccountId{1}, OrderId{1}}, "req-cancel");
  d = make_dead_letter(r.batch, refused, r.symbols, 0);
  EXPECT_EQ(d.entity_id, 1u);
  EXPECT_EQ(d.idempotency_key, "order:1:4");
}

// Parking takes one order's rows out of a record's batch: the rest (the taker, the
// trade) stays and is what the projector writes.
TEST(ProjectionBatch, TakeOrderMovesOneOrdersRowsAndLeavesTheRest) {
  Records r;
  r.run(CreateAccount{"maker", "h1"});
  r.run(limit(1, Side::Sell, 10'000, 5'000, "ask-1"));  // order 1
  r.run(limit(1, Side::Sell, 10'000, 5'000, "ask-2"));  // order 2
  r.batch.clear();
  r.run(limit(1, Side::Buy, 10'000, 7'000, "buy"));  // order 3 takes from 1 and 2
  ASSERT_EQ(r.batch.fills().size(), 2u);
  const std::unordered_set<std::uint64_t> parked = {2};
  EXPECT_TRUE(r.batch.touches_any(parked));
  ProjectionBatch held;
  ASSERT_TRUE(r.batch.take_order(2, &held));
  EXPECT_FALSE(r.batch.touches_any(parked));
  ASSERT_EQ(held.fills().size(), 1u);
  EXPECT_EQ(held.fills()[0].order_id, 2u);
  EXPECT_EQ(held.last_seq(), r.batch.last_seq());
  EXPECT_TRUE(held.trades().empty());
  ASSERT_EQ(r.batch.fills().size(), 1u);
  EXPECT_EQ(r.batch.fills()[0].order_id, 1u);
  ASSERT_EQ(r.batch.new_orders().size(), 1u);
  EXPECT_EQ(r.batch.new_orders()[0].order_id, 3u);
  EXPECT_EQ(r.batch.trades().size(), 2u);
  EXPECT_EQ(r.batch.new_rows(), 1u + 2u);
  // The taker itself, a new order.
  ASSERT_TRUE(r.batch.take_order(3, &held));
  EXPECT_EQ(held.new_orders().size(), 1u);
  EXPECT_EQ(held.new_rows(), 1u);
  EXPECT_TRUE(r.batch.new_orders().empty());
  EXPECT_FALSE(r.batch.take_order(99, &held));
}

TEST(DeadLetterLists, ParseWhatTheProjectorReadsAtConnect) {
  EXPECT_EQ(parse_id_list(""), std::vector<std::uint64_t>{});
  EXPECT_EQ(parse_id_list("1,7,42"), (std::vector<std::uint64_t>{1, 7, 42}));
  EXPECT_EQ(parse_id_list("5,x,6"), (std::vector<std::uint64_t>{5, 6}));
  const auto counts = parse_status_counts("PENDING=2,RESOLVED=15");
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].first, "PENDING");
  EXPECT_EQ(counts[0].second, 2);
  EXPECT_EQ(counts[1].second, 15);
  EXPECT_TRUE(parse_status_counts("").empty());
}

TEST(DeadLetterStatus, NamesRoundTrip) {
  for (const char* name : {"PENDING", "REPLAYING", "RESOLVED", "DISCARDED"}) {
    const auto s = parse_dead_letter_status(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(to_string(*s), name);
  }
  EXPECT_FALSE(parse_dead_letter_status("pending").has_value());
  EXPECT_FALSE(parse_dead_letter_status("").has_value());
}

DeadLetter letter(std::uint64_t seq) {
  DeadLetter d;
  d.journal_seq = seq;
  d.entity = "order";
  d.entity_id = seq * 10;
  d.idempotency_key = "order:" + std::to_string(seq * 10) + ":" + std::to_string(seq);
  d.correlation_id = "corr-" + std::to_string(seq);
  d.payload = R"({"orders":[],"fills":[],"trades":[],"accounts":[]})";
  d.error_class = "23";
  d.sqlstate = "23505";
  d.message = "duplicate key value\nDETAIL: tab\there";
  d.failed_at_us = static_cast<std::int64_t>(seq) * 1'000;
  return d;
}

TEST(DeadLetterSpillRecords, RoundTripAndATornTailIsNotAnError) {
  std::string bytes;
  for (std::uint64_t i = 1; i <= 3; ++i) bytes += encode_spill_record(letter(i));
  std::vector<DeadLetter> out;
  std::size_t used = 0;
  ASSERT_TRUE(decode_spill_records(bytes, &out, &used).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1], letter(2));
  EXPECT_EQ(used, bytes.size());
  // Every cut inside the last record leaves the first two.
  const std::size_t two =
      encode_spill_record(letter(1)).size() + encode_spill_record(letter(2)).size();
  for (std::size_t cut = two; cut < bytes.size(); ++cut) {
    ASSERT_TRUE(decode_spill_records(std::string_view(bytes).substr(0, cut), &out, &used).ok());
    EXPECT_EQ(out.size(), 2u);
    EXPECT_EQ(used, two);
  }
  // A damaged last record is a torn write; a damaged one with others after it is not.
  std::string damaged = bytes;
  damaged[bytes.size() - 2] ^= 0x20;
  ASSERT_TRUE(decode_spill_records(damaged, &out, &used).ok());
  EXPECT_EQ(out.size(), 2u);
  damaged = bytes;
  damaged[12] ^= 0x20;
  EXPECT_EQ(decode_spill_records(damaged, &out, &used).code(), StatusCode::Corruption);
}

// A real directory whose appends and fsyncs can be made to fail.
class FaultyFileSystem final : public FileSystem {
 public:
  bool fail_append = false;  // writes half of the data, then fails
  bool fail_sync = false;    // fdatasync fails
  bool fail_rename = false;

  Status open_append(const std::string& path, std::unique_ptr<AppendFile>* file) override {
    std::unique_ptr<AppendFile> inner;
    Status s = real_.open_append(path, &inner);
    if (s.ok()) *file = std::make_unique<File>(std::move(inner), *this);
    return s;
  }
  Status read_file(const std::string& p, std::string* out) override {
    return real_.read_file(p, out);
  }
  Status list(const std::string& d, std::vector<std::string>* names) override {
    return real_.list(d, names);
  }
  Status truncate(const std::string& p, std::uint64_t s) override { return real_.truncate(p, s); }
  Status create_dirs(const std::string& d) override { return real_.create_dirs(d); }
  Status sync_dir(const std::string& d) override { return real_.sync_dir(d); }
  Status rename(const std::string& a, const std::string& b) override {
    if (fail_rename) return Status::io_error("rename: injected failure");
    return real_.rename(a, b);
  }
  Status remove(const std::string& p) override { return real_.remove(p); }

 private:
  class File final : public AppendFile {
   public:
    File(std::unique_ptr<AppendFile> inner, FaultyFileSystem& fs)
        : inner_(std::move(inner)), fs_(fs) {}
    Status append(std::string_view data) override {
      if (fs_.fail_append) {
        (void)inner_->append(data.substr(0, data.size() / 2));
        return Status::no_space("write: injected full disk");
      }
      return inner_->append(data);
    }
    Status sync() override {
      if (fs_.fail_sync) return Status::fsync_failed("fdatasync: injected failure");
      return inner_->sync();
    }

   private:
    std::unique_ptr<AppendFile> inner_;
    FaultyFileSystem& fs_;
  };
  PosixFileSystem real_;
};

class SpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("spot-spill-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(SpillTest, EntriesSurviveARestartUntilReleasedAndAppendsGoOnWhileDraining) {
  FaultyFileSystem fs;
  {
    DeadLetterSpill spill(fs, dir());
    ASSERT_TRUE(spill.open().ok());
    EXPECT_EQ(spill.size(), 0u);
    ASSERT_TRUE(spill.append(letter(1)).ok());
    ASSERT_TRUE(spill.append(letter(2)).ok());
    EXPECT_EQ(spill.size(), 2u);
  }
  DeadLetterSpill spill(fs, dir());  // a restart
  ASSERT_TRUE(spill.open().ok());
  EXPECT_EQ(spill.size(), 2u);
  std::vector<DeadLetter> taken;
  ASSERT_TRUE(spill.take(&taken).ok());
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0], letter(1));
  // While those are on their way to the table, a new one goes into a new file.
  ASSERT_TRUE(spill.append(letter(3)).ok());
  EXPECT_EQ(spill.size(), 3u);
  // The database was not there: the next take() returns the same two again.
  ASSERT_TRUE(spill.take(&taken).ok());
  ASSERT_EQ(taken.size(), 2u);
  ASSERT_TRUE(spill.release().ok());
  EXPECT_EQ(spill.size(), 1u);
  ASSERT_TRUE(spill.take(&taken).ok());
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], letter(3));
  ASSERT_TRUE(spill.release().ok());
  EXPECT_EQ(spill.size(), 0u);
  ASSERT_TRUE(spill.take(&taken).ok());
  EXPECT_TRUE(taken.empty());
  DeadLetterSpill after(fs, dir());
  ASSERT_TRUE(after.open().ok());
  EXPECT_EQ(after.size(), 0u);
}

TEST_F(SpillTest, AFailedWriteOrFsyncIsReportedAndLeavesNoHalfRecordBehind) {
  FaultyFileSystem fs;
  DeadLetterSpill spill(fs, dir());
  ASSERT_TRUE(spill.open().ok());
  ASSERT_TRUE(spill.append(letter(1)).ok());
  fs.fail_append = true;
  EXPECT_EQ(spill.append(letter(2)).code(), StatusCode::NoSpace);
  fs.fail_append = false;
  fs.fail_sync = true;
  EXPECT_EQ(spill.append(letter(3)).code(), StatusCode::FsyncFailed);
  fs.fail_sync = false;
  EXPECT_EQ(spill.size(), 1u);  // only what was durable counts
  ASSERT_TRUE(spill.append(letter(4)).ok());
  // The half-written record is gone; the one whose fsync failed may be there (it is
  // whole; the table skips a key twice), and everything decodes.
  DeadLetterSpill reopened(fs, dir());
  ASSERT_TRUE(reopened.open().ok());
  std::vector<DeadLetter> taken;
  ASSERT_TRUE(reopened.take(&taken).ok());
  ASSERT_GE(taken.size(), 2u);
  EXPECT_EQ(taken.front(), letter(1));
  EXPECT_EQ(taken.back(), letter(4));
  for (const DeadLetter& d : taken) EXPECT_NE(d.journal_seq, 2u);
  // A failed rename keeps the entries where they were.
  ASSERT_TRUE(reopened.release().ok());
  ASSERT_TRUE(reopened.append(letter(5)).ok());
  fs.fail_rename = true;
  EXPECT_FALSE(reopened.take(&taken).ok());
  fs.fail_rename = false;
  EXPECT_EQ(reopened.size(), 1u);
  ASSERT_TRUE(reopened.take(&taken).ok());
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], letter(5));
}

TEST_F(SpillTest, ADamagedFileIsRefusedAtOpenNotSilentlyEmptied) {
  PosixFileSystem fs;
  std::string bytes = encode_spill_record(letter(1)) + encode_spill_record(letter(2));
  bytes[10] ^= 0x40;
  {
    std::unique_ptr<AppendFile> f;
    ASSERT_TRUE(fs.open_append(dir() + "/" + kDeadLetterSpillName, &f).ok());
    ASSERT_TRUE(f->append(bytes).ok());
  }
  DeadLetterSpill spill(fs, dir());
  const Status s = spill.open();
  EXPECT_EQ(s.code(), StatusCode::Corruption);
  EXPECT_NE(s.message().find(kDeadLetterSpillName), std::string::npos) << s.message();
}

}  // namespace
}  // namespace spot
