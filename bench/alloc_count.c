// Heap allocation counter for any dynamically linked program (issue 14: allocations per
// order). LD_PRELOAD it; it counts every malloc, calloc, realloc and aligned allocation
// (posix_memalign, aligned_alloc, memalign, valloc, pvalloc) per thread. C++ operator
// new calls malloc, so it is counted as a malloc. free is not counted.
//
//   cc -O2 -shared -fPIC -o alloc_count.so bench/alloc_count.c
//   ALLOC_COUNT_OUT=/tmp/counts LD_PRELOAD=./alloc_count.so build/release/spotd ...
//   kill -USR2 <pid>     # appends one dump to ALLOC_COUNT_OUT (default: stderr)
//
// A dump is one line per thread that allocated, then "end":
//   thread <tid> <comm> malloc <n> calloc <n> realloc <n> aligned <n> total <n>
//   total malloc <n> calloc <n> realloc <n> aligned <n> total <n>
//   end
// (counts since start; a dump also happens at exit). Environment: ALLOC_COUNT_OUT (file
// appended to), ALLOC_COUNT_SIGNAL (signal number; default SIGUSR2, 0: none). Threads
// beyond kMaxThreads are counted in the last slot, named "(others)". The counters are
// relaxed atomics: a dump while threads allocate is a consistent count per counter.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// glibc's own allocator entry points: no dlsym, so no allocation while resolving.
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);

enum { kMalloc, kCalloc, kRealloc, kAligned, kKinds };
enum { kMaxThreads = 512 };
static const char* const kKindNames[kKinds] = {"malloc", "calloc", "realloc", "aligned"};

struct Slot {
  _Atomic long tid;
  _Atomic unsigned long counts[kKinds];
};
static struct Slot g_slots[kMaxThreads];
static _Atomic int g_used;
static __thread struct Slot* t_slot;

static struct Slot* slot(void) {
  if (t_slot) return t_slot;
  int i = atomic_fetch_add_explicit(&g_used, 1, memory_order_relaxed);
  if (i >= kMaxThreads) {
    i = kMaxThreads - 1;
  } else {
    atomic_store_explicit(&g_slots[i].tid, (long)syscall(SYS_gettid), memory_order_relaxed);
  }
  t_slot = &g_slots[i];
  return t_slot;
}

static void count(int kind) {
  atomic_fetch_add_explicit(&slot()->counts[kind], 1, memory_order_relaxed);
}

void* malloc(size_t n) {
  count(kMalloc);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count(kCalloc);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count(kRealloc);
  return __libc_realloc(p, n);
}
void* memalign(size_t align, size_t n) {
  count(kAligned);
  return __libc_memalign(align, n);
}
void* aligned_alloc(size_t align, size_t n) { return memalign(align, n); }
int posix_memalign(void** out, size_t align, size_t n) {
  if (align % sizeof(void*) != 0 || (align & (align - 1)) != 0) return 22;  // EINVAL
  void* p = memalign(align, n);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void* valloc(size_t n) { return memalign((size_t)sysconf(_SC_PAGESIZE), n); }
void* pvalloc(size_t n) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return memalign(page, (n + page - 1) / page * page);
}

// Dumping: async-signal-safe (open, read, write, no stdio, no allocation).
struct Out {
  char buf[256];
  size_t len;
};
static void put(struct Out* o, const char* s) {
  while (*s && o->len < sizeof o->buf) o->buf[o->len++] = *s++;
}
static void put_number(struct Out* o, unsigned long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n > 0 && o->len < sizeof o->buf) o->buf[o->len++] = digits[--n];
}
static void put_counts(struct Out* o, const unsigned long* c) {
  unsigned long total = 0;
  for (int k = 0; k < kKinds; ++k) {
    put(o, " ");
    put(o, kKindNames[k]);
    put(o, " ");
    put_number(o, c[k]);
    total += c[k];
  }
  put(o, " total ");
  put_number(o, total);
  put(o, "\n");
}
static void thread_name(long tid, char* name, size_t size) {
  struct Out path = {.len = 0};
  put(&path, "/proc/self/task/");
  put_number(&path, (unsigned long)tid);
  put(&path, "/comm");
  path.buf[path.len < sizeof path.buf ? path.len : sizeof path.buf - 1] = '\0';
  name[0] = '\0';
  const int fd = open(path.buf, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {  // the thread has ended
    strcpy(name, "(ended)");
    return;
  }
  const ssize_t n = read(fd, name, size - 1);
  close(fd);
  size_t len = n > 0 ? (size_t)n : 0;
  while (len > 0 && name[len - 1] == '\n') --len;
  name[len] = '\0';
  for (size_t i = 0; i < len; ++i) {
    if (name[i] == ' ') name[i] = '_';
  }
}

static void dump(void) {
  const char* path = getenv("ALLOC_COUNT_OUT");
  const int fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : 2;
  if (fd < 0) return;
  int used = atomic_load_explicit(&g_used, memory_order_relaxed);
  if (used > kMaxThreads) used = kMaxThreads;
  unsigned long totals[kKinds] = {0};
  for (int i = 0; i < used; ++i) {
    unsigned long c[kKinds];
    for (int k = 0; k < kKinds; ++k) {
      c[k] = atomic_load_explicit(&g_slots[i].counts[k], memory_order_relaxed);
      totals[k] += c[k];
    }
    const long tid = atomic_load_explicit(&g_slots[i].tid, memory_order_relaxed);
    char name[32];
    if (i == kMaxThreads - 1 && used == kMaxThreads) {
      strcpy(name, "(others)");
    } else {
      thread_name(tid, name, sizeof name);
    }
    struct Out o = {.len = 0};
    put(&o, "thread ");
    put_number(&o, (unsigned long)tid);
    put(&o, " ");
    put(&o, name);
    put_counts(&o, c);
    (void)!write(fd, o.buf, o.len);
  }
  struct Out o = {.len = 0};
  put(&o, "total");
  put_counts(&o, totals);
  put(&o, "end\n");
  (void)!write(fd, o.buf, o.len);
  if (fd != 2) close(fd);
}

static void on_signal(int signo) {
  (void)signo;
  const int saved = errno;
  dump();
  errno = saved;
}

__attribute__((constructor)) static void start(void) {
  const char* s = getenv("ALLOC_COUNT_SIGNAL");
  const int signo = s && *s ? atoi(s) : SIGUSR2;
  if (signo > 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(signo, &sa, NULL);
  }
}

__attribute__((destructor)) static void finish(void) { dump(); }
