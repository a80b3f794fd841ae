/*
 * intercept_malloc.c: the C allocation family, interposed by LD_PRELOAD.
 * Each interceptor is thin: call glibc's real allocator (its exported
 * __libc_* entry points, so no dlsym bootstrap is needed), then hand the
 * result to the funnel (spy_track / spy_block_take).
 *
 * Order matters: a free is recorded before the real free, so the address
 * cannot be handed out again and recorded by another thread in between.
 *
 * Counting follows valgrind's HEAP SUMMARY: realloc(p, n>0) is one alloc
 * and one free (valgrind's realloc always moves); realloc(p, 0) one free;
 * realloc(NULL, n) one alloc; free(NULL) nothing.
 *
 * With --check (spy_check_on) every call goes to spy_check.c instead:
 * red zones around the blocks, a quarantine after free (see there). In
 * exact mode with records (spy_cb_front) malloc, calloc, realloc and
 * free go to spy_fronts.c: each block's record in front of it.
 *
 * With --sample (spy_sampling) an allocation the countdown lets pass and
 * a free the filter clears go straight to glibc (spy_sample.h); the rest
 * take the exact path below.
 *
 * With --guard-sample, 1 in N allocations (spy_gs_take) goes to a guard
 * slot instead (spy_guard_sample.c), in either mode; a pointer of the
 * slot region (one range compare) is freed there, never by glibc.
 *
 * Must never: be called recursively with tracking on (spy_busy), or
 * hand glibc a pointer it did not make (a fronted block's is 16 bytes
 * before the program's).
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"
#include "spy_guard_sample.h"
#include "spy_sample.h"

/* gcc -fanalyzer takes this file's own malloc, realloc and memalign for
 * the allocator it models, and the blocks they return to their callers
 * for leaks (make check-static). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif

/* Not tracking yet (or any more): the real call. Inside the spy already:
 * a signal handler's call, queued (see spy_nested.c); under --sample it
 * passes unrecorded, as most do. Sampling on and the countdown not run
 * out: the real call, counted. */
#define ENTER(call, size)                                                 \
  do {                                                                    \
    if (SPY_UNLIKELY(spy_busy))                                           \
      return spy_nested_tracked() && !spy_check_on && !spy_sampling       \
          ? spy_nested_alloc(call, size, HSP_FAM_MALLOC) : call;          \
    if (!spy_ready()) return call;                                        \
    if (spy_sampling && spy_sample_skip(size)) return call;               \
  } while (0)

/* ENTER, and 1 in N (--guard-sample) returns `slot` instead. */
#define ENTER_GS(call, size, slot)                                        \
  do {                                                                    \
    if (SPY_LIKELY(!spy_busy) && spy_ready() && SPY_UNLIKELY(spy_gs_take())) return slot; \
    ENTER(call, size);                                                    \
  } while (0)

/* --sample's hot path: the gate open (spy_sample.h). An allocation the
 * countdown lets pass and a free the filter clears then tail-call glibc,
 * with no frame of ours (these are the only code most calls run; the
 * frame pointer the spy keeps elsewhere is left out). Neither needs the
 * spy, so a call from inside it (a signal handler's, spy_busy) may pass
 * too, counted; one that would be recorded goes the slow way, which
 * passes it unrecorded. With the gate closed (a request waiting, the spy
 * not ready) malloc_exact and spy_free_as take sampling into account
 * themselves. */
#define SAMPLE_FAST SPY_FRAMELESS

static __attribute__((noinline)) void *malloc_exact(size_t n) {
  ENTER_GS(__libc_malloc(n), n, spy_gs_malloc(n, 0, HSP_FAM_MALLOC));
  spy_busy++;
  void *p = SPY_LIKELY(spy_cb_front) ? spy_front_new(n, 0, HSP_FAM_MALLOC)
          : spy_track(SPY_UNLIKELY(spy_check_on) ? spy_check_alloc(n, 0, 0) : __libc_malloc(n),
                      n, HSP_FAM_MALLOC);
  spy_leave();
  return p;
}

/* A sampled allocation (the countdown said so): recorded in full. */
static __attribute__((noinline)) void *malloc_sampled(size_t n) {
  spy_busy++;
  void *p = spy_track(__libc_malloc(n), n, HSP_FAM_MALLOC);
  spy_leave();
  return p;
}

