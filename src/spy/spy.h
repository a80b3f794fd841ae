/*
 * spy.h: internals shared by the files of the in-process spy
 * (libheapspy.so, preloaded into the program under observation).
 *
 * Everything here runs inside someone else's process, often inside their
 * malloc call. Rules for every file of the spy:
 *  - never call malloc & co. (use spy_arena or raw mmap);
 *  - never hold a spy lock while calling code that may re-enter the spy
 *    (the unwinder, dlsym, user code);
 *  - never call stdio; report through spy_warn (one line, write(2));
 *  - exported symbols are intercepted libc/C++ names or start with
 *    heapspy_; everything else is hidden (-fvisibility=hidden).
 */
#ifndef SPY_H
#define SPY_H

#include <stddef.h>
#include <stdint.h>
#include "../profile/hsp_format.h"

#define SPY_EXPORT __attribute__((visibility("default")))
#define SPY_LIKELY(x) __builtin_expect(!!(x), 1)
#define SPY_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The real allocator: glibc's exported entry points. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* Spy lifecycle. Before READY and after OFF every call passes through. */
enum spy_status { SPY_UNINIT = 0, SPY_INITIALIZING, SPY_READY, SPY_OFF };

struct spy_options {
  char profile[1024];     /* path, %p already expanded */
  unsigned depth;         /* max frames per stack */
  int follow_children;
  int run_libc_freeres;
  int run_cxx_freeres;
  int quiet;              /* no "profile written" line at exit */
  int unwind_check;       /* compare every fast unwind with libunwind */
  unsigned snapshot_signal; /* SIGRTMIN+N for heapspy snapshot; 0: off */
  unsigned stop_signal;     /* SIGRTMIN+N holds threads for scans; 0: off */
  int locks;              /* --locks: lock-order graph and lock misuse */
  int yield_after_unlock; /* sched_yield() after every unlock */
  int check;              /* --check: red zones and quarantine */
  int check_fill;         /* --check: fill new blocks with 0xbe */
  unsigned check_quarantine; /* --check: bytes of freed blocks held */
  int halt_on_error;      /* abort at the first error found */
  char guard[16];         /* --guard: "", "overflow" (also 1/yes), "underflow" */
  int trace;              /* --trace: every event into PROFILE.trace */
};

extern volatile int spy_status;
extern struct spy_options spy_opt;
extern struct hsp_header *spy_hdr;        /* == base of the mapped profile */

/* Set while this thread is inside the spy: nested allocations (from the
 * unwinder, dlsym, a signal handler interrupting us) pass through
 * untracked instead of deadlocking on our own locks. */
extern __thread int spy_busy;

/* spy_init.c */
void spy_init(void);                       /* idempotent, thread-safe */
static inline int spy_ready(void) {
  if (SPY_LIKELY(spy_status == SPY_READY)) return 1;
  if (spy_status == SPY_UNINIT) spy_init();
  return spy_status == SPY_READY;
}
uint32_t spy_now_ms(void);

/* spy_arena.c: the profile file, mapped shared, grown in place. */
int spy_arena_open(const char *path);      /* 0 ok, -1 (warned) */
void *spy_arena_alloc(size_t bytes, uint64_t *off_out);  /* zeroed; NULL if exhausted */
/* Give back the pages of a record nobody will write again (an abandoned
 * table): its disk blocks and page cache are freed, it reads as zeros. */
void spy_arena_release(uint64_t off, uint64_t len);
uint64_t spy_arena_reserved(void);         /* address space held, unmapped */
uint64_t spy_arena_resident(void);         /* bytes of ours counted in RSS */
extern char *spy_arena_base;
static inline void *spy_arena_ptr(uint64_t off) {
  return off ? spy_arena_base + off : NULL;
}
int spy_arena_reopen_for_child(const char *path); /* fork: copy to a new file */
void spy_arena_detach(void);               /* fork: stop writing the file */

