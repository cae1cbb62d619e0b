#include "postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace spot::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string kBinDir = SPOT_POSTGRES_BIN_DIR;
const std::vector<std::string> kInitdbOptions = {"-U", "postgres", "--auth=trust",
                                                 "-E", "UTF8",     "--locale=C"};
// Part of the template's key with the PostgreSQL version and kInitdbOptions: raise it when
// what the template holds changes (now: database spotd), so that old templates are not used.
const std::string kTemplateRevision = "1";
constexpr int kStartAttempts = 5;  // free ports tried before giving up
constexpr milliseconds kStartTimeout = seconds(60);
constexpr milliseconds kStopTimeout = seconds(60);
constexpr milliseconds kKillTimeout = seconds(10);
constexpr milliseconds kPollInterval = milliseconds(10);
constexpr std::size_t kLogTailBytes = 16 * 1024;
constexpr std::uint64_t kMinShmFreeBytes = 1ull << 30;  // to put the servers on /dev/shm
constexpr std::size_t kMaxSocketPathBytes = 107;        // sizeof(sockaddr_un::sun_path) - 1

bool all_digits(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail_of(const std::string& text) {
  return text.size() <= kLogTailBytes ? text : "..." + text.substr(text.size() - kLogTailBytes);
}

// The postgres account the server runs as; none to switch to unless we are root.
struct PostgresUser {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

PostgresUser postgres_user() {
  PostgresUser user;
  if (geteuid() != 0) return user;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    throw std::runtime_error("PostgresServer: no user postgres (Debian package postgresql-15)");
  }
  user.switch_user = true;
  user.uid = pw->pw_uid;
  user.gid = pw->pw_gid;
  int count = 64;
  user.groups.resize(static_cast<std::size_t>(count));
  if (getgrouplist("postgres", pw->pw_gid, user.groups.data(), &count) < 0) {
    user.groups.resize(static_cast<std::size_t>(count));
    getgrouplist("postgres", pw->pw_gid, user.groups.data(), &count);
  }
  user.groups.resize(static_cast<std::size_t>(count));
  return user;
}

// Makes `path` the postgres user's, mode 700.
void own_by_postgres(const fs::path& path) {
  const PostgresUser user = postgres_user();
  if (user.switch_user && chown(path.c_str(), user.uid, user.gid) != 0) {
    throw std::runtime_error("PostgresServer: chown postgres " + path.string() + " failed");
  }
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace);
}

std::vector<std::string> as_postgres(std::vector<std::string> args) {
  if (geteuid() == 0) args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
  return args;
}

struct CommandResult {
  int status = -1;  // exit status, or -signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1000;
}

// Runs args[0] (looked up in PATH) in directory `cwd`, stdin /dev/null, and collects its
// stdout and stderr; SIGKILL at `timeout`.
CommandResult run_command(const std::vector<std::string>& args, milliseconds timeout,
                          const std::string& cwd, const std::vector<std::string>& env) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("PostgresServer: pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::runtime_error("PostgresServer: pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("PostgresServer: cannot run " + args[0] + ": " + std::strerror(rc));
  }

  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  const auto deadline = Clock::now() + timeout;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative descriptors
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = decode_status(status);
  return result;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

std::string describe(const std::vector<std::string>& args, const CommandResult& r) {
  std::string what;
  for (const auto& a : args) what += (what.empty() ? "" : " ") + a;
  what += r.timed_out ? " timed out" : " exited " + std::to_string(r.status);
  return what + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

CommandResult run_psql(int port, const std::string& database, const std::string& sql,
                       milliseconds timeout) {
  // Only our settings: a PGPASSWORD or PGSERVICE of the caller must not change the target.
  std::vector<std::string> env;
  for (auto& e : current_environment()) {
    if (e.rfind("PG", 0) != 0) env.push_back(std::move(e));
  }
  const auto timeout_s = std::max<std::int64_t>(2, (timeout.count() + 999) / 1000);
  env.push_back("PGCONNECT_TIMEOUT=" + std::to_string(timeout_s));
  const std::vector<std::string> args = {
      kBinDir + "/psql",    "-X", "-At",      "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
      std::to_string(port), "-U", "postgres", "-d", database,          "-c", sql};
  return run_command(args, timeout, "/", env);
}

// A port nobody listens on now: bind 127.0.0.1:0 and read what the kernel chose. It may be
// taken again before the server binds it; the start then reports PortTaken.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("PostgresServer: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) throw std::runtime_error("PostgresServer: cannot bind 127.0.0.1:0");
  return ntohs(addr.sin_port);
}

