/*
 * spy_stop.c: holds the program's other threads still while the
 * reachability scan reads the heap, their registers and their stacks, and
 * lets them go after it (memcheck's world is stopped by construction; ours
 * is stopped here).
 *
 * The scanner sends each other thread (tgkill) a reserved real-time
 * signal, SIGRTMIN+stop_signal. Its handler saves the interrupted
 * registers and stack pointer (from the ucontext) in the thread's entry,
 * acknowledges, and waits on a futex until the hold is lifted. The
 * scanner re-lists /proc/self/task until a listing shows no thread it has
 * not asked (threads created meanwhile), waits for the answers as long as
 * one comes every HOLD_WAIT_MS (at most HOLD_WAIT_MAX_MS), and counts why a thread was not held (it blocks the signal,
 * it did not answer in time, the signal is the program's, too many).
 *
 * Invariants: a thread waits in the handler only while stop_gen equals the
 * generation it answered; spy_stop_release() zeroes stop_gen on every path
 * and wakes all, so no thread stays held, whatever the scan did. The
 * handler answers only a tgkill from this process during a hold whose
 * entry lists it, still asked, with this hold's generation (one word:
 * SPY_HOLD_TAG); any other delivery (late, foreign) returns at once.
 *
 * Must never: allocate, lock, or call anything but system calls from the
 * handler (it interrupts arbitrary code, malloc and the spy included);
 * hold threads across code that may wait for one of them (the caller
 * holds the block-table locks before stopping and allocates nothing
 * while they are held still).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "spy.h"
#include "spy_scan.h"

#define HOLD_WAIT_MS 500      /* for the next answer (starved threads answer late) */
#define HOLD_WAIT_MAX_MS 2000 /* for all answers */

static struct spy_held_thread entries[SPY_STOP_MAX];
static volatile uint32_t nentries;
static volatile uint32_t stop_gen;     /* nonzero: a hold is in force */
static volatile uint32_t answers;      /* entries that reached HELD */
static volatile uint32_t inside;       /* threads waiting in the handler */
static uint32_t last_gen;
static int stop_sig;                   /* 0: holding is off */
static pid_t stop_pid;