/* spy_blocks.c: the live-block table. */
void spy_blocks_init(void);
void spy_block_add(void *ptr, size_t size, unsigned family, uint32_t stack);
/* Removes ptr; returns 1 and its size/family if it was known, else 0. */
int spy_block_remove(void *ptr, size_t *size, unsigned *family);
int spy_block_take(void *ptr, struct hsp_block *out);   /* remove, keep info */
void spy_block_remove_later(void *ptr);   /* single-threaded only, see .c */
void spy_blocks_settle(void);              /* complete a pending removal */
void spy_block_untake(const struct hsp_block *b);       /* undo a take */
int spy_block_lookup(const void *ptr, struct hsp_block *out);
/* Start loading ptr's table slot; the unwinder runs while it arrives. */
void spy_block_prefetch(const void *ptr);
int spy_single_threaded(void);             /* glibc's __libc_single_threaded */
int64_t spy_in_use_estimate(void);         /* global + this thread's batch */
/* Add this thread's in-use batch (global and per stack) now; returns the
 * global count after it. */
int64_t spy_in_use_flush(void);
void spy_blocks_lock_all(void);
void spy_blocks_unlock_all(void);
void spy_blocks_reset_locks(void);
void spy_capture_samples(void);            /* at exit: hex dumps */
uint64_t spy_blocks_snapshot(uint64_t *count, int with_kinds);  /* live heap by site */
/* Crash path (no locks, may be slow): the live block with the lowest
 * score(block, ctx) >= 0; 0 if every score is negative. */
int spy_blocks_best(int64_t (*score)(const struct hsp_block *, void *), void *ctx,
                    struct hsp_block *out);

/* spy_stacks.c: capture the caller's stack and deduplicate it. */
uint32_t spy_stack_capture(void);
/* The stack of a signal's interrupted context (ucontext_t *); frame 0 is
 * the faulting instruction itself (stored +1, like a return address). */
uint32_t spy_stack_from_context(const void *ucontext);
void spy_stacks_init(void);
/* Per-stack counters batched per thread (spy_stacks.c flushes them):
 * a direct-mapped cache of SPY_HOT slots, inline on the hot path. */
#define SPY_HOT 256
struct spy_hot_slot {
  uint32_t stack;
  uint32_t temporary, temporary_alike;
  uint64_t allocs, bytes;
  int64_t live_bytes, live_blocks;
};
extern __thread struct spy_hot_slot spy_hot[SPY_HOT] __attribute__((tls_model("initial-exec")));
extern __thread uint64_t spy_hot_dirty[SPY_HOT / 64] __attribute__((tls_model("initial-exec")));
void spy_hot_claim(unsigned i, uint32_t stack);  /* flush slot i, give it to stack */
static inline struct spy_hot_slot *spy_hot_of(uint32_t stack) {
  unsigned i = (stack ^ (stack >> 8)) & (SPY_HOT - 1);
  if (SPY_UNLIKELY(spy_hot[i].stack != stack)) spy_hot_claim(i, stack);
  spy_hot_dirty[i / 64] |= 1ull << (i % 64);
  return &spy_hot[i];
}
/* One allocation of bytes at stack. */
static inline void spy_stack_count(uint32_t stack, uint64_t bytes) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->allocs++;
  h->bytes += bytes;
  h->live_bytes += (int64_t)bytes;
  h->live_blocks++;
}
/* One free of a block of that stack; temporary: SPY_TEMPORARY (it was
 * this thread's last allocation, nothing in between), SPY_TEMPORARY_ALIKE
 * (the last allocation had the same stack and size: heaptrack's count
 * includes these), else 0. */
enum { SPY_TEMPORARY = 1, SPY_TEMPORARY_ALIKE = 2 };
static inline void spy_stack_uncount(uint32_t stack, uint64_t bytes, unsigned temporary) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->live_bytes -= (int64_t)bytes;
  h->live_blocks--;
  if (SPY_UNLIKELY(temporary)) {
    h->temporary += temporary == SPY_TEMPORARY;
    h->temporary_alike += temporary == SPY_TEMPORARY_ALIKE;
  }
}
/* Undo an uncount (a failed realloc keeps its block). */
static inline void spy_stack_restore(uint32_t stack, uint64_t bytes) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->live_bytes += (int64_t)bytes;
  h->live_blocks++;
}
void spy_stacks_copy_peak(void);           /* in_use_* -> peak_*, every stack */
void spy_stacks_flush_counts(void);        /* this thread's batch, now */
void spy_stacks_flush_live(void);          /* ... its in-use part only */
void spy_stacks_lock(void);
void spy_stacks_unlock(void);
void spy_stacks_reset_lock(void);

