/*
 * heapspy.h: client requests for programs that want to talk to heapspy.
 *
 * Header-only. A program that includes it runs unchanged with or without
 * the spy and links against nothing extra: the first request looks up
 * heapspy_client() in the process (dlsym, part of libc since glibc 2.34);
 * without the spy every macro is a cheap no-op.
 *
 *   HEAPSPY_RUNNING()                    1 under the spy, else 0
 *   HEAPSPY_CHECKPOINT(name)             record a named checkpoint
 *   HEAPSPY_ALLOC_LIKE(family, ptr, size) a custom allocator handed out ptr
 *   HEAPSPY_FREE_LIKE(family, ptr)       ... and took it back
 *   HEAPSPY_LEAK_CHECK()                 check for lost blocks now
 *
 * family is a string naming your allocator ("pool", "arena"...): its
 * blocks get their own family in every report.
 */
#ifndef HEAPSPY_H
#define HEAPSPY_H

#include <stddef.h>

#define HEAPSPY_REQ_RUNNING 1
#define HEAPSPY_REQ_CHECKPOINT 2
#define HEAPSPY_REQ_ALLOC_LIKE 3
#define HEAPSPY_REQ_FREE_LIKE 4
#define HEAPSPY_REQ_LEAK_CHECK 5

#ifndef HEAPSPY_SPY_BUILD  /* the spy itself defines heapspy_client */
#include <dlfcn.h>

typedef long (*heapspy_client_fn)(int, const char *, void *, unsigned long);

/* One lookup per translation unit; (fn)1 caches "not present". */
static inline long heapspy_request(int req, const char *name, void *ptr,
                                   unsigned long size) {
  static heapspy_client_fn fn;
  if (!fn) {
    heapspy_client_fn f =
        (heapspy_client_fn)dlsym(RTLD_DEFAULT, "heapspy_client");
    fn = f ? f : (heapspy_client_fn)1;
  }
  if (fn == (heapspy_client_fn)1) return 0;
  return fn(req, name, ptr, size);
}

#define HEAPSPY_RUNNING() (heapspy_request(HEAPSPY_REQ_RUNNING, 0, 0, 0) == 1)
#define HEAPSPY_CHECKPOINT(name) \
  ((void)heapspy_request(HEAPSPY_REQ_CHECKPOINT, (name), 0, 0))
#define HEAPSPY_ALLOC_LIKE(family, ptr, size) \
  ((void)heapspy_request(HEAPSPY_REQ_ALLOC_LIKE, (family), (void *)(ptr), (size)))
#define HEAPSPY_FREE_LIKE(family, ptr) \
  ((void)heapspy_request(HEAPSPY_REQ_FREE_LIKE, (family), (void *)(ptr), 0))
#define HEAPSPY_LEAK_CHECK() \
  ((void)heapspy_request(HEAPSPY_REQ_LEAK_CHECK, "leak-check", 0, 0))
#endif

#endif
