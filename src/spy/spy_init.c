/*
 * spy_init.c: the spy's life cycle: options, start-up (lazily, from the
 * first intercepted call or the library constructor, whichever comes
 * first), fork, and every way out of the process (return from main,
 * exit(), _exit(), fatal signals). SIGKILL needs nothing here: the
 * profile is a shared mapping that is always up to date.
 *
 * Must never: allocate from the heap while tracking (spy_busy guards the
 * calls to dlsym and pthread_atfork that may), print with stdio, or block
 * unboundedly on exit paths.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "spy.h"
#include "spy_sample.h"
#include "spy_scan.h"
#include "spy_check.h"
#include "spy_guard_sample.h"
#include "spy_locks.h"

volatile int spy_status;
struct spy_options spy_opt;
__thread int spy_busy SPY_TLS;

static uint64_t start_mono_ns;
static void (*real_exit)(int);
static void (*cxx_freeres)(void);
static int fini_done;

extern void __libc_freeres(void);
extern char **environ;

static uint64_t mono_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t spy_now_ms(void) {
  return (uint32_t)((mono_ns(CLOCK_MONOTONIC_COARSE) - start_mono_ns) / 1000000);
}

/* ---- options ------------------------------------------------------- */

#ifndef SPY_ATTACH_BUILD
/* HEAPSPY_OPTIONS may be read before libc has set environ (the first
 * malloc can come from the dynamic loader): fall back to the kernel's
 * copy of the initial environment. */
static const char *options_env(char *buf, size_t cap) {
  if (environ) return getenv("HEAPSPY_OPTIONS");
  int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n <= 0) return NULL;
  buf[n] = 0;
  for (char *p = buf; p < buf + n; p += strlen(p) + 1)
    if (strncmp(p, "HEAPSPY_OPTIONS=", 16) == 0) return p + 16;
  return NULL;
}
#endif

/* Expand %p (pid) and %% in a profile path pattern. */
static void expand_path(char *out, size_t cap, const char *pat) {
  size_t n = 0;
  for (const char *p = pat; *p && n + 1 < cap; p++) {
    if (p[0] == '%' && p[1] == 'p') {
      n += spy_fmt(out + n, cap - n, "%d", (int)getpid());
      p++;
    } else if (p[0] == '%' && p[1] == '%') {
      out[n++] = '%';
      p++;
    } else {
      out[n++] = *p;
    }
  }
  out[n < cap ? n : cap - 1] = 0;
}

static char profile_pattern[1024] = "heapspy.%p.hsp";

/* s: HEAPSPY_OPTIONS' syntax, or NULL for the defaults. */
static void parse_options(const char *s) {
  spy_options_defaults();
  while (s && *s) {
    char name[64], val[1024];
    size_t n = 0, v = 0;
    while (*s && *s != '=' && *s != ':' && n + 1 < sizeof name) name[n++] = *s++;
    name[n] = 0;
    if (*s == '=') s++;
    while (*s && *s != ':' && v + 1 < sizeof val) {
      if (*s == '\\' && s[1]) s++;     /* "\:" is a literal colon */
      val[v++] = *s++;
    }
    val[v] = 0;
    if (*s == ':') s++;
    if (!spy_option_set(name, val))
      spy_warn("unknown option '%s' in HEAPSPY_OPTIONS, ignored", name);
  }
  if (spy_opt.profile[0]) spy_strlcpy(profile_pattern, spy_opt.profile, sizeof profile_pattern);
  if (spy_opt.depth < 1) spy_opt.depth = 1;
  if (spy_opt.depth > 256) spy_opt.depth = 256;
  expand_path(spy_opt.profile, sizeof spy_opt.profile, profile_pattern);
}

void spy_options_defaults(void) {
#define DEF_STR(key, field, size, def) spy_strlcpy(spy_opt.field, def, sizeof spy_opt.field);
#define DEF_NUM(key, field, def) spy_opt.field = def;
#define DEF_BOOL(key, field, def) spy_opt.field = def;
  SPY_OPTIONS(DEF_STR, DEF_NUM, DEF_BOOL)
#undef DEF_STR
#undef DEF_NUM
#undef DEF_BOOL
}

