/*
 * intercept_cxx.c: every C++ operator new and delete form, defined under
 * its mangled name so the preload wins over libstdc++'s: plain, array,
 * nothrow, sized delete, aligned (C++17), and their combinations. The
 * family (new / new[]) is recorded so reports can tell them apart.
 *
 * When the real allocation fails, the throwing forms defer to libstdc++'s
 * own operator (found with dlsym at start-up), which runs the new_handler
 * and throws std::bad_alloc; this file is built with -fexceptions so the
 * exception unwinds through it and the cleanup resets spy_busy.
 *
 * With --check, blocks get red zones (spy_check_alloc) and deletes say
 * which form they are, so mismatches are found (spy_check_free).
 *
 * Must never: throw on its own, or record a block twice.
 */
#include <dlfcn.h>
#include <stddef.h>

#include "spy.h"
#include "spy_check.h"
#include "spy_guard_sample.h"
#include "spy_sample.h"

typedef void *(*new_fn)(size_t);
typedef void *(*new_al_fn)(size_t, size_t);
static new_fn real_new, real_new_array;
static new_al_fn real_new_al, real_new_array_al;

void spy_resolve_cxx(void) {
  real_new = (new_fn)spy_dlsym_if_defined(RTLD_NEXT, "_Znwm");   /* none in a C program */
  real_new_array = (new_fn)spy_dlsym_if_defined(RTLD_NEXT, "_Znam");
  real_new_al = (new_al_fn)spy_dlsym_if_defined(RTLD_NEXT, "_ZnwmSt11align_val_t");
  real_new_array_al = (new_al_fn)spy_dlsym_if_defined(RTLD_NEXT, "_ZnamSt11align_val_t");
}

static void leave(int *unused) { (void)unused; spy_leave(); }
#define BUSY_SCOPE int scope __attribute__((cleanup(leave), unused)) = spy_busy++

/* libstdc++'s operator new[] calls operator new, i.e. ours again: that
 * call is the spy's own doing (it must throw, not be queued as a signal
 * handler's allocation), so it runs marked internal. */
static void internal_done(int *unused) { (void)unused; spy_internal--; }
#define INTERNAL_SCOPE int internal __attribute__((cleanup(internal_done), unused)) = spy_internal++

static inline void *raw_alloc(size_t n, size_t align) {
  return align ? __libc_memalign(align, n) : __libc_malloc(n);
}

/* Allocate n bytes for family fam. throwing: fall back to libstdc++'s
 * operator (new_handler, bad_alloc) when the allocation fails. */
static void *cxx_new(size_t n, size_t align, unsigned fam, int throwing) {
  if (SPY_UNLIKELY(spy_busy) && spy_nested_tracked() && !spy_check_on && !spy_sampling)
    return spy_nested_alloc(raw_alloc(n ? n : 1, align), n, fam);
  /* --sample, not sampled: glibc's block, or libstdc++'s operator when it
   * fails (new_handler, bad_alloc) */
  if (SPY_LIKELY(!spy_busy) && spy_ready() && SPY_UNLIKELY(spy_gs_take())) {
    void *p = spy_gs_malloc(n ? n : 1, align, fam);   /* a slot, or glibc's block */
    if (p || !throwing) return p;
  }
  if (SPY_UNLIKELY(spy_busy) || !spy_ready() || (spy_sampling && spy_sample_skip(n))) {
    void *p = raw_alloc(n ? n : 1, align);
    if (p || !throwing) return p;
    if (align) return fam == HSP_FAM_NEW ? real_new_al(n, align) : real_new_array_al(n, align);
    return fam == HSP_FAM_NEW ? real_new(n) : real_new_array(n);
  }
  BUSY_SCOPE;
  if (SPY_LIKELY(spy_cb_front) && !align) {
    void *p = spy_front_new(n, 0, fam);
    if (p || !throwing) return p;
  }
  void *p = SPY_UNLIKELY(spy_check_on) ? spy_check_alloc(n, align, 0) : raw_alloc(n ? n : 1, align);
  if (!p && throwing) {
    INTERNAL_SCOPE;
    if (align) {
      new_al_fn f = fam == HSP_FAM_NEW ? real_new_al : real_new_array_al;
      if (f) p = f(n, align);        /* throws, or returns memory */
    } else {
      new_fn f = fam == HSP_FAM_NEW ? real_new : real_new_array;
      if (f) p = f(n);
    }
    if (SPY_UNLIKELY(spy_check_on) && p) {   /* glibc's block: make it ours */
      void *q = spy_check_alloc(n, align, 0);
      if (!q) return p;                     /* stays glibc's, untracked */
      __libc_free(p);
      p = q;
    }
  }
  return spy_track(p, n, fam);
}

