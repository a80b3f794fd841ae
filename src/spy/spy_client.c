/*
 * spy_client.c: the other end of heapspy.h. A program that includes the
 * header finds heapspy_client() with dlsym when it runs under the spy;
 * without the spy the macros do nothing.
 *
 * Requests: running?, named checkpoint, custom-allocator blocks (their
 * own family in every report), leak check. Custom families are named by
 * the program; the first HSP_MAX_FAMILIES names get a family each, later
 * ones share the last.
 *
 * Must never: trust the program's pointers beyond recording them.
 */
#include <string.h>

#include "spy.h"
#include "spy_sample.h"
#include "spy_scan.h"
#include "spy_check.h"
#define HEAPSPY_SPY_BUILD
#include "heapspy.h"

static uint32_t families_lock;

unsigned spy_family_id(const char *name) {
  struct hsp_header *h = spy_hdr;
  if (!name || !*name) name = "custom";
  for (unsigned i = 0; i < __atomic_load_n(&h->nfamilies, __ATOMIC_ACQUIRE); i++)
    if (strncmp(h->families[i], name, HSP_FAMILY_NAME - 1) == 0) return i;
  spy_lock(&families_lock);
  unsigned i, n = h->nfamilies;
  for (i = 0; i < n; i++)
    if (strncmp(h->families[i], name, HSP_FAMILY_NAME - 1) == 0) break;
  if (i == n) {
    if (n < HSP_MAX_FAMILIES) {
      spy_strlcpy(h->families[n], name, HSP_FAMILY_NAME);
      __atomic_store_n(&h->nfamilies, n + 1, __ATOMIC_RELEASE);
    } else {
      i = HSP_MAX_FAMILIES - 1;
    }
  }
  spy_unlock(&families_lock);
  return i;
}

void spy_record_mark(const char *name, const struct spy_scan_origin *leak_check,
                     int from_outside) {
  spy_blocks_settle();
  if (leak_check) spy_check_verify_all(0);   /* --check: the quarantine too */
  uint64_t sites_count = 0, sites_off = leak_check ? spy_leak_scan(leak_check, &sites_count) : 0;
  uint64_t off;
  struct hsp_mark *m = spy_arena_alloc(sizeof *m, &off);
  if (!m) return;
  spy_timeline_mark(&m->at);           /* heap, RSS and glibc as of the mark */
  m->t_ms = m->at.t_ms;
  m->leak_check = leak_check != NULL;
  m->from_outside = (uint32_t)from_outside;
  spy_strlcpy(m->name, name && *name ? name : "checkpoint", sizeof m->name);
  if (leak_check) {                    /* the scan's own picture */
    m->sites_off = sites_off;
    m->sites_count = sites_count;
  } else {
    m->sites_off = spy_blocks_snapshot(&m->sites_count, 0);
  }
  struct hsp_scan_info *scan = leak_check ? spy_arena_alloc(sizeof *scan, &m->scan_off) : NULL;
  if (scan) *scan = spy_hdr->scan;
  if (spy_trace_on && m->sites_off) spy_trace_mark(spy_trace_cut, m->name);
  const struct hsp_site *site = spy_arena_ptr(m->sites_off);
  for (uint64_t i = 0; site && i < m->sites_count; i++) {
    m->in_use_bytes += site[i].bytes;
    m->in_use_blocks += site[i].blocks;
  }
  /* append at the end of the list (marks are rare) */
  static uint32_t marks_lock;
  spy_lock(&marks_lock);
  uint64_t *link = &spy_hdr->marks_off;
  while (*link) link = &((struct hsp_mark *)spy_arena_ptr(*link))->next_off;
  __atomic_store_n(link, off, __ATOMIC_RELEASE);
  spy_unlock(&marks_lock);
}

/* ---- requests from outside (heapspy snapshot PID) ---------------------- */

volatile int spy_request_pending;
static int each_call;                  /* spy_count_each_call: set for good */

void spy_count_each_call(void) {
  each_call = 1;
  __atomic_store_n(&spy_request_pending, 1, __ATOMIC_SEQ_CST);
  spy_sample_gate_update();            /* --sample's calls take the way that flushes */
}

/* Carried out at the next allocation of any thread, in normal context:
 * the signal handler only raises the flag. */
__attribute__((noinline)) void spy_serve_request(void) {
  struct spy_scan_origin origin;
  SPY_SCAN_ORIGIN(&origin);
  struct hsp_request *r = &spy_hdr->request;
  if (each_call) {                     /* the flag stays */
    spy_blocks_settle();               /* queued operations count their stacks */
    spy_stacks_flush_each_call();
    if (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) == r->done_seq) return;
  } else if (!__atomic_exchange_n(&spy_request_pending, 0, __ATOMIC_SEQ_CST)) {
    return;
  }
  spy_sample_gate_update();
  static uint32_t serving;
  if (__atomic_exchange_n(&serving, 1, __ATOMIC_ACQUIRE)) return;
  uint32_t seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
  if (seq != r->done_seq) {
    char name[64];
    spy_strlcpy(name, r->name, sizeof name);
    spy_record_mark(name, r->leak_check ? &origin : NULL, 1);
    if (r->detach && spy_attached) spy_attach_end();
    __atomic_store_n(&r->done_seq, seq, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&serving, 0, __ATOMIC_RELEASE);
}

SPY_EXPORT long heapspy_client(int request, const char *name, void *ptr,
                               unsigned long size) {
  struct spy_scan_origin origin;
  if (request == HEAPSPY_REQ_LEAK_CHECK) SPY_SCAN_ORIGIN(&origin);
  if (spy_busy || !spy_ready()) return 0;
  spy_busy++;
  long ret = 1;
  switch (request) {
  case HEAPSPY_REQ_RUNNING: break;
  case HEAPSPY_REQ_CHECKPOINT: spy_record_mark(name, NULL, 0); break;
  case HEAPSPY_REQ_LEAK_CHECK: spy_record_mark(name ? name : "leak-check", &origin, 0); break;
  case HEAPSPY_REQ_ALLOC_LIKE:
    if (ptr)
      spy_block_add((void *)((uintptr_t)ptr | HSP_PTR_CUSTOM), size, spy_family_id(name),
                    spy_stack_capture());
    break;
  case HEAPSPY_REQ_FREE_LIKE:
    if (ptr && spy_check_on) {
      struct hsp_block b;
      int live = spy_block_take((void *)((uintptr_t)ptr | HSP_PTR_CUSTOM), &b);
      spy_check_custom_free((uint64_t)(uintptr_t)ptr, live ? &b : NULL, spy_family_id(name));
    } else if (ptr) {
      spy_block_remove((void *)((uintptr_t)ptr | HSP_PTR_CUSTOM), NULL, NULL);
    }
    break;
  default: ret = -1;
  }
  spy_leave();
  return ret;
}
