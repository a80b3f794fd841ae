/*
 * spy.h: the core of the in-process spy (libheapspy.so, preloaded into
 * the program under observation): options, the profile arena, the
 * live-block table, stacks, the trace, the interceptors' funnels and the
 * spy's own libc-free helpers. Each mode built on it has its own header:
 * spy_check.h (--check, --guard, the crash path), spy_locks.h (--locks),
 * spy_scan.h (the reachability scan and holding threads still).
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
#include <sys/single_threaded.h>
#include "profile/hsp_format.h"
#include "spy_assert.h"
#include "spy_options.h"

#define SPY_EXPORT __attribute__((visibility("default")))
/* The spy's thread-local variables: static TLS (no allocation on first
 * access, one load), in the preloaded library and in the attach build
 * (libheapspy-attach.so) alike: glibc gives a module loaded by dlopen
 * its spare static TLS when it fits (spy_thread_mem.h keeps it small).
 * SPY_TLS_DYNAMIC builds libheapspy-attach-dyn.so, for a process whose
 * spare is used up. */
#ifdef SPY_TLS_DYNAMIC
#define SPY_TLS
#else
#define SPY_TLS __attribute__((tls_model("initial-exec")))
#endif
#define SPY_LIKELY(x) __builtin_expect(!!(x), 1)
#define SPY_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* A function that only tail-jumps on (an interceptor's shortest path):
 * no frame pointer, so at -O2 it leaves no frame at all. check-debug's
 * -O1 makes no tail calls: such a frame would break the frame chain
 * spy_unwind follows out of the spy (every walk falling back on
 * libunwind, or a caller's frame skipped), so debug builds keep it. */
#if defined(HS_DEBUG) && HS_DEBUG
#define SPY_FRAMELESS
#else
#define SPY_FRAMELESS __attribute__((optimize("omit-frame-pointer")))
#endif
#include "spy_thread_mem.h"   /* needs SPY_TLS and SPY_LIKELY */

/* Starts loading p's cache line, a prefetch the compiler cannot drop.
 * GCC counts __builtin_prefetch as no effect at all: a function that only
 * prefetches is "pure" to it, and a call to it whose result goes unused
 * is deleted (ipa-pure-const) wherever its body is visible: in the same
 * file, or in every file under -flto, which some distributions build
 * with. Under -flto no call of spy_block_prefetch was left, and python's
 * churn ran 1.53 s instead of 1.14 s (t1006 keeps watch). */
static inline void spy_prefetch(const void *p) {
#if defined(__x86_64__)
  __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

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

extern volatile int spy_status;
extern struct spy_options spy_opt;
extern struct hsp_header *spy_hdr;        /* == base of the mapped profile */

/* Set while this thread is inside the spy: nested allocations (from the
 * unwinder, dlsym, a signal handler interrupting us) pass through
 * untracked instead of deadlocking on our own locks. */
extern __thread int spy_busy;

/* spy_init.c */
void spy_init(void);                       /* idempotent, thread-safe */
int spy_start(const char *options);        /* spy_init's work, with these options */
void spy_uninstall_handlers(void);         /* detach: signal handlers back to default */
void spy_stop_uninstall(void);             /* spy_stop.c: its hold signal, likewise */

/* spy_attach.c: set when the spy was loaded late by `heapspy attach`:
 * blocks from before attach are unknown to the tables, exits are not
 * intercepted, recording ends at detach. */
extern int spy_attached;
extern volatile int heapspy_attach_loaded;  /* the constructor ran: relocations are done */
void spy_attach_free(void *p);             /* the free funnel while attached */
void spy_attach_note_unknown(void);        /* a block from before attach went away */
void spy_attach_end(void);                 /* detach: restore, finish the profile */
/* spy_before.c: the blocks from before attach (struct hsp_before) */
int spy_before_load(const char *path);     /* the census file heapspy wrote; 0 or -1 */
struct hsp_before *spy_before_table(uint64_t *n);
int64_t spy_before_gone(const void *p);    /* before glibc frees p: its index, or -1 */
void spy_before_back(int64_t i);           /* a realloc failed: the block stays */
static inline int spy_ready(void) {
  if (SPY_LIKELY(spy_status == SPY_READY)) return 1;
  if (spy_status == SPY_UNINIT) spy_init();
  return spy_status == SPY_READY;
}
uint32_t spy_now_ms(void);

/* spy_arena.c: the profile file, mapped shared, grown in place. */
struct spy_file_id;
/* 0 ok, -1 (warned); flags and made as spy_open_private's */
int spy_arena_open(const char *path, int flags, const struct spy_file_id *made);
void *spy_arena_alloc(size_t bytes, uint64_t *off_out);  /* zeroed; NULL if exhausted */
/* Give back the pages of a record nobody will write again (an abandoned
 * table): its disk blocks and page cache are freed, it reads as zeros. */
void spy_arena_release(uint64_t off, uint64_t len);
uint64_t spy_arena_resident(void);         /* bytes of ours counted in RSS */
uint64_t spy_arena_vm(void);               /* address space the arena reserves */
extern char *spy_arena_base;
static inline void *spy_arena_ptr(uint64_t off) {
  return off ? spy_arena_base + off : NULL;
}
/* The record at off, which the caller knows exists (a table's offset
 * after its init, a stored stack id's record): never NULL. */
static inline void *spy_arena_at(uint64_t off) {
  return spy_arena_base + off;
}
int spy_arena_reopen_for_child(const char *path); /* fork: copy to a new file */
void spy_arena_detach(void);               /* fork: stop writing the file */
void spy_arena_fork_prepare(int copy);     /* fork: lock (and copy) as of the fork */
void spy_arena_fork_parent(void);          /* fork: drop the copy, unlock */
void spy_arena_fork_child(void);           /* fork: the lock is free again */

/* spy_blocks.c: the live-block table. */
void spy_blocks_init(void);
void spy_block_add(void *ptr, size_t size, unsigned family, uint32_t stack);
/* The same, left pending (queued behind up to HSP_PENDING_MAX others)
 * while the process has one thread (exact mode; see spy_blocks.c). */
void spy_block_add_soon(void *ptr, size_t size, unsigned family, uint32_t stack);
/* Removes ptr; returns 1 and its size/family if it was known, else 0. */
int spy_block_remove(void *ptr, size_t *size, unsigned *family);
int spy_block_take(void *ptr, struct hsp_block *out);   /* remove, keep info */
void spy_block_remove_later(void *ptr, size_t chunk);   /* single-threaded only, see .c */
void spy_blocks_settle(void);              /* complete the pending operations */
void spy_block_untake(const struct hsp_block *b);       /* undo a take */
int spy_block_lookup(const void *ptr, struct hsp_block *out);
/* The live heap block containing addr, if it starts at most 1 KiB before
 * it (the live table is keyed by exact address: probes back from addr). */
int spy_block_containing(uint64_t addr, struct hsp_block *out);
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
uint64_t spy_blocks_allocs(void);          /* blocks ever entered (weights under --sample) */
uint64_t spy_blocks_snapshot(uint64_t *count, int with_kinds);  /* live heap by site */
/* The same with every shard lock already held (the leak scan's, so its
 * verdicts and the picture are of one moment). */
uint64_t spy_blocks_snapshot_locked(uint64_t *count, int with_kinds);
/* Crash path (no locks, may be slow): the live block with the lowest
 * score(block, ctx) >= 0; 0 if every score is negative. */
int spy_blocks_best(int64_t (*score)(const struct hsp_block *, void *), void *ctx,
                    struct hsp_block *out);
/* The counts a table entry's arrival or removal moves (per family, per
 * stack, in use and its peak), for a block kept outside the table
 * (spy_records.c), whose own mark is bit of *word: count_in sets it,
 * count_out clears it (0: it was clear, nothing counted), each under the
 * lock its counters change under; in exact mode the same bit of word[1]
 * (the block's front) too. count_in also serves the timeline. */
void spy_blocks_count_in(uint64_t p, uint64_t size, unsigned family, uint32_t stack, uint32_t now,
                         uint64_t *word, uint64_t bit);
int spy_blocks_count_out(const struct hsp_block *b, uint64_t *word, uint64_t bit);
/* Every block spy_records.c records, into the table (every shard
 * lock held), so the table lists the whole heap for whoever reads it. */
void spy_blocks_flush_locked(void);
/* The same, taking the locks (a bounded wait: exit, signals); once the
 * records are closed (spy_cb_close), the profile says the table is whole. */
void spy_blocks_flush_records(void);

/* spy_records.c: blocks recorded in a front of their own instead of the
 * table (see there). spy_cb_on: new blocks are; spy_cb_used: some were,
 * so lookups ask there first. */
extern int spy_cb_on, spy_cb_used;
/* Exact mode's blocks carry their record as a front of their own, this
 * many bytes (spy_fronts.c); spy_cb_front is it while they do, else 0. */
#define SPY_EXACT_FRONT HSP_EXACT_FRONT
extern int spy_cb_front;
void spy_cb_init(void);                    /* after spy_check_init */
void spy_cb_close(void);                   /* exit: the table takes new blocks */
int spy_cb_add(void *ptr, size_t size, unsigned family, uint32_t stack);  /* 0: not recorded */
int spy_cb_take(uint64_t user, struct hsp_block *out);
int spy_cb_lookup(uint64_t user, struct hsp_block *out);
void spy_cb_each(int (*fn)(const struct hsp_block *, void *), void *ctx, int take);
uint64_t spy_cb_ranges(uint64_t (*out)[2], uint64_t max);   /* its mappings */
int spy_cb_fronted(uint64_t user);         /* has exact mode's front */
/* The block at user taken if it has a front: 1 (taken from its record),
 * 0 (it has one, but no live record: in the table, or freed twice), -1
 * (no front). */
int spy_cb_take_front(uint64_t user, struct hsp_block *out);
void spy_cb_unfront(uint64_t user);
void spy_cb_refront(uint64_t user);
/* spy_fronts.c: exact mode's calls on blocks with a front (spy_busy
 * raised; _off: the spy is off, a forked child not spied). */
void *spy_front_new(size_t n, int zero, unsigned family);
void spy_front_free(void *p);
void *spy_front_realloc(void *old, size_t n);
void spy_front_free_off(void *p);
void *spy_front_realloc_off(void *old, size_t n);

/* spy_stacks.c: capture the caller's stack and deduplicate it. */
uint32_t spy_stack_capture(void);
/* The stack of a signal's interrupted context (ucontext_t *); frame 0 is
 * the faulting instruction itself (stored +1, like a return address). */
uint32_t spy_stack_from_context(const void *ucontext);
void spy_stacks_init(void);
uint64_t spy_stacks_resident(void);        /* the frame index, outside the arena */
/* Per-stack counters batched per thread (spy_stacks.c flushes them):
 * a direct-mapped cache of SPY_HOT slots, inline on the hot path. */
#define SPY_HOT 256
_Static_assert((SPY_HOT & (SPY_HOT - 1)) == 0 && SPY_HOT % 64 == 0,
               "spy_hot_of masks with SPY_HOT - 1; dirty has a bit per slot");
struct spy_hot_slot {
  uint32_t stack;
  uint32_t temporary, temporary_alike;
  uint64_t allocs, bytes;
  int64_t live_bytes, live_blocks;
};
struct spy_hot {                       /* spy_thread_mem.hot */
  struct spy_hot_slot slot[SPY_HOT];
  uint64_t dirty[SPY_HOT / 64];
};
SPY_MEM_FITS(struct spy_hot, hot);
static inline struct spy_hot *spy_hot_mine(void) { return (struct spy_hot *)spy_mem()->hot; }
void spy_hot_claim(unsigned i, uint32_t stack);  /* flush slot i, give it to stack */
static inline struct spy_hot_slot *spy_hot_of(uint32_t stack) {
  struct spy_hot *h = spy_hot_mine();
  unsigned i = (stack ^ (stack >> 8)) & (SPY_HOT - 1);
  if (SPY_UNLIKELY(h->slot[i].stack != stack)) spy_hot_claim(i, stack);
  h->dirty[i / 64] |= 1ull << (i % 64);
  return &h->slot[i];
}
/* One allocation of bytes at stack, standing for blocks allocations
 * (1; under --sample its weight, profile/hsp_sample.h). */
static inline void spy_stack_count(uint32_t stack, uint64_t bytes, uint64_t blocks) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->allocs += blocks;
  h->bytes += bytes;
  h->live_bytes += (int64_t)bytes;
  h->live_blocks += (int64_t)blocks;
}
/* One free of a block of that stack; temporary: SPY_TEMPORARY (it was
 * this thread's last allocation, nothing in between), SPY_TEMPORARY_ALIKE
 * (the last allocation had the same stack and size: heaptrack's count
 * includes these), else 0. */
enum { SPY_TEMPORARY = 1, SPY_TEMPORARY_ALIKE = 2 };
static inline void spy_stack_uncount(uint32_t stack, uint64_t bytes, uint64_t blocks,
                                     unsigned temporary) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->live_bytes -= (int64_t)bytes;
  h->live_blocks -= (int64_t)blocks;
  if (SPY_UNLIKELY(temporary)) {
    h->temporary += temporary == SPY_TEMPORARY ? (uint32_t)blocks : 0;
    h->temporary_alike += temporary == SPY_TEMPORARY_ALIKE ? (uint32_t)blocks : 0;
  }
}
/* Undo an uncount (a failed realloc keeps its block). */
static inline void spy_stack_restore(uint32_t stack, uint64_t bytes, uint64_t blocks) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->live_bytes += (int64_t)bytes;
  h->live_blocks += (int64_t)blocks;
}
/* A recorded block's stack (spy_records.c). While the process has one
 * thread its in-use counts move in the stack's own record at once, not
 * in the thread's batch, so that a profile read after SIGKILL, which
 * lists no recorded block, still has the heap by stack as of death. With
 * threads they are batched as any (a hot stack's record shared by threads
 * would bounce between their caches on every call: the 2-thread stress
 * took 12% more CPU): a SIGKILL then misses by stack what each thread had
 * not sent out yet, at most HSP_PEAK_SLACK. */