int spy_option_set(const char *name, const char *val) {
  char *unit;
  long num = strtol(val, &unit, 10);
  int shift = *unit == 'K' || *unit == 'k' ? 10 : *unit == 'M' || *unit == 'm' ? 20 :
              *unit == 'G' || *unit == 'g' ? 30 : 0;    /* sizes: K, M, G suffixes */
  if (shift)   /* saturated: the environment may hold anything (t1207) */
    num = num < 0 ? 0 : num > (LONG_MAX >> shift) ? LONG_MAX : num << shift;
  int yes = strcmp(val, "1") == 0 || strcmp(val, "yes") == 0 ||
            strcmp(val, "true") == 0;
#define OPT_STR(n, field, size, def) if (!strcmp(name, n)) { spy_strlcpy(spy_opt.field, val, sizeof spy_opt.field); return 1; }
  unsigned unum = num < 0 ? 0 : num > (long)UINT_MAX ? UINT_MAX : (unsigned)num;  /* saturated too */
#define OPT_NUM(n, field, def) if (!strcmp(name, n)) { spy_opt.field = unum; return 1; }
#define OPT_BOOL(n, field, def) if (!strcmp(name, n)) { spy_opt.field = yes; return 1; }
  SPY_OPTIONS(OPT_STR, OPT_NUM, OPT_BOOL)
#undef OPT_STR
#undef OPT_NUM
#undef OPT_BOOL
  return 0;
}

#ifndef SPY_ATTACH_BUILD   /* attach: the environment is the program's own */
/* ---- environment of children ---------------------------------------- */

static void unset_in_place(const char *name) {
  size_t len = strlen(name);
  for (char **e = environ; e && *e; e++) {
    if (strncmp(*e, name, len) || (*e)[len] != '=') continue;
    char **d = e;
    do { d[0] = d[1]; } while (*d++);
    return;
  }
}

/* An LD_PRELOAD entry (n bytes at tok) is this library: by its name, or
 * by its file under another name (a copy preloaded by hand would
 * otherwise spy on every child with the default options). Our own file
 * is looked up once, only for an entry whose name does not say. */
static int preloads_us(const char *tok, size_t n) {
  for (const char *q = tok; q + 10 <= tok + n; q++)
    if (!strncmp(q, "libheapspy", 10)) return 1;
  static int self_known;               /* 0: not looked up, 1: found, -1: not found */
  static struct stat self;
  if (!self_known) {
    Dl_info info;
    self_known = dladdr((void *)preloads_us, &info) && info.dli_fname &&
                 stat(info.dli_fname, &self) == 0 ? 1 : -1;
  }
  char path[PATH_MAX];
  struct stat st;
  if (self_known < 0 || n >= sizeof path) return 0;
  memcpy(path, tok, n);
  path[n] = 0;
  return stat(path, &st) == 0 && st.st_dev == self.st_dev && st.st_ino == self.st_ino;
}

/* Children exec'd by the program run unspied unless follow_children:
 * drop our library from LD_PRELOAD (keeping any others) and our options.
 * Edits the strings in place: they only get shorter. */
static void strip_child_environment(void) {
  if (spy_opt.follow_children || !environ) return;
  char *lp = getenv("LD_PRELOAD");
  if (lp) {
    char *w = lp;
    for (char *r = lp; *r;) {
      while (*r == ':' || *r == ' ') r++;
      char *tok = r;
      while (*r && *r != ':' && *r != ' ') r++;
      size_t n = (size_t)(r - tok);
      if (!n) break;
      if (preloads_us(tok, n)) continue;
      if (w != lp) *w++ = ':';
      memmove(w, tok, n);
      w += n;
    }
    *w = 0;
    if (!*lp) unset_in_place("LD_PRELOAD");
  }
  unset_in_place("HEAPSPY_OPTIONS");
}
#endif

/* ---- fork ------------------------------------------------------------- */

static void fork_prepare(void) {
  if (spy_status != SPY_READY) return;
  spy_busy++;
  spy_stacks_flush_counts();
  spy_blocks_lock_all();
  spy_stacks_lock();
  spy_check_lock();
  /* last: the tables as the child gets them, when it reads them: a
   * followed child, or an unspied one freeing --check's blocks */
  spy_arena_fork_prepare(spy_opt.follow_children || spy_check_on);
}

