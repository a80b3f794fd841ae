/*
 * spy_timeline.c: the heap over time against the process's RSS and
 * virtual size, so a report can tell "the heap grows" from "something
 * outside the heap grows". A point is taken when an allocation notices
 * one is due (no timer thread, no signal); the interval adapts (see
 * struct hsp_timeline).
 *
 * Must never: block (a busy timeline is simply skipped), or allocate.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"

#define FIRST_INTERVAL_MS 5

static struct hsp_timeline *tl;
uint64_t spy_timeline_next;

void spy_timeline_init(void) {
  uint64_t off;
  tl = spy_arena_alloc(sizeof *tl, &off);
  if (!tl) return;
  tl->interval_ms = FIRST_INTERVAL_MS;
  spy_timeline_next = 0;
  __atomic_store_n(&spy_hdr->timeline_off, off, __ATOMIC_RELEASE);
}

/* VmSize, VmRSS and its file-backed part (shared) from /proc/self/statm. */
static void read_statm(uint64_t *vm, uint64_t *rss, uint64_t *file) {
  char buf[128];
  *vm = *rss = *file = 0;
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  const char *p = buf;
  uint64_t v[3] = { 0, 0, 0 };
  for (int i = 0; i < 3; i++) {
    while (*p == ' ') p++;
    while (*p >= '0' && *p <= '9') v[i] = v[i] * 10 + (uint64_t)(*p++ - '0');
  }
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  *vm = v[0] * page;
  *rss = v[1] * page;
  *file = v[2] * page;
}

/* What of the process's RSS and address space is the spy's: the profile
 * (its arena, mapped shared), the stacks' frame index, the trace's open
 * chunks and reservation, and the memory --check and --guard cost the
 * program: freed blocks held in quarantine, two red zones per live block
 * (exact mode: a record in front of each),
 * guarded blocks' page rounding and the guard region; the threads'
 * working memory (spy_thread_mem.h). Estimates from the spy's own counters
 * (reading smaps here would cost too much with --guard's mappings). */
static void own_memory(uint64_t *rss, uint64_t *vm) {
  *rss = spy_arena_resident() + spy_trace_resident() + spy_stacks_resident();
  *vm = spy_arena_vm() + spy_trace_vm() + spy_stacks_resident();
  /* --guard's blocks have pages, not zones; exact mode's have their records */
  uint64_t per_block = spy_check_on ? (spy_guard_on ? 0 : SPY_FRONT + SPY_RZ) : (uint64_t)spy_cb_front;
  if (per_block) {
    const struct hsp_shard *sh = spy_arena_at(spy_hdr->shards_off);
    uint64_t blocks = 0;                 /* recorded ones too: not the table's count */
    for (int i = 0; i < HSP_SHARDS; i++)
      for (int f = 0; f < HSP_FAM_FIRST_CUSTOM; f++)
        blocks += __atomic_load_n(&sh[i].fam[f].in_use_blocks, __ATOMIC_RELAXED);
    *rss += blocks * per_block;
  }
  if (spy_check_on) {                     /* held freed blocks live in glibc's heap */
    *rss += spy_quarantine_held();
    *vm += spy_quarantine_held() + spy_quarantine_vm();
  }
  spy_guard_own(rss, vm);
  spy_thread_mem_own(rss, vm);
}

/* A point as of now; glibc is asked per spy_glibc_read's rules. */
static void take_point(struct hsp_tick *t, uint32_t now, int64_t heap, int force) {
  uint64_t file;
  memset(t, 0, sizeof *t);
  t->t_ms = now;
  t->heap_bytes = heap >= 0 ? heap : spy_in_use_estimate();
  read_statm(&t->vm_bytes, &t->rss_bytes, &file);
  own_memory(&t->spy_rss_bytes, &t->spy_vm_bytes);    /* not the program's */
  t->vm_bytes = t->vm_bytes > t->spy_vm_bytes ? t->vm_bytes - t->spy_vm_bytes : 0;
  t->rss_bytes = t->rss_bytes > t->spy_rss_bytes ? t->rss_bytes - t->spy_rss_bytes : 0;
  uint64_t own_file = spy_arena_resident() + spy_trace_resident();   /* mapped files */
  file = file > own_file ? file - own_file : 0;
  if (force != SPY_TICK_NO_GLIBC) spy_glibc_read(&t->glibc, now, force, file);
  else t->glibc.rss_file_bytes = file;
}

static void append(const struct hsp_tick *t) {
  if (tl->count == HSP_TICKS) {      /* full: keep every other point */
    for (uint32_t i = 0; i < HSP_TICKS / 2; i++) tl->ticks[i] = tl->ticks[2 * i + 1];
    tl->count = HSP_TICKS / 2;
    tl->interval_ms *= 2;
  }
  tl->ticks[tl->count] = *t;
  __atomic_store_n(&tl->count, tl->count + 1, __ATOMIC_RELEASE);
  tl->next_ms = t->t_ms + tl->interval_ms;
  __atomic_store_n(&spy_timeline_next, tl->next_ms, __ATOMIC_RELAXED);
}

void spy_timeline_tick_slow(uint32_t now, int64_t heap, int force) {
  if (!tl || __atomic_exchange_n(&tl->lock, 1, __ATOMIC_ACQUIRE)) return;
  if (now >= tl->next_ms || force) {
    struct hsp_tick t;
    take_point(&t, now, heap, force);
    append(&t);
  }
  __atomic_store_n(&tl->lock, 0, __ATOMIC_RELEASE);
}

void spy_timeline_mark(struct hsp_tick *t) {
  take_point(t, spy_now_ms(), -1, SPY_TICK_FORCE);
  if (!tl || __atomic_exchange_n(&tl->lock, 1, __ATOMIC_ACQUIRE)) return;
  append(t);
  __atomic_store_n(&tl->lock, 0, __ATOMIC_RELEASE);
}
