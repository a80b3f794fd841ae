/*
 * hsp_read.c: validating reader for .hsp profiles (see hsp_read.h).
 *
 * Must never: follow an offset without hsp_at, loop over a list without a
 * bound (a corrupt next_off could form a cycle), or write to the profile
 * except through hsp_write_exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/hsp_pending.h"
#include "profile/hsp_read.h"
#include "profile/hsp_sample.h"

/* Every record starts 8-aligned (the spy's arena hands out cache lines),
 * so an unaligned offset is corruption: refusing it here keeps every
 * struct the reader hands out naturally aligned. */
const void *hsp_at(const struct hsp_profile *p, uint64_t off, uint64_t len) {
  if (!off || (off & 7) || off > p->size || len > p->size - off) return NULL;
  return p->data + off;
}

int hsp_open(struct hsp_profile *p, const char *path, char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  snprintf(p->path, sizeof p->path, "%s", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open profile %s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file", path);
    close(fd);
    return -1;
  }
  /* A short file is a truncated profile only if it starts like one. */
  char magic[8];
  ssize_t got = st.st_size ? pread(fd, magic, sizeof magic, 0) : 0;
  if (got > 0 && memcmp(magic, HSP_MAGIC, (size_t)got) != 0) {
    snprintf(err, errlen, "%s: not a heapspy profile (bad magic)", path);
    close(fd);
    return -1;
  }
  if ((size_t)st.st_size < sizeof(struct hsp_header)) {
    snprintf(err, errlen, "%s: profile truncated: header incomplete (%lld of %zu bytes)%s",
             path, (long long)st.st_size, sizeof(struct hsp_header),
             st.st_size == 0 ? "; the program may not have started under the spy" : "");
    close(fd);
    return -1;
  }
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
    return -1;
  }
  p->data = m;
  p->size = (size_t)st.st_size;
  p->hdr = m;
  const struct hsp_header *h = p->hdr;
  const char *what = NULL;
  if (memcmp(h->magic, HSP_MAGIC, 8) != 0) what = "not a heapspy profile (bad magic)";
  else if (h->version > HSP_VERSION) what = "profile version is newer than this heapspy";
  else if (h->version < 1) what = "corrupt header (version 0)";
  else if (h->version < HSP_VERSION) what = "old profile version";
  else if (h->header_size != HSP_HEADER_SIZE) what = "corrupt header (header size)";
  else if (!hsp_at(p, h->shards_off, sizeof(struct hsp_shard) * HSP_SHARDS))
    what = "profile truncated: shard table missing";
  else if (h->nfamilies > HSP_MAX_FAMILIES) what = "corrupt header (family count)";
  if (what) {
    if (h->version > HSP_VERSION && !memcmp(h->magic, HSP_MAGIC, 8))
      snprintf(err, errlen, "%s: profile version %u is newer than this heapspy (%u); upgrade heapspy",
               path, h->version, (unsigned)HSP_VERSION);
    else if (h->version >= 1 && h->version < HSP_VERSION && !memcmp(h->magic, HSP_MAGIC, 8))
      snprintf(err, errlen, "%s: profile version %u was written by an older heapspy; this one "
               "reads version %u: render it with that heapspy or run the program again",
               path, h->version, (unsigned)HSP_VERSION);
    else
      snprintf(err, errlen, "%s: %s", path, what);
    hsp_close(p);
    return -1;
  }
  p->incomplete = (h->flags & HSP_FLAG_INCOMPLETE) != 0;
  if (h->arena_used > p->size && !p->incomplete) {
    snprintf(err, errlen, "%s: profile truncated: records end at byte %llu but the file has %zu",
             path, (unsigned long long)h->arena_used, p->size);
    hsp_close(p);
    return -1;
  }
  return 0;
}

void hsp_close(struct hsp_profile *p) {
  if (p->data) munmap((void *)p->data, p->size);
  p->data = NULL;
}

const struct hsp_stack *hsp_stack(const struct hsp_profile *p, uint32_t id) {
  const struct hsp_stack *s = hsp_at(p, HSP_STACK_OFF(id), sizeof *s);
  if (!s || s->depth > HSP_STACK_MAX_DEPTH || !s->depth != !s->leaf) return NULL;
  return s;
}

/* Each node's depth must be the one its place on the path gives it, so
 * the walk is bounded by s->depth and a cycle cannot form. */