static void fork_parent(void) {
  if (spy_status != SPY_READY) return;
  spy_arena_fork_parent();
  spy_check_unlock();
  spy_stacks_unlock();
  spy_blocks_unlock_all();
  spy_busy--;
}

/* The arena first: the child's own copy (as of the fork), so that what
 * the steps after it reset or write (the locks held across the fork live
 * in it) is the child's, never the parent's file. */
static void fork_child(void) {
  if (spy_status != SPY_READY) return;
  spy_arena_fork_child();
  int spied = 0;
  char path[1024];
  if (spy_opt.follow_children) {
    expand_path(path, sizeof path, profile_pattern);
    spied = spy_arena_reopen_for_child(path) == 0;     /* warns when it cannot */
  }
  if (!spied) spy_arena_detach();
  spy_stacks_reset_lock();
  spy_blocks_reset_locks();
  spy_check_reset_lock();
  spy_gs_reset_lock();
  spy_thread_mem_fork_child();
  spy_threads_fork_child();
  spy_stop_fork_child();
  spy_trace_fork_child();
  if (spy_opt.child_silent) spy_silent = 1;
  if (spied) {
    spy_strlcpy(spy_opt.profile, path, sizeof spy_opt.profile);
    spy_hdr->ppid = spy_hdr->pid;
    spy_hdr->pid = getpid();
    spy_hdr->flags |= HSP_FLAG_FORK_CHILD;
  } else {
    spy_status = SPY_OFF;
    spy_sample_gate_update();
  }
  spy_locks_fork_child();
  spy_busy--;
}

/* ---- the ways out ------------------------------------------------------ */

static void finish(unsigned how, int code, int sig) {
  if (!spy_hdr || spy_status != SPY_READY) return;
  if (how != HSP_EXIT_SIGNAL) spy_threads_at_exit();   /* who else still runs */
  spy_cb_close();                      /* the table lists what is left, and takes new blocks */
  if (!spy_busy) {
    spy_blocks_settle();               /* the queued operations, then the batches */
    spy_blocks_flush_records();
    /* a signal handler's calls queued after the last spy call had drained
     * (between its drain and its spy_busy--, spy_leave): the newest ones */
    spy_busy++;
    if (spy_queued) spy_drain_queue();
    spy_busy--;
    spy_stacks_flush_counts();
  }
  /* the last point: as of exit; glibc is not asked from a crash or _exit
   * (a handler's, maybe), where an arena lock may be held */
  spy_timeline_tick_slow(spy_now_ms(), -1, how == HSP_EXIT_NORMAL ? SPY_TICK_FORCE : SPY_TICK_NO_GLIBC);
  if (!spy_hdr->exit_how) spy_hdr->exit_how = how;
  if (how != HSP_EXIT_NORMAL || code >= 0) {
    if (code >= 0) {
      spy_hdr->exit_code = code;
      spy_hdr->flags |= HSP_FLAG_EXIT_KNOWN;
    }
    if (sig) spy_hdr->exit_signal = sig;
  }
  spy_hdr->duration_ms = spy_now_ms();
}

/* The leak scan of a dying process (a fatal signal, _exit), as memcheck
 * classifies at both: only when the spy itself was not interrupted (its
 * tables are whole) and every table lock comes within a bounded wait. */
static void scan_dying(struct spy_scan_origin *origin) {
  if (!spy_hdr || spy_status != SPY_READY || spy_busy) return;
  spy_busy++;
  origin->dying = 1;
  spy_leak_scan(origin, NULL);
  spy_busy--;
}

/* A fault (SIGSEGV, SIGBUS) keeps its handler armed: threads may fault at
 * once (--guard steps each over its fault; two threads running into the
 * same bad block), and under SA_RESETHAND the second fault would kill the
 * process while the first thread is still writing the report. The first
 * thread reports, the others wait for the death it then causes. */
static int resets_itself(int sig) {
  return sig != SIGSEGV && sig != SIGBUS;
}