/* malloc's every path but the shortest. */
static __attribute__((noinline)) void *malloc_slow(size_t n) {
  uint32_t gate = spy_sample_gate;
  if (SPY_LIKELY(gate) && SPY_LIKELY(!spy_busy)) {
    if (gate == SPY_GATE_GS && SPY_UNLIKELY(spy_gs_take())) return spy_gs_malloc(n, 0, HSP_FAM_MALLOC);
    if (SPY_LIKELY(spy_sample_pass(n))) return __libc_malloc(n);
    return malloc_sampled(n);
  }
  return malloc_exact(n);
}

/* The thread's slot while an unsampled call may take the shortest path
 * (the gate open, a slot claimed), else NULL. The shortest paths have no
 * call but the tail calls: no frame. */
static inline struct hsp_sample_slot *fast_slot(uint32_t gate) {
  return SPY_LIKELY(gate) ? spy_sample_mine : NULL;
}

SPY_EXPORT SAMPLE_FAST void *malloc(size_t n) {
  uint32_t gate = spy_sample_gate;
  struct hsp_sample_slot *c = fast_slot(gate);
  if (SPY_LIKELY(c != NULL)) {
    uint64_t w = c->word;
    if (SPY_LIKELY(spy_sample_fits(w, n))) {
      if (gate == SPY_GATE_GS && SPY_UNLIKELY(!spy_gs_pass())) return malloc_slow(n);
      spy_sample_count(c, w, n);
      return __libc_malloc(n);
    }
  }
  return malloc_slow(n);
}

/* A free under --sample whose filter byte is set: the table decides (a
 * false positive finds nothing there). */
static __attribute__((noinline)) void sampled_free(void *p) {
  spy_busy++;
  spy_block_remove(p, NULL, NULL);
  __libc_free(p);
  spy_leave();
}

/* Every free and delete: fam is how the program freed it (--check tells
 * mismatches apart). Also used by intercept_cxx.c. */
void spy_free_as(void *p, unsigned fam) {
  if (!p) return;
  if (SPY_UNLIKELY(spy_gs_owns(p))) {
    spy_gs_release(p, fam);
    return;
  }
  if (SPY_UNLIKELY(spy_busy)) {
    if (spy_nested_tracked()) spy_nested_free(p);
    else __libc_free(p);
    return;
  }
  if (!spy_ready()) {
    if (SPY_UNLIKELY(spy_check_on)) spy_check_free_off(p);
    else if (spy_cb_front) spy_front_free_off(p);
    else __libc_free(p);
    return;
  }
  if (spy_sampling) {
    spy_sample_here()->frees++;
    if (SPY_LIKELY(!spy_sample_maybe(p))) __libc_free(p);
    else sampled_free(p);
    return;
  }
  spy_busy++;
  if (SPY_UNLIKELY(spy_check_on)) spy_check_free(p, fam);
  else if (SPY_LIKELY(spy_cb_front)) spy_front_free(p);
  else if (SPY_UNLIKELY(spy_attached)) spy_attach_free(p);
  else spy_untrack_and_free(p);
  spy_leave();
}

SPY_EXPORT SAMPLE_FAST void free(void *p) {
  uint32_t gate = spy_sample_gate;
  struct hsp_sample_slot *c = fast_slot(gate);
  if (SPY_LIKELY(c != NULL) && (gate == SPY_GATE_OPEN || SPY_LIKELY(!spy_gs_owns(p)))) {
    c->frees += p != NULL;
    if (SPY_LIKELY(!p || !spy_sample_maybe(p))) return __libc_free(p);
    return sampled_free(p);
  }
  spy_free_as(p, HSP_FAM_MALLOC);
}

/* calloc, guarded: a slot holds the last block's bytes, glibc's fallback
 * block anything. */
static void *calloc_slot(size_t n, size_t m) {
  size_t bytes;
  if (__builtin_mul_overflow(n, m, &bytes)) return __libc_calloc(n, m);   /* fails */
  void *p = spy_gs_malloc(bytes, 0, HSP_FAM_MALLOC);
  if (p) memset(p, 0, bytes);
  return p;
}

