/*
 * report_pprof.c: `--format pprof`: the profile as gzipped profile.proto
 * (github.com/google/pprof, proto/profile.proto), readable by
 * `go tool pprof`, Pyroscope, Parca and speedscope.
 *
 * Sample types alloc_objects/count, alloc_space/bytes (over the run, from
 * the spy's per-stack counters), inuse_objects/count, inuse_space/bytes
 * (live blocks at exit, grouped by stack); one Sample per stack, its
 * locations the recorded pcs, leaf first. One Mapping per recorded module
 * (path, extent, build-id in hex); one Location per pc with its Lines
 * (inlined functions first, the real function last), one Function per
 * (name, file). Everything is symbolized here, so the mappings say so and
 * pprof does not look for the binaries.
 *
 * A window (continuous export, export.h) replaces "over the run" by the
 * interval since the previous export: alloc_* are the differences of the
 * per-stack counters, inuse_* the live heap at the window's end.
 *
 * The protobuf wire format is written by hand: varints and
 * length-delimited fields, nothing more is needed.
 *
 * Must never: write anything but the gzip stream to out, or emit an id
 * of 0 (pprof reserves it) or a string index outside the table.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"
#include "analyze/zout.h"
#include "common/hash.h"
#include "common/hashmap.h"
#include "common/util.h"
#include "profile/hst_codec.h"

#define MAX_INLINE 64

/* ---- protobuf wire format ---------------------------------------------- */

struct pb { uint8_t *p; size_t len, cap; };

static void pb_raw(struct pb *b, const void *d, size_t n) {
  if (!n) return;   /* d may be an empty buffer's NULL */
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->p = hs_xrealloc(b->p, b->cap);
  }
  memcpy(b->p + b->len, d, n);
  b->len += n;
}

/* protobuf's varints are the trace's (LEB128): one encoder for both */
static void pb_varint(struct pb *b, uint64_t v) {
  uint8_t tmp[10];
  pb_raw(b, tmp, (size_t)(hst_put(tmp, v) - tmp));
}

/* field with wire type 0 (varint); zero values are omitted as proto3 does */
static void pb_u64(struct pb *b, unsigned field, uint64_t v) {
  if (!v) return;
  pb_varint(b, (uint64_t)field << 3);
  pb_varint(b, v);
}

/* field with wire type 2 (length-delimited) */
static void pb_bytes(struct pb *b, unsigned field, const void *d, size_t n) {
  pb_varint(b, (uint64_t)field << 3 | 2);
  pb_varint(b, n);
  pb_raw(b, d, n);
}

static void pb_msg(struct pb *b, unsigned field, struct pb *sub) {
  pb_bytes(b, field, sub->p, sub->len);
  sub->len = 0;
}

/* ---- interning: strings, functions, locations --------------------------- */

struct strtab { char **s; size_t n, cap; struct hs_map ids; };

static uint64_t *map_slot(struct hs_map *m, uint64_t key) {
  uint64_t *v = hs_map_slot(m, key);
  if (!v) hs_die(1, "out of memory");
  return v;
}

/* Index of s in the string table, added if new. */
static int64_t str_id(struct strtab *t, const char *s) {
  if (!s) s = "";
  uint64_t key = hs_hash_str(s), *v;
  while (*(v = map_slot(&t->ids, key)) && strcmp(t->s[*v - 1], s)) key = hs_map_next_key(key);
  if (*v) return (int64_t)*v - 1;
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 256;
    t->s = hs_xrealloc(t->s, t->cap * sizeof *t->s);
  }
  t->s[t->n] = hs_xstrdup(s);
  *v = ++t->n;
  return (int64_t)t->n - 1;
}

struct pprof {
  struct hs_model *m;
  struct strtab str;
  struct hs_map funcs, locs;          /* (name, file) -> id; pc -> id or NOT_OURS */
  struct pb fbuf, lbuf;              /* encoded Functions, Locations */
  struct pb ftmp, tmp, tmp2;         /* a Function; a Location; a Line */
  uint64_t nfuncs, nlocs;
};

static uint64_t func_id(struct pprof *pp, const char *name, const char *file) {
  int64_t n = str_id(&pp->str, name), f = str_id(&pp->str, file);
  uint64_t key = (uint64_t)n << 32 | (uint64_t)f;
  uint64_t *v = map_slot(&pp->funcs, key), id = *v;
  if (id) return id;
  id = *v = ++pp->nfuncs;
  pb_u64(&pp->ftmp, 1, id);
  pb_u64(&pp->ftmp, 2, (uint64_t)n);
  pb_u64(&pp->ftmp, 3, (uint64_t)n);
  pb_u64(&pp->ftmp, 4, (uint64_t)f);
  pb_msg(&pp->fbuf, 5, &pp->ftmp);
  return id;
}