static void fatal_signal(int sig, siginfo_t *si, void *uc) {
  struct spy_scan_origin origin;
  SPY_SCAN_ORIGIN(&origin);
  /* the interrupted code's registers and stack are the roots, not ours */
  const greg_t *g = ((ucontext_t *)uc)->uc_mcontext.gregs;
  static const int callee_saved[6] = { REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15 };
  for (int r = 0; r < 6; r++) origin.regs[r] = (uint64_t)g[callee_saved[r]];
  uint64_t interrupted_sp = (uint64_t)g[REG_RSP];
  if (interrupted_sp > origin.stack) origin.stack = interrupted_sp;   /* not on an alternate stack */
  int inside_spy = spy_busy;
  if (!inside_spy && (spy_guard_recover(sig, si, uc) || spy_gs_recover(sig, si, uc)))
    return;                            /* the program runs on */
  if (!resets_itself(sig)) {
    /* one thread reports and dies of it; another one faulting meanwhile
     * waits for that death (the handler stays armed for it until then) */
    static int dying;
    if (__atomic_exchange_n(&dying, 1, __ATOMIC_ACQ_REL)) for (;;) pause();
  }
  spy_crash_explain(sig, si, uc);      /* a heap block at the address? */
  finish(HSP_EXIT_SIGNAL, -1, sig);
  /* a crash inside the spy may hold the arena lock: no scan, no samples then */
  if (!inside_spy) scan_dying(&origin);
  if (spy_hdr && spy_status == SPY_READY && !spy_busy) spy_capture_samples();
  if (!resets_itself(sig)) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
  }
  /* the default action is back; re-raise (blocked until the handler
   * returns, or the fault comes again) so the program dies exactly as it
   * would have (status, core dump) */
  raise(sig);
}

/* A request from `heapspy snapshot`. A daemon spends its life blocked in
 * poll, read or sleep and allocates nothing, so the request is served
 * here and now when this thread was not inside the spy: nothing of the
 * spy is half-done on its stack, and any spy lock is held by a thread
 * that runs on and lets it go (the scan holds the others the same way at
 * exit). Inside the spy, the thread serves it as it leaves (spy_leave).
 * The interrupted call restarts (SA_RESTART) or fails with EINTR where
 * signal(7) says it always does (nanosleep, poll...). */
static void snapshot_requested(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si;
  __atomic_store_n(&spy_request_pending, 1, __ATOMIC_SEQ_CST);
  spy_sample_gate_update();            /* the unsampled path must see it */
  if (spy_status != SPY_READY || spy_busy) return;
  int saved = errno;
  spy_sig_interrupted(uc);
  spy_busy++;
  spy_in_handler++;                    /* no mallinfo2 here (spy_glibc.c) */
  spy_leave();                         /* serves the pending request */
  spy_sig_clear();
  spy_in_handler--;
  errno = saved;
}

/* Only if the program leaves the signal alone; the profile says which
 * signal (0: none), and `heapspy snapshot` sends nothing else. */
static void install_snapshot_handler(void) {
  int sig = spy_opt.snapshot_signal ? SIGRTMIN + (int)spy_opt.snapshot_signal : 0;
  struct sigaction old, sa;
  if (!sig || sig > SIGRTMAX || sigaction(sig, NULL, &old) || old.sa_handler != SIG_DFL) return;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = snapshot_requested;
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) == 0) spy_hdr->snapshot_signal = sig;
}

static void install_fatal_handlers(void) {
  static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
  for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++) {
    struct sigaction old, sa;
    if (sigaction(sigs[i], NULL, &old) || old.sa_handler != SIG_DFL) continue;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fatal_signal;
    sa.sa_flags = SA_ONSTACK | SA_SIGINFO | (resets_itself(sigs[i]) ? SA_RESETHAND : 0);
    sigemptyset(&sa.sa_mask);
    sigaction(sigs[i], &sa, NULL);
  }
}

/* Attach with --guard-sample: SIGSEGV caught only for the guard slots, the
 * program's own crash stays its own (its default action, as unattached).
 * Never uninstalled: slots outlive detach (spy_attach_end), a fault on
 * one of them is then opened silently. */
static void attach_segv(int sig, siginfo_t *si, void *uc) {
  if (!spy_busy && spy_gs_recover(sig, si, uc)) return;
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(sig, &dfl, NULL);
  if (!si || si->si_code <= 0) raise(sig);   /* sent, not a fault: it does not come again */
}

static void install_attach_handlers(void) {
  struct sigaction old, sa;
  if (!spy_gs_on || sigaction(SIGSEGV, NULL, &old) || old.sa_handler != SIG_DFL) return;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = attach_segv;
  sa.sa_flags = SA_ONSTACK | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
}