/* spy_peak.c: the stacks holding the heap near its peak. note_in_use
 * calls spy_peak_note when the heap in use reaches spy_peak_next. */
extern uint64_t spy_peak_next;
void spy_peak_copy(uint64_t in_use);
static inline void spy_peak_note(int64_t in_use) {
  if (SPY_UNLIKELY((uint64_t)in_use >= __atomic_load_n(&spy_peak_next, __ATOMIC_RELAXED)))
    spy_peak_copy((uint64_t)in_use);
}

/* spy_unwind.c: the fast CFI unwinder (-1: use libunwind instead). */
int spy_unwind(uint64_t *out, unsigned max, uint64_t own_lo, uint64_t own_hi);
extern __thread int spy_unwind_repeat;     /* the walk repeated the last one exactly */
void spy_unwind_invalidate(void);          /* a module was unloaded */

/* spy_modules.c */
void spy_modules_scan(void);               /* record newly loaded modules */
int spy_module_known(uint64_t pc);

/* spy_timeline.c: heap vs RSS over time. Allocations compare the time
 * with spy_timeline_next (read-mostly) and call in when a point is due;
 * heap < 0 means "read the global count". */
void spy_timeline_init(void);
void spy_timeline_tick_slow(uint32_t now_ms, int64_t heap, int force);
extern uint64_t spy_timeline_next;

/* spy_leakscan.c: classify live blocks (lost / still reachable). The
 * scan starts the current thread's stack at `stack` (the frame of the
 * spy's caller) and treats `regs` (spy_capture_registers on entry to the
 * spy) as roots. */
struct spy_scan_origin { uint64_t stack; uint64_t regs[6]; };
void spy_capture_registers(uint64_t regs[6]);
void spy_leak_scan(const struct spy_scan_origin *from);

/* spy_stop.c: the other threads held still for a scan. An entry's regs
 * and sp (the interrupted general registers, ucontext order R8..RSP) are
 * valid while its state is SPY_HOLD_HELD, until spy_stop_release. The
 * state shares one word with the hold's generation, so a thread answering
 * an earlier hold late can never claim a later hold's entry. */
#define SPY_STOP_MAX 1024
#define SPY_HELD_REGS 16
enum spy_hold_state { SPY_HOLD_ASKED = 1, SPY_HOLD_HELD, SPY_HOLD_NOT };
#define SPY_HOLD_TAG(gen, state) ((uint64_t)(gen) << 32 | (state))
#define SPY_HOLD_STATE(e) ((uint32_t)__atomic_load_n(&(e)->tag, __ATOMIC_ACQUIRE))
struct spy_held_thread {
  int tid;
  uint64_t tag;             /* SPY_HOLD_TAG(generation, state) */
  uint64_t sp;
  uint64_t regs[SPY_HELD_REGS];
};
void spy_stop_init(void);
/* Holds every other thread it can; fills info's thread counts and stop
 * time; returns the number of entries in *held. Call with the block-table
 * locks held, and spy_stop_release() on every path after. */
unsigned spy_stop_others(struct hsp_scan_info *info, const struct spy_held_thread **held);
void spy_stop_release(struct hsp_scan_info *info);
void spy_stop_fork_child(void);

/* Where the scan of this thread's stack begins for a spy function with a
 * frame pointer: below its frame, just far enough to keep the caller's
 * registers that its prologue pushed (rbx, r12-r15). */
#define SPY_SCAN_ORIGIN(o)                                                  \
  do {                                                                      \
    spy_capture_registers((o)->regs);                                       \
    (o)->stack = (uint64_t)(uintptr_t)__builtin_frame_address(0) - 40;       \
  } while (0)

/* intercept_malloc.c: the free funnel shared with operator delete. */
void spy_free_as(void *p, unsigned family);

/* intercept_cxx.c */
void spy_resolve_cxx(void);

/* spy_client.c: requests from heapspy.h */
unsigned spy_family_id(const char *name);  /* custom families */
/* A checkpoint; with leak_check, after a reachability scan whose origin
 * is the caller's frame. */
void spy_record_mark(const char *name, const struct spy_scan_origin *leak_check,
                     int from_outside);