uint32_t hsp_stack_frames(const struct hsp_profile *p, const struct hsp_stack *s,
                          uint64_t *pc, uint32_t max) {
  uint32_t n = 0, id = s->leaf;
  while (n < s->depth && n < max) {
    const struct hsp_frame *f = hsp_at(p, HSP_FRAME_OFF(id), sizeof *f);
    if (!f || f->depth != s->depth - n || (f->depth == 1) != (f->parent == 0)) break;
    pc[n++] = f->pc;
    id = f->parent;
  }
  return n;
}

static int by_id(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The spy's table at stacks.table_off: uint64 capacity, then uint64 slots
 * (0 = empty slot). The table's own capacity word is the authority; it is
 * bounded by the file before anything is read. */
size_t hsp_stack_ids(const struct hsp_profile *p, uint32_t **out) {
  *out = NULL;
  const uint64_t *capp = hsp_at(p, p->hdr->stacks.table_off, 8);
  if (!capp) return 0;
  uint64_t cap = *capp;
  const uint64_t *slots = cap && cap <= p->size / 8
      ? hsp_at(p, p->hdr->stacks.table_off + 8, cap * 8) : NULL;
  if (!slots) return 0;
  size_t n = 0;
  for (uint64_t i = 0; i < cap; i++) n += (uint32_t)slots[i] != 0;
  uint32_t *v = malloc((n + 1) * sizeof *v);
  if (!v) return 0;
  n = 0;
  for (uint64_t i = 0; i < cap; i++)
    if ((uint32_t)slots[i] && hsp_stack(p, (uint32_t)slots[i])) v[n++] = (uint32_t)slots[i];
  qsort(v, n, sizeof *v, by_id);
  size_t w = 0;                         /* a corrupt table may repeat ids */
  for (size_t i = 0; i < n; i++)
    if (!w || v[w - 1] != v[i]) v[w++] = v[i];
  *out = v;
  return w;
}

size_t hsp_modules(const struct hsp_profile *p, const struct hsp_module **out,
                   size_t max) {
  size_t n = 0;
  for (uint64_t off = p->hdr->modules_off; off && n < max;) {
    const struct hsp_module *m = hsp_at(p, off, sizeof *m);
    if (!m || !hsp_at(p, off, sizeof *m + m->path_len + 1ull) ||
        m->path[m->path_len] || m->build_id_len > 40)
      break;
    out[n++] = m;
    if (m->next_off && m->next_off <= off) break;  /* only grows: no cycles */
    off = m->next_off;
  }
  return n;
}

static int by_ptr(const void *a, const void *b) {
  uint64_t x = ((const struct hsp_block *)a)->ptr, y = ((const struct hsp_block *)b)->ptr;
  return x < y ? -1 : x > y;
}

/* Shard i's block table, or NULL if it lies outside the file. */
static const struct hsp_block *shard_table(const struct hsp_profile *p,
                                           const struct hsp_shard *sh, uint64_t *cap) {
  uint64_t c = sh->capacity;
  *cap = 0;
  if (!c || c > p->size / sizeof(struct hsp_block)) return NULL;
  const struct hsp_block *t = hsp_at(p, sh->table_off, c * sizeof *t);
  if (t) *cap = c;
  return t;
}

/* Sizes come from the tables themselves, never from the shards' count
 * fields: a corrupt count must not size an allocation. The pending
 * operations are replayed: a block being added is live, one being freed
 * is not. */
size_t hsp_live_blocks_copy(const struct hsp_profile *p, struct hsp_block **out) {
  const struct hsp_shard *sh = hsp_at(p, p->hdr->shards_off, sizeof *sh * HSP_SHARDS);
  size_t n = 0;
  *out = NULL;
  if (!sh) return 0;                    /* hsp_open checked it; a caller may not have */
  struct hsp_pending_replay r;
  hsp_pending_read(&p->hdr->pending, &r);
  for (int i = 0; i < HSP_SHARDS; i++) {
    uint64_t c;
    const struct hsp_block *t = shard_table(p, &sh[i], &c);
    for (uint64_t j = 0; t && j < c; j++) n += t[j].ptr != 0;
  }
  struct hsp_block *v = malloc((n + HSP_PENDING_MAX + 1) * sizeof *v);
  if (!v) return 0;
  size_t cap = n;
  n = 0;
  for (int i = 0; i < HSP_SHARDS; i++) {
    uint64_t c;
    const struct hsp_block *t = shard_table(p, &sh[i], &c);
    for (uint64_t j = 0; t && j < c && n < cap; j++)
      if (t[j].ptr && !hsp_pending_note(&r, &t[j])) v[n++] = t[j];
  }
  hsp_pending_run(&r, NULL);
  for (unsigned k = 0; k < r.n; k++)
    if (r.home[k] == k && r.live[k]) v[n++] = r.blk[k];
  *out = v;
  return n;
}

size_t hsp_blocks_sort(struct hsp_block *v, size_t n) {
  qsort(v, n, sizeof *v, by_ptr);
  size_t w = 0;                         /* a death mid-delete can duplicate */
  for (size_t i = 0; i < n; i++)
    if (!w || v[w - 1].ptr != v[i].ptr) v[w++] = v[i];
  return w;
}

size_t hsp_live_blocks(const struct hsp_profile *p, struct hsp_block **out) {
  size_t n = hsp_live_blocks_copy(p, out);
  return *out ? hsp_blocks_sort(*out, n) : 0;
}

void hsp_family_totals(const struct hsp_profile *p,
                       struct hsp_family_counts out[HSP_MAX_FAMILIES]) {
  memset(out, 0, sizeof(struct hsp_family_counts) * HSP_MAX_FAMILIES);
  const struct hsp_shard *sh = hsp_at(p, p->hdr->shards_off, sizeof *sh * HSP_SHARDS);
  for (int i = 0; i < HSP_SHARDS; i++)
    for (int f = 0; f < HSP_MAX_FAMILIES; f++) {
      out[f].allocs += sh[i].fam[f].allocs;
      out[f].frees += sh[i].fam[f].frees;
      out[f].bytes_allocated += sh[i].fam[f].bytes_allocated;
      out[f].in_use_bytes += sh[i].fam[f].in_use_bytes;
      out[f].in_use_blocks += sh[i].fam[f].in_use_blocks;
    }
  struct hsp_pending_replay r;
  hsp_pending_read(&p->hdr->pending, &r);
  if (!r.n) return;
  for (int i = 0; i < HSP_SHARDS; i++) {
    uint64_t c;
    const struct hsp_block *t = shard_table(p, &sh[i], &c);
    for (uint64_t j = 0; t && j < c; j++)
      if (t[j].ptr) hsp_pending_note(&r, &t[j]);
  }
  hsp_pending_run(&r, out);
}

void hsp_sample_totals(const struct hsp_profile *p, uint64_t *allocs, uint64_t *frees,
                       uint64_t *bytes) {
  const struct hsp_sampling *flushed = &p->hdr->sampling;
  const struct hsp_sample_live *live = &p->hdr->sample_live;
  uint32_t n = live->slots_used < live->slots_cap ? live->slots_used : live->slots_cap;
  const struct hsp_sample_slot *slot =
      live->slots_off ? hsp_at(p, live->slots_off, (uint64_t)n * sizeof *slot) : NULL;
  *allocs = live->spill_allocs;
  *frees = live->spill_frees;
  *bytes = live->spill_bytes;
  for (uint32_t i = 0; slot && i < n; i++) {
    struct hsp_slot_totals t = hsp_sample_slot_read(&slot[i]);
    *allocs += t.allocs;
    *frees += t.frees;
    *bytes += t.bytes;
  }
  /* an older file, or the slots out of the file: the last flush (which
   * a sum of live slots never falls below, being counted after it) */
  if (!slot || *allocs < flushed->allocs) {
    *allocs = flushed->allocs;
    *frees = flushed->frees;
    *bytes = flushed->bytes_allocated;
  }
}

/* ptr is a block's key (see HSP_PTR_CUSTOM). */
unsigned hsp_verdict_for(const struct hsp_profile *p, uint64_t ptr) {
  uint64_t n = p->hdr->verdicts_count;
  const struct hsp_verdict *v =
      n < (1ull << 36) ? hsp_at(p, p->hdr->verdicts_off, n * sizeof *v) : NULL;
  if (!v) return HSP_LEAK_UNCLASSIFIED;
  uint64_t addr = HSP_ADDR(ptr), lo = 0, hi = n;
  uint32_t custom = (ptr & HSP_PTR_CUSTOM) != 0;
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (v[mid].ptr < addr) lo = mid + 1; else hi = mid;
  }
  for (; lo < n && v[lo].ptr == addr; lo++)   /* a pool block may share its slab's address */
    if (v[lo].custom == custom && v[lo].kind <= HSP_LEAK_REACHABLE) return v[lo].kind;
  return HSP_LEAK_UNCLASSIFIED;
}

