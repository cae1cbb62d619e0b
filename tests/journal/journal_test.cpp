// The journal: framing, CRC, command codec, recovery (torn tail, corrupt middle,
// segments) on a real directory, and fail-closed behaviour through an injected
// failing file system.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "spot/core/binary.h"
#include "spot/engine/engine.h"
#include "spot/journal/codec.h"
#include "spot/journal/journal.h"
#include "spot/journal/reader.h"
#include "spot/journal/snapshot.h"
#include "support/temp_dir.h"

namespace spot {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

// The symbol of the engine tests: X traded for Y.
SymbolSpec x_symbol() {
  SymbolSpec spec;
  spec.name = "X-Y";
  spec.max_price = 1'000'000;
  spec.max_qty = 1'000'000;
  return spec;
}

// Enough X and Y for accounts 1..accounts to pay for every order of these tests.
std::vector<CommandBody> funding(std::uint64_t accounts) {
  std::vector<CommandBody> out;
  for (std::uint64_t a = 1; a <= accounts; ++a) {
    for (const char* asset : {"X", "Y"}) {
      out.push_back(Deposit{
          {AccountId{a}, asset, std::int64_t{1} << 60, "fund-" + std::to_string(a) + asset}});
    }
  }
  return out;
}

SubmitOrder order(std::uint64_t account, Side side, Ticks price, Lots qty,
                  std::string client = "") {
  SubmitOrder o;
  o.account = AccountId{account};
  o.side = side;
  o.price = price;
  o.qty = qty;
  o.client_order_id = std::move(client);
  return o;
}

// Writes commands through a real JournalWriter and waits until all are durable.
void write_all(const std::string& dir, const std::vector<CommandBody>& commands,
               std::uint64_t first_seq = 1, std::uint64_t segment_bytes = 64 << 20) {
  PosixFileSystem posix;
  JournalOptions options;
  options.dir = dir;
  options.segment_bytes = segment_bytes;
  JournalWriter writer(posix, options, first_seq, nullptr);
  writer.start();
  std::atomic<int> durable{0};
  for (const CommandBody& c : commands) {
    writer.submit(journal::encode_command(c, "rid"),
                  [&durable](bool ok) { durable += ok ? 1 : 0; });
  }
  writer.stop();
  ASSERT_EQ(durable.load(), static_cast<int>(commands.size()));
}

std::vector<CommandBody> replay(const std::string& dir, RecoveryResult* result = nullptr) {
  PosixFileSystem posix;
  std::vector<CommandBody> seen;
  const RecoveryResult r = recover_journal(
      posix, dir, [&seen](const CommandBody& c, const std::string&) { seen.push_back(c); });
  if (result != nullptr) *result = r;
  return seen;
}

std::vector<CommandBody> sample_commands(int n) {
  std::vector<CommandBody> out;
  out.push_back(CreateAccount{"alice", std::string(64, 'a')});
  for (int i = 0; i < n; ++i) {
    out.push_back(
        order(1, i % 2 ? Side::Buy : Side::Sell, 100 + i % 7, 1 + i % 5, "c" + std::to_string(i)));
    if (i % 5 == 4)
      out.push_back(CancelRequest{AccountId{1}, OrderId{static_cast<std::uint64_t>(i)}});
  }
  return out;
}

TEST(Crc32c, KnownVector) {
  EXPECT_EQ(journal::crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(journal::crc32c(""), 0u);
  EXPECT_EQ(journal::crc32c_portable("123456789"), 0xE3069283u);
}

// The hardware path (8 bytes at a time, then single bytes) and the table agree on
// every length and alignment, and when chained over pieces.
TEST(Crc32c, HardwareAndTableAgree) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>((i * 131 + 7) & 0xFF));
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t len = 0; start + len <= data.size(); len += 13) {
      const std::string_view piece = std::string_view(data).substr(start, len);
      ASSERT_EQ(journal::crc32c(piece), journal::crc32c_portable(piece)) << start << " " << len;
    }
  }
  const std::string_view all(data);
  EXPECT_EQ(journal::crc32c(all.substr(100), journal::crc32c(all.substr(0, 100))),
            journal::crc32c(all));
}

TEST(Framing, RoundTripAndDamage) {
  std::string bytes;
  journal::frame_record(7, "hello", bytes);
  ASSERT_EQ(bytes.size(), journal::kRecordHeaderBytes + 5);
  journal::ParsedRecord r;
  ASSERT_EQ(journal::parse_record(bytes, r), journal::ParseStatus::Ok);
  EXPECT_EQ(r.seq, 7u);
  EXPECT_EQ(r.payload, "hello");
  EXPECT_EQ(journal::parse_record(bytes.substr(0, 10), r), journal::ParseStatus::Truncated);
  EXPECT_EQ(journal::parse_record(bytes.substr(0, bytes.size() - 1), r),
            journal::ParseStatus::Truncated);
  std::string flipped = bytes;
  flipped.back() ^= 1;
  EXPECT_EQ(journal::parse_record(flipped, r), journal::ParseStatus::Corrupt);
  std::string bad_seq = bytes;
  bad_seq[8] ^= 1;  // the CRC covers the sequence number too
  EXPECT_EQ(journal::parse_record(bad_seq, r), journal::ParseStatus::Corrupt);
  std::string zero_length(journal::kRecordHeaderBytes, '\0');
  EXPECT_EQ(journal::parse_record(zero_length, r), journal::ParseStatus::Corrupt);
}

TEST(CommandCodec, CarriesTheExecutionTimeAndReadsRecordsWrittenWithoutIt) {
  const CommandBody c = CancelRequest{AccountId{4}, OrderId{5}};
  const std::int64_t when_ns = 1'795'000'000'123'456'789;
  const std::string bytes = journal::encode_command(c, "req-1", when_ns);
  CommandBody back;
  std::string rid;
  std::int64_t time_ns = -1;
  ASSERT_TRUE(journal::decode_command(bytes, back, rid, &time_ns));
  EXPECT_EQ(time_ns, when_ns);
  // A record from before the time field: the same bytes without its last 8.
  ASSERT_TRUE(journal::decode_command(bytes.substr(0, bytes.size() - 8), back, rid, &time_ns));
  EXPECT_EQ(rid, "req-1");
  EXPECT_EQ(time_ns, 0);
}

