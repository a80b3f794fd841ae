/*
 * proc.h: reading a live process from /proc, shared by the inspection
 * commands (threads, stacks, maps, vtop). Works on any process the caller
 * may inspect (same user, or any as root), spied by heapspy or not.
 *
 * Invariants:
 *  - Nothing here stops, signals or writes to the target; only
 *    proc_unwind.c stops threads, one at a time (see hs_unwind_*).
 *  - Every reader returns an error code (negative errno) instead of
 *    dying, so a command can tell "no such process" from "permission
 *    denied" from "gone mid-way" and say which, in one line.
 */
#ifndef HS_PROC_H
#define HS_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/json.h"
#include "common/symbolize.h"

/* ---- process and errors (proc_util.c) ------------------------------- */

/* Waits for a seized (ptrace) thread to stop, until deadline (hs_now()
 * seconds). Returns 0 (stopped; *sig is a signal it stopped with, to hand
 * back on detach, or 0), -ESRCH (it exited) or -ETIMEDOUT. */
int hs_wait_stop(pid_t tid, double deadline, int *sig);

/* Dies with one line if pid does not exist, is a zombie, or its /proc
 * entries cannot be read: "CMD: no such process PID". */
void hs_proc_require(const char *cmd, pid_t pid);

/* Dies with the one-line message for err (a negative errno) met while
 * reading what (e.g. "smaps"): no such process, gone mid-way (when
 * started is set), permission denied naming ptrace_scope. */
void hs_proc_die(const char *cmd, pid_t pid, int err, const char *what,
                 int started) __attribute__((noreturn));

/* "/proc/sys/kernel/yama/ptrace_scope is 1: ..." or a note that there is
 * none; into buf, returned. */
const char *hs_ptrace_scope_note(char *buf, size_t len);
/* Why pid may be out of reach: its owner if not ours, and ptrace_scope. */
const char *hs_permission_note(pid_t pid, char *buf, size_t len);

/* 1 if /proc/PID exists and is not a zombie. */
int hs_proc_alive(pid_t pid);
int hs_proc_stopped(pid_t pid);   /* stopped by a signal or a tracer */

/* The process's command name (comm) into buf, "?" if unreadable. */
const char *hs_proc_comm(pid_t pid, char *buf, size_t len);

/* Sleeps until monotonic time t. */
void hs_sleep_until(double t);

/* "65,540 K"-style sizes: bytes as KiB with thousands separators. */
const char *hs_kib(uint64_t bytes, char *buf);

/* ---- threads (proc_tasks.c) ----------------------------------------- */

struct hs_task {
  pid_t tid;
  char name[64];          /* comm, up to 15 characters */
  char state;             /* R, S, D, T, t, Z, X, I... */
  uint64_t utime, stime;  /* clock ticks */
  uint64_t starttime;     /* clock ticks after boot */
  uint64_t kstkesp;       /* saved stack pointer; 0 when the kernel hides it */
};

/* Reads every thread of pid, sorted by tid. Returns the count, or a
 * negative errno (-ESRCH when the process is gone). *out is malloc'd. */
int hs_tasks_read(pid_t pid, struct hs_task **out);

/* Reads one thread; 0 or a negative errno. */
int hs_task_read(pid_t pid, pid_t tid, struct hs_task *t);

/* The thread's stack pointer if /proc tells it without stopping the
 * thread (kstkesp, or the SP column of .../syscall), else 0. */
uint64_t hs_task_sp(pid_t pid, const struct hs_task *t);

/* "running", "sleeping"... for a state letter. */
const char *hs_state_word(char state);

/* Clock ticks per second. */
long hs_ticks(void);

/* ---- memory regions (proc_regions.c) -------------------------------- */

enum hs_region_kind {
  HS_R_HEAP,          /* [heap]: the brk heap */
  HS_R_ANON,          /* private anonymous: mmap'd blocks, malloc arenas */
  HS_R_RESERVED,      /* no access: arena tails, guard pages, reservations */
  HS_R_STACK_MAIN,    /* [stack] */
  HS_R_STACK_THREAD,  /* another thread's stack (and its guard page) */
  HS_R_CODE,          /* executable mapping of a module */
  HS_R_DATA,          /* the rest of a module: rodata, relro, data, bss */
  HS_R_FILE,          /* other mapped files */
  HS_R_SHM,           /* shared memory: shm, memfd, shared anonymous */
  HS_R_OTHER,         /* [vdso], [vvar], [vsyscall]... */
  HS_R_NKINDS
};

struct hs_region {
  uint64_t start, end, offset;
  char perms[5];
  uint64_t inode;
  char *path;              /* "" when anonymous */
  uint64_t rss, shared, private_dirty, swap;  /* bytes, from smaps */
  enum hs_region_kind kind;
  int module;              /* index in hs_regions.modules, or -1 */
  pid_t tid;               /* HS_R_STACK_THREAD: its thread, 0 if guessed */
};

struct hs_regions {
  struct hs_region *v;
  size_t n;
  char **modules;          /* module paths (files with executable code) */
  size_t nmodules;
};

/* Reads /proc/PID/smaps and classifies every region. Returns 0 or a
 * negative errno. with_stacks: also find thread stacks (reads tasks). */
int hs_regions_read(pid_t pid, struct hs_regions *r, int with_stacks);
void hs_regions_free(struct hs_regions *r);

/* The region holding addr, or NULL. */
const struct hs_region *hs_region_find(const struct hs_regions *r,
                                       uint64_t addr);