const struct hsp_before *hsp_before_blocks(const struct hsp_profile *p, uint64_t *n) {
  uint64_t count = p->hdr->attach.before_count;
  const struct hsp_before *b =
      count && count < (1ull << 36) ? hsp_at(p, p->hdr->attach.before_off, count * sizeof *b) : NULL;
  *n = b ? count : 0;
  return b;
}

const struct hsp_scan_info *hsp_scan_info(const struct hsp_profile *p, const struct hsp_mark *m) {
  if (m) return m->leak_check ? hsp_at(p, m->scan_off, sizeof(struct hsp_scan_info)) : NULL;
  return p->hdr->verdicts_off ? &p->hdr->scan : NULL;
}

size_t hsp_marks(const struct hsp_profile *p, const struct hsp_mark **out,
                 size_t max) {
  size_t n = 0;
  uint64_t off = p->hdr->marks_off;
  while (off && n < max) {
    const struct hsp_mark *m = hsp_at(p, off, sizeof *m);
    if (!m || memchr(m->name, 0, sizeof m->name) == NULL) break;
    out[n++] = m;
    if (m->next_off <= off) break;
    off = m->next_off;
  }
  return n;
}

size_t hsp_mark_sites(const struct hsp_profile *p, const struct hsp_mark *m,
                      const struct hsp_site **out) {
  uint64_t n = m->sites_count;
  *out = n < (1ull << 32) ? hsp_at(p, m->sites_off, n * sizeof **out) : NULL;
  return *out ? (size_t)n : 0;
}