static inline void spy_stack_live_now(uint32_t stack, int64_t bytes, int64_t blocks) {
  struct hsp_stack *s = spy_arena_at(HSP_STACK_OFF(stack));   /* the only writer */
  __atomic_store_n(&s->in_use_bytes, s->in_use_bytes + bytes, __ATOMIC_RELAXED);
  __atomic_store_n(&s->in_use_blocks, s->in_use_blocks + blocks, __ATOMIC_RELAXED);
}
static inline void spy_stack_count_recorded(uint32_t stack, uint64_t bytes) {
  if (!stack) return;
  struct spy_hot_slot *h = spy_hot_of(stack);
  h->allocs++;
  h->bytes += bytes;
  if (!__libc_single_threaded) {
    h->live_bytes += (int64_t)bytes;
    h->live_blocks++;
    return;
  }
  spy_stack_live_now(stack, (int64_t)bytes, 1);
}
static inline void spy_stack_uncount_recorded(uint32_t stack, uint64_t bytes, unsigned temporary) {
  if (!stack) return;
  if (!__libc_single_threaded) {
    spy_stack_uncount(stack, bytes, 1, temporary);
    return;
  }
  if (SPY_UNLIKELY(temporary)) {
    struct spy_hot_slot *h = spy_hot_of(stack);
    h->temporary += temporary == SPY_TEMPORARY;
    h->temporary_alike += temporary == SPY_TEMPORARY_ALIKE;
  }
  spy_stack_live_now(stack, -(int64_t)bytes, -1);
}
void spy_stacks_copy_peak(void);           /* in_use_* -> peak_*, every stack */
void spy_stacks_flush_counts(void);        /* this thread's batch, now */
void spy_stacks_flush_live(void);          /* ... its in-use part only */
/* Past exit's last flush: this thread's batch, at the cost of the slots
 * changed since the last call (spy_client.c, each call). */
