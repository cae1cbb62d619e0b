// The rows a batch of journal records projects, and the text the database gets for them.
// Pure: a real Engine executes the records, as the projector's replica does.
#include "spot/store/projection.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "spot/engine/engine.h"
#include "spot/store/postgres.h"
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

using test::btc;
using test::limit;

// Executes commands as journal records seq 1, 2, ... (time = seq seconds) into a batch.
class Projected {
 public:
  Projected() : engine_({btc()}, pure_book()) {}

  void run(const CommandBody& command, const std::string& request_id = "rid") {
    JournalRecord record;
    record.seq = ++seq_;
    record.command = command;
    record.request_id = request_id;
    record.time_ns = static_cast<std::int64_t>(seq_) * 1'000'000'000;
    batch.add(record, engine_.execute(command, request_id));
  }

  ProjectionBatch batch;

 private:
  Engine engine_;
  std::uint64_t seq_ = 0;
};

TEST(ProjectionBatch, AnOrderAppearsOnceInItsLatestStateWithItsTrades) {
  Projected p;
  p.run(CreateAccount{"maker", "h1"}, "acct-1");
  p.run(CreateAccount{"taker", "h2"}, "acct-2");
  p.run(limit(1, Side::Sell, 10'000, 5'000, "ask-1"), "req-ask");  // order 1 rests
  p.run(limit(2, Side::Buy, 10'000, 2'000), "req-buy-1");          // order 2 fills 2 of it
  p.run(limit(2, Side::Buy, 10'000, 1'000), "req-buy-2");          // order 3 fills 1 more
  p.run(CancelRequest{AccountId{1}, OrderId{1}});                  // the rest is canceled

  EXPECT_EQ(p.batch.records(), 6u);
  EXPECT_EQ(p.batch.first_seq(), 1u);
  EXPECT_EQ(p.batch.last_seq(), 6u);
  EXPECT_EQ(p.batch.first_time_ns(), 1'000'000'000);
  ASSERT_EQ(p.batch.accounts().size(), 2u);
  EXPECT_EQ(p.batch.accounts()[1].account_id, 2u);
  EXPECT_EQ(p.batch.accounts()[1].correlation_id, "acct-2");

  const auto orders = p.batch.new_orders();
  ASSERT_EQ(orders.size(), 3u);
  EXPECT_TRUE(p.batch.changed_orders().empty());  // every order was created in the batch
  EXPECT_TRUE(p.batch.fills().empty());
  EXPECT_EQ(p.batch.new_rows(), 3u + 2u + 2u);  // orders, trades, accounts
  const OrderRow& ask = orders[0];
  EXPECT_EQ(ask.order_id, 1u);
  EXPECT_EQ(ask.executed, 3'000);
  EXPECT_EQ(ask.status, OrderStatus::Canceled);
  EXPECT_EQ(ask.client_order_id, "ask-1");
  EXPECT_EQ(ask.correlation_id, "req-ask");  // the request that created it
  EXPECT_EQ(ask.journal_seq, 6u);
  EXPECT_EQ(ask.created_us, 3'000'000);  // created by record 3, last changed by record 6
  EXPECT_EQ(ask.updated_us, 6'000'000);
  EXPECT_EQ(orders[1].status, OrderStatus::Filled);
  EXPECT_EQ(orders[1].executed, 2'000);

  const auto& trades = p.batch.trades();
  ASSERT_EQ(trades.size(), 2u);
  EXPECT_EQ(trades[0].trade_id, 1u);
  EXPECT_EQ(trades[0].maker_order_id, 1u);
  EXPECT_EQ(trades[0].maker_account_id, 1u);
  EXPECT_EQ(trades[0].taker_order_id, 2u);
  EXPECT_EQ(trades[0].taker_side, Side::Buy);
  EXPECT_EQ(trades[0].qty, 2'000);
  EXPECT_EQ(trades[0].correlation_id, "req-buy-1");
  EXPECT_EQ(trades[1].taker_order_id, 3u);
}

TEST(ProjectionBatch, AMakerFromAnEarlierBatchIsAFillOnly) {
  Projected p;
  p.run(CreateAccount{"maker", "h1"});
  p.run(CreateAccount{"taker", "h2"});
  p.run(limit(1, Side::Sell, 10'000, 5'000));
  p.batch.clear();  // committed; the next batch starts
  p.run(limit(2, Side::Buy, 10'000, 2'000));
  p.run(limit(2, Side::Buy, 10'000, 1'000));

  const auto fills = p.batch.fills();
  ASSERT_EQ(fills.size(), 1u);  // two fills of order 1, collapsed to the latest
  EXPECT_EQ(fills[0].order_id, 1u);
  EXPECT_EQ(fills[0].leaves, 2'000);
  EXPECT_EQ(fills[0].status, OrderStatus::PartiallyFilled);
  EXPECT_EQ(fills[0].journal_seq, 5u);
  EXPECT_EQ(p.batch.new_orders().size(), 2u);  // the two takers, whole
  EXPECT_TRUE(p.batch.changed_orders().empty());

  // A cancel of that maker in the same batch makes its row whole again: a changed order,
  // not a new one (the database holds it already).
  p.run(CancelRequest{AccountId{1}, OrderId{1}});
  EXPECT_TRUE(p.batch.fills().empty());
  const auto created = p.batch.new_orders();
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].order_id, 2u);
  EXPECT_EQ(created[1].order_id, 3u);
  const auto changed = p.batch.changed_orders();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].order_id, 1u);
  EXPECT_EQ(changed[0].status, OrderStatus::Canceled);
  EXPECT_EQ(changed[0].executed, 3'000);
  EXPECT_EQ(changed[0].journal_seq, 6u);
  EXPECT_EQ(p.batch.new_rows(), 2u + 2u);  // the two takers and their trades
}

TEST(ProjectionBatch, OnlyAnOrdersOwnSubmitMakesItNew) {
  Projected p;
  p.run(CreateAccount{"a", "h1"});
  p.run(limit(1, Side::Sell, 10'000, 1'000, "old-1"));  // order 1
  p.run(limit(1, Side::Sell, 10'100, 1'000));           // order 2
  p.batch.clear();
  p.run(CancelRequest{AccountId{1}, OrderId{1}});       // an older order, canceled
  p.run(limit(1, Side::Sell, 10'200, 1'000, "new-3"));  // order 3, created here ...
  p.run(CancelRequest{AccountId{1}, OrderId{3}});       // ... and canceled here: still new
  p.run(limit(1, Side::Sell, 10'000, 1'000, "old-1"));  // a resend of order 1: nothing
  p.run(CancelRequest{AccountId{1}, OrderId{1}});       // canceled already: refused

  const auto created = p.batch.new_orders();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].order_id, 3u);
  EXPECT_EQ(created[0].status, OrderStatus::Canceled);
  EXPECT_EQ(created[0].created_us, 5'000'000);  // its SubmitOrder, record 5
  EXPECT_EQ(created[0].updated_us, 6'000'000);
  const auto changed = p.batch.changed_orders();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].order_id, 1u);
  EXPECT_EQ(changed[0].status, OrderStatus::Canceled);
  EXPECT_EQ(changed[0].client_order_id, "old-1");
  EXPECT_TRUE(p.batch.fills().empty());
  EXPECT_EQ(p.batch.order_count(), 2u);
  EXPECT_EQ(p.batch.new_rows(), 1u);
  p.batch.clear();
  EXPECT_EQ(p.batch.new_rows(), 0u);
  EXPECT_TRUE(p.batch.new_orders().empty());
}