// The state letter of /proc/<pid>/stat (R, S, T, Z, ...), or 0 if there is no such process.
char process_state(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return 0;
  return stat[close_paren + 2];
}

bool process_alive(pid_t pid) {
  const char state = process_state(pid);
  return state != 0 && state != 'Z' && state != 'X';
}

// Every live process of the cluster in `data_dir` (canonical): the postmaster chdirs to its
// data directory and every backend inherits that, also one orphaned by a dead postmaster.
std::vector<pid_t> cluster_processes(const std::string& data_dir) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!all_digits(name)) continue;
    std::error_code link_ec;
    const fs::path cwd = fs::read_symlink(it->path() / "cwd", link_ec);
    if (!link_ec && cwd == data_dir) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

// SIGKILLs every process of the cluster (again, until none is left); false if some
// survive `timeout`.
bool kill_cluster(const std::string& data_dir, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const std::vector<pid_t> pids = cluster_processes(data_dir);
    if (pids.empty()) return true;
    if (Clock::now() > deadline) return false;
    for (const pid_t pid : pids) kill(pid, SIGKILL);
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Reaps child `pid` if it exits within `timeout`; its status, or nullopt if still running.
std::optional<int> wait_child(pid_t pid, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1000;  // not our child any more
    if (Clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Waits until every process in `pids` has the state `state`; false after `timeout`.
bool wait_state(const std::vector<pid_t>& pids, char state, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (const pid_t pid : pids) {
    while (process_alive(pid) && process_state(pid) != state) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(1));
    }
  }
  return true;
}

// Forks the postmaster as our child, as the postgres user, output appended to `log_path`.
// It gets SIGQUIT (immediate shutdown) when the calling thread exits.
pid_t spawn_postmaster(const std::string& dir, const std::string& data_dir, int port,
                       const std::string& log_path) {
  // A Unix socket path is at most 107 bytes; with a longer directory, TCP only.
  const std::string sockets = dir.size() + 17 <= kMaxSocketPathBytes ? dir : "";
  // recovery_init_sync_method=syncfs: after a crash, one syncfs(2) instead of an fsync per
  // file, 0.1 s instead of up to 4 s beside a running build.
  const std::vector<std::string> args = {kBinDir + "/postgres",
                                         "-D",
                                         data_dir,
                                         "-p",
                                         std::to_string(port),
                                         "-c",
                                         "listen_addresses=127.0.0.1",
                                         "-c",
                                         "unix_socket_directories=" + sockets,
                                         "-c",
                                         "fsync=on",
                                         "-c",
                                         "recovery_init_sync_method=syncfs"};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const PostgresUser user = postgres_user();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("PostgresServer: fork failed");
  if (pid > 0) return pid;
  // The child: only async-signal-safe calls from here to exec.
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (log_fd < 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
      dup2(log_fd, 2) < 0 || chdir(dir.c_str()) != 0) {
    _exit(126);
  }
  close_range(3, ~0U, 0);  // the test's sockets and files stay the test's
  if (user.switch_user && (setgroups(user.groups.size(), user.groups.data()) != 0 ||
                           setgid(user.gid) != 0 || setuid(user.uid) != 0)) {
    _exit(126);
  }
  // After setuid, which clears it; and the parent may already be gone.
  if (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || getppid() != parent) _exit(126);
  execv(argv[0], argv.data());
  _exit(127);
}

enum class Started { Ready, PortTaken };

// Starts the postmaster and waits until postmaster.pid says "ready" (accepting
// connections). Throws with the log on any failure but a taken port.
Started start_postmaster(const std::string& dir, const std::string& data_dir, int port,
                         const std::string& log_path, pid_t& pid_out) {
  std::error_code ec;
  const auto log_from =
      static_cast<std::size_t>(fs::exists(log_path, ec) ? fs::file_size(log_path, ec) : 0);
  const pid_t pid = spawn_postmaster(dir, data_dir, port, log_path);
  const std::string pid_file = data_dir + "/postmaster.pid";
  const auto deadline = Clock::now() + kStartTimeout;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      const std::string log = read_text(log_path);
      const std::string this_start = log.size() > log_from ? log.substr(log_from) : "";
      if (this_start.find("could not create any TCP/IP sockets") != std::string::npos) {
        return Started::PortTaken;
      }
      throw std::runtime_error("PostgresServer: postgres on port " + std::to_string(port) +
                               " exited (" + std::to_string(decode_status(status)) +
                               ") while starting; log " + log_path + ":\n" + tail_of(log));
    }
    // postmaster.pid, line 1 the pid, line 8 the status ("starting", then "ready").
    std::istringstream lines(read_text(pid_file));
    std::vector<std::string> line;
    for (std::string l; std::getline(lines, l);) line.push_back(l);
    if (line.size() >= 8 && line[0] == std::to_string(pid) && line[7].rfind("ready", 0) == 0) {
      pid_out = pid;
      return Started::Ready;
    }
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      kill_cluster(data_dir, kKillTimeout);
      wait_child(pid, kKillTimeout);
      throw std::runtime_error("PostgresServer: postgres on port " + std::to_string(port) +
                               " not ready after " + std::to_string(kStartTimeout.count()) +
                               " ms; log " + log_path + ":\n" + tail_of(read_text(log_path)));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Starts the postmaster on a free port, trying another if that one was taken meanwhile.
int start_on_free_port(const std::string& dir, const std::string& data_dir,
                       const std::string& log_path, pid_t& pid_out) {
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    const int port = free_port();
    if (start_postmaster(dir, data_dir, port, log_path, pid_out) == Started::Ready) return port;
  }
  throw std::runtime_error("PostgresServer: " + std::to_string(kStartAttempts) +
                           " free ports were all taken before postgres bound them; log " +
                           log_path + ":\n" + tail_of(read_text(log_path)));
}