static uint64_t mapping_of(const struct hs_model *m, uint64_t pc) {
  for (size_t i = 0; i < m->nmods; i++)
    if (pc >= m->mods[i].start && pc < m->mods[i].end) return i + 1;
  return 0;
}

/* Location id of a recorded pc; 0 if the pc is the spy's own frame (the
 * other views hide those too). */
static uint64_t loc_id(struct pprof *pp, uint64_t pc) {
  uint64_t id = hs_map_get(&pp->locs, pc);
  if (id) return id == UINT64_MAX ? 0 : id;
  struct hs_frame f[MAX_INLINE];
  size_t n = hs_symbolize(pp->m->sym, pc, 1, f, MAX_INLINE);
  if (n && f[0].module && !strncmp(f[0].module, "libheapspy.so", 13)) {
    *map_slot(&pp->locs, pc) = UINT64_MAX;
    return 0;
  }
  id = *map_slot(&pp->locs, pc) = ++pp->nlocs;
  for (size_t i = 0; i < n; i++) {
    /* heapspy.h's inline helper is not the user's code */
    if (i + 1 < n && f[i].function && !strcmp(f[i].function, "heapspy_request")) continue;
    char tmp[64];
    const char *name = f[i].function;
    if (!name) {
      if (f[i].module) snprintf(tmp, sizeof tmp, "%s+0x%llx", f[i].module, (unsigned long long)f[i].offset);
      else snprintf(tmp, sizeof tmp, "0x%llx", (unsigned long long)pc);
      name = tmp;
    }
    pb_u64(&pp->tmp2, 1, func_id(pp, name, f[i].file));
    pb_u64(&pp->tmp2, 2, f[i].line > 0 ? (uint64_t)f[i].line : 0);
    pb_msg(&pp->tmp, 4, &pp->tmp2);
  }
  /* the Location's own fields go after its lines: order is free in protobuf */
  pb_u64(&pp->tmp, 1, id);
  pb_u64(&pp->tmp, 2, mapping_of(pp->m, pc));
  pb_u64(&pp->tmp, 3, pc);
  pb_msg(&pp->lbuf, 4, &pp->tmp);
  return id;
}

/* A Location for samples whose stack was not recorded. */
static uint64_t nostack_loc(struct pprof *pp) {
  static const uint64_t key = 0;   /* pc 0 is never a recorded pc */
  uint64_t *v = map_slot(&pp->locs, key), id = *v;
  if (id) return id;
  id = *v = ++pp->nlocs;
  pb_u64(&pp->tmp2, 1, func_id(pp, "[no stack recorded]", ""));
  pb_msg(&pp->tmp, 4, &pp->tmp2);
  pb_u64(&pp->tmp, 1, id);
  pb_msg(&pp->lbuf, 4, &pp->tmp);
  return id;
}

/* The stat of stack id in base (sorted by id, as hs_model_stack_stats
 * returns them), from *at on: both lists ascend, so one pass finds all. */
static const struct hs_stack_stat *base_of(const struct hs_pprof_window *w, size_t *at, uint32_t id) {
  while (*at < w->nbase && w->base[*at].stack < id) (*at)++;
  return *at < w->nbase && w->base[*at].stack == id ? &w->base[*at] : NULL;
}

static uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

int hs_report_pprof(FILE *out, struct hs_model *m, char *err, size_t errlen) {
  return hs_report_pprof_window(out, m, NULL, err, errlen);
}