/* spy_client.c: a `heapspy snapshot` request is waiting (raised by the
 * signal handler, served on the way out of the next allocation). */
extern volatile int spy_request_pending;
void spy_serve_request(void);

/* spy_nested.c: calls that arrive while this thread is inside the spy
 * (a signal handler interrupted it) are queued and replayed on the way
 * out. spy_internal marks the spy's own calls into code that may allocate
 * (dlsym, pthread keys): those pass through untracked. */
extern __thread int spy_internal;
extern __thread int spy_queued;
void *spy_nested_alloc(void *p, size_t size, unsigned family);
void spy_nested_unrecord(void *p);
void spy_nested_free(void *p);
void spy_drain_queue(void);

/* Leave the spy: replay what signal handlers queued meanwhile, and serve
 * a snapshot request that arrived. */
static inline void spy_leave(void) {
  if (SPY_UNLIKELY(spy_queued) && spy_busy == 1) spy_drain_queue();
  if (SPY_UNLIKELY(spy_request_pending) && spy_busy == 1) spy_serve_request();
  spy_busy--;
}

/* A call made while this thread is already in the spy: is it the spy's
 * own (pass through) or a signal handler's (queue it)? */
static inline int spy_nested_tracked(void) {
  return !spy_internal && spy_status == SPY_READY;
}

/* The funnel every interceptor uses, entered with spy_busy set. */
static inline void *spy_track(void *p, size_t size, unsigned family) {
  if (SPY_LIKELY(p != NULL)) {
    spy_block_prefetch(p);
    uint32_t stack = spy_stack_capture();
    spy_block_add(p, size, family, stack);
  }
  return p;
}

/* Without --check, glibc unmaps a large block when it is freed: a few
 * recent ones are remembered so a later access can be explained. */
void spy_crash_note_unmapped_free(void *p);

/* The free funnel. While the process has a single thread no one can be
 * handed this address between the real free and our record of it, so the
 * real free runs first, hiding the table's cache miss behind it; with
 * threads the record must come first. */
static inline void spy_untrack_and_free(void *p) {
  if (SPY_UNLIKELY(((const size_t *)p)[-1] & 2))   /* glibc: IS_MMAPPED */
    spy_crash_note_unmapped_free(p);
  if (spy_single_threaded()) {
    spy_block_prefetch(p);
    __libc_free(p);
    spy_block_remove_later(p);
  } else {
    spy_block_remove(p, NULL, NULL);
    __libc_free(p);
  }
}

/* spy_trace.c: --trace (layout: hst_format.h). The block table takes a
 * sequence number under its shard lock for every change and hands the
 * event over after unlocking; spy_trace_realloc marks a realloc's pair. */
extern int spy_trace_on;
extern uint64_t spy_trace_seq;
extern __thread int spy_trace_realloc;
static inline uint64_t spy_trace_next_seq(void) {
  if (spy_single_threaded()) return spy_trace_seq++;
  return __atomic_fetch_add(&spy_trace_seq, 1, __ATOMIC_RELAXED);
}
void spy_trace_init(void);
void spy_trace_alloc(uint64_t seq, uint64_t addr, uint64_t size, unsigned family, uint32_t stack);
void spy_trace_free(uint64_t seq, const struct hsp_block *b, int restore);
void spy_trace_mark(uint64_t cut, const char *name);
void spy_trace_fork_child(void);
uint64_t spy_trace_vm(void);               /* address space reserved */
int spy_trace_owns(uint64_t addr);         /* in the trace's mapping: never a root */
extern __thread uint64_t spy_trace_cut;    /* set by spy_blocks_snapshot */

/* spy_check.c: --check (red zones, poison, quarantine). spy_check_on is
 * set once at start-up and stays set (a forked, unspied child still frees
 * through spy_check_free_off). The interceptors call in only when it is
 * set; everything is entered with spy_busy raised. */
extern int spy_check_on;
void spy_check_init(void);
void *spy_check_alloc(size_t n, size_t align, int zero);  /* user pointer */
void spy_check_free(void *p, unsigned family);   /* 0xff: family unknown */
void *spy_check_realloc(void *old, size_t n);
size_t spy_check_usable(void *p, size_t (*real)(void *));
void spy_check_free_off(void *p);          /* spy off (forked child) */
void *spy_check_realloc_off(void *old, size_t n);
void spy_check_verify_all(int release);    /* exit (release), leak checks */
void spy_check_lock(void);                 /* fork */
void spy_check_unlock(void);
void spy_check_reset_lock(void);
void spy_check_thread_exit(void);          /* its batch of frees to the quarantine */