void spy_stacks_flush_each_call(void);
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

/* A stack's 64-bit hash, the stack table's key (spy_stacks.c), chained
 * from the outermost frame inward: a walk that reuses its outer frames
 * (spy_unwind's memo) extends their hash with its fresh frames only. Each
 * step is one-to-one in the state and in the pc, so stacks that differ in
 * one frame never collide; the end mixes every bit into the low ones (the
 * table's index) and is never 0 (0: "not computed"). */
#define SPY_STACK_HASH_SEED 0x243f6a8885a308d3ull
static inline uint64_t spy_stack_hash_step(uint64_t h, uint64_t pc) {
  h = (h ^ pc) * 0x9e3779b97f4a7c15ull;
  return h << 29 | h >> 35;            /* a rotation: high bits reach the low ones */
}
static inline uint64_t spy_stack_hash_end(uint64_t h, unsigned n) {
  h = (h ^ n) * 0xff51afd7ed558ccdull;
  return (h ^ (h >> 32)) | 1;
}

/* spy_unwind.c: the fast CFI unwinder (-1: use libunwind instead); *hash
 * is the hash of out[0..n) when the walk could extend its memo's, else 0.
 * Only out[0..*filled) is written: the frames reused from the memo, which
 * an already known stack never needs, are copied by spy_unwind_fill, this
 * thread's next walk not begun. */