SPY_EXPORT __attribute__((noreturn)) void exit(int code) {
  finish(HSP_EXIT_NORMAL, code, 0);
  if (!real_exit) {
    spy_internal++;
    real_exit = (void (*)(int))dlsym(RTLD_NEXT, "exit");
    spy_internal--;
  }
  if (real_exit) real_exit(code);
  syscall(SYS_exit_group, code);     /* not reached */
  __builtin_unreachable();
}

static __attribute__((noreturn, noinline)) void quick_exit_now(int code) {
  struct spy_scan_origin origin;
  SPY_SCAN_ORIGIN(&origin);
  finish(HSP_EXIT_UNDERSCORE, code, 0);
  scan_dying(&origin);                 /* memcheck classifies at _exit too */
  if (spy_hdr && spy_status == SPY_READY) spy_capture_samples();
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}
SPY_EXPORT __attribute__((noreturn)) void _exit(int code) { quick_exit_now(code); }
SPY_EXPORT __attribute__((noreturn)) void _Exit(int code) { quick_exit_now(code); }

/* The last word. glibc runs an exit handler registered while its exit
 * handlers run (spy_fini runs inside one of them, the loader's _dl_fini)
 * after the rest, so this runs after every library's destructor, the
 * ones the loader runs after ours included. If those allocated, the
 * scan is made again, so the blocks they leave get the verdicts
 * memcheck, which scans at the very end, gives them. */
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
static uint64_t allocs_at_scan;

/* Exit's classification, from the frame origin was taken in: the queued
 * operations and this thread's batches in, the scan, the hex dumps, and
 * how many blocks had entered the table by then. */
static void scan_at_exit(const struct spy_scan_origin *origin) {
  spy_blocks_settle();
  spy_stacks_flush_counts();
  spy_leak_scan(origin, NULL);
  spy_capture_samples();
  allocs_at_scan = spy_blocks_allocs();
}

static void last_word(void *unused) {
  struct spy_scan_origin origin;
  SPY_SCAN_ORIGIN(&origin);
  (void)unused;
  if (spy_status != SPY_READY || spy_busy) return;
  spy_blocks_settle();
  if (spy_blocks_allocs() != allocs_at_scan) scan_at_exit(&origin);
}

/* Runs among the library destructors; valgrind frees libc's and
 * libstdc++'s private caches at this point (freeres), and so do we unless
 * told otherwise, so "in use at exit" means what the program holds. */
__attribute__((destructor)) static void spy_fini(void) {
  struct spy_scan_origin origin;
  SPY_SCAN_ORIGIN(&origin);
  if (spy_status != SPY_READY || fini_done) return;
  fini_done = 1;
  finish(HSP_EXIT_NORMAL, -1, 0);
  if (spy_opt.run_cxx_freeres && cxx_freeres) cxx_freeres();
  if (spy_opt.run_libc_freeres) {
    __libc_freeres();
    spy_hdr->flags |= HSP_FLAG_FREERES;
  }
  if (spy_check_on) {                  /* quarantine: verified, given back */
    spy_busy++;
    spy_check_verify_all(1);
    spy_busy--;
  }
  scan_at_exit(&origin);
  spy_hdr->duration_ms = spy_now_ms();
  __atomic_store_n(&spy_hdr->state, HSP_STATE_EXITED, __ATOMIC_RELEASE);
  spy_count_each_call();
  /* a NULL DSO: __cxa_finalize of our own library would run it at once */
  spy_internal++;                      /* glibc may calloc a list block */
  __cxa_atexit(last_word, NULL, NULL);
  spy_internal--;
  if (!spy_opt.quiet) {
    char line[1200];
    size_t n = spy_fmt(line, sizeof line,
                       "heapspy: profile written to %s; view it with: "
                       "heapspy report %s\n", spy_opt.profile, spy_opt.profile);
    ssize_t w = write(2, line, n);
    (void)w;
  }
}

/* Returning from main ends in glibc's own call to exit(), which no
 * preload can intercept; wrapping main is how the exit code of a return
 * from main reaches the profile. _start calls __libc_start_main through
 * the PLT, after every library constructor (ours included) has run. */