int hs_report_pprof_window(FILE *out, struct hs_model *m, const struct hs_pprof_window *w,
                           char *err, size_t errlen) {
  const struct hsp_header *h = m->prof.hdr;
  struct pprof pp = { .m = m };
  struct pb prof = { 0 }, samples = { 0 }, maps = { 0 }, tmp = { 0 };
  str_id(&pp.str, "");    /* string 0 must be "" */

  static const char *const types[4][2] = {
    { "alloc_objects", "count" }, { "alloc_space", "bytes" },
    { "inuse_objects", "count" }, { "inuse_space", "bytes" },
  };
  for (int i = 0; i < 4; i++) {
    pb_u64(&tmp, 1, (uint64_t)str_id(&pp.str, types[i][0]));
    pb_u64(&tmp, 2, (uint64_t)str_id(&pp.str, types[i][1]));
    pb_msg(&prof, 1, &tmp);
  }

  /* Samples, interning locations and functions on the way. */
  struct hs_stack_stat *st = NULL;
  size_t n = w ? w->nnow : hs_model_stack_stats(m, &st), at = 0;
  const struct hs_stack_stat *now = w ? w->now : st;
  struct pb ids = { 0 }, vals = { 0 };
  uint64_t pcs[HSP_STACK_MAX_DEPTH];
  for (size_t i = 0; i < n; i++) {
    uint64_t v[4] = { now[i].allocs, now[i].bytes, now[i].inuse_blocks, now[i].inuse_bytes };
    const struct hs_stack_stat *b = w ? base_of(w, &at, now[i].stack) : NULL;
    if (b) v[0] = minus(v[0], b->allocs), v[1] = minus(v[1], b->bytes);
    if (!v[0] && !v[2]) continue;
    const struct hsp_stack *s = hsp_stack(&m->prof, now[i].stack);
    uint32_t depth = s ? hsp_stack_frames(&m->prof, s, pcs, HSP_STACK_MAX_DEPTH) : 0;
    for (uint32_t k = 0; k < depth; k++) {
      uint64_t id = loc_id(&pp, pcs[k]);
      if (id) pb_varint(&ids, id);
    }
    if (!ids.len) pb_varint(&ids, nostack_loc(&pp));
    for (int k = 0; k < 4; k++) pb_varint(&vals, v[k]);
    pb_bytes(&tmp, 1, ids.p, ids.len);     /* packed location_id */
    pb_bytes(&tmp, 2, vals.p, vals.len);   /* packed value */
    ids.len = vals.len = 0;
    pb_msg(&samples, 2, &tmp);
  }
  free(st);
  free(ids.p);
  free(vals.p);

  for (size_t i = 0; i < m->nmods; i++) {
    const struct hs_module_info *mod = &m->mods[i];
    char hex[2 * 40 + 1] = "";
    for (size_t k = 0; k < mod->build_id_len && k < 40; k++)
      snprintf(hex + 2 * k, 3, "%02x", mod->build_id[k]);
    pb_u64(&tmp, 1, i + 1);
    pb_u64(&tmp, 2, mod->start);
    pb_u64(&tmp, 3, mod->end);
    /* the first PT_LOAD segment starts at file offset 0 */
    pb_u64(&tmp, 5, (uint64_t)str_id(&pp.str, mod->path));
    pb_u64(&tmp, 6, (uint64_t)str_id(&pp.str, hex));
    for (unsigned f = 7; f <= 10; f++) pb_u64(&tmp, f, 1);  /* symbolized here */
    pb_msg(&maps, 3, &tmp);
  }

  pb_raw(&prof, samples.p, samples.len);
  pb_raw(&prof, maps.p, maps.len);
  pb_raw(&prof, pp.lbuf.p, pp.lbuf.len);
  pb_raw(&prof, pp.fbuf.p, pp.fbuf.len);

  char comment[sizeof h->cmdline + 160];
  int cn = snprintf(comment, sizeof comment, "heapspy: %s (pid %d)",
                    h->cmdline[0] ? h->cmdline : h->program, h->pid);
  if (w && cn > 0 && (size_t)cn < sizeof comment)
    snprintf(comment + cn, sizeof comment - (size_t)cn,
             "; alloc_*: the %.3f s before the export, inuse_*: at its end",
             (double)w->duration_ns / 1e9);
  int64_t comment_id = str_id(&pp.str, comment);
  char note[256];
  int64_t note_id = hs_model_sampling_note(m, note, sizeof note) ? str_id(&pp.str, note) : 0;
  int64_t space = str_id(&pp.str, "space"), bytes = str_id(&pp.str, "bytes");
  int64_t deflt = str_id(&pp.str, "inuse_space");
  for (size_t i = 0; i < pp.str.n; i++) pb_bytes(&prof, 6, pp.str.s[i], strlen(pp.str.s[i]));
  pb_u64(&prof, 9, w ? w->time_ns : h->start_unix_ns);
  pb_u64(&prof, 10, w ? w->duration_ns : h->duration_ms * 1000000ull);
  pb_u64(&tmp, 1, (uint64_t)space);
  pb_u64(&tmp, 2, (uint64_t)bytes);
  pb_msg(&prof, 11, &tmp);
  /* --sample: values are already scaled to true bytes; the period says
   * how they were sampled (as Go's heap profiles do) */
  pb_u64(&prof, 12, h->sampling.mean ? h->sampling.mean : 1);
  pb_u64(&prof, 13, (uint64_t)comment_id);
  if (note_id) pb_u64(&prof, 13, (uint64_t)note_id);
  pb_u64(&prof, 14, (uint64_t)deflt);

  int rc = hs_zout_all(out, HS_Z_GZIP, prof.p, prof.len, err, errlen);
  for (size_t i = 0; i < pp.str.n; i++) free(pp.str.s[i]);
  free(pp.str.s);
  hs_map_free(&pp.str.ids);
  hs_map_free(&pp.funcs);
  hs_map_free(&pp.locs);
  free(pp.fbuf.p); free(pp.lbuf.p); free(pp.ftmp.p); free(pp.tmp.p); free(pp.tmp2.p);
  free(prof.p); free(samples.p); free(maps.p); free(tmp.p);
  return rc;
}