static __attribute__((noinline)) void *calloc_slow(size_t n, size_t m) {
  ENTER_GS(__libc_calloc(n, m), n * m, calloc_slot(n, m));  /* non-NULL implies no overflow */
  /* (an overflowing n * m only moves the countdown: calloc fails) */
  spy_busy++;
  void *p;
  if (SPY_UNLIKELY(spy_check_on)) {
    size_t bytes;
    p = __builtin_mul_overflow(n, m, &bytes) ? NULL : spy_check_alloc(bytes, 0, 1);
    if (!p) errno = ENOMEM;
  } else if (SPY_LIKELY(spy_cb_front)) {
    size_t bytes;
    p = __builtin_mul_overflow(n, m, &bytes) ? NULL : spy_front_new(bytes, 1, HSP_FAM_MALLOC);
    if (!p) errno = ENOMEM;
    spy_leave();
    return p;
  } else {
    p = __libc_calloc(n, m);
  }
  spy_track(p, n * m, HSP_FAM_MALLOC);
  spy_leave();
  return p;
}

/* --sample's shortest path, as malloc's. */
SPY_EXPORT SAMPLE_FAST void *calloc(size_t n, size_t m) {
  uint32_t gate = spy_sample_gate;
  struct hsp_sample_slot *c = fast_slot(gate);
  size_t bytes;
  if (SPY_LIKELY(c != NULL) && !__builtin_mul_overflow(n, m, &bytes)) {
    uint64_t w = c->word;
    if (SPY_LIKELY(spy_sample_fits(w, bytes))) {
      if (gate == SPY_GATE_GS && SPY_UNLIKELY(!spy_gs_pass())) return calloc_slow(n, m);
      spy_sample_count(c, w, bytes);
      return __libc_calloc(n, m);
    }
  }
  return calloc_slow(n, m);
}

/* realloc under --sample: the old block leaves the table if it was
 * sampled, the new one enters it if the countdown says so. */
static void *sampled_realloc(void *old, size_t n) {
  if (old) spy_sample_here()->frees++;
  int was_sampled = old && spy_sample_maybe(old);
  int sample_new = n && !spy_sample_skip(n);
  if (!was_sampled && !sample_new) return __libc_realloc(old, n);
  spy_busy++;
  struct hsp_block was;
  int known = was_sampled && spy_block_take(old, &was);
  void *p = __libc_realloc(old, n);
  if (p && sample_new) spy_track(p, n, HSP_FAM_MALLOC);
  else if (!p && known && n) spy_block_untake(&was);  /* failed: old stays */
  spy_leave();
  return p;
}

/* realloc of a guard slot's block: moves (a slot holds one block). */
static void *slot_realloc(void *old, size_t n) {
  size_t had = spy_gs_usable(old);
  void *p = n ? malloc(n) : NULL;
  if (p) memcpy(p, old, had < n ? had : n);
  if (p || !n) spy_gs_release(old, HSP_FAM_MALLOC);   /* a bad pointer is reported there */
  return p;
}

static __attribute__((noinline)) void *realloc_slow(void *old, size_t n) {
  if (SPY_UNLIKELY(spy_gs_owns(old))) return slot_realloc(old, n);
  if (SPY_UNLIKELY(spy_busy)) {
    if (!spy_nested_tracked() || spy_sampling) return __libc_realloc(old, n);
    if (spy_check_on) { errno = ENOMEM; return NULL; }  /* a signal handler's */
    void *p = __libc_realloc(old, n);
    if (old && (p || !n)) spy_nested_unrecord(old);
    return spy_nested_alloc(p, n, HSP_FAM_MALLOC);
  }
  if (!spy_ready())
    return SPY_UNLIKELY(spy_check_on) ? spy_check_realloc_off(old, n)
         : spy_cb_front ? spy_front_realloc_off(old, n) : __libc_realloc(old, n);
  if (spy_sampling) return sampled_realloc(old, n);
  spy_busy++;
  if (SPY_UNLIKELY(spy_check_on) ||
      (SPY_LIKELY(spy_cb_front) && (!old || spy_cb_fronted((uint64_t)(uintptr_t)old)))) {
    void *p = spy_check_on ? spy_check_realloc(old, n) : spy_front_realloc(old, n);
    spy_leave();
    return p;
  }
  struct hsp_block was;
  spy_blocks_settle();                 /* queued operations are not part of it */
  spy_trace_realloc = 1;
  int known = old && spy_block_take(old, &was);
  int64_t before = SPY_UNLIKELY(spy_attached) && old && !known ? spy_before_gone(old) : -1;
  void *p = __libc_realloc(old, n);
  if (p) spy_track(p, n, HSP_FAM_MALLOC);
  else if (known && n) spy_block_untake(&was);  /* failed: old stays */
  if (SPY_UNLIKELY(spy_attached) && old && !known) {
    if (p || !n) spy_attach_note_unknown();
    else spy_before_back(before);
  }
  spy_trace_realloc = 0;
  spy_leave();
  return p;
}