typedef int (*main_fn)(int, char **, char **);
static main_fn real_main;

static int spy_main(int argc, char **argv, char **envp) {
  int code = real_main(argc, argv, envp);
  finish(HSP_EXIT_NORMAL, code & 0xff, 0);
  return code;
}

SPY_EXPORT int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                                 void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
  typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                          void (*)(void), void *);
  spy_internal++;
  start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
  spy_internal--;
  real_main = main;
  return real(spy_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* The last single-threaded moment: complete this thread's pending table
 * operations before a second thread can be handed one of their addresses. */
SPY_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                              void *(*fn)(void *), void *arg) {
  static int (*real)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
  if (!real) {
    spy_internal++;
    real = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))
        dlsym(RTLD_NEXT, "pthread_create");
    spy_internal--;
  }
  if (spy_status == SPY_READY && !spy_busy) {
    spy_busy++;
    spy_blocks_settle();
    spy_leave();
  }
  return real ? real(thread, attr, fn, arg) : EAGAIN;
}

/* A module going away may take cached unwind rules with it. */
SPY_EXPORT int dlclose(void *handle) {
  static int (*real)(void *);
  if (!real) {
    spy_internal++;
    real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
    spy_internal--;
  }
  int r = real ? real(handle) : -1;
  spy_unwind_invalidate();
  return r;
}

/* ---- start-up ----------------------------------------------------------- */

static void fill_header(const char *options) {
  struct hsp_header *h = spy_hdr;
  memcpy(h->magic, HSP_MAGIC, 8);
  h->version = HSP_VERSION;
  h->state = HSP_STATE_RUNNING;
  h->pid = getpid();
  h->ppid = getppid();
  h->depth = spy_opt.depth;
  h->start_unix_ns = mono_ns(CLOCK_REALTIME);
  h->nfamilies = HSP_FAM_FIRST_CUSTOM;
  spy_strlcpy(h->families[HSP_FAM_MALLOC], "malloc", HSP_FAMILY_NAME);
  spy_strlcpy(h->families[HSP_FAM_NEW], "new", HSP_FAMILY_NAME);
  spy_strlcpy(h->families[HSP_FAM_NEW_ARRAY], "new[]", HSP_FAMILY_NAME);
  ssize_t n = readlink("/proc/self/exe", h->program, sizeof h->program - 1);
  if (n < 0) n = 0;
  h->program[n] = 0;
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    n = read(fd, h->cmdline, sizeof h->cmdline - 1);
    close(fd);
    for (ssize_t i = 0; i < n - 1; i++)
      if (!h->cmdline[i]) h->cmdline[i] = ' ';
  }
  if (options) spy_strlcpy(h->options, options, sizeof h->options);
}

/* With follow_children an exec'd program keeps its pid, so %p names the
 * profile its previous image wrote: keep that one and number ours. */
static int avoid_previous_image(void) {
  struct hsp_header h;
  int fd = open(spy_opt.profile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, &h, sizeof h);
  close(fd);
  if (n != (ssize_t)sizeof h || memcmp(h.magic, HSP_MAGIC, 8) || h.pid != getpid()) return 0;
  char base[sizeof spy_opt.profile];
  spy_strlcpy(base, spy_opt.profile, sizeof base);
  for (int i = 1; i < 1000; i++) {
    spy_fmt(spy_opt.profile, sizeof spy_opt.profile, "%s.%d", base, i);
    struct stat st;
    if (lstat(spy_opt.profile, &st) != 0) return 1;
  }
  return 1;
}

/* A glob of * and ? against s. */
static int glob_match(const char *g, const char *s) {
  for (; *g; g++, s++) {
    if (*g == '*') {
      for (const char *t = s;; t++) {
        if (glob_match(g + 1, t)) return 1;
        if (!*t) return 0;
      }
    }
    if (!*s || (*g != '?' && *g != *s)) return 0;
  }
  return !*s;
}

/* valgrind's --trace-children-skip: an exec'd program (not the one
 * heapspy started, whose profile heapspy created empty) whose path or
 * name matches one of the comma-separated globs runs unspied. */