int spy_unwind(uint64_t *out, unsigned max, uint64_t own_lo, uint64_t own_hi, uint64_t *hash,
               unsigned *filled);
void spy_unwind_fill(uint64_t *out, unsigned filled, unsigned n);
extern __thread int spy_unwind_repeat;     /* the walk repeated the last one exactly */
void spy_unwind_invalidate(void);          /* a module was unloaded */

/* spy_modules.c */
void spy_modules_scan(void);               /* record newly loaded modules */
int spy_module_known(uint64_t pc);

/* spy_timeline.c: heap vs RSS over time. Allocations compare the time
 * with spy_timeline_next (read-mostly) and call in when a point is due;
 * heap < 0 means "read the global count". */
void spy_timeline_init(void);
enum { SPY_TICK_DUE = 0, SPY_TICK_FORCE = 1, SPY_TICK_NO_GLIBC = 2 };
void spy_timeline_tick_slow(uint32_t now_ms, int64_t heap, int force);
/* A mark's point (*t), also appended to the timeline. */
void spy_timeline_mark(struct hsp_tick *t);
extern uint64_t spy_timeline_next;

/* spy_glibc.c: mallinfo2 where it is safe (see there); otherwise the
 * last reading. spy_in_handler: this thread runs a signal handler. */
extern __thread int spy_in_handler SPY_TLS;
void spy_glibc_read(struct hsp_glibc *g, uint32_t now_ms, int force, uint64_t rss_file);