TEST(CommandCodec, RoundTripsEveryMutatingCommand) {
  SubmitOrder s = order(3, Side::Sell, 12345, 67, "client-1");
  s.symbol = 2;
  s.type = OrderType::Market;
  s.tif = TimeInForce::Fok;
  s.client_token = 99;
  SubmitOrder post = order(3, Side::Buy, 100, 1);
  post.post_only = true;
  SubmitOrder by_quote = order(3, Side::Buy, 0, 0);
  by_quote.type = OrderType::Market;
  by_quote.tif = TimeInForce::Ioc;
  by_quote.quote_qty = 123'456;
  for (const CommandBody& c :
       {CommandBody(s), CommandBody(CancelRequest{AccountId{4}, OrderId{5}}),
        CommandBody(CreateAccount{"bob", "hash"}), CommandBody(post), CommandBody(by_quote),
        CommandBody(Deposit{{AccountId{7}, "USDT", 1'000, "wire-1"}}),
        CommandBody(Withdraw{{AccountId{7}, "BTC", 5, "out-1"}})}) {
    const std::string bytes = journal::encode_command(c, "req-1");
    CommandBody back;
    std::string rid;
    ASSERT_TRUE(journal::decode_command(bytes, back, rid));
    EXPECT_EQ(rid, "req-1");
    EXPECT_EQ(back.index(), c.index());
    EXPECT_FALSE(journal::decode_command(bytes.substr(0, bytes.size() - 1), back, rid));
  }
  const auto& d = s;
  CommandBody back;
  std::string rid;
  ASSERT_TRUE(journal::decode_command(journal::encode_command(d, "r"), back, rid));
  const auto& got = std::get<SubmitOrder>(back);
  EXPECT_EQ(got.account, d.account);
  EXPECT_EQ(got.symbol, 2);
  EXPECT_EQ(got.type, OrderType::Market);
  EXPECT_EQ(got.tif, TimeInForce::Fok);
  EXPECT_EQ(got.price, 12345);
  EXPECT_EQ(got.qty, 67);
  EXPECT_EQ(got.client_token, 99u);
  EXPECT_EQ(got.client_order_id, "client-1");
  EXPECT_FALSE(got.post_only);
  EXPECT_EQ(got.quote_qty, 0);
  // The options, and the transfers' fields, come back too.
  ASSERT_TRUE(journal::decode_command(journal::encode_command(by_quote, "r"), back, rid));
  EXPECT_EQ(std::get<SubmitOrder>(back).quote_qty, 123'456);
  ASSERT_TRUE(journal::decode_command(journal::encode_command(post, "r"), back, rid));
  EXPECT_TRUE(std::get<SubmitOrder>(back).post_only);
  // A submit without options is byte for byte the record of before balances (kind 1).
  EXPECT_EQ(journal::encode_command(s, "r")[0], 1);
  EXPECT_EQ(journal::encode_command(post, "r")[0], 6);
  ASSERT_TRUE(journal::decode_command(
      journal::encode_command(Withdraw{{AccountId{7}, "BTC", 5, "out-1"}}, "r"), back, rid));
  const auto& w = std::get<Withdraw>(back);
  EXPECT_EQ(w.account, AccountId{7});
  EXPECT_EQ(w.asset, "BTC");
  EXPECT_EQ(w.amount, 5);
  EXPECT_EQ(w.reference, "out-1");
  EXPECT_TRUE(journal::is_mutating(Deposit{}));
  EXPECT_TRUE(journal::is_mutating(Withdraw{}));
  EXPECT_FALSE(journal::is_mutating(GetBalances{}));
  EXPECT_FALSE(journal::is_mutating(GetOrder{}));
  EXPECT_FALSE(journal::is_mutating(GetDepth{}));
  EXPECT_TRUE(journal::is_mutating(CancelRequest{}));
}

TEST(Recovery, ReplaysEverythingInOrderAcrossSegments) {
  TempDir dir{"spot-journal"};
  const auto commands = sample_commands(500);
  write_all(dir.path(), commands, 1, /*segment_bytes=*/4096);
  std::size_t segments = 0;
  for (const auto& e : fs::directory_iterator(dir.path()))
    segments += e.path().extension() == ".wal";
  EXPECT_GT(segments, 3u);
  RecoveryResult r;
  const auto seen = replay(dir.path(), &r);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.records, commands.size());
  EXPECT_EQ(r.next_seq, commands.size() + 1);
  EXPECT_EQ(r.truncated_bytes, 0u);
  ASSERT_EQ(seen.size(), commands.size());
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i].index(), commands[i].index()) << i;
  // Appending after recovery continues the sequence in a new segment.
  write_all(dir.path(), sample_commands(10), r.next_seq);
  RecoveryResult again;
  replay(dir.path(), &again);
  ASSERT_TRUE(again.status.ok()) << again.status.to_string();
  EXPECT_EQ(again.records, commands.size() + sample_commands(10).size());
}

TEST(Recovery, TornTailIsTruncatedAndLogged) {
  TempDir dir{"spot-journal"};
  const auto commands = sample_commands(50);
  write_all(dir.path(), commands);
  const std::string segment = dir.path() + "/" + segment_name(1);
  const auto full = fs::file_size(segment);
  for (const std::uintmax_t cut :
       {std::uintmax_t{3}, std::uintmax_t{journal::kRecordHeaderBytes + 2}}) {
    TempDir copy{"spot-journal"};
    fs::copy_file(segment, copy.path() + "/" + segment_name(1));
    fs::resize_file(copy.path() + "/" + segment_name(1), full - cut);
    RecoveryResult r;
    const auto seen = replay(copy.path(), &r);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(seen.size(), commands.size() - 1);  // the torn last record is gone
    EXPECT_GT(r.truncated_bytes, 0u);
    EXPECT_LT(fs::file_size(copy.path() + "/" + segment_name(1)), full - cut + 1);
    // A second recovery is clean.
    RecoveryResult again;
    replay(copy.path(), &again);
    EXPECT_TRUE(again.status.ok()) << again.status.to_string();
    EXPECT_EQ(again.truncated_bytes, 0u);
    EXPECT_EQ(again.records, commands.size() - 1);
  }
}

TEST(Recovery, CorruptLastRecordIsTreatedAsTornTail) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), sample_commands(20));
  const std::string segment = dir.path() + "/" + segment_name(1);
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-1, std::ios::end);
  f.put('\x7f');
  f.close();
  RecoveryResult r;
  replay(dir.path(), &r);
  EXPECT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_GT(r.truncated_bytes, 0u);
}

TEST(Recovery, CorruptionInTheMiddleIsAHardError) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), sample_commands(50));
  const std::string segment = dir.path() + "/" + segment_name(1);
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(200);
  f.put('\x55');
  f.close();
  RecoveryResult r;
  replay(dir.path(), &r);
  EXPECT_EQ(r.status.code(), StatusCode::Corruption) << r.status.to_string();
  EXPECT_NE(r.status.message().find("corrupt record"), std::string::npos) << r.status.to_string();
  EXPECT_NE(r.status.message().find(segment_name(1)), std::string::npos) << r.status.to_string();
}

TEST(Recovery, DamageInAnEarlierSegmentIsAHardError) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), sample_commands(300), 1, 4096);
  const std::string first = dir.path() + "/" + segment_name(1);
  fs::resize_file(first, fs::file_size(first) - 5);  // torn, but not the last segment
  RecoveryResult r;
  replay(dir.path(), &r);
  EXPECT_EQ(r.status.code(), StatusCode::Corruption) << r.status.to_string();
}

TEST(Recovery, EmptyOrMissingDirectoryIsAFreshStart) {
  TempDir dir{"spot-journal"};
  RecoveryResult r;
  EXPECT_TRUE(replay(dir.path() + "/new/journal", &r).empty());
  EXPECT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.next_seq, 1u);
}