static int skipped_child(void) {
  const char *pats = spy_opt.trace_skip;
  if (!pats[0]) return 0;
  struct stat st;
  if (stat(spy_opt.profile, &st) == 0 && st.st_size == 0) return 0;   /* the first program */
  char exe[1024];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 0;
  exe[n] = 0;
  const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
  while (*pats) {
    char g[512];
    size_t k = 0;
    while (*pats && *pats != ',' && k + 1 < sizeof g) g[k++] = *pats++;
    g[k] = 0;
    if (*pats == ',') pats++;
    if (k && (glob_match(g, exe) || glob_match(g, base))) return 1;
  }
  return 0;
}

/* Starts the spy with these options; 0, or -1 if it could not (status
 * OFF). Runs once: the first caller wins. */
int spy_start(const char *options) {
  int expected = SPY_UNINIT;
  if (!__atomic_compare_exchange_n(&spy_status, &expected, SPY_INITIALIZING, 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return -1;                         /* someone else is at it */
  spy_busy++;
  start_mono_ns = mono_ns(CLOCK_MONOTONIC_COARSE);
  parse_options(options);
  if (spy_opt.follow_children && skipped_child()) {
    spy_opt.follow_children = 0;     /* its children are not spied either */
    spy_status = SPY_OFF;
    spy_busy--;
    return -1;
  }
  /* The profile is a new name (SPY_OPEN_EXCL) when its pattern has a %p
   * or it numbers an exec'd image; the one `heapspy run` created for this
   * process (profile_id) must be that very file. */
  int renamed = spy_opt.follow_children && avoid_previous_image();
  int flags = renamed || strstr(profile_pattern, "%p") ? SPY_OPEN_EXCL : 0;
  struct spy_file_id made_profile, made_trace;
  int made = !renamed && spy_file_id(spy_opt.profile_id, &made_profile) &&
             made_profile.pid == getpid();
  int made_t = made && spy_file_id(spy_opt.trace_id, &made_trace);
  if (spy_arena_open(spy_opt.profile, flags, made ? &made_profile : NULL) < 0) {
    spy_status = SPY_OFF;
    spy_busy--;
    return -1;
  }
  fill_header(options);
  spy_trace_init(flags, made_t ? &made_trace : NULL);
  spy_blocks_init();
  int guard = spy_opt.guard[0] && strcmp(spy_opt.guard, "0") && strcmp(spy_opt.guard, "no");
  if (spy_opt.check || guard) spy_check_init();   /* --guard's fallback: red zones */
  spy_guard_init();
  spy_gs_init();
  spy_cb_init();                       /* needs spy_check_on, spy_guard_on, spy_sampling, spy_trace_on */
  spy_stacks_init();
  spy_timeline_init();
  spy_modules_scan();
  spy_resolve_cxx();
  spy_thread_mem_init();
  spy_threads_init();
  spy_locks_init();
  real_exit = (void (*)(int))dlsym(RTLD_NEXT, "exit");
  /* no failed lookup: it would leave glibc a message for dlerror (see there) */
  cxx_freeres = (void (*)(void))spy_dlsym_if_defined(RTLD_DEFAULT, "_ZN9__gnu_cxx9__freeresEv");
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  if (!spy_attached) install_fatal_handlers();
  else install_attach_handlers();      /* the program's crash stays its own */
  install_snapshot_handler();
  spy_stop_init();
  spy_scan_init();
  __atomic_store_n(&spy_status, SPY_READY, __ATOMIC_RELEASE);
  spy_sample_gate_update();
  spy_busy--;
  return 0;
}

/* Preloaded: the options from the environment. The attach build starts
 * only from heapspy_attach_begin (spy_attach.c). */
void spy_init(void) {
#ifndef SPY_ATTACH_BUILD
  static char envbuf[65536];
  spy_start(options_env(envbuf, sizeof envbuf));
#endif
}

__attribute__((constructor)) static void spy_constructor(void) {
#ifndef SPY_ATTACH_BUILD
  spy_init();
  strip_child_environment();
#else
  heapspy_attach_loaded = 1;
#endif
}

/* Detach (spy_attach.c): the signal handlers installed at start go back
 * to what they were (the default: they are installed only over it). */
void spy_uninstall_handlers(void) {
  if (spy_hdr && spy_hdr->snapshot_signal) signal(spy_hdr->snapshot_signal, SIG_DFL);
  spy_stop_uninstall();
}