/* intercept_malloc.c: the free funnel shared with operator delete. */
void spy_free_as(void *p, unsigned family);

/* intercept_cxx.c */
void spy_resolve_cxx(void);

/* spy_client.c: requests from heapspy.h */
unsigned spy_family_id(const char *name);  /* custom families */
/* A checkpoint; with leak_check, after a reachability scan whose origin
 * is the caller's frame. */
struct spy_scan_origin;                    /* spy_scan.h */
void spy_record_mark(const char *name, const struct spy_scan_origin *leak_check,
                     int from_outside);


/* spy_client.c: a `heapspy snapshot` request is waiting (raised by the
 * signal handler, served on the way out of the next allocation). */
extern volatile int spy_request_pending;
void spy_serve_request(void);
/* Past exit's last flush (spy_fini): the request flag stays raised and
 * each call's batched counts go out as it leaves the spy, so calls made
 * by the destructors that run after heapspy's are in the profile too. */
void spy_count_each_call(void);

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
  SPY_DEBUG_ASSERT(spy_busy > 0);          /* every leave has its enter */
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
  if (spy_cb_on && !spy_cb_front && p) {   /* --check: p is spy_check_alloc's */
    uint32_t stack = spy_stack_capture();
    if (!spy_cb_add(p, size, family, stack)) spy_block_add_soon(p, size, family, stack);
    return p;
  }
  if (SPY_LIKELY(p != NULL)) {
    spy_block_prefetch(p);
    uint32_t stack = spy_stack_capture();
    spy_block_add_soon(p, size, family, stack);
  }
  return p;
}

/* Without --check, glibc unmaps a large block when it is freed: a few
 * recent ones are remembered so a later access can be explained. */