/* --check's block layout, which the checks and the quarantine share: raw
 * (from glibc) = user - front, SPY_RZ bytes of red zone after the block.
 * Freed blocks: the first 4 KiB poisoned with SPY_FILL_FREED and verified.
 * Writes after free land near the start (refcounts, links, vtables);
 * poisoning a large block whole would write it at free and read it back,
 * out of cache, at eviction. --guard covers all of a block. */
#define SPY_RZ 16
#define SPY_FILL_RZ 0xab              /* red zones, --guard's slack */
#define SPY_FILL_NEW 0xbe             /* new blocks' first SPY_FILL_MAX bytes */
#define SPY_FILL_FREED 0xfd
#define SPY_FILL_MAX 4096
#define SPY_POISON_MAX 4096
#define SPY_POISONED(size) ((size) < SPY_POISON_MAX ? (size) : SPY_POISON_MAX)
/* A freed block, poisoned, as the quarantine holds it (user 0: an empty
 * or moved slot). */
struct spy_qent { uint64_t user, size; uint32_t front, family, alloc_stack, free_stack; };

struct spy_near;
/* spy_quarantine.c: where spy_check.c keeps freed blocks before glibc
 * gets them back. Called by spy_check.c only (the rest of the spy asks
 * spy_check_*); entered with spy_busy raised. Evicted blocks go back
 * through spy_check_release, never straight to glibc. */
int spy_quarantine_init(void);             /* 0, or -1: cannot map */
void spy_quarantine_put(const struct spy_qent *e);   /* e: poisoned, zones checked */
int spy_quarantine_find(uint64_t user, struct spy_qent *out);   /* double free? */
void spy_quarantine_verify_all(int release);
void spy_quarantine_lock(void);            /* fork */
void spy_quarantine_unlock(void);
void spy_quarantine_reset_lock(void);
void spy_quarantine_thread_exit(void);
int spy_quarantine_find_freed(uint64_t addr, struct spy_near *out);  /* no lock */
/* spy_check.c, for the quarantine: a block leaving it is verified
 * (poison, zones; reported at `here`) and given to glibc; a block staying
 * is verified only. Never called under the quarantine's locks. */
void spy_check_release(const struct spy_qent *e, uint32_t here, const char *at);
void spy_check_poison(const struct spy_qent *e, uint32_t here, const char *at);
/* One ASan-shaped line on stderr now, one record in the profile. */
/* spy_origin.c: where a pointer no live block holds points (for invalid
 * frees), and whether glibc would take it as one of its own chunks. */
enum { SPY_AT_HEAP, SPY_AT_STACK, SPY_AT_MODULE, SPY_AT_UNMAPPED };
int spy_pointer_origin(uint64_t a, uint64_t bounds[2]);
int spy_glibc_chunk(uint64_t user, uint64_t lo, uint64_t hi);
void spy_origin_reset_lock(void);
void spy_check_custom_free(uint64_t user, const struct hsp_block *b, unsigned free_fam);
void spy_check_report(unsigned kind, uint64_t addr, uint64_t size, int32_t offset,
                      uint32_t access, uint32_t freed, uint32_t alloc, const char *what);
/* A block allocated with alloc_fam freed as free_fam: report a mismatch. */
void spy_check_family(uint64_t user, uint64_t size, unsigned alloc_fam, unsigned free_fam,
                      uint32_t free_stack, uint32_t alloc_stack);
const char *spy_heap_kind_name(unsigned kind);
/* Bytes of [p, p+n) that are not v: the first index (-1: none), *last. */
long spy_check_scan(const unsigned char *p, size_t n, unsigned char v, long *last);

/* A block a crash may be about (spy_crash.c asks each owner). */
struct spy_near {
  uint64_t user, size;
  uint32_t alloc_stack, free_stack;
  int freed;
};