TEST(Recovery, ReplayRebuildsTheEngineExactly) {
  TempDir dir{"spot-journal"};
  std::vector<CommandBody> commands = {CreateAccount{"a", "h1"}, CreateAccount{"b", "h2"}};
  for (CommandBody& c : funding(2)) commands.push_back(std::move(c));
  for (int i = 0; i < 2000; ++i) {
    commands.push_back(order(static_cast<std::uint64_t>(1 + i % 2), i % 3 ? Side::Buy : Side::Sell,
                             95 + i % 11, 1 + i % 9, i % 4 ? "" : "k" + std::to_string(i)));
    if (i % 7 == 0) {
      commands.push_back(CancelRequest{AccountId{static_cast<std::uint64_t>(1 + i % 2)},
                                       OrderId{static_cast<std::uint64_t>(i / 2 + 1)}});
    }
  }
  Engine live({x_symbol()}, EngineLimits{});
  for (const auto& c : commands) live.execute(c, "");
  write_all(dir.path(), commands);
  Engine rebuilt({x_symbol()}, EngineLimits{});
  PosixFileSystem posix;
  ASSERT_TRUE(recover_journal(posix, dir.path(), [&](const CommandBody& c, const std::string& rid) {
                rebuilt.execute(c, rid);
              }).status.ok());
  EXPECT_EQ(rebuilt.state_hash(), live.state_hash());
  EXPECT_EQ(rebuilt.trade_count(), live.trade_count());
  EXPECT_TRUE(rebuilt.check_invariants());
  for (Side side : {Side::Buy, Side::Sell}) {
    const auto a = live.matcher().book(0).orders(side);
    const auto b = rebuilt.matcher().book(0).orders(side);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].id, b[i].id);
      EXPECT_EQ(a[i].remaining_qty, b[i].remaining_qty);
    }
  }
}

TEST(Status, CodesHaveStableShortNames) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().to_string(), "ok");
  EXPECT_EQ(Status().code_name(), "ok");
  const Status full = Status::no_space("write /j: No space left on device");
  EXPECT_FALSE(full.ok());
  EXPECT_EQ(full.code(), StatusCode::NoSpace);
  EXPECT_EQ(full.message(), "write /j: No space left on device");
  EXPECT_EQ(full.to_string(), "no_space: write /j: No space left on device");
  // Metric labels and health answers use these names: they must not change.
  EXPECT_EQ(to_string(StatusCode::NotFound), "not_found");
  EXPECT_EQ(to_string(StatusCode::Corruption), "corruption");
  EXPECT_EQ(to_string(StatusCode::IoError), "io_error");
  EXPECT_EQ(to_string(StatusCode::NoSpace), "no_space");
  EXPECT_EQ(to_string(StatusCode::FsyncFailed), "fsync_failed");
  EXPECT_EQ(Status::fsync_failed("x").code_name(), "fsync_failed");
}

TEST(PosixFileSystem, ErrnoBecomesAStatusCode) {
  TempDir dir{"spot-journal"};
  PosixFileSystem posix;
  std::string data;
  const Status missing = posix.read_file(dir.path() + "/absent", &data);
  EXPECT_EQ(missing.code(), StatusCode::NotFound) << missing.to_string();
  EXPECT_NE(missing.message().find("absent"), std::string::npos) << missing.to_string();
  std::unique_ptr<AppendFile> file;
  EXPECT_EQ(posix.open_append(dir.path() + "/no/such/dir/f", &file).code(), StatusCode::NotFound);
  EXPECT_EQ(file, nullptr);
  EXPECT_TRUE(posix.remove(dir.path() + "/absent").ok());  // nothing to remove is fine
  // /dev/full answers every write with ENOSPC: a full disk, not an I/O error.
  ASSERT_TRUE(posix.open_append("/dev/full", &file).ok());
  const Status full = file->append("x");
  EXPECT_EQ(full.code(), StatusCode::NoSpace) << full.to_string();
  // fdatasync of /dev/full fails (EINVAL on Linux): an fsync failure whatever the errno.
  const Status sync = file->sync();
  EXPECT_EQ(sync.code(), StatusCode::FsyncFailed) << sync.to_string();
}

// A file system whose appends, syncs or directory listings start failing on demand
// (disk full, I/O error).
class FailingFileSystem final : public FileSystem {
 public:
  std::atomic<bool> fail_sync{false};
  std::atomic<bool> fail_append{false};
  std::atomic<bool> fail_list{false};

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
    if (fail_list) return Status::io_error("list " + d + ": injected failure");
    return real_.list(d, names);
  }
  Status truncate(const std::string& p, std::uint64_t s) override { return real_.truncate(p, s); }
  Status create_dirs(const std::string& d) override { return real_.create_dirs(d); }
  Status sync_dir(const std::string& d) override { return real_.sync_dir(d); }
  Status rename(const std::string& a, const std::string& b) override { return real_.rename(a, b); }
  Status remove(const std::string& p) override { return real_.remove(p); }

 private:
  class File final : public AppendFile {
   public:
    File(std::unique_ptr<AppendFile> inner, FailingFileSystem& fs)
        : inner_(std::move(inner)), fs_(fs) {}
    Status append(std::string_view data) override {
      if (fs_.fail_append) return Status::no_space("injected: No space left on device");
      return inner_->append(data);
    }
    Status sync() override {
      if (fs_.fail_sync) return Status::fsync_failed("injected: fdatasync: Input/output error");
      return inner_->sync();
    }

   private:
    std::unique_ptr<AppendFile> inner_;
    FailingFileSystem& fs_;
  };
  PosixFileSystem real_;
};

void fail_closed_on(bool sync_fails, bool writer_thread = true) {
  TempDir dir{"spot-journal"};
  FailingFileSystem faulty;
  JournalOptions options;
  options.dir = dir.path();
  options.writer_thread = writer_thread;
  JournalWriter writer(faulty, options, 1, nullptr);
  writer.start();
  auto submit = [&writer](const CommandBody& c) {
    auto done = std::make_shared<std::promise<bool>>();
    auto result = done->get_future();
    // A failed journal refuses new entries at once, without running their completion.
    if (!writer.submit(journal::encode_command(c, ""), [done](bool ok) { done->set_value(ok); }))
      return false;
    writer.commit();  // without a writer thread, writes and syncs here
    return result.get();
  };
  EXPECT_TRUE(submit(CreateAccount{"a", "h"}));
  EXPECT_TRUE(writer.failure().ok());
  (sync_fails ? faulty.fail_sync : faulty.fail_append) = true;
  EXPECT_FALSE(submit(order(1, Side::Buy, 10, 1)));
  EXPECT_TRUE(writer.failed());
  // The writer keeps the Status of the failure, so a full disk is told from a bad fsync.
  EXPECT_EQ(writer.failure().code(), sync_fails ? StatusCode::FsyncFailed : StatusCode::NoSpace);
  EXPECT_NE(writer.failure().message().find("injected"), std::string::npos);
  // The fault goes away, but the journal stays failed: nothing more is acknowledged.
  faulty.fail_sync = false;
  faulty.fail_append = false;
  EXPECT_FALSE(submit(order(1, Side::Buy, 10, 1)));
  // An ordering-only entry (no payload) is refused too.
  EXPECT_FALSE(writer.submit("", [](bool) { FAIL() << "a refused entry's completion ran"; }));
  // The submitter waiting for room is not kept waiting by a failed journal.
  EXPECT_EQ(writer.wait_for_room(7, std::chrono::seconds(10)), 7u);
  writer.stop();
}

