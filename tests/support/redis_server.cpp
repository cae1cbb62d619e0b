#include "redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace spot::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string kServer = SPOT_REDIS_SERVER;
constexpr int kStartAttempts = 5;
constexpr milliseconds kStartTimeout = seconds(20);
constexpr milliseconds kStopTimeout = seconds(20);
constexpr milliseconds kPollInterval = milliseconds(10);
constexpr std::size_t kLogTailBytes = 16 * 1024;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_of(const std::string& text) {
  return text.size() <= kLogTailBytes ? text : "..." + text.substr(text.size() - kLogTailBytes);
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("RedisServer: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("RedisServer: cannot bind 127.0.0.1:0");
  return ntohs(addr.sin_port);
}

bool process_alive(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return false;
  const char state = stat[close_paren + 2];
  return state != 'Z' && state != 'X';
}

std::optional<int> wait_child(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (Clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

using Context = std::unique_ptr<redisContext, void (*)(redisContext*)>;

Context connect_to(int port) {
  const timeval tv{5, 0};
  Context c(redisConnectWithTimeout("127.0.0.1", port, tv), redisFree);
  if (c == nullptr || c->err != 0) {
    throw std::runtime_error("RedisServer: cannot connect to 127.0.0.1:" + std::to_string(port) +
                             (c ? std::string(": ") + c->errstr : std::string()));
  }
  redisSetTimeout(c.get(), tv);
  return c;
}

std::string reply_text(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r.integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < r.elements; ++i) {
        if (i > 0) out += '\n';
        out += reply_text(*r.element[i]);
      }
      return out;
    }
    default:
      return std::string(r.str, r.len);
  }
}

std::string run(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data()));
  if (raw == nullptr) throw std::runtime_error(std::string("RedisServer: ") + c->errstr);
  std::unique_ptr<redisReply, void (*)(void*)> reply(raw, freeReplyObject);
  if (reply->type == REDIS_REPLY_ERROR) {
    throw std::runtime_error("RedisServer: " + args[0] + ": " + std::string(raw->str, raw->len));
  }
  return reply_text(*reply);
}

// Removes the directories of servers whose owner process is gone (their servers got
// SIGKILL with their owner, unless frozen: killed here by their pid file).
void sweep_stale(const fs::path& parent) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("srv-", 0) != 0) continue;
    const auto dash = name.find('-', 4);
    if (dash == std::string::npos) continue;
    const std::string owner = name.substr(4, dash - 4);
    if (owner.empty() || !std::all_of(owner.begin(), owner.end(), ::isdigit)) continue;
    if (process_alive(static_cast<pid_t>(std::stol(owner)))) continue;
    const std::string server = read_text(it->path() / "server.pid");
    if (!server.empty()) kill(static_cast<pid_t>(std::stol(server)), SIGKILL);
    std::error_code remove_ec;
    fs::remove_all(it->path(), remove_ec);
  }
}

}  // namespace