static void cxx_delete(void *p, unsigned fam) { spy_free_as(p, fam); }

#define NOTHROW_T const void *   /* const std::nothrow_t & */
#define ALIGN_T size_t           /* std::align_val_t */

/* operator new / new[] */
SPY_EXPORT void *_Znwm(size_t n) { return cxx_new(n, 0, HSP_FAM_NEW, 1); }
SPY_EXPORT void *_Znam(size_t n) { return cxx_new(n, 0, HSP_FAM_NEW_ARRAY, 1); }
SPY_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, NOTHROW_T t) { (void)t; return cxx_new(n, 0, HSP_FAM_NEW, 0); }
SPY_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, NOTHROW_T t) { (void)t; return cxx_new(n, 0, HSP_FAM_NEW_ARRAY, 0); }
SPY_EXPORT void *_ZnwmSt11align_val_t(size_t n, ALIGN_T a) { return cxx_new(n, a, HSP_FAM_NEW, 1); }
SPY_EXPORT void *_ZnamSt11align_val_t(size_t n, ALIGN_T a) { return cxx_new(n, a, HSP_FAM_NEW_ARRAY, 1); }
SPY_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, ALIGN_T a, NOTHROW_T t) { (void)t; return cxx_new(n, a, HSP_FAM_NEW, 0); }
SPY_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, ALIGN_T a, NOTHROW_T t) { (void)t; return cxx_new(n, a, HSP_FAM_NEW_ARRAY, 0); }

/* operator delete / delete[]: plain, sized, nothrow, aligned */
SPY_EXPORT void _ZdlPv(void *p) { cxx_delete(p, HSP_FAM_NEW); }
SPY_EXPORT void _ZdaPv(void *p) { cxx_delete(p, HSP_FAM_NEW_ARRAY); }
SPY_EXPORT void _ZdlPvm(void *p, size_t n) { (void)n; cxx_delete(p, HSP_FAM_NEW); }
SPY_EXPORT void _ZdaPvm(void *p, size_t n) { (void)n; cxx_delete(p, HSP_FAM_NEW_ARRAY); }
SPY_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, NOTHROW_T t) { (void)t; cxx_delete(p, HSP_FAM_NEW); }
SPY_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, NOTHROW_T t) { (void)t; cxx_delete(p, HSP_FAM_NEW_ARRAY); }
SPY_EXPORT void _ZdlPvSt11align_val_t(void *p, ALIGN_T a) { (void)a; cxx_delete(p, HSP_FAM_NEW); }
SPY_EXPORT void _ZdaPvSt11align_val_t(void *p, ALIGN_T a) { (void)a; cxx_delete(p, HSP_FAM_NEW_ARRAY); }
SPY_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, ALIGN_T a) { (void)n; (void)a; cxx_delete(p, HSP_FAM_NEW); }
SPY_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, ALIGN_T a) { (void)n; (void)a; cxx_delete(p, HSP_FAM_NEW_ARRAY); }
SPY_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, ALIGN_T a, NOTHROW_T t) { (void)a; (void)t; cxx_delete(p, HSP_FAM_NEW); }
SPY_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, ALIGN_T a, NOTHROW_T t) { (void)a; (void)t; cxx_delete(p, HSP_FAM_NEW_ARRAY); }