TEST(FailClosed, SyncFailureStopsAllAcknowledgements) { fail_closed_on(true); }
TEST(FailClosed, SyncFailureStopsAllAcknowledgementsWithoutAWriterThread) {
  fail_closed_on(true, false);
}
TEST(FailClosed, WriteFailureStopsAllAcknowledgementsWithoutAWriterThread) {
  fail_closed_on(false, false);
}

TEST(Recovery, AnUnreadableJournalDirectoryIsAnErrorNotAnEmptyJournal) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), {CreateAccount{"a", "h"}});
  FailingFileSystem faulty;
  faulty.fail_list = true;
  const RecoveryResult r =
      recover_journal(faulty, dir.path(), [](const CommandBody&, const std::string&) {});
  EXPECT_EQ(r.status.code(), StatusCode::IoError) << r.status.to_string();
  EXPECT_EQ(r.records, 0u);
  // The real directory still replays.
  EXPECT_EQ(replay(dir.path()).size(), 1u);
}
TEST(FailClosed, WriteFailureStopsAllAcknowledgements) { fail_closed_on(false); }

TEST(Backpressure, AFullJournalRefusesBeforeTheCallerExecutesAndNumbersRecordsAtSubmit) {
  TempDir dir{"spot-journal"};
  PosixFileSystem posix;
  JournalOptions options;
  options.dir = dir.path();
  options.max_pending_entries = 4;
  JournalWriter writer(posix, options, 1, nullptr);  // not started: nothing drains yet
  int durable = 0;
  auto entry = [&] { return journal::encode_command(CancelRequest{AccountId{1}, OrderId{1}}, ""); };
  EXPECT_EQ(writer.wait_for_room(10, std::chrono::milliseconds(1)), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(writer.submit(entry(), [&](bool ok) { durable += ok; }));
  EXPECT_TRUE(writer.submit("", [&](bool ok) { durable += ok; }));  // an ordering-only entry
  EXPECT_EQ(writer.last_seq(), 3u);  // numbered when submitted, by the writer
  EXPECT_EQ(writer.wait_for_room(10, std::chrono::milliseconds(20)), 0u);
  // A caller that did not wait for room is refused, and its completion kept, not run.
  JournalWriter::Completion kept = [&](bool) { durable += 100; };
  EXPECT_FALSE(writer.submit(entry(), std::move(kept)));
  ASSERT_TRUE(kept);
  EXPECT_EQ(writer.last_seq(), 3u);
  writer.start();
  EXPECT_GT(writer.wait_for_room(10, std::chrono::seconds(10)), 0u);
  writer.stop();
  EXPECT_EQ(durable, 4);
  EXPECT_EQ(writer.durable_seq(), 3u);
  RecoveryResult r;
  replay(dir.path(), &r);
  EXPECT_EQ(r.records, 3u);
  EXPECT_EQ(r.next_seq, 4u);
}

TEST(GroupCommit, CompletionsRunInSubmissionOrderAfterTheirRecords) {
  TempDir dir{"spot-journal"};
  PosixFileSystem posix;
  JournalOptions options;
  options.dir = dir.path();
  JournalWriter writer(posix, options, 1, nullptr);
  writer.start();
  std::vector<int> order_seen;
  std::mutex m;
  for (int i = 0; i < 1000; ++i) {
    const std::string payload =
        i % 3 == 0 ? "" : journal::encode_command(CancelRequest{AccountId{1}, OrderId{1}}, "");
    writer.submit(payload, [&, i](bool ok) {
      EXPECT_TRUE(ok);
      std::lock_guard<std::mutex> lock(m);
      order_seen.push_back(i);
    });
  }
  writer.stop();
  ASSERT_EQ(order_seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(order_seen[static_cast<std::size_t>(i)], i);
  RecoveryResult r;
  replay(dir.path(), &r);
  EXPECT_EQ(r.records, 666u);  // the 334 empty entries wrote nothing
}

TEST(GroupCommit, WithoutAWriterThreadCommitWritesSyncsAndCompletesOnTheCallersThread) {
  TempDir dir{"spot-journal"};
  PosixFileSystem posix;
  JournalOptions options;
  options.dir = dir.path();
  options.writer_thread = false;
  options.max_batch_entries = 7;  // a commit of 100 entries takes 15 fsyncs
  options.segment_bytes = 4096;   // and rolls segments on the way
  JournalWriter writer(posix, options, 1, nullptr);
  writer.start();
  std::vector<int> order_seen;
  const std::thread::id caller = std::this_thread::get_id();
  std::uint64_t records = 0;
  // Records among entries 0..i (every third entry is empty: ordering only).
  auto records_through = [](int i) { return static_cast<std::uint64_t>(i - i / 3); };
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(writer.wait_for_room(100, std::chrono::milliseconds(1)), 100u);
    for (int k = 0; k < 100; ++k) {
      const int i = round * 100 + k;
      const std::string payload =
          i % 3 == 0 ? "" : journal::encode_command(CancelRequest{AccountId{1}, OrderId{1}}, "");
      records += payload.empty() ? 0 : 1;
      ASSERT_TRUE(writer.submit(payload, [&, i](bool ok) {
        EXPECT_TRUE(ok);
        EXPECT_EQ(std::this_thread::get_id(), caller);
        // Only what an fsync covered completes: every record up to this entry's.
        EXPECT_GE(writer.durable_seq(), records_through(i));
        order_seen.push_back(i);
      }));
    }
    // Nothing is written, and nothing completes, before the commit.
    EXPECT_EQ(order_seen.size(), static_cast<std::size_t>(round * 100));
    EXPECT_EQ(writer.durable_seq(), round == 0 ? 0 : records_through(round * 100 - 1));
    writer.commit();
    ASSERT_EQ(order_seen.size(), static_cast<std::size_t>((round + 1) * 100));
    EXPECT_EQ(writer.durable_seq(), records);
    EXPECT_EQ(writer.last_seq(), records);
  }
  writer.commit();  // nothing pending: nothing happens
  writer.stop();
  for (int i = 0; i < 300; ++i) EXPECT_EQ(order_seen[static_cast<std::size_t>(i)], i);
  RecoveryResult r;
  replay(dir.path(), &r);
  EXPECT_EQ(r.records, records);
  EXPECT_EQ(r.next_seq, records + 1);
}

std::vector<SymbolSpec> one_symbol() { return {x_symbol()}; }

std::vector<CommandBody> busy_commands(int n, int seed) {
  std::vector<CommandBody> out = {CreateAccount{"a", "h1"}, CreateAccount{"b", "h2"}};
  for (CommandBody& c : funding(2)) out.push_back(std::move(c));
  std::uint64_t x = static_cast<std::uint64_t>(seed);
  for (int i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const auto account = static_cast<std::uint64_t>(1 + (x >> 33) % 2);
    if ((x >> 40) % 5 == 0) {
      out.push_back(CancelRequest{AccountId{account},
                                  OrderId{1 + (x >> 20) % static_cast<std::uint64_t>(i + 1)}});
      continue;
    }
    SubmitOrder o = order(
        account, (x >> 35) % 2 ? Side::Buy : Side::Sell, 95 + static_cast<Ticks>((x >> 24) % 11),
        1 + static_cast<Lots>((x >> 28) % 9), (x >> 45) % 4 ? "" : "k" + std::to_string(i));
    if ((x >> 50) % 10 == 0) o.tif = TimeInForce::Ioc;
    out.push_back(o);
  }
  return out;
}

TEST(EngineSnapshot, RestoreEqualsTheOriginalAndBehavesTheSame) {
  for (const std::size_t history : {std::size_t{5}, std::size_t{1'000'000}}) {
    EngineLimits limits;
    limits.order_history = history;
    Engine original(one_symbol(), limits);
    const auto commands = busy_commands(3000, static_cast<int>(history));
    for (std::size_t i = 0; i < 2000; ++i) original.execute(commands[i], "r");
    std::string state;
    original.serialize(state);
    Engine restored(one_symbol(), limits);
    const Status restored_status = restored.restore(state);
    ASSERT_TRUE(restored_status.ok()) << restored_status.to_string();
    EXPECT_EQ(restored.state_hash(), original.state_hash());
    EXPECT_TRUE(restored.check_invariants());
    // The same further commands give the same replies and the same state.
    for (std::size_t i = 2000; i < commands.size(); ++i) {
      const Reply a = original.execute(commands[i], "r");
      const Reply b = restored.execute(commands[i], "r");
      if (const auto* ra = std::get_if<OrderReply>(&a)) {
        const auto& rb = std::get<OrderReply>(b);
        ASSERT_EQ(ra->reject, rb.reject) << i;
        ASSERT_EQ(ra->order.id, rb.order.id) << i;
        ASSERT_EQ(ra->fills.size(), rb.fills.size()) << i;
        ASSERT_EQ(ra->replayed, rb.replayed) << i;
        ASSERT_EQ(ra->forgotten, rb.forgotten) << i;
      }
    }
    EXPECT_EQ(restored.state_hash(), original.state_hash());
    // Damaged input is refused.
    Engine broken(one_symbol(), limits);
    const Status damaged = broken.restore(std::string_view(state).substr(0, state.size() / 2));
    EXPECT_EQ(damaged.code(), StatusCode::Corruption) << damaged.to_string();
    EXPECT_FALSE(damaged.message().empty());
  }
}

// busy_commands, then resends of the first `resends` keys "k<i>" it may have used
// (some are live, some finished, some forgotten, some never used).
std::vector<CommandBody> commands_with_resends(int n, int seed, int resends) {
  std::vector<CommandBody> out = busy_commands(n, seed);
  for (int i = 0; i < resends; ++i) {
    SubmitOrder o =
        order(1 + static_cast<std::uint64_t>(i % 2), Side::Buy, 90, 1, "k" + std::to_string(i));
    o.tif = TimeInForce::Ioc;
    out.push_back(o);
  }
  return out;
}

EngineLimits short_history(std::size_t history, std::size_t window) {
  EngineLimits limits;
  limits.order_history = history;
  limits.idempotency_window = window;
  return limits;
}

// One account's IOC with a client order id: nothing rests, so it finishes at once.
SubmitOrder finishing(const std::string& client) {
  SubmitOrder o = order(1, Side::Buy, 100, 1, client);
  o.tif = TimeInForce::Ioc;
  return o;
}

Engine ran(const EngineLimits& limits, int orders) {
  Engine e(one_symbol(), limits);
  e.execute(CreateAccount{"a", "h1"}, "r");
  for (const CommandBody& c : funding(1)) e.execute(c, "r");
  for (int i = 0; i < orders; ++i) e.execute(finishing("k" + std::to_string(i)), "r");
  return e;
}

TEST(EngineSnapshot, TheIdempotencyWindowIsRestoredExactlyAndHashed) {
  const EngineLimits limits = short_history(3, 50);
  Engine original = ran(limits, 20);
  ASSERT_EQ(original.idempotency_window().size(), 17u);  // k0..k16
  std::string state;
  original.serialize(state);
  Engine restored(one_symbol(), limits);
  const Status status = restored.restore(state);
  ASSERT_TRUE(status.ok()) << status.to_string();
  std::string why;
  EXPECT_TRUE(restored.check_invariants(&why)) << why;
  EXPECT_EQ(restored.state_hash(), original.state_hash());
  std::string again;
  restored.serialize(again);
  EXPECT_EQ(again, state);
  // Both answer a resend of a forgotten key alike (k2 was order 3).
  for (Engine* e : {&original, &restored}) {
    const auto r = std::get<OrderReply>(e->execute(finishing("k2"), "r"));
    EXPECT_TRUE(r.replayed);
    EXPECT_TRUE(r.forgotten);
    EXPECT_EQ(r.order.id, OrderId{3});
  }
  EXPECT_EQ(restored.state_hash(), original.state_hash());

  // Engines that differ only in their windows have different hashes.
  EXPECT_NE(ran(short_history(3, 0), 20).state_hash(), original.state_hash());
  EXPECT_NE(ran(short_history(3, 16), 20).state_hash(), ran(limits, 20).state_hash());
}

TEST(EngineSnapshot, ASnapshotOfALongerHistoryOrWindowIsTrimmedAsTheEngineWouldHave) {
  std::string state;
  ran(short_history(3, 50), 20).serialize(state);
  for (const EngineLimits& limits :
       {short_history(1, 50), short_history(3, 10), short_history(0, 5), short_history(1000, 50)}) {
    Engine restored(one_symbol(), limits);
    ASSERT_TRUE(restored.restore(state).ok());
    std::string why;
    EXPECT_TRUE(restored.check_invariants(&why)) << why;
    const Engine direct = ran(limits, 20);
    if (limits.order_history > 3) {
      // A longer history cannot bring back records the snapshot no longer has.
      EXPECT_EQ(restored.record_count(), 3u);
      EXPECT_EQ(restored.idempotency_window().size(), 17u);
    } else {
      EXPECT_EQ(restored.state_hash(), direct.state_hash()) << limits.order_history;
      EXPECT_EQ(restored.record_count(), direct.record_count());
      EXPECT_EQ(restored.idempotency_window().size(), direct.idempotency_window().size());
    }
  }
}

// A snapshot in an older format, written field by field: format 1 (no idempotency
// window) and 2 (no balances) end after the live records and the window.
std::string old_snapshot(std::uint32_t format, bool with_live_order) {
  std::string out;
  binary::Writer o(out);
  o.put(format);
  o.put(std::uint64_t{3});  // next order id
  o.put(std::uint64_t{2});  // next account id
  o.put(std::uint64_t{2});  // the matcher's last order id
  o.put(std::uint64_t{0});  // last trade id
  o.put(std::uint64_t{1});  // accounts
  o.put(std::uint64_t{1});
  o.str("a");
  o.str("h1");
  auto record = [&o](std::uint64_t id, std::uint8_t status) {
    o.put(id);
    o.put(std::uint64_t{1});  // account
    o.put(SymbolId{0});       // symbol
    o.put(std::uint8_t{0});   // buy
    o.put(std::uint8_t{0});   // limit
    o.put(std::uint8_t{0});   // GTC
    o.put(status);
    o.put(Ticks{100});
    o.put(Lots{1});
    o.put(Lots{0});           // executed
    o.put(std::uint64_t{0});  // client token
    o.str("");
    o.str("r");
  };
  o.put(std::uint64_t{1});  // finished records
  o.put(std::uint8_t{1});
  record(1, static_cast<std::uint8_t>(OrderStatus::Canceled));
  o.put(std::uint64_t{with_live_order ? 1u : 0u});
  if (with_live_order) record(2, static_cast<std::uint8_t>(OrderStatus::New));
  if (format == 2) o.put(std::uint64_t{0});  // an empty window
  return out;
}

TEST(EngineSnapshot, ReadsTheFormatsBeforeBalances) {
  EngineLimits pure = short_history(3, 50);
  pure.check_balances = false;
  for (const std::uint32_t format : {1u, 2u}) {
    Engine restored(one_symbol(), pure);
    const Status status = restored.restore(old_snapshot(format, true));
    ASSERT_TRUE(status.ok()) << format << ": " << status.to_string();
    EXPECT_EQ(restored.idempotency_window().size(), 0u);
    EXPECT_EQ(restored.record_count(), 2u);
    EXPECT_EQ(restored.matcher().book(0).order_count(), 1u);
    EXPECT_TRUE(restored.check_invariants());
    // A checking engine takes an old snapshot only without live orders: they would rest
    // with nothing locked.
    Engine checked(one_symbol(), short_history(3, 50));
    EXPECT_TRUE(checked.restore(old_snapshot(format, false)).ok()) << format;
    Engine refused(one_symbol(), short_history(3, 50));
    EXPECT_EQ(refused.restore(old_snapshot(format, true)).code(), StatusCode::Corruption);
  }
  // A format this engine does not know is refused.
  std::string state;
  ran(short_history(3, 0), 5).serialize(state);
  ASSERT_EQ(state[0], '\x04');
  state[0] = '\x05';
  Engine future(one_symbol(), short_history(3, 0));
  EXPECT_EQ(future.restore(state).code(), StatusCode::Corruption);
}

TEST(EngineSnapshot, AWindowEntryNamingAnIdNotHandedOutIsRefused) {
  const EngineLimits limits = short_history(3, 50);
  std::string state;
  const Engine original = ran(limits, 20);
  original.serialize(state);
  // Find the window's last entry (key hash, order id) in the state and spoil its id.
  std::string entry;
  original.idempotency_window().for_each([&entry](std::uint64_t key_hash, std::uint64_t id) {
    entry.clear();
    binary::Writer w(entry);
    w.put(key_hash);
    w.put(id);
  });
  const std::size_t at = state.rfind(entry);
  ASSERT_NE(at, std::string::npos);
  std::string bad = state;
  for (std::size_t b = 8; b < 16; ++b) bad[at + b] = '\x7f';
  Engine e(one_symbol(), limits);
  const Status status = e.restore(bad);
  EXPECT_EQ(status.code(), StatusCode::Corruption);
  EXPECT_NE(status.message().find("idempotency window"), std::string::npos) << status.message();
}

// Replaying the journal, from the start or from a snapshot, rebuilds the window: the
// same hash, and the same replies to resends of forgotten keys.
TEST(Snapshot, ReplayRebuildsTheIdempotencyWindow) {
  TempDir dir{"spot-journal"};
  const EngineLimits limits = short_history(5, 200);
  const auto commands = commands_with_resends(3000, 11, 400);
  const std::size_t split = 1500;
  Engine live(one_symbol(), limits);
  std::size_t forgotten = 0;
  for (const auto& c : commands) {
    const Reply r = live.execute(c, "rid");
    if (const auto* o = std::get_if<OrderReply>(&r)) forgotten += o->forgotten ? 1 : 0;
  }
  EXPECT_GT(forgotten, 0u);
  EXPECT_GT(live.idempotency_window().size(), 0u);

  write_all(dir.path(), commands, 1, 4096);
  PosixFileSystem posix;
  Engine from_start(one_symbol(), limits);
  const RecoveryResult all = recover_journal(
      posix, dir.path(),
      [&from_start](const CommandBody& c, const std::string& rid) { from_start.execute(c, rid); },
      1);
  ASSERT_TRUE(all.status.ok()) << all.status.to_string();
  EXPECT_EQ(from_start.state_hash(), live.state_hash());

  Engine at_split(one_symbol(), limits);
  for (std::size_t i = 0; i < split; ++i) at_split.execute(commands[i], "rid");
  std::string state;
  at_split.serialize(state);
  ASSERT_TRUE(write_snapshot(posix, dir.path(), split, state, 1).ok());
  std::unique_ptr<Engine> engine;
  LoadedSnapshot loaded;
  std::string warning;
  ASSERT_TRUE(
      load_newest_snapshot(posix, dir.path(), one_symbol(), limits, engine, &loaded, &warning)
          .ok());
  const RecoveryResult tail = recover_journal(
      posix, dir.path(),
      [&engine](const CommandBody& c, const std::string& rid) { engine->execute(c, rid); },
      loaded.last_seq + 1);
  ASSERT_TRUE(tail.status.ok()) << tail.status.to_string();
  EXPECT_EQ(engine->state_hash(), live.state_hash());
  std::string why;
  EXPECT_TRUE(engine->check_invariants(&why)) << why;
}

TEST(EngineSnapshot, RestoreRefusesOrderIdCountersOutOfStep) {
  // A snapshot whose next order id is not above the last accepted one would hand out
  // an id twice; restore refuses it instead of leaving it to an assertion later.
  Engine original(one_symbol(), EngineLimits{});
  const auto commands = busy_commands(200, 3);
  for (const CommandBody& c : commands) original.execute(c, "r");
  std::string state;
  original.serialize(state);
  const std::uint64_t last_order_id = original.matcher().last_order_id();
  ASSERT_GT(last_order_id, 0u);
  // Header: u32 format, u64 next order id, ... (little-endian, engine.cpp).
  for (std::size_t i = 0; i < 8; ++i) {
    state[4 + i] = static_cast<char>(last_order_id >> (8 * i));
  }
  Engine broken(one_symbol(), EngineLimits{});
  const Status s = broken.restore(state);
  EXPECT_EQ(s.code(), StatusCode::Corruption) << s.to_string();
  EXPECT_NE(s.message().find("order id counters out of step"), std::string::npos) << s.to_string();
}

TEST(Snapshot, RecoveryFromSnapshotPlusTailEqualsFullReplayAndOldSegmentsGo) {
  TempDir dir{"spot-journal"};
  const auto commands = busy_commands(4000, 7);
  const std::size_t split = 2500;
  write_all(dir.path(), std::vector<CommandBody>(commands.begin(), commands.begin() + split), 1,
            4096);
  Engine at_split(one_symbol(), EngineLimits{});
  for (std::size_t i = 0; i < split; ++i) at_split.execute(commands[i], "rid");
  std::string state;
  at_split.serialize(state);
  PosixFileSystem posix;
  std::vector<std::string> names;
  ASSERT_TRUE(posix.list(dir.path(), &names).ok());
  const auto segments_before = names.size();
  const Status written = write_snapshot(posix, dir.path(), split, state, 1);
  ASSERT_TRUE(written.ok()) << written.to_string();
  ASSERT_TRUE(posix.list(dir.path(), &names).ok());
  EXPECT_LT(names.size(), segments_before);  // covered segments deleted
  write_all(dir.path(), std::vector<CommandBody>(commands.begin() + split, commands.end()),
            split + 1, 4096);

  Engine full(one_symbol(), EngineLimits{});
  for (const auto& c : commands) full.execute(c, "rid");

  std::unique_ptr<Engine> engine;
  LoadedSnapshot loaded;
  std::string warning;
  const Status s = load_newest_snapshot(posix, dir.path(), one_symbol(), EngineLimits{}, engine,
                                        &loaded, &warning);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(loaded.last_seq, split);
  EXPECT_TRUE(warning.empty()) << warning;
  const RecoveryResult r = recover_journal(
      posix, dir.path(),
      [&engine](const CommandBody& c, const std::string& rid) { engine->execute(c, rid); },
      loaded.last_seq + 1);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.records, commands.size() - split);
  EXPECT_EQ(engine->state_hash(), full.state_hash());
}