// An exclusive flock(2) on a file, held for the object's life; close-on-exec, so that a
// postmaster forked meanwhile does not hold it.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("PostgresServer: cannot open " + path.string());
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        close(fd_);
        throw std::runtime_error("PostgresServer: cannot lock " + path.string());
      }
    }
  }
  ~FileLock() { close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// Where the servers live: $SPOT_TEST_PG_ROOT if set; else /dev/shm when it is a tmpfs
// with room (a server's copy and start take ~0.1 s there, and up to ~1 s on ext4 beside a
// running build: creating the copy's ~1300 files is what costs); else the temp directory.
// Durability against SIGKILL does not need a disk, the page cache survives it.
fs::path servers_root() {
  if (const char* root = std::getenv("SPOT_TEST_PG_ROOT"); root != nullptr && *root != 0) {
    return root;
  }
  struct statfs shm {};
  if (statfs("/dev/shm", &shm) == 0 && shm.f_type == TMPFS_MAGIC &&
      static_cast<std::uint64_t>(shm.f_bavail) * static_cast<std::uint64_t>(shm.f_bsize) >=
          kMinShmFreeBytes &&
      access("/dev/shm", W_OK | X_OK) == 0) {
    return "/dev/shm";
  }
  return fs::temp_directory_path();
}

// <root>/spotd-pgtest: one parent for every test server and the template, searchable by
// postgres.
fs::path servers_parent() {
  const fs::path parent = servers_root() / "spotd-pgtest";
  fs::create_directories(parent);
  struct stat st {};
  if (stat(parent.c_str(), &st) == 0 && st.st_uid == geteuid()) {
    fs::permissions(parent, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::replace);
  }
  return parent;
}

// Removes the directories of servers whose owner process is gone, killing any of their
// processes first (a frozen server does not act on its parent-death signal). Names are
// srv-<owner pid>-XXXXXX. REQUIRES: the parent's lock is held.
void sweep_stale_servers(const fs::path& parent) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("srv-", 0) != 0) continue;
    const auto dash = name.find('-', 4);
    if (dash == std::string::npos) continue;
    const std::string owner = name.substr(4, dash - 4);
    if (!all_digits(owner)) continue;
    if (process_alive(static_cast<pid_t>(std::stol(owner)))) continue;
    std::error_code canonical_ec;
    const fs::path data = fs::canonical(it->path() / "data", canonical_ec);
    if (!canonical_ec) kill_cluster(data.string(), kKillTimeout);
    std::error_code remove_ec;
    fs::remove_all(it->path(), remove_ec);
  }
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// The template cluster's data directory: initdb'ed once per PostgreSQL version, initdb
// options and kTemplateRevision, with database spotd, cleanly shut down. Made if missing.
// REQUIRES: the parent's lock is held.
fs::path template_data_dir(const fs::path& parent) {
  const std::vector<std::string> version_args = {kBinDir + "/initdb", "--version"};
  const CommandResult version = run_command(version_args, seconds(30), "/", current_environment());
  if (version.status != 0) {
    throw std::runtime_error("PostgresServer: " + describe(version_args, version));
  }
  std::string key_text = version.out + kTemplateRevision;
  for (const auto& option : kInitdbOptions) key_text += " " + option;
  std::ostringstream key;
  key << std::hex << fnv1a(key_text);
  const fs::path templ = parent / ("template-" + key.str());
  const fs::path data = templ / "data";
  if (fs::exists(templ / "complete")) return data;

  // Templates of another version or revision: not used again (they hold 40 MB each,
  // memory on /dev/shm).
  for (const auto& entry : fs::directory_iterator(parent)) {
    if (entry.path().filename().string().rfind("template-", 0) == 0) fs::remove_all(entry.path());
  }
  fs::create_directory(templ);
  own_by_postgres(templ);
  const std::string log_path = (templ / "postgres.log").string();
  std::vector<std::string> initdb = {kBinDir + "/initdb", "-D", data.string()};
  initdb.insert(initdb.end(), kInitdbOptions.begin(), kInitdbOptions.end());
  initdb = as_postgres(initdb);
  const CommandResult made =
      run_command(initdb, seconds(120), templ.string(), current_environment());
  if (made.status != 0) throw std::runtime_error("PostgresServer: " + describe(initdb, made));

  const std::string canonical_data = fs::canonical(data).string();
  pid_t pid = -1;
  const int port = start_on_free_port(templ.string(), canonical_data, log_path, pid);
  const CommandResult created = run_psql(port, "postgres", "CREATE DATABASE spotd", seconds(60));
  kill(pid, SIGINT);  // fast shutdown: a clean cluster to copy
  const std::optional<int> stopped = wait_child(pid, kStopTimeout);
  if (!stopped) {
    kill_cluster(canonical_data, kKillTimeout);
    wait_child(pid, kKillTimeout);
  }
  if (created.status != 0 || !stopped || *stopped != 0) {
    throw std::runtime_error("PostgresServer: making the template in " + templ.string() +
                             " failed: " +
                             (created.status != 0 ? describe({"psql"}, created)
                                                  : "the server did not shut down cleanly") +
                             "\nlog:\n" + tail_of(read_text(log_path)));
  }
  std::ofstream(templ / "complete") << version.out;
  return data;
}

}  // namespace