size_t hsp_timeline(const struct hsp_profile *p, const struct hsp_tick **out) {
  const struct hsp_timeline *t = hsp_at(p, p->hdr->timeline_off, sizeof *t);
  *out = NULL;
  if (!t) return 0;
  *out = t->ticks;
  return t->count <= HSP_TICKS ? t->count : HSP_TICKS;
}

const struct hsp_locks *hsp_locks(const struct hsp_profile *p,
                                  const struct hsp_lock_node **nodes,
                                  const struct hsp_lock_edge **edges) {
  const struct hsp_locks *g = hsp_at(p, p->hdr->locks_off, sizeof *g);
  *nodes = NULL;
  *edges = NULL;
  if (!g || g->nodes_cap > (1u << 24) || g->edges_cap > (1u << 24)) return NULL;
  *nodes = hsp_at(p, g->nodes_off, g->nodes_cap * sizeof **nodes);
  *edges = hsp_at(p, g->edges_off, g->edges_cap * sizeof **edges);
  return *nodes && *edges ? g : NULL;
}

size_t hsp_deadlocks(const struct hsp_profile *p, const struct hsp_locks *g,
                     const struct hsp_deadlock **out, size_t max) {
  size_t n = 0;
  for (uint64_t off = g ? g->deadlocks_off : 0; off && n < max;) {
    const struct hsp_deadlock *d = hsp_at(p, off, sizeof *d);
    if (!d || d->n < 2 || d->n > HSP_DEADLOCK_MAX) break;
    out[n++] = d;
    if (d->next_off && d->next_off <= off) break;  /* appended: offsets grow */
    off = d->next_off;
  }
  return n;
}

size_t hsp_errors(const struct hsp_profile *p, const struct hsp_error **out, size_t max) {
  size_t n = 0;
  for (uint64_t off = p->hdr->errors_off; off && n < max;) {
    const struct hsp_error *e = hsp_at(p, off, sizeof *e);
    if (!e) break;
    out[n++] = e;
    if (e->next_off && e->next_off <= off) break;  /* appended: offsets grow */
    off = e->next_off;
  }
  return n;
}

size_t hsp_exit_threads(const struct hsp_profile *p, const struct hsp_exit_thread **out) {
  uint32_t n = p->hdr->exit_threads_count;
  *out = n <= 65536 ? hsp_at(p, p->hdr->exit_threads_off, (uint64_t)n * sizeof **out) : NULL;
  return *out ? n : 0;
}

int hsp_is_profile_of(const char *path, int32_t pid) {
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct hsp_header))
    return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return 0;
  struct hsp_header h;
  int ours = pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
             !memcmp(h.magic, HSP_MAGIC, sizeof h.magic) && h.pid == pid;
  close(fd);
  return ours;
}

int hsp_write_exit(const char *path, int code, int sig, uint64_t wall_ms) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  struct hsp_header h;
  int ok = pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
           memcmp(h.magic, HSP_MAGIC, 8) == 0;
  if (ok) {
    h.exit_code = code;
    h.exit_signal = sig;
    h.flags |= HSP_FLAG_EXIT_KNOWN;
    if (sig && h.exit_how != HSP_EXIT_SIGNAL && h.state != HSP_STATE_EXITED)
      h.exit_how = HSP_EXIT_SIGNAL;
    if (!h.duration_ms || h.state != HSP_STATE_EXITED) h.duration_ms = wall_ms;
    ok = pwrite(fd, &h, sizeof h, 0) == (ssize_t)sizeof h;
  }
  close(fd);
  return ok ? 0 : -1;
}
