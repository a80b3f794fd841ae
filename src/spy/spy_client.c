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
#define HEAPSPY_SPY_BUILD
#include "../../include/heapspy.h"

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

void spy_record_mark(const char *name) {
  spy_blocks_settle();
  uint64_t off;
  struct hsp_mark *m = spy_arena_alloc(sizeof *m, &off);
  if (!m) return;
  m->t_ms = spy_now_ms();
  struct hsp_shard *s = spy_arena_ptr(spy_hdr->shards_off);
  for (int i = 0; i < HSP_SHARDS; i++)
    for (unsigned f = 0; f < HSP_MAX_FAMILIES; f++) {
      m->in_use_bytes += s[i].fam[f].in_use_bytes;
      m->in_use_blocks += s[i].fam[f].in_use_blocks;
    }
  spy_strlcpy(m->name, name && *name ? name : "checkpoint", sizeof m->name);
  m->sites_off = spy_blocks_snapshot(&m->sites_count);
  /* append at the end of the list (marks are rare) */
  static uint32_t marks_lock;
  spy_lock(&marks_lock);
  uint64_t *link = &spy_hdr->marks_off;
  while (*link) link = &((struct hsp_mark *)spy_arena_ptr(*link))->next_off;
  __atomic_store_n(link, off, __ATOMIC_RELEASE);
  spy_unlock(&marks_lock);
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
  case HEAPSPY_REQ_CHECKPOINT: spy_record_mark(name); break;
  case HEAPSPY_REQ_LEAK_CHECK:
    spy_record_mark(name ? name : "leak-check");
    spy_leak_scan(&origin);
    break;
  case HEAPSPY_REQ_ALLOC_LIKE:
    if (ptr)
      spy_block_add((void *)((uintptr_t)ptr | HSP_PTR_CUSTOM), size, spy_family_id(name),
                    spy_stack_capture());
    break;
  case HEAPSPY_REQ_FREE_LIKE:
    if (ptr) spy_block_remove((void *)((uintptr_t)ptr | HSP_PTR_CUSTOM), NULL, NULL);
    break;
  default: ret = -1;
  }
  spy_leave();
  return ret;
}