/* Human name of a kind ("heap", "thread stacks"...). */
const char *hs_kind_label(enum hs_region_kind k);

/* Basename of a path. */
const char *hs_base(const char *path);

/* ---- live symbols (proc_symbols.c) ---------------------------------- */

/* The modules mapped in a live process, for hs_symbolizer_new. A module
 * whose file is gone or out of reach (deleted since it was loaded, in
 * another mount namespace) is opened through /proc/PID/exe, map_files or
 * root: shown[i] is then the name to show instead of v[i].path's. */
struct hs_modlist {
  struct hs_module_info *v;
  char **shown;
  size_t n, cap;
};

struct Dwfl;

/* A Dwfl for pid's modules (libdwfl's proc callbacks, plus the fallbacks
 * above for files that cannot be opened by their mapped name). Only one
 * target process per heapspy run. */
struct Dwfl *hs_proc_dwfl_begin(pid_t pid);

/* Where to open the file mapped as name at address start in pid: name
 * itself, or a /proc path that reaches it. Returns out. */
const char *hs_module_open_path(pid_t pid, const char *name, uint64_t start, char *out,
                                size_t len);

/* The name to show for a module as the symbolizer named it (basename of
 * the path it opened), e.g. "prog" rather than "exe". */
const char *hs_modlist_shown(const struct hs_modlist *ml, const char *module);
/* Applies hs_modlist_shown to the frames' modules. */
void hs_modlist_fix_frames(const struct hs_modlist *ml, struct hs_frame *f, size_t n);
/* Adds the modules dwfl reported for pid (dwfl_linux_proc_report) that
 * the list does not hold yet. Opens their ELF files. */
void hs_modlist_add_dwfl(struct hs_modlist *ml, struct Dwfl *dwfl, pid_t pid);
void hs_modlist_free(struct hs_modlist *ml);

/* One symbol lookup for maps ADDR: any symbol (function or object). */
struct hs_addr_symbol {
  char module[256];       /* basename */
  char path[1024];
  uint64_t module_offset; /* addr - load bias */
  char section[64];       /* ".data", ".text"... or "" */
  char symbol[512];       /* "" if none */
  uint64_t symbol_offset, symbol_size;
  int is_function;
};

/* Looks addr up in the modules of pid. Returns 1 if addr is in a
 * module, 0 if not, negative errno if the process cannot be read. */
int hs_addr_lookup(pid_t pid, uint64_t addr, struct hs_addr_symbol *out,
                   struct hs_modlist *mods);

/* ---- sampling stacks (proc_unwind.c) -------------------------------- */

struct hs_raw_stack {
  pid_t tid;
  char name[64];
  char state;
  uint64_t *pc;          /* innermost first */
  uint8_t *activation;   /* 1: pc is exact (signal frame or frame #0) */
  size_t n;
  const char *error;     /* why no stack, or NULL */
};

struct hs_raw_sample {
  double t;              /* seconds since the first sample */
  struct hs_raw_stack *threads;
  size_t nthreads;
};

struct hs_unwinder;

/* Prepares to sample pid: reports its modules, attaches libdwfl's state
 * (no thread is stopped yet). Returns NULL with *err a negative errno. */
struct hs_unwinder *hs_unwind_open(pid_t pid, int *err);

/* Takes one sample of every thread: each is stopped (PTRACE_SEIZE +
 * PTRACE_INTERRUPT), unwound and detached before the next one, with
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and job-control signals held
 * off meanwhile, so heapspy never leaves a thread stopped. Returns 0, or
 * a negative errno: -ESRCH if the process is gone, -EPERM if not
 * allowed to stop it. max_frames bounds each stack. */
int hs_unwind_sample(struct hs_unwinder *u, struct hs_raw_sample *out,
                     size_t max_frames);

/* Unwinds thread tid of the process, which the caller holds stopped
 * (hs_target_stop), from its registers (struct user_regs_struct, as
 * hs_tthread.regs): up to max return addresses into pc, innermost first;
 * returns how many. */
int hs_unwind_stopped(struct hs_unwinder *u, pid_t tid, const uint64_t user_regs[27],
                      uint64_t *pc, size_t max);
/* The unwinder's view of the modules, to name a pc. */
struct Dwfl *hs_unwind_dwfl(struct hs_unwinder *u);

/* Hands the modules of every sample over to ml (replacing its content). */
void hs_unwind_modules(struct hs_unwinder *u, struct hs_modlist *ml);

void hs_unwind_close(struct hs_unwinder *u);
void hs_raw_sample_free(struct hs_raw_sample *s);

/* ---- spied processes (proc_heapblock.c) ----------------------------- */

struct hs_heap_hit {
  int spied;              /* a heapspy profile is mapped in the process */
  char profile[1024];
  char note[256];         /* why nothing was found, if so */
  int found;
  uint64_t ptr, size, t_ms;
  char family[32];
  struct hs_frame *frames;/* allocation stack; strings owned by priv */
  size_t nframes;
  void *priv;             /* the open profile and its symbolizer */
};

/* Finds the heapspy profile mapped in pid (regions r) and the live block
 * holding addr. Never fails: what it could not do goes to hit->note. */
void hs_heap_lookup(pid_t pid, const struct hs_regions *r, uint64_t addr,
                    struct hs_heap_hit *hit);
void hs_heap_hit_free(struct hs_heap_hit *hit);

#endif
