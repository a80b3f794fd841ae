/*
 * report_heaptrack.c: `--format heaptrack`: the profile as heaptrack's
 * own data file, the interpreted text heaptrack_interpret writes (file
 * format version 3, heaptrack 1.4), which heaptrack_print and
 * heaptrack_gui read, plain or compressed (zout.h picks zstd or gzip by
 * the -o name).
 *
 * One record a line, numbers in lowercase hex, strings sized:
 *   v VERSION FILEVERSION   X COMMAND LINE   I PAGESIZE PHYSPAGES
 *   s LEN STRING            (string n, from 1: function, file, module)
 *   i ADDR MODULE [FN [FILE LINE [FN FILE LINE]...]]  (innermost first)
 *   t IP PARENT             (trace n, from 1: a frame under its caller)
 *   a SIZE TRACE            (allocation info n, from 0)
 *   + INFO   - INFO         (an allocation, a free)
 *   c MS     R PAGES        (time since start; RSS then)
 * Strings, frames, traces and infos are written just before their first
 * use. ADDR is the return address less one, as heaptrack records it.
 *
 * With a --trace profile every allocation and free of the run is
 * replayed in time order (trace_merge.h), with the timeline's RSS
 * between them: heaptrack_print's totals (calls, temporary, peak,
 * leaked) are those of the run. A failed realloc's restored block counts
 * as one more call (heaptrack records nothing for it). Only the malloc
 * and new families: custom families (HEAPSPY_ALLOC_LIKE) live inside
 * blocks heaptrack already counts.
 *
 * Without a trace the export is a summary that heaptrack_print reads with
 * these figures right: per stack, the calls and bytes allocated, the
 * blocks in use at exit (leaked) with their sizes and times, and the
 * heap at the spy's peak copy (report --peak: within 3.1% of the exact
 * peak); temporary allocations as the spy counted them, give or take one
 * per stack. What it lacks: the order and sizes of the other events (they
 * are replayed at time 0 as equal-sized pairs), so the consumption chart
 * over time, the allocation-size histogram and the peak's time within
 * the run (only the copy's) are not the run's.
 *
 * Must never: write a record that refers to a string, frame, trace or
 * info not written before it, or write anything to out but the stream.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/report.h"
#include "analyze/trace_merge.h"
#include "analyze/zout.h"
#include "common/hash.h"
#include "common/hashmap.h"
#include "common/util.h"

#define HT_VERSION 0x010400      /* heaptrack 1.4.0 */
#define HT_FILE_VERSION 3        /* sized strings */
#define HT_FRAMES 32             /* inlined frames kept per address */

struct info { uint64_t size; uint32_t trace; };

struct ht {
  struct hs_model *m;
  struct hs_zout *z;
  struct hs_map strs, ips, traces, stacks, infos;
  const char **str;         /* str[i]: string i + 1 */
  size_t nstr, cap_str;
  uint32_t nips, ntraces;
  struct info *info;
  size_t ninfo, cap_info;
  uint32_t alias0;          /* info 0's pair, after its first block (see event) */
  int used0;
  char last_op;             /* the last '+' or '-' written, and its info */
  uint32_t last_info;
  char *tail;               /* lines since the last '+' (see emit_raw) */
  size_t tail_len, tail_cap, tail_ops;
  int tail_on, tail_own_free;  /* the tail's first free is its '+''s own */
  const struct hsp_tick *ticks;
  size_t nticks, tick;      /* ticks[tick] is the next to write */
  long page;
  uint64_t last_c;
  int any_c;
};

static uint64_t *slot(struct hs_map *map, uint64_t key) {
  uint64_t *v = hs_map_slot(map, key);
  if (!v) hs_die(1, "out of memory");
  return v;
}

/* ---- output: straight to the stream, or held in the tail ----------------- */

/* Everything written since the last '+' line (that line first) stays in
 * h->tail until the next '+', so a free can still be put right after that
 * '+' (see event). */
static void emit_raw(struct ht *h, const char *p, size_t n) {
  if (!h->tail_on) return hs_zout_write(h->z, p, n);
  if (h->tail_len + n > h->tail_cap)
    h->tail = hs_xrealloc(h->tail, h->tail_cap = (h->tail_len + n) * 2 + 4096);
  memcpy(h->tail + h->tail_len, p, n);
  h->tail_len += n;
}