TEST(Snapshot, DamagedNewestSnapshotFallsBackToAnOlderOne) {
  TempDir dir{"spot-journal"};
  PosixFileSystem posix;
  Engine a(one_symbol(), EngineLimits{});
  for (const auto& c : busy_commands(100, 1)) a.execute(c, "");
  std::string older;
  a.serialize(older);
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 10, older, 2).ok());
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 20, older, 2).ok());
  {
    std::fstream f(dir.path() + "/" + snapshot_name(20),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x01');
  }
  std::unique_ptr<Engine> engine;
  LoadedSnapshot loaded;
  std::string warning;
  ASSERT_TRUE(load_newest_snapshot(posix, dir.path(), one_symbol(), EngineLimits{}, engine, &loaded,
                                   &warning)
                  .ok());
  EXPECT_EQ(loaded.last_seq, 10u);
  EXPECT_NE(warning.find(snapshot_name(20)), std::string::npos) << warning;
  EXPECT_EQ(engine->state_hash(), a.state_hash());
  // Keep = 2: a third snapshot removes the oldest.
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 30, older, 2).ok());
  EXPECT_FALSE(fs::exists(dir.path() + "/" + snapshot_name(10)));
  EXPECT_TRUE(fs::exists(dir.path() + "/" + snapshot_name(30)));
}

