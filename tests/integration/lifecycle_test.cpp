// spotd as a process: --help, --version, configuration errors, graceful shutdown.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "spotd_process.h"

namespace spot::test {
namespace {

namespace http = boost::beast::http;

TEST(Lifecycle, HelpAndVersion) {
  const auto help = run_spotd({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.output.find("http.max_body_bytes"), std::string::npos);
  EXPECT_NE(help.output.find("--config"), std::string::npos);
  const auto version = run_spotd({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_NE(version.output.find("spotd 0."), std::string::npos);
}

struct BadConfig {
  const char* name;
  std::vector<std::string> args;
  std::string toml;
  const char* must_name;
};

TEST(Lifecycle, BadConfigurationNamesTheKeyAndExits2) {
  const std::string symbol = "[[symbols]]\nname = \"A\"\ntick_size = \"0.01\"\nlot_size = \"1\"\n";
  const std::vector<BadConfig> cases = {
      {"bad port", {"--set", "http.port=abc"}, symbol, "http.port"},
      {"port range", {"--http-port", "70000"}, symbol, "http.port"},
      {"unknown key", {"--set", "http.nope=1"}, symbol, "http.nope"},
      {"unknown toml key", {}, "[http]\nprot = 1\n" + symbol, "http.prot"},
      {"no symbols", {}, "[http]\nport = 1\n", "symbols"},
      {"bad tick",
       {},
       "[[symbols]]\nname = \"A\"\ntick_size = \"x\"\nlot_size = \"1\"\n",
       "symbols[0].tick_size"},
      {"toml syntax", {}, "[http\n" + symbol, "line"},
      {"queue not power of two",
       {"--set", "engine.queue_capacity=1000"},
       symbol,
       "engine.queue_capacity"},
      {"bad log level", {"--log-level", "loud"}, symbol, "log.level"},
      {"missing file", {"--config", "/nonexistent/spotd.toml"}, "", "no such file"},
  };
  for (const BadConfig& c : cases) {
    const auto r = run_spotd(c.args, c.toml);
    EXPECT_EQ(r.status, 2) << c.name << ": " << r.output;
    EXPECT_NE(r.output.find(c.must_name), std::string::npos) << c.name << ": " << r.output;
  }
}

TEST(Lifecycle, EnvironmentOverridesTheFile) {
  setenv("SPOT_HTTP_MAX_CONNECTIONS", "nope", 1);
  const auto r =
      run_spotd({}, "[[symbols]]\nname = \"A\"\ntick_size = \"0.01\"\nlot_size = \"1\"\n");
  unsetenv("SPOT_HTTP_MAX_CONNECTIONS");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("SPOT_HTTP_MAX_CONNECTIONS"), std::string::npos) << r.output;
}

// systemd's Type=notify and WatchdogSec=, as config/spotd.service sets them: READY=1 once
// spotd takes orders, watchdog pings at half the interval, STOPPING=1 on SIGTERM.
TEST(Lifecycle, TellsTheServiceManagerReadyWatchdogAndStopping) {
  const std::string path = "/tmp/spotd-notify-" + std::to_string(getpid());
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  unlink(path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto receive = [&] {
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n < 0 ? std::string("(nothing)") : std::string(buf, static_cast<std::size_t>(n));
  };
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  setenv("WATCHDOG_USEC", "400000", 1);  // pings every 200 ms
  unsetenv("WATCHDOG_PID");
  auto spotd = std::make_unique<SpotdProcess>();
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(receive(), "READY=1\nSTATUS=taking orders");
  // Ready means ready: an order is taken now.
  const std::string key = spotd->create_account("n");
  EXPECT_EQ(receive(), "WATCHDOG=1");
  EXPECT_EQ(receive(), "WATCHDOG=1");
  EXPECT_EQ(spotd->terminate(), 0);
  tv = timeval{0, 500'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string last;
  for (std::string m = receive(); m != "(nothing)"; m = receive()) last = m;
  EXPECT_EQ(last, "STOPPING=1");
  close(fd);
  unlink(path.c_str());
}

TEST(Lifecycle, SigtermAnswersInFlightRequestsThenExitsZero) {
  SpotdProcess spotd;
  const std::string key = spotd.create_account();
  HttpClient client(spotd.http_port());
  std::string bytes;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    const std::string body =
        R"({"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","quantity":"1","price":"10"})";
    bytes +=
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
  }
  boost::asio::write(client.socket(), boost::asio::buffer(bytes));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(spotd.pid(), SIGTERM);
  // Every request that reached spotd before the signal is answered (201), or refused
  // cleanly as draining (503) - never dropped silently.
  int answered = 0;
  int created = 0;
  while (answered < kRequests) {
    HttpReply r;
    try {
      r = client.pipeline("", 1).front();
    } catch (const std::exception&) {
      break;
    }
    ++answered;
    if (r.status == 201) ++created;
    EXPECT_TRUE(r.status == 201 || r.status == 503) << r.status;
    if (r.status == 503) break;  // draining answers close the connection
  }
  EXPECT_GT(created, 0);
  const int status = spotd.wait_exit(std::chrono::seconds(10));
  EXPECT_EQ(status, 0);
  const std::string log = spotd.log();
  EXPECT_NE(log.find("signal received, draining"), std::string::npos);
  EXPECT_NE(log.find("spotd stopped"), std::string::npos);
  // The listener is closed.
  EXPECT_THROW(HttpClient{spotd.http_port()}, std::exception);
}

}  // namespace
}  // namespace spot::test
