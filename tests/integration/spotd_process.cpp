#include "spotd_process.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

extern char** environ;

namespace spot::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

const char* kBaseConfig = R"(
[log]
level = "debug"

[[symbols]]
name = "BTC-USDT"
tick_size = "0.01"
lot_size = "0.001"
min_price = "0.01"
max_price = "1000000.00"
min_qty = "0.001"
max_qty = "1000.000"

[[symbols]]
name = "ETH-USDT"
tick_size = "0.05"
lot_size = "0.01"
)";

// What create_account deposits into every account, per asset of kBaseConfig.
const std::pair<const char*, const char*> kTestFunds[] = {
    {"BTC", "100000"}, {"ETH", "100000"}, {"USDT", "100000000"}};

std::string make_temp_dir() {
  std::string templ = (std::filesystem::temp_directory_path() / "spotd-test-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return templ;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path, bool merge_stdout) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (merge_stdout) {
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn failed for " + args[0]);
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

}  // namespace

std::string json_field(const std::string& json, const std::string& name) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains(name)) return {};
  const auto& v = j[name];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

SpotdProcess::SpotdProcess(std::vector<std::string> extra_args, std::string extra_toml,
                           std::string journal_dir, std::string binary) {
  dir_ = make_temp_dir();
  journal_dir_ = journal_dir.empty() ? dir_ + "/journal" : journal_dir;
  const std::string config = dir_ + "/spotd.toml";
  std::ofstream(config) << extra_toml << "\n" << kBaseConfig;
  log_path_ = dir_ + "/spotd.log";
  const std::string ports = dir_ + "/ports.json";
  std::vector<std::string> args = {binary.empty() ? std::string(SPOTD_PATH) : binary,
                                   "--config",
                                   config,
                                   "--http-port",
                                   "0",
                                   "--tcp-port",
                                   "0",
                                   "--admin-port",
                                   "0",
                                   "--admin-token",
                                   token_,
                                   "--ports-file",
                                   ports,
                                   "--set",
                                   "http.address=127.0.0.1",
                                   "--set",
                                   "tcp.address=127.0.0.1",
                                   "--set",
                                   "journal.dir=" + journal_dir_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, log_path_, false);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!std::filesystem::exists(ports)) {
    if (std::chrono::steady_clock::now() > deadline || !running()) {
      throw std::runtime_error("spotd did not start; log:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto j = nlohmann::json::parse(read_file(ports));
  http_port_ = j["http"].get<std::uint16_t>();
  tcp_port_ = j["tcp"].get<std::uint16_t>();
  admin_port_ = j["admin"].get<std::uint16_t>();
  while (HttpClient(admin_port_).request(http::verb::get, "/readyz").status != 200) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("spotd never ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

SpotdProcess::~SpotdProcess() {
  // A clean stop first, so that coverage data and logs are flushed; then force.
  if (pid_ > 0 && running() && terminate(std::chrono::seconds(5)) == -2000) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SpotdProcess::log() const { return read_file(log_path_); }

bool SpotdProcess::wait_for_log(const std::string& text, std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool SpotdProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int SpotdProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1000;
  kill(pid_, SIGTERM);
  return wait_exit(timeout);
}

int SpotdProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1000;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return decode_status(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -2000;  // still running
}

std::string SpotdProcess::create_account(const std::string& name, bool funded) {
  HttpClient admin(admin_port_);
  const auto reply =
      admin.request(http::verb::post, "/admin/v1/accounts", "{\"name\":\"" + name + "\"}",
                    {{"Authorization", "Bearer " + token_}});
  if (reply.status != 201) throw std::runtime_error("account creation failed: " + reply.body);
  // Every test account can pay for what the tests trade: spotd checks balances.
  if (funded) fund(std::stoull(json_field(reply.body, "accountId")));
  return json_field(reply.body, "apiKey");
}

void SpotdProcess::fund(std::uint64_t account) {
  for (const auto& [asset, amount] : kTestFunds) deposit(account, asset, amount);
}

std::string SpotdProcess::deposit(std::uint64_t account, const std::string& asset,
                                  const std::string& amount, std::string reference) {
  if (reference.empty()) reference = "fund-" + std::to_string(account) + "-" + asset;
  HttpClient admin(admin_port_);
  const auto reply =
      admin.request(http::verb::post, "/admin/v1/accounts/" + std::to_string(account) + "/deposits",
                    R"({"asset":")" + asset + R"(","amount":")" + amount + R"(","reference":")" +
                        reference + R"("})",
                    {{"Authorization", "Bearer " + token_}});
  if (reply.status != 201 && reply.status != 200) {
    throw std::runtime_error("deposit failed: " + reply.body);
  }
  return reply.body;
}

ExitResult run_spotd(const std::vector<std::string>& args, const std::string& config_toml) {
  const std::string dir = make_temp_dir();
  std::vector<std::string> full = {SPOTD_PATH};
  if (!config_toml.empty()) {
    std::ofstream(dir + "/c.toml") << config_toml;
    full.push_back("--config");
    full.push_back(dir + "/c.toml");
  }
  full.insert(full.end(), args.begin(), args.end());
  const std::string out = dir + "/out.txt";
  const pid_t pid = spawn(full, out, true);
  int status = 0;
  waitpid(pid, &status, 0);
  ExitResult r{decode_status(status), read_file(out)};
  std::filesystem::remove_all(dir);
  return r;
}

ExitResult run_program(const std::vector<std::string>& args) {
  const std::string dir = make_temp_dir();
  const std::string out = dir + "/out.txt";
  const pid_t pid = spawn(args, out, true);
  int status = 0;
  waitpid(pid, &status, 0);
  ExitResult r{decode_status(status), read_file(out)};
  std::filesystem::remove_all(dir);
  return r;
}

HttpClient::HttpClient(std::uint16_t port) : socket_(ioc_) {
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

HttpReply HttpClient::read_one() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(socket_, buffer_, parser);
  const auto& res = parser.get();
  HttpReply out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& field : res)
    out.headers[std::string(field.name_string())] = std::string(field.value());
  return out;
}

HttpReply HttpClient::request(http::verb method, const std::string& target, const std::string& body,
                              const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket_, req);
  return read_one();
}

