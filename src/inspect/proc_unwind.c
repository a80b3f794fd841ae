/*
 * proc_unwind.c: one stack sample of every thread of a live process.
 *
 * Each thread is stopped only long enough to copy its registers and the
 * live part of its stack: PTRACE_SEIZE + PTRACE_INTERRUPT, wait for the
 * stop, PTRACE_GETREGS, process_vm_readv of the stack from SP upwards,
 * PTRACE_DETACH. The unwinding (libdwfl, DWARF CFI) then runs on that
 * copy with the thread already running again, through our own
 * Dwfl_Thread_Callbacks. The rare read outside the copy goes to the live
 * process.
 *
 * Never leaving a thread stopped:
 *  - PTRACE_SEIZE sends no SIGSTOP, so if heapspy dies at any point
 *    (even SIGKILL) the kernel detaches and the thread simply runs on;
 *    there is no stray stop signal left pending as with PTRACE_ATTACH.
 *  - SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and SIGTSTP/TTIN/TTOU are
 *    blocked while a thread is stopped, so an interrupt takes effect
 *    only after the detach, and Ctrl-Z cannot freeze heapspy mid-stop.
 *  - A signal that arrives for the thread while it is stopped is handed
 *    back to it on detach; a thread that was stopped by someone else
 *    (group stop) stays stopped, as it was.
 *
 * Must never: stop more than one thread at a time, or keep one stopped
 * while doing anything but copying its registers and stack.
 */
#include <dirent.h>
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/proc.h"

#define STACK_COPY_MAX (1u << 20)  /* bytes of stack copied above SP */
#define RED_ZONE 128               /* x86_64 ABI: below SP, still live */
#define STOP_TIMEOUT_MS 2000       /* a thread in D state may not stop */
#define NREGS 17                   /* x86_64 DWARF: rax..r15, rip (RA) */

/* What one stopped thread left us. */
struct snapshot {
  pid_t tid;
  uint64_t regs[NREGS];
  uint64_t stack_lo;               /* address of stack[0] */
  uint8_t *stack;                  /* the unwinder's buffer */
  size_t len;
};

struct hs_unwinder {
  pid_t pid;
  Dwfl *dwfl;
  Elf *exe_elf;
  int exe_fd;
  struct snapshot *cur;            /* the thread being unwound */
  struct snapshot stopped;         /* hs_unwind_stopped's thread: no copy, live reads */
  uint8_t *stackbuf;               /* STACK_COPY_MAX + RED_ZONE bytes */
  struct hs_modlist mods;
  pid_t *pending;                  /* seized, never seen stopped */
  size_t npending;
};

/* ---- libdwfl callbacks: the unwinder reads the snapshot ---------------- */

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp) {
  return 0;                        /* threads are named by tid, never listed */
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp) {
  struct hs_unwinder *u = arg;
  *thread_argp = arg;
  return u->cur && u->cur->tid == tid;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg) {
  struct hs_unwinder *u = arg;
  struct snapshot *s = u->cur;
  if (s && addr >= s->stack_lo && addr - s->stack_lo + sizeof *result <= s->len) {
    memcpy(result, s->stack + (addr - s->stack_lo), sizeof *result);
    return true;
  }
  struct iovec local = { result, sizeof *result };
  struct iovec remote = { (void *)(uintptr_t)addr, sizeof *result };
  return process_vm_readv(u->pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof *result;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg) {
  struct hs_unwinder *u = arg;
  if (!u->cur) return false;
  dwfl_thread_state_register_pc(thread, u->cur->regs[16]);
  return dwfl_thread_state_registers(thread, 0, NREGS, u->cur->regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
  .next_thread = cb_next_thread,
  .get_thread = cb_get_thread,
  .memory_read = cb_memory_read,
  .set_initial_registers = cb_set_initial_registers,
};

/* ---- modules ---------------------------------------------------------- */

static int prewarm(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start,
                   void *arg) {
  Dwarf_Addr bias;
  if (dwfl_module_getelf(mod, &bias)) dwfl_module_eh_cfi(mod, &bias);
  return DWARF_CB_OK;
}

/* (Re)reports the modules mapped now and loads their ELF and CFI, so no
 * file is opened while a thread is stopped. */
static int report_modules(struct hs_unwinder *u) {
  dwfl_report_begin(u->dwfl);
  int r = dwfl_linux_proc_report(u->dwfl, u->pid);
  dwfl_report_end(u->dwfl, NULL, NULL);
  if (r != 0) return r > 0 ? (r == ENOENT ? -ESRCH : -r) : -EINVAL;
  dwfl_getmodules(u->dwfl, prewarm, NULL, 0);
  hs_modlist_add_dwfl(&u->mods, u->dwfl, u->pid);
  return 0;
}

struct hs_unwinder *hs_unwind_open(pid_t pid, int *err) {
#ifndef __x86_64__
  *err = -ENOSYS;
  return NULL;
#endif
  struct hs_unwinder *u = hs_xcalloc(1, sizeof *u);
  u->pid = pid;
  u->stackbuf = hs_xmalloc(STACK_COPY_MAX + RED_ZONE);   /* nothing is allocated in a stop */
  u->exe_fd = -1;
  u->dwfl = hs_proc_dwfl_begin(pid);
  if (!u->dwfl) {
    free(u);
    *err = -ENOMEM;
    return NULL;
  }
  if ((*err = report_modules(u)) != 0) {
    hs_unwind_close(u);
    return NULL;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
  u->exe_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (u->exe_fd >= 0) u->exe_elf = elf_begin(u->exe_fd, ELF_C_READ_MMAP, NULL);
  if (!dwfl_attach_state(u->dwfl, u->exe_elf, pid, &thread_callbacks, u)) {
    *err = -EINVAL;
    hs_unwind_close(u);
    return NULL;
  }
  return u;
}

void hs_unwind_modules(struct hs_unwinder *u, struct hs_modlist *ml) {
  hs_modlist_free(ml);
  *ml = u->mods;            /* every module of every sample */
  memset(&u->mods, 0, sizeof u->mods);
}

/* ---- stopping one thread ---------------------------------------------- */

static void block_signals(sigset_t *old) {
  sigset_t s;
  sigemptyset(&s);
  int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) sigaddset(&s, sigs[i]);
  sigprocmask(SIG_BLOCK, &s, old);
}

/* The mapped ranges of the process, read once per sample before any
 * thread is stopped, so finding a stack's end costs no time in the stop. */
struct ranges {
  uint64_t (*v)[2];
  size_t n;
};

static void ranges_read(pid_t pid, struct ranges *r) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  memset(r, 0, sizeof *r);
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t cap = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long a, b;
    if (sscanf(line, "%llx-%llx", &a, &b) != 2) continue;
    if (r->n == cap) r->v = hs_xrealloc(r->v, (cap = cap ? cap * 2 : 64) * sizeof *r->v);
    r->v[r->n][0] = a;
    r->v[r->n][1] = b;
    r->n++;
  }
  fclose(f);
}

