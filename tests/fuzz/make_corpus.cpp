// Writes the binary seed corpora of tests/fuzz/corpus/ with the production encoders:
//   spot_fuzz_make_corpus <corpus dir>
// tcp_frame/: client and server messages (proto::tcp::encode), one per file and a
// stream of several; journal_record/: one journal segment of real commands
// (encode_command, frame_record) and bare command payloads; snapshot/: the state of an
// engine that has run those commands (Engine::serialize). The HTTP and config seeds
// are text, written by hand.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "spot/engine/engine.h"
#include "spot/journal/codec.h"
#include "spot/proto/tcp.h"

namespace {

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    std::cerr << "make_corpus: cannot write " << path << "\n";
    std::exit(1);
  }
}

spot::SubmitOrder limit(std::uint64_t account, spot::Side side, spot::Ticks price, spot::Lots qty) {
  spot::SubmitOrder o;
  o.account = spot::AccountId{account};
  o.symbol = 0;
  o.side = side;
  o.type = spot::OrderType::Limit;
  o.tif = spot::TimeInForce::Gtc;
  o.price = price;
  o.qty = qty;
  return o;
}

// A short session: two accounts, deposits, a resting order, a crossing one, a cancel,
// a withdrawal, a MARKET BUY by quote amount.
std::vector<spot::CommandBody> session() {
  std::vector<spot::CommandBody> commands;
  commands.push_back(spot::CreateAccount{"alice", std::string(64, 'a')});
  commands.push_back(spot::CreateAccount{"bob", std::string(64, 'b')});
  commands.push_back(spot::Deposit{{spot::AccountId{1}, "USDT", 1'000'000'000'000, "dep-1"}});
  commands.push_back(spot::Deposit{{spot::AccountId{2}, "BTC", 1'000'000'000, "dep-2"}});
  commands.push_back(limit(2, spot::Side::Sell, 3'000'000, 2'000));
  spot::SubmitOrder buy = limit(1, spot::Side::Buy, 3'000'000, 500);
  buy.client_order_id = "c-1";
  commands.push_back(buy);
  commands.push_back(limit(1, spot::Side::Buy, 2'990'000, 100));
  commands.push_back(spot::CancelRequest{spot::AccountId{1}, spot::OrderId{3}});
  commands.push_back(spot::Withdraw{{spot::AccountId{2}, "BTC", 1'000, "wd-1"}});
  spot::SubmitOrder market;
  market.account = spot::AccountId{1};
  market.type = spot::OrderType::Market;
  market.tif = spot::TimeInForce::Ioc;
  market.quote_qty = 100'000'000;
  commands.push_back(market);
  return commands;
}

void tcp_corpus(const std::string& dir) {
  namespace tcp = spot::proto::tcp;
  std::string stream;
  auto add = [&](const std::string& name, auto&& encode_one) {
    std::string bytes;
    encode_one(bytes);
    write(dir + "/" + name, bytes);
    stream += bytes;
  };
  add("login", [](std::string& out) { tcp::encode(tcp::Login{std::string(32, 'k')}, out); });
  add("enter_order", [](std::string& out) {
    tcp::EnterOrder m;
    m.client_order_id = 7;
    m.side = spot::Side::Sell;
    m.price = 3'000'000;
    m.qty = 250;
    m.post_only = true;
    tcp::encode(m, out);
  });
  add("enter_quote_order", [](std::string& out) {
    tcp::encode(tcp::EnterQuoteOrder{8, 0, spot::Side::Buy, 100'000'000}, out);
  });
  add("cancel", [](std::string& out) { tcp::encode(tcp::CancelOrderMsg{42}, out); });
  add("balance_query", [](std::string& out) { tcp::encode(tcp::BalanceQuery{9, 0, "USDT"}, out); });
  add("heartbeat", [](std::string& out) { tcp::encode_heartbeat(out); });
  add("executed", [](std::string& out) {
    tcp::encode(tcp::Executed{7, 42, 3, 3'000'000, 100, 150, 'M'}, out);
  });
  add("balance", [](std::string& out) {
    tcp::encode(tcp::BalanceMsg{9, 1, "USDT", 8, 1'000, 20}, out);
  });
  write(dir + "/stream", stream);
}

void journal_and_snapshot(const std::string& journal_dir, const std::string& snapshot_dir) {
  spot::Engine engine(spot::fuzz::symbol_specs(), spot::fuzz::engine_limits());
  std::string segment;
  std::uint64_t seq = 0;
  for (const spot::CommandBody& command : session()) {
    const std::string request_id = "req-" + std::to_string(seq + 1);
    const std::int64_t time_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(seq);
    engine.execute(command, request_id, time_ns);
    const std::string payload = spot::journal::encode_command(command, request_id, time_ns);
    spot::journal::frame_record(++seq, payload, segment);
    if (seq == 1 || seq == 3 || seq == 6 || seq == 8)
      write(journal_dir + "/command-" + std::to_string(seq), payload);
    if (seq == 6) {
      std::string state;
      engine.serialize(state);
      write(snapshot_dir + "/after-6", state);
    }
  }
  write(journal_dir + "/segment", segment);
  std::string state;
  engine.serialize(state);
  write(snapshot_dir + "/after-10", state);
  std::string empty;
  spot::Engine(spot::fuzz::symbol_specs(), spot::fuzz::engine_limits()).serialize(empty);
  write(snapshot_dir + "/empty-engine", empty);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: spot_fuzz_make_corpus <corpus dir>\n";
    return 2;
  }
  const std::string root = argv[1];
  tcp_corpus(root + "/tcp_frame");
  journal_and_snapshot(root + "/journal_record", root + "/snapshot");
  return 0;
}