// Rows of earlier batches come in order of order id, however the batch reached them:
// updates in that order touch each page of the table and its index once.
TEST(ProjectionBatch, OrdersOfEarlierBatchesComeInOrderOfId) {
  Projected p;
  p.run(CreateAccount{"maker", "h1"});
  p.run(CreateAccount{"taker", "h2"});
  for (Ticks price : {10'300, 10'200, 10'100}) p.run(limit(1, Side::Sell, price, 1'000));  // 1-3
  for (Ticks price : {9'700, 9'800, 9'900}) p.run(limit(1, Side::Buy, price, 1'000));      // 4-6
  p.batch.clear();
  p.run(CancelRequest{AccountId{1}, OrderId{6}});
  p.run(CancelRequest{AccountId{1}, OrderId{4}});
  p.run(CancelRequest{AccountId{1}, OrderId{5}});
  p.run(limit(2, Side::Buy, 10'300, 2'500));  // order 7 takes 3, then 2, then half of 1

  std::vector<std::uint64_t> ids;
  for (const OrderRow& r : p.batch.changed_orders()) ids.push_back(r.order_id);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{4, 5, 6}));
  ids.clear();
  for (const OrderFillRow& f : p.batch.fills()) ids.push_back(f.order_id);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 3}));
  ASSERT_EQ(p.batch.new_orders().size(), 1u);
  EXPECT_EQ(p.batch.new_orders()[0].order_id, 7u);
}