// A reader that still needs the journal after hold_seq (the database projector) keeps
// the snapshot it can rebuild from and every segment after it; once it moves on, they go.
TEST(Snapshot, AHoldKeepsTheSnapshotAndSegmentsAReaderStillNeeds) {
  TempDir dir{"spot-journal"};
  PosixFileSystem posix;
  const auto commands = busy_commands(3000, 5);
  write_all(dir.path(), commands, 1, 4096);
  const auto segments = [&] {
    std::vector<std::uint64_t> firsts;
    for (const auto& e : fs::directory_iterator(dir.path())) {
      if (e.path().extension() == ".wal")
        firsts.push_back(segment_first_seq(e.path().filename().string()));
    }
    std::sort(firsts.begin(), firsts.end());
    return firsts;
  };
  ASSERT_GT(segments().size(), 4u);
  const std::string state = "x";  // retention does not read the state
  // Nothing at or before the hold: the holder needs the journal from record 1.
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 1000, state, 1, 0).ok());
  EXPECT_EQ(segments().front(), 1u);
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 2000, state, 1, 1500).ok());
  EXPECT_TRUE(fs::exists(dir.path() + "/" + snapshot_name(1000)));  // the holder's
  EXPECT_LE(segments().front(), 1001u);                             // record 1001 on stays
  EXPECT_GT(segments()[1], 1001u);
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 2500, state, 1, 2200).ok());
  EXPECT_FALSE(fs::exists(dir.path() + "/" + snapshot_name(1000)));
  EXPECT_TRUE(fs::exists(dir.path() + "/" + snapshot_name(2000)));  // held now
  const auto kept = segments();
  ASSERT_GT(kept.size(), 1u);
  EXPECT_LE(kept.front(), 2001u);  // record 2001 on is still there
  EXPECT_GT(kept[1], 2001u);       // and nothing wholly before snapshot 2000
  ASSERT_TRUE(write_snapshot(posix, dir.path(), 3000, state, 1, kNoHold).ok());
  EXPECT_FALSE(fs::exists(dir.path() + "/" + snapshot_name(2000)));
  EXPECT_FALSE(fs::exists(dir.path() + "/" + snapshot_name(2500)));
  EXPECT_GT(segments().front(), 2001u);
}