static void emit(struct ht *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct ht *h, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0) emit_raw(h, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void tail_flush(struct ht *h) {
  hs_zout_write(h->z, h->tail, h->tail_len);
  h->tail_len = 0;
  h->tail_on = 0;
}

/* ---- strings, frames, traces, infos, each written once ----------------- */

static uint64_t str_id(struct ht *h, const char *s) {
  if (!s || !*s) return 0;
  for (uint64_t key = hs_hash_str(s);; key = hs_map_next_key(key)) {
    uint64_t *v = slot(&h->strs, key);
    if (*v) {
      if (!strcmp(h->str[*v - 1], s)) return *v;
      continue;                  /* another string's hash */
    }
    if (h->nstr == h->cap_str)
      h->str = hs_xrealloc(h->str, (h->cap_str = h->cap_str ? 2 * h->cap_str : 256) * sizeof *h->str);
    h->str[h->nstr] = s;
    *v = ++h->nstr;
    /* a line per record: a newline inside a name would end it early */
    size_t n = strlen(s);
    emit(h, "s %zx ", n);
    for (const char *p = s; *p; p++) emit_raw(h, *p == '\n' ? " " : p, 1);
    emit_raw(h, "\n", 1);
    return *v;
  }
}

static uint32_t ip_id(struct ht *h, uint64_t pc) {
  uint64_t known = hs_map_get(&h->ips, pc);
  if (known) return (uint32_t)known;
  struct hs_frame f[HT_FRAMES];
  size_t n = hs_symbolize(h->m->sym, pc, 1, f, HT_FRAMES);
  uint64_t mod = str_id(h, hs_model_module_path(h->m, pc)), fn[HT_FRAMES], file[HT_FRAMES];
  for (size_t i = 0; i < n; i++) {
    fn[i] = str_id(h, h->m->show_mangled && f[i].mangled ? f[i].mangled : f[i].function);
    file[i] = str_id(h, f[i].file);
  }
  *slot(&h->ips, pc) = ++h->nips;
  emit(h, "i %llx %llx", (unsigned long long)(pc ? pc - 1 : 0), (unsigned long long)mod);
  if (n && (fn[0] || file[0])) {
    emit(h, " %llx", (unsigned long long)fn[0]);
    if (file[0]) {
      emit(h, " %llx %x", (unsigned long long)file[0], (unsigned)f[0].line);
      for (size_t i = 1; i < n; i++)
        emit(h, " %llx %llx %x", (unsigned long long)fn[i], (unsigned long long)file[i],
             (unsigned)f[i].line);
    }
  }
  emit_raw(h, "\n", 1);
  return h->nips;
}

/* The trace of a recorded stack: its frames from the outermost caller
 * down to the allocation's caller, each under the one before. */
static uint32_t trace_id(struct ht *h, uint32_t stack) {
  uint64_t known = hs_map_get(&h->stacks, stack);
  if (known) return (uint32_t)(known - 1);
  const struct hsp_stack *s = hsp_stack(&h->m->prof, stack);
  uint64_t pc[HSP_STACK_MAX_DEPTH];
  uint32_t parent = 0;
  for (uint32_t i = s ? hsp_stack_frames(&h->m->prof, s, pc, HSP_STACK_MAX_DEPTH) : 0; i-- > 0;) {
    if (hs_model_spy_pc(h->m, pc[i])) continue;
    uint32_t ip = ip_id(h, pc[i]);
    uint64_t *t = slot(&h->traces, (uint64_t)parent << 32 | ip);
    if (!*t) {
      *t = ++h->ntraces;
      emit(h, "t %x %x\n", ip, parent);
    }
    parent = (uint32_t)*t;
  }
  *slot(&h->stacks, stack) = (uint64_t)parent + 1;
  return parent;
}

/* A new allocation info, written. */
static uint32_t info_new(struct ht *h, uint64_t size, uint32_t trace) {
  if (h->ninfo == h->cap_info)
    h->info = hs_xrealloc(h->info, (h->cap_info = h->cap_info ? 2 * h->cap_info : 1024) *
                                       sizeof *h->info);
  h->info[h->ninfo] = (struct info){ size, trace };
  emit(h, "a %llx %x\n", (unsigned long long)size, trace);
  return (uint32_t)h->ninfo++;
}

static uint32_t info_id(struct ht *h, uint64_t size, uint32_t trace) {
  uint64_t key = size * 0x9e3779b97f4a7c15ull ^ trace;
  for (;; key = hs_map_next_key(key)) {
    uint64_t *v = slot(&h->infos, key);
    if (*v) {
      if (h->info[*v - 1].size == size && h->info[*v - 1].trace == trace) return (uint32_t)(*v - 1);
      continue;
    }
    uint32_t id = info_new(h, size, trace);
    *v = (uint64_t)id + 1;
    return id;
  }
}

/* '+' or '-' of a block of size bytes allocated from stack.
 *
 * Two habits of heaptrack's readers decide the numbering. heaptrack_gui
 * counts infos in the order of their first '+' (and crashes otherwise),
 * so an info is only ever made for a '+'. heaptrack_print calls a free
 * temporary when its info is that of the last '+', which it resets to 0
 * at every free: a free of info 0 right after another free would count
 * as temporary. So info 0 (the first allocation's size and stack) serves
 * its first block only, later blocks of that size and stack get an info
 * of their own, and the first block's free, when it would follow another
 * free, is written right after the last '+' instead (from the tail),
 * unless that '+' was itself freed at once; moved back, it cannot change
 * the peak (reached at a '+') nor any other free's temporariness. */
static void event(struct ht *h, char op, uint64_t size, uint32_t stack) {
  uint32_t trace = trace_id(h, stack), info = info_id(h, size, trace);
  if (info == 0 && h->used0 && !(op == '-' && h->last_op == '+' && h->last_info == 0)) {
    if (!h->alias0 && op == '+') h->alias0 = info_new(h, size, trace);
    if (h->alias0) info = h->alias0;
  }
  h->used0 |= op == '+' && info == 0;
  if (op == '+') {
    tail_flush(h);
    h->tail_on = 1;
    h->tail_ops = 0;
  } else if (info == 0 && h->last_op == '-' && h->tail_on && !h->tail_own_free) {
    /* right after the '+' line, which opens the tail */
    char *nl = memchr(h->tail, '\n', h->tail_len);
    size_t at = nl ? (size_t)(nl - h->tail) + 1 : h->tail_len;
    emit_raw(h, "- 0\n", 4);                 /* room, then move it in place */
    memmove(h->tail + at + 4, h->tail + at, h->tail_len - 4 - at);
    memcpy(h->tail + at, "- 0\n", 4);
    return;                                  /* last_op: still a free */
  }
  if (op == '-' && h->tail_on && !h->tail_ops++) h->tail_own_free = info == h->last_info;
  emit(h, "%c %x\n", op, info);
  h->last_op = op;
  h->last_info = info;
}

/* ---- time: c and R records ----------------------------------------------- */

static void stamp(struct ht *h, uint64_t t) {
  if (h->any_c && t <= h->last_c) return;
  emit(h, "c %llx\n", (unsigned long long)t);
  h->last_c = t;
  h->any_c = 1;
}

/* Moves the clock to t, writing the timeline's RSS points up to it. */
static void advance(struct ht *h, uint64_t t) {
  for (; h->tick < h->nticks && h->ticks[h->tick].t_ms <= t; h->tick++) {
    stamp(h, h->ticks[h->tick].t_ms);
    emit(h, "R %llx\n", (unsigned long long)(h->ticks[h->tick].rss_bytes / (uint64_t)h->page));
  }
  stamp(h, t);
}

/* ---- with a trace: the run's events --------------------------------------- */

static int replay(struct ht *h) {
  struct hs_merge *g = hs_merge_open(h->m);
  if (!g) return -1;
  struct hst_event e;
  int r;
  while ((r = hs_merge_next(g, &e)) == 1) {
    if (e.kind == HST_EV_MARK || e.family >= HSP_FAM_FIRST_CUSTOM) continue;
    advance(h, e.t);
    event(h, e.kind == HST_EV_FREE ? '-' : '+', e.size, e.stack);
  }
  hs_merge_close(g);
  return r;
}

/* ---- without: a summary replayed ------------------------------------------ */

/* n allocations of b bytes from stack, each freed, t of them (at most n)
 * temporary as heaptrack counts it: freed right after its allocation by
 * size and stack. The others go in groups of two (three for an odd
 * rest), all allocated then all freed, the first and last of a group of
 * different sizes so the first free follows another info. */
static void pairs(struct ht *h, uint32_t stack, uint64_t n, uint64_t b, uint64_t t) {
  if (!n) return;
  uint64_t s = b / n, extra = b % n, i = 0;
#define SIZE_AT(k) (s + ((k) < extra))
  for (; i < t && i < n; i++) {
    event(h, '+', SIZE_AT(i), stack);
    event(h, '-', SIZE_AT(i), stack);
  }
  while (i < n) {
    uint64_t k = n - i == 3 || n - i == 1 ? n - i : 2, sz[3];
    for (uint64_t j = 0; j < k; j++) sz[j] = SIZE_AT(i + j);
    if (k > 1 && sz[0] == sz[k - 1] && sz[0]) sz[0]--, sz[k - 1]++;
    for (uint64_t j = 0; j < k; j++) event(h, '+', sz[j], stack);
    for (uint64_t j = 0; j < k; j++) event(h, '-', sz[j], stack);
    i += k;
  }
#undef SIZE_AT
}

static int by_time(const void *a, const void *b) {
  const struct hsp_block *x = a, *y = b;
  if (x->t_ms != y->t_ms) return x->t_ms < y->t_ms ? -1 : 1;
  return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

static void summary(struct ht *h) {
  struct hs_model *m = h->m;
  struct hsp_block *blk;
  size_t nb = hsp_live_blocks(&m->prof, &blk), w = 0;
  for (size_t i = 0; i < nb; i++)
    if (HSP_BLOCK_FAMILY(&blk[i]) < HSP_FAM_FIRST_CUSTOM) blk[w++] = blk[i];
  nb = w;
  qsort(blk, nb, sizeof *blk, by_time);
  struct hs_stack_stat *st;
  size_t ns = hs_model_stack_stats(m, &st);
  const struct hsp_peak *pk = &m->prof.hdr->peak;
  /* per stack: what its live blocks held by the peak copy, then what the
   * copy holds beyond them (allocated at the copy, freed right after) */
  uint64_t *held_b = hs_xcalloc(ns + 1, sizeof *held_b), *held_n = hs_xcalloc(ns + 1, sizeof *held_n);
  struct hs_map at;
  memset(&at, 0, sizeof at);
  for (size_t i = 0; i < ns; i++) *slot(&at, st[i].stack) = i + 1;
  for (size_t i = 0; i < nb; i++) {
    uint64_t k = hs_map_get(&at, blk[i].stack);
    if (k && pk->copies && blk[i].t_ms <= pk->t_ms)
      held_b[k - 1] += HSP_BLOCK_SIZE(&blk[i]), held_n[k - 1]++;
  }
  stamp(h, 0);
  for (size_t i = 0; i < ns; i++) {
    const struct hs_stack_stat *s = &st[i];
    uint64_t xb = sub0(s->peak_bytes, held_b[i]), xn = xb ? sub0(s->peak_blocks, held_n[i]) : 0;
    if (xb && !xn) xn = 1;
    held_b[i] = xb, held_n[i] = xn;    /* from here: the copy's extra blocks */
    uint64_t n = sub0(s->allocs, s->inuse_blocks + xn);
    pairs(h, s->stack, n, sub0(s->bytes, s->inuse_bytes + xb), s->temporary + s->temporary_alike);
  }
  int peak_done = !pk->copies;
  for (size_t i = 0; i <= nb; i++) {
    if (!peak_done && (i == nb || blk[i].t_ms > pk->t_ms)) {
      advance(h, pk->t_ms);
      for (int free_them = 0; free_them < 2; free_them++)
        for (size_t j = 0; j < ns; j++)
          for (uint64_t k = 0; k < held_n[j]; k++)
            event(h, free_them ? '-' : '+',
                  held_b[j] / held_n[j] + (k < held_b[j] % held_n[j]), st[j].stack);
      peak_done = 1;
    }
    if (i == nb) break;
    advance(h, blk[i].t_ms);
    event(h, '+', HSP_BLOCK_SIZE(&blk[i]), blk[i].stack);
  }
  hs_map_free(&at);
  free(held_b);
  free(held_n);
  free(st);
  free(blk);
}

/* ---- the file ------------------------------------------------------------ */

int hs_report_heaptrack(FILE *out, struct hs_model *m, enum hs_zcodec codec, char *err,
                        size_t errlen) {
  struct ht h = { .m = m };
  if (!(h.z = hs_zout_open(out, codec, err, errlen))) return -1;
  h.page = sysconf(_SC_PAGESIZE);
  long phys = sysconf(_SC_PHYS_PAGES);
  if (h.page <= 0) h.page = 4096;
  h.nticks = hs_model_ticks(m, &h.ticks);
  const struct hsp_header *hd = m->prof.hdr;
  hs_zout_printf(h.z, "v %x %x\n", HT_VERSION, HT_FILE_VERSION);
  hs_zout_printf(h.z, "X %s\n", hd->cmdline[0] ? hd->cmdline : hd->program);
  hs_zout_printf(h.z, "I %lx %lx\n", h.page, phys > 0 ? phys : 0);
  char trace[1100];
  hst_path_of(m->prof.path, trace, sizeof trace);
  int rc = 0;
  if (access(trace, F_OK) == 0) rc = replay(&h);
  else summary(&h);
  tail_flush(&h);
  advance(&h, hd->duration_ms);
  hs_zout_printf(h.z, "# strings: %zu\n# ips: %u\n", h.nstr, h.nips);
  if (hs_zout_close(h.z, err, errlen) < 0) rc = -1;
  else if (rc < 0) snprintf(err, errlen, "the trace could not be read");
  hs_map_free(&h.strs);
  hs_map_free(&h.ips);
  hs_map_free(&h.traces);
  hs_map_free(&h.stacks);
  hs_map_free(&h.infos);
  free(h.str);
  free(h.info);
  free(h.tail);
  return rc;
}