/* spy_guard.c: --guard (page heap). Each block ends at an inaccessible
 * page (or starts after one, guard=underflow); freed blocks' pages are
 * inaccessible while quarantined. Layered under spy_check.c's entry
 * points: spy_check_alloc asks spy_guard_alloc first (NULL: fall back to
 * red zones), and every pointer of the guard region is the guard's to
 * free. spy_guard_on is set once at start-up. */
extern int spy_guard_on;
void spy_guard_init(void);                 /* needs spy_check_init first */
void *spy_guard_alloc(size_t n, size_t align, int zero);
int spy_guard_owns(const void *p);
void spy_guard_free(void *p, unsigned family);
void spy_guard_diagnose(void *p, const char *at);  /* not a live block of ours */
void spy_guard_free_off(void *p);          /* spy off (forked child) */
void spy_guard_fork(int phase);            /* 0 prepare, 1 parent, 2 child */
int spy_guard_find(uint64_t addr, struct spy_near *out);   /* crash path */
/* spy_check.c, crash path: a quarantined block holding addr. */
int spy_check_find_freed(uint64_t addr, struct spy_near *out);

/* spy_crash.c: a fatal SIGSEGV/SIGBUS: name the heap block it hit (or
 * came near), report it like --check's errors. Async-signal-safe. */
void spy_crash_explain(int sig, const void *siginfo, const void *ucontext);
int spy_crash_find_unmapped(uint64_t addr, struct spy_near *out);
/* spy_insn.c: the size in bytes of the memory operand of the x86-64
 * instruction whose first bytes are code[0..len) ("write of size 4"), 0
 * when unknown. Reads code in order and never past the ModRM byte, so it
 * reads only bytes of that instruction. Async-signal-safe. */
unsigned spy_insn_access_size(const uint8_t *code, size_t len);

/* spy_util.c: the spy's libc-free helpers. */
void spy_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t spy_hex(const char **s);
size_t spy_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t spy_strlcpy(char *dst, const char *src, size_t cap);
/* Calls fn (if any) for each thread of the process, as listed now by
 * /proc/self/task; returns how many there were (0: cannot list). */
unsigned spy_for_each_task(void (*fn)(int tid, void *ctx), void *ctx);

/* Lock word helpers (test-and-test-and-set; yields when contended). */
void spy_lock_slow(uint32_t *l);
static inline void spy_lock(uint32_t *l) {
  if (SPY_LIKELY(!__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))) return;
  spy_lock_slow(l);
}
static inline void spy_unlock(uint32_t *l) {
  __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}


/* ---- --locks and threads (spy_locks.c, spy_lockgraph.c, spy_threads.c,
 * spy_errors.c) ------------------------------------------------------ */

/* Locks this thread holds, innermost last. Lives in TLS; spy_threads.c
 * reads other threads' copies (under their registry slot lock) when exit
 * starts. */
#define SPY_HELD_MAX 64
struct spy_held_entry {
  uint64_t addr;
  uint32_t node;            /* lock-graph node (0: graph full) */
  uint32_t stack;           /* acquisition */
  uint16_t kind, mode;      /* HSP_LOCK_*, HSP_MODE_* */
  uint32_t count;           /* recursive acquisitions */
};
struct spy_held {
  unsigned n;
  unsigned overflow;        /* acquisitions not listed (set was full) */
  uint32_t last_stack;      /* last tracked acquisition */
  uint64_t sig;             /* sum of a hash of (node, mode) over e[] */
  /* Blocked in an acquisition for a while (spy_deadlock.c): the lock, the
   * wait's number (new at each wait), mode, and the stack (captured at the
   * first check). Published by the thread, read by others. */
  uint64_t waiting;
  uint32_t wait_seq, wait_mode, wait_stack;
  struct spy_held_entry e[SPY_HELD_MAX];
};
extern __thread struct spy_held spy_held;
extern __thread int spy_lock_busy;     /* inside a lock interceptor */
extern int spy_locks_on;               /* --locks and the spy is ready */

void spy_locks_init(void);             /* resolve the real functions */
void spy_locks_fork_child(void);

/* The graph lives in the profile. Nodes: 0 when the table is full. */
uint32_t spy_lockgraph_node(uint64_t addr, unsigned kind, uint32_t stack);
void spy_lockgraph_destroyed(uint64_t addr);
/* `to` acquired while holding `from`; gates: the other locks held
 * exclusively at this sighting. Returns the edge's reference for
 * spy_lockgraph_seen (0: none, the table is full). */