static long futex(volatile uint32_t *w, int op, uint32_t val, const struct timespec *t) {
  return syscall(SYS_futex, w, op, val, t, NULL, 0);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hold_handler(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  int saved_errno = errno;
  uint32_t gen = __atomic_load_n(&stop_gen, __ATOMIC_ACQUIRE);
  if (!gen || si->si_code != SI_TKILL || si->si_pid != stop_pid) goto out;
  int tid = (int)syscall(SYS_gettid);
  uint32_t n = __atomic_load_n(&nentries, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++) {
    struct spy_held_thread *e = &entries[i];
    if (e->tid != tid || __atomic_load_n(&e->tag, __ATOMIC_ACQUIRE) != SPY_HOLD_TAG(gen, SPY_HOLD_ASKED))
      continue;
    const ucontext_t *uc = ctx;
    for (int r = 0; r < SPY_HELD_REGS; r++) e->regs[r] = (uint64_t)uc->uc_mcontext.gregs[r];
    e->sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
    __atomic_add_fetch(&inside, 1, __ATOMIC_ACQ_REL);
    uint64_t asked = SPY_HOLD_TAG(gen, SPY_HOLD_ASKED);   /* unless given up on */
    if (__atomic_compare_exchange_n(&e->tag, &asked, SPY_HOLD_TAG(gen, SPY_HOLD_HELD), 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      __atomic_add_fetch(&answers, 1, __ATOMIC_ACQ_REL);
      futex(&answers, FUTEX_WAKE_PRIVATE, 1, NULL);
      while (__atomic_load_n(&stop_gen, __ATOMIC_ACQUIRE) == gen)
        futex(&stop_gen, FUTEX_WAIT_PRIVATE, gen, NULL);
    }
    if (__atomic_sub_fetch(&inside, 1, __ATOMIC_ACQ_REL) == 0)
      futex(&inside, FUTEX_WAKE_PRIVATE, 1, NULL);
    break;
  }
out:
  errno = saved_errno;
}

/* Only if the program leaves the signal alone (like the snapshot signal). */
void spy_stop_init(void) {
  int sig = spy_opt.stop_signal ? SIGRTMIN + (int)spy_opt.stop_signal : 0;
  struct sigaction old, sa;
  stop_pid = getpid();
  if (!sig || sig > SIGRTMAX || sig == spy_hdr->snapshot_signal ||
      sigaction(sig, NULL, &old) || old.sa_handler != SIG_DFL)
    return;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = hold_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigfillset(&sa.sa_mask);             /* nothing runs on top of a held thread */
  if (sigaction(sig, &sa, NULL) == 0) stop_sig = sig;
}

static int handler_still_ours(void);

/* Detach: the signal goes back to its default, if still ours. */
void spy_stop_uninstall(void) {
  if (handler_still_ours()) signal(stop_sig, SIG_DFL);
  stop_sig = 0;
}

/* The program may have taken the signal over since. */
static int handler_still_ours(void) {
  struct sigaction cur;
  return stop_sig && sigaction(stop_sig, NULL, &cur) == 0 &&
         (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == hold_handler;
}

static uint32_t find_entry(int tid) {
  for (uint32_t i = 0; i < nentries; i++)
    if (entries[i].tid == tid) return i;
  return UINT32_MAX;
}

static void add_entry(int tid, uint32_t gen, struct hsp_scan_info *info) {
  uint32_t i = nentries;
  if (i == SPY_STOP_MAX) {
    info->unheld[HSP_UNHELD_TOO_MANY]++;
    return;
  }
  __atomic_store_n(&entries[i].tag, 0, __ATOMIC_RELEASE);
  entries[i].tid = tid;
  __atomic_store_n(&entries[i].tag, SPY_HOLD_TAG(gen, SPY_HOLD_ASKED), __ATOMIC_RELEASE);
  __atomic_store_n(&nentries, i + 1, __ATOMIC_RELEASE);
  if (syscall(SYS_tgkill, stop_pid, tid, stop_sig) != 0) {
    __atomic_store_n(&entries[i].tag, SPY_HOLD_TAG(gen, SPY_HOLD_NOT), __ATOMIC_RELEASE);
    info->threads_gone++;               /* gone already */
  }
}

struct asking { int me; uint32_t gen; unsigned fresh; struct hsp_scan_info *info; };

static void ask_one(int tid, void *ctx) {
  struct asking *a = ctx;
  if (tid == a->me || find_entry(tid) != UINT32_MAX) return;
  add_entry(tid, a->gen, a->info);
  a->fresh++;
}

/* Asks every thread not asked yet; returns how many were new. */
static unsigned ask_new_threads(int me, uint32_t gen, struct hsp_scan_info *info) {
  struct asking a = { me, gen, 0, info };
  spy_for_each_task(ask_one, &a);
  return a.fresh;
}

static unsigned waiting_for(void) {
  unsigned n = 0;
  for (uint32_t i = 0; i < nentries; i++) n += SPY_HOLD_STATE(&entries[i]) == SPY_HOLD_ASKED;
  return n;
}

/* Bit sig of a "Name:\tHEX" signal mask line of a status file. */
static int mask_has(const char *status, const char *name, int sig) {
  const char *f = strstr(status, name);
  if (!f) return 0;
  f += strlen(name);
  while (*f == ' ' || *f == '\t') f++;
  uint64_t mask = 0;
  for (; (*f >= '0' && *f <= '9') || (*f >= 'a' && *f <= 'f'); f++)
    mask = mask * 16 + (uint64_t)(*f <= '9' ? *f - '0' : *f - 'a' + 10);
  return (mask >> (sig - 1)) & 1;
}

/* A thread that did not answer: is it gone, or does it block the signal
 * (blocked and still pending: not delivered)? A thread inside the handler
 * also has it blocked, but no longer pending: it is answering. (One still
 * leaving the previous hold's handler would look blocked: a hold starts
 * once they are out, see spy_stop_others.) */
static unsigned why_unheld(int tid) {
  char path[64], buf[2048];
  spy_fmt(path, sizeof path, "/proc/self/task/%d/status", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return HSP_UNHELD_REASONS;     /* gone */
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return HSP_UNHELD_REASONS;
  buf[n] = 0;
  if (mask_has(buf, "\nSigBlk:", stop_sig) && mask_has(buf, "\nSigPnd:", stop_sig))
    return HSP_UNHELD_BLOCKED;
  return HSP_UNHELD_TIMEOUT;
}

/* Until no thread is inside the handler, or the deadline. */
static void wait_until_out(uint64_t deadline) {
  for (uint32_t n; (n = __atomic_load_n(&inside, __ATOMIC_ACQUIRE)) != 0;) {
    uint64_t now = now_ns();
    if (now >= deadline) break;
    struct timespec ts = { 0, 1000000 };
    futex(&inside, FUTEX_WAIT_PRIVATE, n, &ts);
  }
}

/* The thread did not answer (yet): from now on it is not held, even if
 * it answers later (it then returns at once), for the reason counted. */
static void give_up(struct spy_held_thread *e, struct hsp_scan_info *info) {
  uint64_t asked = SPY_HOLD_TAG(stop_gen, SPY_HOLD_ASKED);
  if (!__atomic_compare_exchange_n(&e->tag, &asked, SPY_HOLD_TAG(stop_gen, SPY_HOLD_NOT), 0,
                                   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return;                            /* held, or settled already */
  unsigned why = why_unheld(e->tid);
  if (why == HSP_UNHELD_REASONS) info->threads_gone++;
  else info->unheld[why]++;
}

unsigned spy_stop_others(struct hsp_scan_info *info, const struct spy_held_thread **held) {
  *held = entries;
  nentries = 0;
  if (!handler_still_ours()) {
    unsigned n = spy_for_each_task(NULL, NULL);
    info->unheld[HSP_UNHELD_NO_SIGNAL] = n ? n - 1 : 0;
    return 0;
  }
  uint64_t t0 = now_ns();
  wait_until_out(t0 + HOLD_WAIT_MS * 1000000ull);   /* the previous hold's threads */
  uint32_t gen = ++last_gen ? last_gen : ++last_gen;
  answers = 0;
  __atomic_store_n(&stop_gen, gen, __ATOMIC_RELEASE);
  int me = (int)syscall(SYS_gettid);
  uint64_t last_answer = t0, give_up_at = t0 + HOLD_WAIT_MAX_MS * 1000000ull;
  uint32_t seen = 0;
  ask_new_threads(me, gen, info);
  for (;;) {
    uint64_t now = now_ns();
    if (__atomic_load_n(&answers, __ATOMIC_ACQUIRE) != seen) {
      seen = __atomic_load_n(&answers, __ATOMIC_ACQUIRE);
      last_answer = now;
    }
    if (!waiting_for()) {
      if (!ask_new_threads(me, gen, info)) break;   /* stable: all asked */
      continue;
    }
    uint64_t deadline = last_answer + HOLD_WAIT_MS * 1000000ull;
    if (deadline > give_up_at) deadline = give_up_at;
    if (now >= deadline) break;
    uint64_t left = deadline - now;
    if (left > 1000000) left = 1000000;  /* re-check exits every ms */
    struct timespec ts = { 0, (long)left };
    futex(&answers, FUTEX_WAIT_PRIVATE, seen, &ts);
    if (__atomic_load_n(&answers, __ATOMIC_ACQUIRE) != seen) continue;
    for (uint32_t i = 0; i < nentries; i++)   /* quiet for 1 ms: blocked, or exited? */
      if (SPY_HOLD_STATE(&entries[i]) == SPY_HOLD_ASKED &&
          why_unheld(entries[i].tid) != HSP_UNHELD_TIMEOUT)
        give_up(&entries[i], info);
  }
  for (uint32_t i = 0; i < nentries; i++) give_up(&entries[i], info);
  uint32_t held_n = 0;
  for (uint32_t i = 0; i < nentries; i++) held_n += SPY_HOLD_STATE(&entries[i]) == SPY_HOLD_HELD;
  info->threads_held = held_n;
  info->stop_ns = now_ns() - t0;
  return nentries;
}

/* Every path out of a hold comes here: no thread stays held. */
void spy_stop_release(struct hsp_scan_info *info) {
  if (!__atomic_load_n(&stop_gen, __ATOMIC_ACQUIRE)) return;
  uint64_t t0 = now_ns();
  __atomic_store_n(&stop_gen, 0, __ATOMIC_RELEASE);
  futex(&stop_gen, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
  wait_until_out(t0 + HOLD_WAIT_MS * 1000000ull);  /* the release time */
  if (info) info->release_ns = now_ns() - t0;
}

/* In a forked child only the forking thread exists, and no hold. */
void spy_stop_fork_child(void) {
  stop_gen = 0;
  inside = 0;
  nentries = 0;
  stop_pid = getpid();
}