PostgresServer::PostgresServer() {
  const fs::path parent = servers_parent();
  fs::path template_data;
  {
    const FileLock lock(parent / "lock");
    sweep_stale_servers(parent);
    template_data = template_data_dir(parent);
    // Made under the lock: a sweep sees the owner (us) alive from the start.
    std::string pattern = (parent / ("srv-" + std::to_string(getpid()) + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("PostgresServer: mkdtemp in " + parent.string() + " failed");
    }
    dir_ = pattern;
  }
  try {
    own_by_postgres(dir_);
    log_path_ = dir_ + "/postgres.log";
    const std::vector<std::string> copy = {"cp", "-a", template_data.string(), dir_ + "/data"};
    const CommandResult copied = run_command(copy, seconds(60), "/", current_environment());
    if (copied.status != 0) throw std::runtime_error("PostgresServer: " + describe(copy, copied));
    data_dir_ = fs::canonical(dir_ + "/data").string();
    port_ = start_on_free_port(dir_, data_dir_, log_path_, pid_);
  } catch (...) {
    cleanup();
    throw;
  }
}

PostgresServer::~PostgresServer() { cleanup(); }

void PostgresServer::cleanup() noexcept {
  try {
    if (pid_ > 0) {
      thaw();
      kill(pid_, SIGQUIT);  // immediate shutdown
      if (!wait_child(pid_, kKillTimeout)) {
        kill(pid_, SIGKILL);
        wait_child(pid_, kKillTimeout);
      }
      pid_ = -1;
    }
    if (!data_dir_.empty()) kill_cluster(data_dir_, kKillTimeout);
  } catch (...) {
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PostgresServer::url() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/spotd";
}

std::string PostgresServer::log() const { return read_text(log_path_); }

void PostgresServer::fail(const std::string& what) const {
  throw std::runtime_error("PostgresServer (port " + std::to_string(port_) + ", " + dir_ +
                           "): " + what + "; log:\n" + tail_of(log()));
}

void PostgresServer::stop_with(int signal_number, milliseconds timeout) {
  if (pid_ <= 0) throw std::logic_error("PostgresServer::stop: not running");
  thaw();
  kill(pid_, signal_number);
  if (!wait_child(pid_, timeout))
    fail("still running " + std::to_string(timeout.count()) + " ms after signal " +
         std::to_string(signal_number));
  pid_ = -1;
  if (!kill_cluster(data_dir_, kKillTimeout)) fail("processes left after the postmaster exited");
}

void PostgresServer::stop() { stop_with(SIGINT, kStopTimeout); }

void PostgresServer::start() {
  if (pid_ > 0) throw std::logic_error("PostgresServer::start: already running");
  if (start_postmaster(dir_, data_dir_, port_, log_path_, pid_) == Started::PortTaken) {
    fail("port " + std::to_string(port_) + " was taken while the server was stopped");
  }
}

void PostgresServer::kill_hard() {
  if (pid_ <= 0) throw std::logic_error("PostgresServer::kill_hard: not running");
  kill(pid_, SIGKILL);  // first, so that it starts no new backend
  const bool all_gone = kill_cluster(data_dir_, kKillTimeout);
  const bool reaped = wait_child(pid_, kKillTimeout).has_value();
  pid_ = -1;
  frozen_.clear();
  if (!all_gone || !reaped) fail("processes survived SIGKILL");
}

void PostgresServer::freeze() {
  if (pid_ <= 0) throw std::logic_error("PostgresServer::freeze: not running");
  if (!frozen_.empty()) return;
  // The postmaster first and until it is stopped, so that it forks no backend we miss.
  kill(pid_, SIGSTOP);
  frozen_.push_back(pid_);
  if (!wait_state(frozen_, 'T', kKillTimeout)) fail("the postmaster did not stop on SIGSTOP");
  for (const pid_t pid : cluster_processes(data_dir_)) {
    if (pid == pid_) continue;
    kill(pid, SIGSTOP);
    frozen_.push_back(pid);
  }
  if (!wait_state(frozen_, 'T', kKillTimeout)) fail("a backend did not stop on SIGSTOP");
}

void PostgresServer::thaw() {
  // Backends first, the postmaster (frozen_[0]) last.
  for (auto it = frozen_.rbegin(); it != frozen_.rend(); ++it) kill(*it, SIGCONT);
  frozen_.clear();
}

std::string PostgresServer::psql(const std::string& sql, milliseconds timeout) const {
  const CommandResult r = run_psql(port_, "spotd", sql, timeout);
  if (r.timed_out) {
    throw std::runtime_error("psql on port " + std::to_string(port_) + " timed out after " +
                             std::to_string(timeout.count()) + " ms: " + sql);
  }
  if (r.status != 0) {
    throw std::runtime_error("psql on port " + std::to_string(port_) + " exited " +
                             std::to_string(r.status) + ": " + r.err + "(sql: " + sql + ")");
  }
  std::string out = r.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace spot::test