TEST(ProjectionBatch, RejectsAndResendsWriteNothing) {
  Projected p;
  p.run(CreateAccount{"a", "h"});
  p.run(CreateAccount{"b", ""});  // no key: refused by the engine
  p.run(limit(1, Side::Buy, 10'000, 1'000, "once"));
  p.run(limit(1, Side::Buy, 10'000, 1'000, "once"));  // an idempotent resend
  p.run(limit(7, Side::Buy, 10'000, 1'000));          // no such account
  p.run(CancelRequest{AccountId{1}, OrderId{99}});    // no such order
  EXPECT_EQ(p.batch.records(), 6u);
  EXPECT_EQ(p.batch.new_orders().size(), 1u);
  EXPECT_TRUE(p.batch.changed_orders().empty());
  EXPECT_EQ(p.batch.new_rows(), 2u);  // the order and account 1
  EXPECT_TRUE(p.batch.trades().empty());
  p.batch.clear();
  EXPECT_TRUE(p.batch.empty());
  EXPECT_EQ(p.batch.order_count(), 0u);
}

TEST(ArrayLiteral, QuotesEscapesAndNulls) {
  ArrayLiteral a;
  EXPECT_EQ(a.take(), "{}");
  a.add(std::uint64_t{18446744073709551615ull});
  a.add(std::int64_t{-5});
  EXPECT_EQ(a.take(), "{18446744073709551615,-5}");
  a.add_text(R"(a"b\c,d{})");
  a.add_text_or_null("");
  a.add_text_or_null("x");
  a.add_null();
  a.add_decimal(12345, Decimal{1, 2});
  EXPECT_EQ(a.take(), R"({"a\"b\\c,d{}",NULL,"x",NULL,123.45})");
}