/* --sample's shortest path: neither block sampled nor in a guard slot
 * (sampled_realloc's counting, without the calls; a realloc never moves
 * a block into a slot). */
SPY_EXPORT SAMPLE_FAST void *realloc(void *old, size_t n) {
  uint32_t gate = spy_sample_gate;
  struct hsp_sample_slot *c = fast_slot(gate);
  if (SPY_LIKELY(c != NULL) && n) {
    uint64_t w = c->word;
    if (SPY_LIKELY(spy_sample_fits(w, n)) &&
        (!old || (SPY_LIKELY(!spy_sample_maybe(old)) && (gate == SPY_GATE_OPEN || !spy_gs_owns(old))))) {
      c->frees += old != NULL;
      spy_sample_count(c, w, n);
      return __libc_realloc(old, n);
    }
  }
  return realloc_slow(old, n);
}

SPY_EXPORT void *reallocarray(void *old, size_t n, size_t m) {
  size_t bytes;
  if (__builtin_mul_overflow(n, m, &bytes)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(old, bytes);
}

SPY_EXPORT void *memalign(size_t align, size_t n) {
  ENTER_GS(__libc_memalign(align, n), n, spy_gs_malloc(n, align, HSP_FAM_MALLOC));
  spy_busy++;
  void *p = spy_track(SPY_UNLIKELY(spy_check_on) ? spy_check_alloc(n, align, 0)
                                                 : __libc_memalign(align, n), n, HSP_FAM_MALLOC);
  spy_leave();
  return p;
}

SPY_EXPORT void *aligned_alloc(size_t align, size_t n) {
  return memalign(align, n);
}

SPY_EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  if (align % sizeof(void *) || (align & (align - 1)) || !align) return EINVAL;
  void *p = memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

SPY_EXPORT void *valloc(size_t n) {
  ENTER(__libc_valloc(n), n);
  spy_busy++;
  void *p = spy_track(SPY_UNLIKELY(spy_check_on) ? spy_check_alloc(n, (size_t)getpagesize(), 0)
                                                 : __libc_valloc(n), n, HSP_FAM_MALLOC);
  spy_leave();
  return p;
}

SPY_EXPORT void *pvalloc(size_t n) {
  ENTER(__libc_pvalloc(n), n);
  spy_busy++;
  size_t pg = (size_t)getpagesize(), up = n ? (n + pg - 1) & ~(pg - 1) : pg;
  void *p = spy_track(SPY_UNLIKELY(spy_check_on) ? spy_check_alloc(up, pg, 0)
                                                 : __libc_pvalloc(n),
                      spy_check_on ? up : n, HSP_FAM_MALLOC);
  spy_leave();
  return p;
}

/* glibc does not export an internal name for it: find the next definition
 * once (dlsym may allocate; spy_busy makes that pass through). */
SPY_EXPORT size_t malloc_usable_size(void *p) {
  static size_t (*real)(void *);
  if (!real) {
    spy_busy++;
    spy_internal++;
    real = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    spy_internal--;
    spy_busy--;
    if (!real) return 0;
  }
  if (SPY_UNLIKELY(spy_gs_owns(p))) return spy_gs_usable(p);
  if (SPY_UNLIKELY(spy_check_on) && p && !spy_busy) {
    spy_busy++;
    size_t n = spy_check_usable(p, real);
    spy_leave();
    return n;
  }
  if (spy_cb_front && p && spy_cb_fronted((uint64_t)(uintptr_t)p))
    return real((char *)p - SPY_EXACT_FRONT) - SPY_EXACT_FRONT;
  return real(p);
}