void spy_crash_note_unmapped_free(void *p);
void spy_crash_note_unmapped(const struct hsp_block *b);   /* b, just taken */
/* spy_dlsym.c: dlsym of a name only if a loaded object defines it (never
 * a failed lookup: its message would wait for a dlerror). */
void *spy_dlsym_if_defined(void *handle, const char *name);

/* The free funnel. While the process has a single thread no one can be
 * handed this address between the real free and our record of it, so the
 * real free runs first, hiding the table's cache miss behind it; with
 * threads the record must come first. */
static inline void spy_untrack_and_free(void *p) {
  size_t chunk = ((const size_t *)p)[-1];   /* glibc's size field */
  if (SPY_UNLIKELY(chunk & 2))               /* IS_MMAPPED */
    spy_crash_note_unmapped_free(p);
  if (spy_single_threaded()) {
    spy_block_prefetch(p);
    __libc_free(p);
    spy_block_remove_later(p, chunk & ~(size_t)7);
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
void spy_trace_init(int flags, const struct spy_file_id *made);  /* as spy_arena_open */
void spy_trace_alloc(uint64_t seq, uint64_t addr, uint64_t size, unsigned family, uint32_t stack);
void spy_trace_free(uint64_t seq, const struct hsp_block *b, int restore);
void spy_trace_mark(uint64_t cut, const char *name);
void spy_trace_fork_child(void);
uint64_t spy_trace_vm(void);               /* address space reserved */
uint64_t spy_trace_resident(void);         /* chunks not yet dropped from RSS */
int spy_trace_owns(uint64_t addr);         /* in the trace's mapping: never a root */
extern __thread uint64_t spy_trace_cut;    /* set by spy_blocks_snapshot */

/* spy_util.c: the spy's libc-free helpers. */
/* A forked child under child_silent (valgrind's --child-silent-after-fork):
 * nothing on stderr. */
extern int spy_silent;
void spy_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t spy_hex(const char **s);
size_t spy_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t spy_strlcpy(char *dst, const char *src, size_t cap);
/* Calls fn (if any) for each thread of the process, as listed now by
 * /proc/self/task; returns how many there were (0: cannot list). */
unsigned spy_for_each_task(void (*fn)(int tid, void *ctx), void *ctx);
/* spy_files.c: files the spy writes (the profile, the trace), with the CLI's rules
 * (src/common/private_file.h): mode spy_file_mode() (file_mode, 0600 by
 * default) whatever the umask; never through a final symlink, a FIFO, a
 * device or a directory; never over a read-only file, another user's, one
 * with other hard links, or a non-empty one that does not start with
 * magic; SPY_OPEN_EXCL: the name must be new. made: the file `heapspy
 * run` already created there (its device and inode): opened without
 * O_CREAT and refused if it is another one. Returns the descriptor,
 * emptied; or -1 with *why (NULL: errno says why). */
struct spy_file_id { uint64_t dev, ino; int pid; };
#define SPY_OPEN_EXCL 1
int spy_open_private(const char *path, const char *magic, int flags,
                     const struct spy_file_id *made, const char **why);
int spy_file_id(const char *s, struct spy_file_id *id);   /* "PID,DEV,INO"; 0 if malformed */
unsigned spy_file_mode(void);
uint64_t spy_size(const char *s);          /* "1G", "512K", "4096" */
/* size bytes of address space, inaccessible and left out of the
 * program's core files (what is mapped over it later is dumped as any
 * mapping: mmap MAP_FIXED makes a mapping of its own); NULL if refused. */
void *spy_reserve(uint64_t size);

/* Lock word helpers (test-and-test-and-set; yields when contended). */
void spy_lock_slow(uint32_t *l);
static inline void spy_lock(uint32_t *l) {
  if (SPY_LIKELY(!__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))) return;
  spy_lock_slow(l);
}
static inline void spy_unlock(uint32_t *l) {
  __atomic_store_n(l, 0, __ATOMIC_RELEASE);
}


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

/* Threads: each registers itself the first time it enters the spy with
 * other threads around, and leaves the registry at thread exit. */
void spy_threads_init(void);
void spy_thread_register(void);
void spy_threads_at_exit(void);        /* record the others (once) */
void spy_threads_fork_child(void);
int spy_gettid(void);

#endif