/* End of the range holding addr, or 0. */
static uint64_t ranges_end(const struct ranges *r, uint64_t addr) {
  size_t lo = 0, hi = r->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (r->v[mid][1] <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < r->n && r->v[lo][0] <= addr ? r->v[lo][1] : 0;
}

/* Stops tid, copies its registers and stack into s, lets it go. */
static int snapshot_thread(struct hs_unwinder *u, pid_t tid, const struct ranges *maps,
                           struct snapshot *s) {
  memset(s, 0, sizeof *s);
  s->tid = tid;
  sigset_t old;
  block_signals(&old);
  int err = 0, sig = 0;
  if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
    err = -errno;
    goto out;
  }
  if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
    err = -errno;
    ptrace(PTRACE_DETACH, tid, NULL, NULL);
    goto out;
  }
  if ((err = hs_wait_stop(tid, hs_now() + STOP_TIMEOUT_MS / 1000.0, &sig)) != 0) {
    if (err == -ETIMEDOUT) {
      u->pending = hs_xrealloc(u->pending, (u->npending + 1) * sizeof *u->pending);
      u->pending[u->npending++] = tid;
    }
    goto out;
  }
#ifdef __x86_64__
  struct user_regs_struct r;
  if (ptrace(PTRACE_GETREGS, tid, NULL, &r) != 0) {
    err = -errno;
  } else {
    uint64_t v[NREGS] = { r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp,
                          r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip };
    memcpy(s->regs, v, sizeof v);
    uint64_t lo = r.rsp > RED_ZONE ? r.rsp - RED_ZONE : 0;
    uint64_t hi = ranges_end(maps, r.rsp);
    if (hi <= r.rsp) hi = r.rsp + STACK_COPY_MAX;   /* mapped since: read what is there */
    if (hi - lo > STACK_COPY_MAX + RED_ZONE) hi = lo + STACK_COPY_MAX + RED_ZONE;
    /* One read: it stops short at the first unmapped page, if any; a red
     * zone in the guard page (a full stack) is left out. */
    ssize_t got = -1;
    for (int pass = 0; pass < 2 && got < 0; pass++, lo = r.rsp) {
      struct iovec local = { u->stackbuf, hi - lo };
      struct iovec remote = { (void *)(uintptr_t)lo, hi - lo };
      got = process_vm_readv(u->pid, &local, 1, &remote, 1, 0);
      s->stack_lo = lo;
    }
    s->stack = u->stackbuf;
    s->len = got > 0 ? (size_t)got : 0;
  }
#endif
  ptrace(PTRACE_DETACH, tid, NULL, (void *)(intptr_t)sig);
out:
  sigprocmask(SIG_SETMASK, &old, NULL);
  return err;
}

