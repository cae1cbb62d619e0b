#include "ops/prometheus_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "integration/spotd_process.h"

namespace spot::test {
namespace {

using Clock = std::chrono::steady_clock;
namespace http = boost::beast::http;

// A port nobody listens on now: bind 127.0.0.1:0 and read what the kernel chose. It may
// be taken again before Prometheus binds it; start_on then reports false.
std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("PrometheusServer: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("PrometheusServer: cannot bind 127.0.0.1:0");
  return ntohs(addr.sin_port);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error("PrometheusServer: cannot write " + path);
}

}  // namespace

std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

PrometheusServer::PrometheusServer(const std::string& target, const std::string& rules) {
  std::string templ = (std::filesystem::temp_directory_path() / "spotd-prom-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("PrometheusServer: mkdtemp");
  dir_ = templ;
  log_path_ = dir_ + "/prometheus.log";
  try {
    write_file(dir_ + "/alerts.yml", rules.empty() ? "groups: []\n" : rules);
    write_file(dir_ + "/prometheus.yml",
               "global:\n"
               "  scrape_interval: 1s\n"
               "  scrape_timeout: 1s\n"
               "  evaluation_interval: 1s\n"
               "rule_files:\n"
               "  - alerts.yml\n"
               "scrape_configs:\n"
               "  - job_name: spotd\n"
               "    static_configs:\n"
               "      - targets: [\"" +
                   target + "\"]\n");
    bool started = false;
    for (int attempt = 0; attempt < 5 && !started; ++attempt) started = start_on(free_port());
    if (!started) fail("no free port after 5 attempts");
    // Ready is not scraping yet: targets reach the scrape loop some seconds later (its
    // discovery updates are throttled to one per 5 s). Wait for the first scrape.
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (std::isnan(query_value("up"))) {
      if (Clock::now() >= deadline) fail("no scrape of " + target + " within 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  } catch (...) {
    stop();
    throw;
  }
}

PrometheusServer::~PrometheusServer() { stop(); }

bool PrometheusServer::start_on(std::uint16_t port) {
  const std::vector<std::string> args = {
      SPOT_PROMETHEUS_PATH,
      "--config.file=" + dir_ + "/prometheus.yml",
      "--storage.tsdb.path=" + dir_ + "/data",
      "--storage.tsdb.retention.time=1h",
      "--web.listen-address=127.0.0.1:" + std::to_string(port),
      "--log.level=info",
  };
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) fail("cannot open its log or /dev/null");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  if (pid < 0) fail("fork failed");
  pid_ = pid;
  port_ = port;
  // Ready when /-/ready answers 200 (the TSDB is open and the rules are loaded).
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (log().find("address already in use") != std::string::npos) return false;
      fail("exited during start-up (status " + std::to_string(status) + ")");
    }
    try {
      if (HttpClient(port_).request(http::verb::get, "/-/ready").status == 200) return true;
    } catch (const std::exception&) {
      // Not listening yet.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fail("not ready within 30 s");
}

void PrometheusServer::stop() noexcept {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PrometheusServer::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void PrometheusServer::fail(const std::string& what) const {
  throw std::runtime_error("PrometheusServer: " + what + "\n--- prometheus log:\n" + log());
}

nlohmann::json PrometheusServer::get(const std::string& target) const {
  const HttpReply r = HttpClient(port_).request(http::verb::get, target);
  try {
    return nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception&) {
    fail("GET " + target + ": status " + std::to_string(r.status) + ", not JSON: " + r.body);
  }
}

nlohmann::json PrometheusServer::query(const std::string& expr) const {
  return get("/api/v1/query?query=" + url_encode(expr));
}

double PrometheusServer::query_value(const std::string& expr) const {
  const nlohmann::json r = query(expr);
  if (r.value("status", "") != "success" || r["data"]["resultType"] != "vector" ||
      r["data"]["result"].size() != 1) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::stod(r["data"]["result"][0]["value"][1].get<std::string>());
}

}  // namespace spot::test