TEST(Snapshot, JournalThatStartsAfterTheSnapshotIsAGap) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), sample_commands(10), 50);  // records 50.. with nothing before
  RecoveryResult r;
  PosixFileSystem posix;
  r = recover_journal(
      posix, dir.path(), [](const CommandBody&, const std::string&) {}, 1);
  EXPECT_EQ(r.status.code(), StatusCode::Corruption) << r.status.to_string();
  EXPECT_NE(r.status.message().find("starts at record 50"), std::string::npos)
      << r.status.to_string();
}

// A journal being written, with the engine it describes: commands go through a live
// engine and a real JournalWriter with small segments, as in spotd.
class LiveJournal {
 public:
  explicit LiveJournal(const std::string& dir, std::uint64_t segment_bytes = 4096)
      : engine_(one_symbol(), EngineLimits{}) {
    JournalOptions options;
    options.dir = dir;
    options.segment_bytes = segment_bytes;
    writer_ = std::make_unique<JournalWriter>(posix_, options, 1, nullptr);
    writer_->start();
  }
  ~LiveJournal() { writer_->stop(); }

  // Executes and journals the commands, and returns once they are all durable.
  void run(const std::vector<CommandBody>& commands) {
    for (const CommandBody& c : commands) {
      // A time per command, as the matching loop stamps them: the replica must pass the
      // record's time on for its market data (and so its state hash) to match.
      const std::int64_t time_ns =
          1'704'067'200'000'000'000 + static_cast<std::int64_t>(submitted_) * 7'000'000'000;
      engine_.execute(c, "rid", time_ns);
      writer_->submit(journal::encode_command(c, "rid", time_ns), [](bool) {});
      ++submitted_;
    }
    while (writer_->durable_seq() < submitted_) std::this_thread::yield();
  }

  const JournalWriter& writer() const { return *writer_; }
  const Engine& engine() const { return engine_; }

 private:
  PosixFileSystem posix_;
  Engine engine_;
  std::unique_ptr<JournalWriter> writer_;
  std::uint64_t submitted_ = 0;
};

std::vector<CommandBody> slice(const std::vector<CommandBody>& v, std::size_t at, std::size_t n) {
  const auto begin = v.begin() + static_cast<std::ptrdiff_t>(std::min(at, v.size()));
  const auto end = v.begin() + static_cast<std::ptrdiff_t>(std::min(at + n, v.size()));
  return std::vector<CommandBody>(begin, end);
}

std::size_t count_segments(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".wal";
  return n;
}