/* Detaches threads that stopped after we gave up waiting. */
static void reap_pending(struct hs_unwinder *u) {
  size_t w = 0;
  for (size_t i = 0; i < u->npending; i++) {
    int st;
    pid_t r = waitpid(u->pending[i], &st, __WALL | WNOHANG);
    if (r == u->pending[i] && WIFSTOPPED(st)) {
      int sig = (st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP ? WSTOPSIG(st) : 0;
      ptrace(PTRACE_DETACH, u->pending[i], NULL, (void *)(intptr_t)sig);
    } else if (r == 0) {
      u->pending[w++] = u->pending[i];
    }
  }
  u->npending = w;
}

/* ---- unwinding the copy ------------------------------------------------ */

struct frames_ctx {
  struct hs_raw_stack *st;
  size_t max;
};

static int frame_cb(Dwfl_Frame *state, void *arg) {
  struct frames_ctx *c = arg;
  Dwarf_Addr pc;
  bool activation = false;
  if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0) return DWARF_CB_ABORT;
  struct hs_raw_stack *st = c->st;
  if (st->n >= c->max) return DWARF_CB_ABORT;
  st->pc[st->n] = pc;
  st->activation[st->n] = activation || st->n == 0;
  st->n++;
  return DWARF_CB_OK;
}

int hs_unwind_sample(struct hs_unwinder *u, struct hs_raw_sample *out, size_t max_frames) {
  memset(out, 0, sizeof *out);
  reap_pending(u);
  if (!hs_proc_alive(u->pid)) return -ESRCH;    /* gone, or a zombie */
  int err = report_modules(u);
  if (err) return err;
  struct hs_task *t;
  int n = hs_tasks_read(u->pid, &t);
  if (n < 0) return n;
  out->threads = hs_xcalloc((size_t)n, sizeof *out->threads);
  struct ranges maps;
  ranges_read(u->pid, &maps);
  for (int i = 0; i < n; i++) {
    struct hs_raw_stack *st = &out->threads[out->nthreads++];
    st->tid = t[i].tid;
    snprintf(st->name, sizeof st->name, "%s", t[i].name);
    st->state = t[i].state;
    if (t[i].state == 'Z' || t[i].state == 'X') {
      st->error = "exited";
      continue;
    }
    struct snapshot s;
    err = snapshot_thread(u, t[i].tid, &maps, &s);
    if (err == -EPERM || err == -EACCES) {
      free(t);
      free(maps.v);
      hs_raw_sample_free(out);
      return -EPERM;
    }
    if (err == -ESRCH) {
      st->error = "exited";
      continue;
    }
    if (err == -ETIMEDOUT) {
      st->error = "did not stop within 2 s (in uninterruptible sleep?)";
      continue;
    }
    if (err) {
      st->error = "could not be stopped";
      continue;
    }
    st->pc = hs_xmalloc(max_frames * sizeof *st->pc);
    st->activation = hs_xmalloc(max_frames);
    u->cur = &s;
    struct frames_ctx c = { st, max_frames };
    int r = dwfl_getthread_frames(u->dwfl, t[i].tid, frame_cb, &c);
    if (r < 0 && st->n == 0) st->error = "could not unwind (no registers)";
    u->cur = NULL;
  }
  free(t);
  free(maps.v);
  return 0;
}

int hs_unwind_stopped(struct hs_unwinder *u, pid_t tid, const uint64_t user_regs[27],
                      uint64_t *pc, size_t max) {
  /* struct user_regs_struct -> DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
  static const int from[NREGS] = { 10, 12, 11, 5, 13, 14, 4, 19, 9, 8, 7, 6, 3, 2, 1, 0, 16 };
  struct snapshot *s = &u->stopped;
  memset(s, 0, sizeof *s);               /* no copy: every read goes to the stopped thread */
  s->tid = tid;
  for (int i = 0; i < NREGS; i++) s->regs[i] = user_regs[from[i]];
  struct hs_raw_stack st;
  memset(&st, 0, sizeof st);
  st.pc = pc;
  st.activation = hs_xmalloc(max);
  u->cur = s;
  struct frames_ctx c = { &st, max };
  dwfl_getthread_frames(u->dwfl, tid, frame_cb, &c);
  u->cur = NULL;
  free(st.activation);
  return (int)st.n;
}

struct Dwfl *hs_unwind_dwfl(struct hs_unwinder *u) {
  return u->dwfl;
}

void hs_raw_sample_free(struct hs_raw_sample *s) {
  for (size_t i = 0; i < s->nthreads; i++) {
    free(s->threads[i].pc);
    free(s->threads[i].activation);
  }
  free(s->threads);
  memset(s, 0, sizeof *s);
}

void hs_unwind_close(struct hs_unwinder *u) {
  if (!u) return;
  reap_pending(u);
  if (u->dwfl) dwfl_end(u->dwfl);
  if (u->exe_elf) elf_end(u->exe_elf);
  if (u->exe_fd >= 0) close(u->exe_fd);
  hs_modlist_free(&u->mods);
  free(u->stackbuf);
  free(u->pending);
  free(u);
}
