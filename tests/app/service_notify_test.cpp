// The sd_notify protocol against a real unix datagram socket: the notifier alone (unit),
// and a real spotd that says READY=1, pings the watchdog and says STOPPING=1 (the
// daemon test is in tests/integration/lifecycle_test.cpp).
#include "spot/app/service_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace spot {
namespace {

// A datagram socket bound to `path` ("@name": the abstract namespace).
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (path[0] == '@') addr.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    EXPECT_EQ(bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len), 0) << strerror(errno);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() {
    close(fd_);
    if (path_[0] == '/') unlink(path_.c_str());
  }
  std::string receive() {
    char buf[512];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

struct Env {
  Env(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~Env() { unsetenv(name_); }
  const char* name_;
};

TEST(ServiceNotifier, WithoutNotifySocketDoesNothing) {
  unsetenv("NOTIFY_SOCKET");
  const ServiceNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_FALSE(n.notify("READY=1"));
}

TEST(ServiceNotifier, SendsToAPathAndToTheAbstractNamespace) {
  for (const std::string& path : {"/tmp/spot-notify-" + std::to_string(getpid()),
                                  "@spot-notify-" + std::to_string(getpid())}) {
    NotifySocket s(path);
    const Env env("NOTIFY_SOCKET", path);
    const ServiceNotifier n;
    ASSERT_TRUE(n.enabled()) << path;
    EXPECT_TRUE(n.notify("READY=1\nSTATUS=taking orders"));
    EXPECT_EQ(s.receive(), "READY=1\nSTATUS=taking orders");
  }
}

TEST(ServiceNotifier, WatchdogAtHalfTheIntervalOnlyForThisProcess) {
  {
    const Env usec("WATCHDOG_USEC", "4000000");
    unsetenv("WATCHDOG_PID");
    EXPECT_EQ(ServiceNotifier().watchdog_interval(), std::chrono::microseconds(2'000'000));
    const Env pid("WATCHDOG_PID", std::to_string(getpid()));
    EXPECT_EQ(ServiceNotifier().watchdog_interval(), std::chrono::microseconds(2'000'000));
  }
  {
    const Env usec("WATCHDOG_USEC", "4000000");
    const Env pid("WATCHDOG_PID", std::to_string(getpid() + 1));
    EXPECT_FALSE(ServiceNotifier().watchdog_interval());
  }
  unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(ServiceNotifier().watchdog_interval());
}

}  // namespace
}  // namespace spot