TEST(ProjectionParams, OneArrayPerColumnInTheSymbolsUnits) {
  Projected p;
  p.run(CreateAccount{"a", "h"});
  SubmitOrder market = limit(1, Side::Buy, 0, 1'500);
  market.type = OrderType::Market;
  market.tif = TimeInForce::Ioc;
  p.run(limit(1, Side::Sell, 10'025, 2'000, "c-1"));
  const SymbolTable symbols({btc()});
  const auto params = order_params(p.batch.new_orders(), symbols);
  ASSERT_EQ(params.size(), 15u);
  EXPECT_EQ(params[0], "{1}");
  EXPECT_EQ(params[2], R"({"BTC-USDT"})");
  EXPECT_EQ(params[6], "{100.25}");
  EXPECT_EQ(params[7], "{2.000}");
  EXPECT_EQ(params[8], "{0.000}");
  EXPECT_EQ(params[9], R"({"NEW"})");
  EXPECT_EQ(params[10], R"({"c-1"})");
  EXPECT_EQ(params[13], "{2000000}");  // µs

  p.run(market);  // fills 1.500 of the resting sell
  const auto rows = p.batch.new_orders();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(order_params(rows, symbols)[6], "{100.25,NULL}");  // MARKET has no price
  EXPECT_EQ(trade_params(p.batch.trades(), symbols)[2], "{100.25}");
  EXPECT_EQ(trade_params(p.batch.trades(), symbols)[3], "{1.500}");
  EXPECT_EQ(account_params(p.batch.accounts())[1], R"({"a"})");

  p.batch.clear();
  p.run(market);  // fills the last 0.500 of order 1, accepted in the batch before
  const auto fills = fill_params(p.batch.fills(), symbols);
  ASSERT_EQ(fills.size(), 5u);
  EXPECT_EQ(fills[0], "{1}");
  EXPECT_EQ(fills[1], "{0.000}");
  EXPECT_EQ(fills[2], R"({"FILLED"})");
}

TEST(ProjectionCopy, ARowIsItsColumnsAsTextWithNullsForMissingValues) {
  Projected p;
  p.run(CreateAccount{"a", "h"}, "acct-1");
  p.run(limit(1, Side::Sell, 10'025, 2'000, "c-1"), "req-1");
  SubmitOrder market = limit(1, Side::Buy, 0, 1'500);
  market.type = OrderType::Market;
  market.tif = TimeInForce::Ioc;
  p.run(market, "");  // fills 1.500 of the resting sell; no correlation id
  const SymbolTable symbols({btc()});
  const auto orders = p.batch.new_orders();
  ASSERT_EQ(orders.size(), 2u);

  // The columns of sql::k*Columns, tab-separated, NULL as \N, a newline after each row.
  CopyText text;
  add_copy_row(text, orders[0], symbols);
  EXPECT_EQ(text.text(),
            "1\t1\tBTC-USDT\tSELL\tLIMIT\tGTC\t100.25\t2.000\t1.500\tPARTIALLY_FILLED\tc-1\treq-1\t"
            "3\t"  // last changed by the market order's record
            "1970-01-01 00:00:02.000000+00\t1970-01-01 00:00:03.000000+00\n");
  text.clear();
  add_copy_row(text, orders[1], symbols);  // MARKET: no price; no client or correlation id
  EXPECT_EQ(text.text(),
            "2\t1\tBTC-USDT\tBUY\tMARKET\tIOC\t\\N\t1.500\t1.500\tFILLED\t\\N\t\\N\t3\t"
            "1970-01-01 00:00:03.000000+00\t1970-01-01 00:00:03.000000+00\n");

  ASSERT_EQ(p.batch.trades().size(), 1u);
  text.clear();
  add_copy_row(text, p.batch.trades()[0], symbols);
  EXPECT_EQ(text.text(),
            "1\tBTC-USDT\t100.25\t1.500\t1\t1\t2\t1\tBUY\t\\N\t3\t1970-01-01 00:00:03.000000+00"
            "\t0.00000000\t0.00000000\n");

  text.clear();
  add_copy_row(text, p.batch.accounts()[0]);
  EXPECT_EQ(text.text(), "1\ta\th\tacct-1\t1970-01-01 00:00:01.000000+00\n");
  // Each row has one field per column.
  const auto fields = [](const std::string& row) {
    return static_cast<std::size_t>(std::count(row.begin(), row.end(), '\t')) + 1;
  };
  text.clear();
  add_copy_row(text, orders[0], symbols);
  EXPECT_EQ(fields(text.text()), sql::kOrderColumns.size());
  text.clear();
  add_copy_row(text, p.batch.trades()[0], symbols);
  EXPECT_EQ(fields(text.text()), sql::kTradeColumns.size());
  text.clear();
  add_copy_row(text, p.batch.accounts()[0]);
  EXPECT_EQ(fields(text.text()), sql::kAccountColumns.size());
}

// With money: the balance changes each record made, keyed on (record, place in it), and
// each balance once, as the last record left it.
TEST(ProjectionBatch, LedgerRowsAndTheBalancesTheyLeave) {
  SymbolSpec spec = btc();
  spec.maker_fee_bps = 10;
  spec.taker_fee_bps = 20;
  Engine engine({spec}, EngineLimits{});
  LedgerBuffer ledger;
  engine.set_ledger(&ledger);
  ProjectionBatch batch;
  std::uint64_t seq = 0;
  const auto run = [&](const CommandBody& command) {
    JournalRecord record;
    record.seq = ++seq;
    record.command = command;
    record.request_id = "r" + std::to_string(seq);
    record.time_ns = static_cast<std::int64_t>(seq) * 1'000'000'000;
    batch.add(record, engine.execute(command, record.request_id), &ledger);
  };
  run(CreateAccount{"a", "h1"});
  run(CreateAccount{"b", "h2"});
  run(Deposit{{AccountId{1}, "BTC", 100'000'000, "d1"}});      // 1 BTC
  run(Deposit{{AccountId{2}, "USDT", 10'000'000'000, "d2"}});  // 100 USDT
  run(Deposit{{AccountId{2}, "USDT", 10'000'000'000, "d2"}});  // a repeat: no change
  run(limit(1, Side::Sell, 5'000, 1'000));                     // 1 BTC at 50.00, locked
  run(limit(2, Side::Buy, 5'000, 400));                        // takes 0.4
  run(CancelRequest{AccountId{1}, OrderId{1}});                // releases 0.6 BTC
  EXPECT_TRUE(ledger.rows().empty());  // each record's rows moved into the batch

  const std::vector<LedgerRow>& rows = batch.ledger();
  ASSERT_EQ(rows.size(), 2u + 1u + 9u + 1u);
  EXPECT_EQ(rows[0].cause, LedgerCause::Deposit);
  EXPECT_EQ(rows[0].reference, "d1");
  EXPECT_EQ(rows[0].journal_seq, 3u);
  EXPECT_EQ(rows[0].n, 0u);
  EXPECT_EQ(rows[0].correlation_id, "r3");
  EXPECT_EQ(rows[2].cause, LedgerCause::Lock);
  EXPECT_EQ(rows[2].order_id, 1u);
  // The taker's record: lock, two debits, credits and fees, in order, numbered from 0.
  for (std::size_t i = 3; i < 12; ++i) {
    EXPECT_EQ(rows[i].journal_seq, 7u);
    EXPECT_EQ(rows[i].n, i - 3);
  }
  EXPECT_EQ(rows[12].cause, LedgerCause::Release);
  EXPECT_EQ(rows[12].delta_free, 60'000'000);

  // Each balance once, in (account, asset) order, equal to the engine's.
  const std::vector<BalanceRow> balances = batch.balances();
  ASSERT_EQ(balances.size(), 6u);
  for (const BalanceRow& b : balances) {
    EXPECT_EQ(b.balance, engine.balance(AccountId{b.account_id}, b.asset))
        << b.account_id << "/" << b.asset;
  }
  EXPECT_EQ(balances[0].account_id, 0u);
  EXPECT_EQ(balances[2].account_id, 1u);
  EXPECT_EQ(balances[2].journal_seq, 8u);  // BTC of account 1: last changed by the cancel
  // The trade carries both fees: the taker bought BTC (0.4 x 20 bps), the maker sold
  // for USDT (20.00 x 10 bps).
  ASSERT_EQ(batch.trades().size(), 1u);
  EXPECT_EQ(batch.trades()[0].taker_fee, 80'000);
  EXPECT_EQ(batch.trades()[0].maker_fee, 2'000'000);
  EXPECT_EQ(batch.new_rows(), 2u + 2u + 1u + rows.size());

  const SymbolTable symbols({spec});
  const std::vector<std::string> params = ledger_params(rows, symbols);
  ASSERT_EQ(params.size(), sql::kLedgerColumns.size());
  EXPECT_TRUE(params[4].starts_with("{1.00000000,100.00000000,-1.00000000,")) << params[4];
  EXPECT_TRUE(params[6].starts_with("{\"DEPOSIT\",\"DEPOSIT\",\"LOCK\",")) << params[6];
  EXPECT_EQ(balance_params(balances, symbols).size(), 6u);
  CopyText text;
  add_copy_row(text, rows[0], symbols);
  EXPECT_EQ(text.text(),
            "3\t0\t1\tBTC\t1.00000000\t0.00000000\tDEPOSIT\t0\t0\td1\tr3\t"
            "1970-01-01 00:00:03.000000+00\n");
  batch.clear();
  EXPECT_TRUE(batch.ledger().empty());
  EXPECT_TRUE(batch.balances().empty());
}

TEST(ProjectionCopy, TextEscapesTheBytesTheFormatReserves) {
  CopyText text;
  text.add_text("a\tb\nc\rd\\e \"f\" é");
  text.add_text_or_null("");
  text.add(std::uint64_t{18'446'744'073'709'551'615u});
  text.add_decimal(12'345, Decimal{1, 2});
  text.end_row();
  EXPECT_EQ(text.text(), "a\\tb\\nc\\rd\\\\e \"f\" é\t\\N\t18446744073709551615\t123.45\n");
}

TEST(ProjectionCopy, TimestampsAreUtcWithMicroseconds) {
  EXPECT_EQ(timestamp_text(0), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(timestamp_text(-1), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(timestamp_text(1'709'210'096'123'456), "2024-02-29 12:34:56.123456+00");
  EXPECT_EQ(timestamp_text(1'796'117'400'000'125), "2026-12-01 09:30:00.000125+00");
}

TEST(ProjectionSql, TheStatementsNumberTheirParametersInOrder) {
  // kWriteBatch: the checkpoints ($1, $2), then arrays $3..$59; kWriteChanges: the
  // orders ($1..$15), fills ($16..$20) and balances ($21..$26); kReplayRows: $1..$57.
  EXPECT_NE(sql::kWriteBatch.find("last_seq = $1,"), std::string::npos);
  EXPECT_NE(sql::kWriteBatch.find("last_seq = $2 "), std::string::npos);
  for (int i = 3; i <= 59; ++i) {
    EXPECT_NE(sql::kWriteBatch.find("$" + std::to_string(i) + "::"), std::string::npos) << i;
  }
  EXPECT_EQ(sql::kWriteBatch.find("$60"), std::string::npos);
  for (int i = 1; i <= 26; ++i) {
    EXPECT_NE(sql::kWriteChanges.find("$" + std::to_string(i) + "::"), std::string::npos) << i;
  }
  EXPECT_EQ(sql::kWriteChanges.find("$27"), std::string::npos);
  for (int i = 1; i <= 57; ++i) {
    EXPECT_NE(sql::kReplayRows.find("$" + std::to_string(i) + "::"), std::string::npos) << i;
  }
  EXPECT_EQ(sql::kReplayRows.find("$58"), std::string::npos);
  EXPECT_EQ(sql::kWriteChanges.find("projector_checkpoint"), std::string::npos);
}

TEST(Postgres, SqlstateClassesDecideWhatRetryingCanFix) {
  EXPECT_EQ(classify_sqlstate("23505"), DbErrorKind::Data);  // unique violation
  EXPECT_EQ(classify_sqlstate("22003"), DbErrorKind::Data);  // numeric out of range
  EXPECT_EQ(classify_sqlstate("08006"), DbErrorKind::Availability);
  EXPECT_EQ(classify_sqlstate("57P01"), DbErrorKind::Availability);  // admin shutdown
  EXPECT_EQ(classify_sqlstate("53300"), DbErrorKind::Availability);  // too many connections
  EXPECT_EQ(classify_sqlstate("57014"), DbErrorKind::Availability);  // statement timeout
  EXPECT_EQ(classify_sqlstate("40001"), DbErrorKind::Availability);  // serialization
  EXPECT_EQ(classify_sqlstate(""), DbErrorKind::Availability);
  EXPECT_EQ(DbError::from_sqlstate("23505", "dup").error_class(), "23");
  DbError timeout = DbError::availability("late");
  EXPECT_EQ(timeout.error_class(), "connection");
  timeout.timed_out = true;
  EXPECT_EQ(timeout.error_class(), "timeout");
}

TEST(Postgres, ConnectionStringGetsDeadlinesUnlessItSetsThem) {
  PostgresOptions o;
  o.url = "postgresql://u@127.0.0.1:5432/spotd";
  EXPECT_EQ(
      connection_string(o),
      "postgresql://u@127.0.0.1:5432/spotd?connect_timeout=2&keepalives=1&keepalives_idle=5&"
      "keepalives_interval=2&keepalives_count=3&tcp_user_timeout=5000&application_name=spotd");
  o.url = "host=/tmp port=5 connect_timeout=9";
  o.connect_timeout_ms = 7'500;
  const std::string kv = connection_string(o);
  EXPECT_EQ(kv.find("connect_timeout=7"), std::string::npos) << kv;  // the operator's 9 wins
  EXPECT_NE(kv.find(" tcp_user_timeout=5000"), std::string::npos) << kv;
  o.url = "postgresql://h/db?sslmode=disable";
  EXPECT_NE(connection_string(o).find("db?sslmode=disable&connect_timeout=7&"), std::string::npos);
}

TEST(Postgres, PasswordsNeverReachTheLog) {
  EXPECT_EQ(redact_password("postgresql://spot:s3cret@db:5432/spotd"),
            "postgresql://spot:***@db:5432/spotd");
  EXPECT_EQ(redact_password("postgresql://spot@db/spotd"), "postgresql://spot@db/spotd");
  EXPECT_EQ(redact_password("host=db password=s3cret user=spot"), "host=db password=*** user=spot");
  EXPECT_EQ(redact_password("postgresql://db/spotd?password=x&sslmode=require"),
            "postgresql://db/spotd?password=***&sslmode=require");
}

}  // namespace
}  // namespace spot