HttpReply HttpClient::raw(const std::string& bytes) {
  asio::write(socket_, asio::buffer(bytes));
  return read_one();
}

std::vector<HttpReply> HttpClient::pipeline(const std::string& bytes, std::size_t n) {
  asio::write(socket_, asio::buffer(bytes));
  std::vector<HttpReply> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(read_one());
  return out;
}

bool HttpClient::try_write(const std::string& bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes), ec);
  return !ec;
}

std::optional<HttpReply> HttpClient::try_read() {
  try {
    return read_one();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool HttpClient::closed_by_server(std::chrono::milliseconds timeout) {
  pollfd p{socket_.native_handle(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  boost::system::error_code ec;
  const std::size_t n = socket_.read_some(asio::buffer(&c, 1), ec);
  return ec || n == 0;
}

TcpClient::TcpClient(std::uint16_t port) : socket_(ioc_) {
  socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void TcpClient::send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

proto::tcp::Frame TcpClient::Msg::frame() const {
  proto::tcp::Frame f;
  f.type = type;
  f.payload = std::span<const std::uint8_t>(payload.data(), payload.size());
  f.frame_bytes = payload.size() + 3;
  return f;
}

std::optional<TcpClient::Msg> TcpClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    proto::tcp::Frame frame;
    const auto status = proto::tcp::next_frame(buffer_, 65535, frame);
    if (status == proto::tcp::FrameStatus::Complete) {
      Msg m{frame.type, std::vector<std::uint8_t>(frame.payload.begin(), frame.payload.end())};
      buffer_.erase(buffer_.begin(),
                    buffer_.begin() + static_cast<std::ptrdiff_t>(frame.frame_bytes));
      return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{socket_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
    std::uint8_t chunk[4096];
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(chunk), ec);
    if (ec || n == 0) return std::nullopt;
    buffer_.insert(buffer_.end(), chunk, chunk + n);
  }
}

std::optional<TcpClient::Msg> TcpClient::receive_non_heartbeat(std::chrono::milliseconds timeout) {
  while (true) {
    auto m = receive(timeout);
    if (!m || m->type != 'H') return m;
  }
}

bool TcpClient::login(const std::string& api_key) {
  std::string out;
  proto::tcp::encode(proto::tcp::Login{api_key}, out);
  send(out);
  const auto reply = receive_non_heartbeat();
  return reply && reply->type == 'a';
}

}  // namespace spot::test