RedisServer::RedisServer() {
  const fs::path parent = fs::temp_directory_path() / "spotd-redistest";
  fs::create_directories(parent);
  {
    const int lock = open((parent / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
      throw std::runtime_error("RedisServer: cannot open the lock in " + parent.string());
    flock(lock, LOCK_EX);
    sweep_stale(parent);
    std::string pattern = (parent / ("srv-" + std::to_string(getpid()) + "-XXXXXX")).string();
    const bool made = mkdtemp(pattern.data()) != nullptr;
    close(lock);
    if (!made) throw std::runtime_error("RedisServer: mkdtemp in " + parent.string() + " failed");
    dir_ = pattern;
  }
  log_path_ = dir_ + "/redis.log";
  try {
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
      port_ = free_port();
      if (start_on(port_)) return;
    }
    fail(std::to_string(kStartAttempts) + " free ports were all taken before redis bound them");
  } catch (...) {
    cleanup();
    throw;
  }
}

RedisServer::~RedisServer() { cleanup(); }

void RedisServer::cleanup() noexcept {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    kill(pid_, SIGKILL);
    wait_child(pid_, kStopTimeout);
    pid_ = -1;
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string RedisServer::url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

std::string RedisServer::log() const { return read_text(log_path_); }

void RedisServer::fail(const std::string& what) const {
  throw std::runtime_error("RedisServer (port " + std::to_string(port_) + ", " + dir_ +
                           "): " + what + "; log:\n" + tail_of(log()));
}

// Starts redis-server on `port`; false if the port was taken, throws on any other failure.
bool RedisServer::start_on(int port) {
  const std::size_t log_from = fs::exists(log_path_) ? fs::file_size(log_path_) : 0;
  const std::vector<std::string> args = {
      kServer,       "--bind", "127.0.0.1", "--port",       std::to_string(port),
      "--daemonize", "no",     "--dir",     dir_,           "--logfile",
      log_path_,     "--save", "",          "--appendonly", "no"};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("RedisServer: fork failed");
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0) {
      _exit(126);
    }
    close_range(3, ~0U, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::ofstream(dir_ + "/server.pid") << pid;
  const auto deadline = Clock::now() + kStartTimeout;
  while (true) {
    if (const auto status = wait_child(pid, milliseconds(0))) {
      const std::string text = log();
      if (text.substr(std::min(log_from, text.size())).find("Address already in use") !=
          std::string::npos) {
        return false;
      }
      fail("redis-server exited while starting (status " + std::to_string(*status) + ")");
    }
    try {
      Context c = connect_to(port);
      if (run(c.get(), {"PING"}) == "PONG") {
        pid_ = pid;
        return true;
      }
    } catch (const std::exception&) {
      // not listening yet
    }
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      wait_child(pid, kStopTimeout);
      fail("not answering PING after " + std::to_string(kStartTimeout.count()) + " ms");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void RedisServer::stop() {
  if (pid_ <= 0) throw std::logic_error("RedisServer::stop: not running");
  thaw();
  kill(pid_, SIGTERM);
  if (!wait_child(pid_, kStopTimeout)) fail("still running after SIGTERM");
  pid_ = -1;
}

void RedisServer::start() {
  if (pid_ > 0) throw std::logic_error("RedisServer::start: already running");
  if (!start_on(port_)) fail("port " + std::to_string(port_) + " was taken while stopped");
}

void RedisServer::kill_hard() {
  if (pid_ <= 0) throw std::logic_error("RedisServer::kill_hard: not running");
  kill(pid_, SIGKILL);
  frozen_ = false;
  if (!wait_child(pid_, kStopTimeout)) fail("survived SIGKILL");
  pid_ = -1;
}

void RedisServer::freeze() {
  if (pid_ <= 0) throw std::logic_error("RedisServer::freeze: not running");
  kill(pid_, SIGSTOP);
  frozen_ = true;
}

void RedisServer::thaw() {
  if (frozen_ && pid_ > 0) kill(pid_, SIGCONT);
  frozen_ = false;
}

std::string RedisServer::command(const std::vector<std::string>& args) const {
  Context c = connect_to(port_);
  return run(c.get(), args);
}

std::vector<std::string> RedisServer::pipeline(
    const std::vector<std::vector<std::string>>& commands) const {
  Context c = connect_to(port_);
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    redisAppendCommandArgv(c.get(), static_cast<int>(args.size()), argv.data(), lengths.data());
  }
  std::vector<std::string> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c.get(), &raw) != REDIS_OK || raw == nullptr) {
      throw std::runtime_error(std::string("RedisServer: pipeline: ") + c->errstr);
    }
    std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                       freeReplyObject);
    out.push_back(reply->type == REDIS_REPLY_ERROR
                      ? "(error) " + std::string(reply->str, reply->len)
                      : reply_text(*reply));
  }
  return out;
}

std::vector<std::string> RedisServer::keys(const std::string& pattern) const {
  Context c = connect_to(port_);
  std::vector<std::string> out;
  std::string cursor = "0";
  do {
    auto* raw = static_cast<redisReply*>(
        redisCommand(c.get(), "SCAN %s MATCH %s COUNT 1000", cursor.c_str(), pattern.c_str()));
    if (raw == nullptr) throw std::runtime_error(std::string("RedisServer: SCAN: ") + c->errstr);
    std::unique_ptr<redisReply, void (*)(void*)> reply(raw, freeReplyObject);
    if (raw->type != REDIS_REPLY_ARRAY || raw->elements != 2) {
      throw std::runtime_error("RedisServer: SCAN: unexpected reply");
    }
    cursor.assign(raw->element[0]->str, raw->element[0]->len);
    for (std::size_t i = 0; i < raw->element[1]->elements; ++i) {
      out.emplace_back(raw->element[1]->element[i]->str, raw->element[1]->element[i]->len);
    }
  } while (cursor != "0");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace spot::test