TEST(JournalReader, FollowsALiveJournalAcrossSegmentsAndStopsAtTheDurableMark) {
  TempDir dir{"spot-journal"};
  LiveJournal live(dir.path(), 2048);
  const auto commands = busy_commands(1500, 3);
  PosixFileSystem posix;
  JournalReader reader(posix, dir.path(), 1);
  std::vector<std::string> seen;
  std::uint64_t expected_seq = 1;
  const JournalReader::Apply collect = [&](const JournalRecord& r) {
    EXPECT_EQ(r.seq, expected_seq++);
    seen.push_back(journal::encode_command(r.command, r.request_id));
  };
  for (std::size_t at = 0; at < commands.size(); at += 250) {
    live.run(slice(commands, at, 250));
    // Part way first: it reads exactly up to the mark it is given.
    const std::uint64_t half = (reader.next_seq() + live.writer().durable_seq()) / 2;
    Status s = reader.read_until(half, collect);
    ASSERT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(reader.next_seq(), half + 1);
    s = reader.read_until(live.writer().durable_seq(), collect);
    ASSERT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(reader.next_seq(), live.writer().durable_seq() + 1);
  }
  EXPECT_GT(count_segments(dir.path()), 3u);
  ASSERT_EQ(seen.size(), commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i)
    ASSERT_EQ(seen[i], journal::encode_command(commands[i], "rid")) << i;

  // A reader may also start in the middle of the journal.
  JournalReader middle(posix, dir.path(), 777);
  std::uint64_t first = 0;
  std::uint64_t n = 0;
  const Status s = middle.read_until(commands.size(), [&](const JournalRecord& r) {
    if (n++ == 0) first = r.seq;
  });
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(first, 777u);
  EXPECT_EQ(n, commands.size() - 776);
}

TEST(JournalReader, ADurableRecordThatIsMissingIsAnError) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), sample_commands(20));
  const std::string segment = dir.path() + "/" + segment_name(1);
  fs::resize_file(segment, fs::file_size(segment) - 5);  // the last record is cut short
  PosixFileSystem posix;
  JournalReader reader(posix, dir.path(), 1);
  std::uint64_t n = 0;
  const auto count = [&n](const JournalRecord&) { ++n; };
  ASSERT_TRUE(reader.read_until(5, count).ok());
  const Status cut = reader.read_until(sample_commands(20).size(), count);
  EXPECT_EQ(cut.code(), StatusCode::Corruption) << cut.to_string();
  EXPECT_NE(cut.message().find("missing or damaged"), std::string::npos) << cut.to_string();
  EXPECT_EQ(n, sample_commands(20).size() - 1);

  JournalReader none(posix, dir.path() + "/nowhere", 1);
  EXPECT_EQ(none.read_until(1, count).code(), StatusCode::NotFound);
}

// The snapshot of the replica at sequence N is the live engine at N, without the live
// engine (the matching thread) doing anything for it.
TEST(Snapshotter, ReplicaSnapshotsEqualTheLiveEngineAndOldSegmentsGo) {
  TempDir dir{"spot-journal"};
  LiveJournal live(dir.path(), 2048);
  SnapshotterOptions options;
  options.dir = dir.path();
  options.symbols = one_symbol();
  options.keep = 1;
  PosixFileSystem posix;
  Snapshotter snapshotter(
      posix, options, [&live] { return live.writer().durable_seq(); }, nullptr);
  const auto commands = busy_commands(3000, 11);
  for (std::size_t at = 0; at < commands.size(); at += 1000) {
    live.run(slice(commands, at, 1000));
    const Status s = snapshotter.snapshot_now();
    ASSERT_TRUE(s.ok()) << s.to_string();
    EXPECT_EQ(snapshotter.last_snapshot_seq(), live.writer().durable_seq());
    std::unique_ptr<Engine> loaded;
    LoadedSnapshot snap;
    std::string warning;
    const Status l = load_newest_snapshot(posix, dir.path(), one_symbol(), EngineLimits{}, loaded,
                                          &snap, &warning);
    ASSERT_TRUE(l.ok()) << l.to_string();
    EXPECT_EQ(snap.last_seq, live.writer().durable_seq());
    EXPECT_EQ(loaded->state_hash(), live.engine().state_hash()) << at;
  }
  // Nothing new: no new snapshot.
  const std::uint64_t last = snapshotter.last_snapshot_seq();
  ASSERT_TRUE(snapshotter.snapshot_now().ok());
  EXPECT_EQ(snapshotter.last_snapshot_seq(), last);
  // keep = 1: only the newest snapshot and the segments after it are left, and a
  // restart (a new snapshotter) starts from that snapshot.
  EXPECT_LE(count_segments(dir.path()), 2u);
  Snapshotter again(
      posix, options, [&live] { return live.writer().durable_seq(); }, nullptr);
  live.run(busy_commands(200, 12));
  ASSERT_TRUE(again.snapshot_now().ok());
  EXPECT_EQ(again.last_snapshot_seq(), live.writer().durable_seq());
}

TEST(Snapshotter, ItsThreadKeepsUpWithAJournalBeingWritten) {
  TempDir dir{"spot-journal"};
  LiveJournal live(dir.path(), 4096);
  SnapshotterOptions options;
  options.dir = dir.path();
  options.symbols = one_symbol();
  options.interval_ms = 20;
  options.follow_ms = 5;
  PosixFileSystem posix;
  std::atomic<int> errors{0};
  Snapshotter snapshotter(
      posix, options, [&live] { return live.writer().durable_seq(); }, nullptr,
      [&errors](const Status&) { ++errors; });
  snapshotter.start();
  const auto commands = busy_commands(4000, 21);
  for (std::size_t at = 0; at < commands.size(); at += 100) {
    live.run(slice(commands, at, 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (snapshotter.last_snapshot_seq() < live.writer().durable_seq() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  snapshotter.stop();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(snapshotter.last_snapshot_seq(), live.writer().durable_seq());
  std::unique_ptr<Engine> loaded;
  LoadedSnapshot snap;
  std::string warning;
  ASSERT_TRUE(
      load_newest_snapshot(posix, dir.path(), one_symbol(), EngineLimits{}, loaded, &snap, &warning)
          .ok());
  EXPECT_EQ(loaded->state_hash(), live.engine().state_hash());
}

TEST(Snapshotter, AJournalItCannotFollowIsReportedAndRetriedFromDisk) {
  TempDir dir{"spot-journal"};
  write_all(dir.path(), sample_commands(20));
  const std::string segment = dir.path() + "/" + segment_name(1);
  fs::resize_file(segment, fs::file_size(segment) - 5);
  SnapshotterOptions options;
  options.dir = dir.path();
  options.symbols = one_symbol();
  PosixFileSystem posix;
  const std::uint64_t durable = sample_commands(20).size();
  Snapshotter snapshotter(
      posix, options, [durable] { return durable; }, nullptr);
  const Status s = snapshotter.snapshot_now();
  EXPECT_EQ(s.code(), StatusCode::Corruption) << s.to_string();
  EXPECT_NE(s.message().find("missing or damaged"), std::string::npos) << s.to_string();
  EXPECT_EQ(snapshotter.last_snapshot_seq(), 0u);
  EXPECT_TRUE(fs::is_empty(dir.path()) || !fs::exists(dir.path() + "/" + snapshot_name(durable)));
}

}  // namespace
}  // namespace spot
