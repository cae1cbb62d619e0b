// The systemd service manager's notification protocol (sd_notify(3)), written directly:
// a datagram to the unix socket named by $NOTIFY_SOCKET ("@..." is the abstract
// namespace). spotd says READY=1 once it takes orders, STOPPING=1 when it starts to
// drain, and, when the unit sets WatchdogSec= ($WATCHDOG_USEC, for this process when
// $WATCHDOG_PID says so or is unset), WATCHDOG=1 at half that interval for as long as
// the matching thread is alive. Without $NOTIFY_SOCKET every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace spot {

class ServiceNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID once.
  ServiceNotifier();

  bool enabled() const { return !socket_path_.empty(); }
  // The interval at which to send WATCHDOG=1 (half of WatchdogSec), if the unit asks.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  // Sends `state` ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=..."), newline-separated
  // assignments. False (and nothing else happens) when disabled or the send failed.
  bool notify(std::string_view state) const;

 private:
  std::string socket_path_;
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace spot