uint32_t spy_lockgraph_edge(uint32_t from, uint32_t to, uint32_t from_stack,
                            uint32_t to_stack, const uint32_t *gates, unsigned ngates);
static inline uint64_t spy_lockgraph_mix(uint64_t x) {   /* the tables' hash */
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}
extern struct hsp_lock_node *spy_lock_nodes;
extern struct hsp_lock_edge *spy_lock_edges;
/* Node `node` is still the lock at addr (not destroyed). */
static inline int spy_lockgraph_node_live(uint32_t node, uint64_t addr) {
  return node && spy_lock_nodes[node - 1].addr == addr &&
         !__atomic_load_n(&spy_lock_nodes[node - 1].dead, __ATOMIC_RELAXED);
}
/* One more sighting of an edge, with the same gates. Counted without a
 * lock (a lost increment only makes the count approximate) and only up
 * to SPY_EDGE_COUNT_MAX: a hot edge shared by threads is then only read,
 * its cache line never bounces. */
#define SPY_EDGE_COUNT_MAX 65535
static inline int spy_lockgraph_seen(uint32_t ref) {   /* 1: saturated */
  struct hsp_lock_edge *e = &spy_lock_edges[ref - 1];
  uint64_t c = __atomic_load_n(&e->count, __ATOMIC_RELAXED);
  if (c >= SPY_EDGE_COUNT_MAX) return 1;
  __atomic_store_n(&e->count, c + 1, __ATOMIC_RELAXED);
  return 0;
}
void spy_lockgraph_reset_lock(void);
/* The live heap block containing addr, if it starts at most 1 KiB before
 * it (the live table is keyed by exact address: probes back from addr). */
int spy_block_containing(uint64_t addr, struct hsp_block *out);

/* A misuse found now (HSP_ERR_*), recorded in the profile. */
void spy_error_record(unsigned kind, uint64_t addr, uint32_t stack,
                      uint32_t related_stack, unsigned lock_kind);
/* A heap error (--check): see struct hsp_error for the fields. */
void spy_error_record_heap(unsigned kind, uint64_t addr, uint64_t size, int32_t offset,
                           uint32_t access_stack, uint32_t free_stack, uint32_t alloc_stack);
struct spy_fault {
  uint64_t addr;            /* si_addr */
  unsigned access;          /* enum hsp_access */
  unsigned size;            /* bytes the instruction accesses, 0 unknown */
  int signal;
  uint32_t stack;           /* the faulting instruction's stack */
};
void spy_error_record_fault(unsigned kind, uint64_t block, uint64_t size, int32_t offset,
                            uint32_t free_stack, uint32_t alloc_stack, const struct spy_fault *f);
void spy_errors_reset_lock(void);

/* spy_deadlock.c: a thread blocked in an acquisition calls this every
 * SPY_DEADLOCK_CHECK_MS (without spy_busy raised and no spy lock held):
 * a cycle of blocked threads seen twice with the same waits is reported
 * once (stderr, profile) by its lowest tid; with --halt-on-error the
 * program is then stopped (SIGABRT). */
#define SPY_DEADLOCK_CHECK_MS 200
void spy_deadlock_check(void);
void spy_lockgraph_add_deadlock(const struct hsp_deadlock *d);

/* A copy of another thread's lock state (spy_threads.c). */
#define SPY_VIEW_HELD 16
struct spy_thread_view {
  int tid;
  uint64_t waiting;
  uint32_t wait_seq, wait_mode, wait_stack;
  unsigned nheld;
  struct spy_held_entry held[SPY_VIEW_HELD];
};
/* Every registered thread's state, each copied under its slot lock. */
unsigned spy_threads_views(struct spy_thread_view *out, unsigned max);
void spy_thread_name(int tid, char name[16]);

/* Threads: each registers itself the first time it enters the spy with
 * other threads around, and leaves the registry at thread exit. */
void spy_threads_init(void);
void spy_thread_register(void);
void spy_threads_at_exit(void);        /* record the others (once) */
void spy_threads_fork_child(void);
int spy_gettid(void);

#endif
