/*
 * heap_census.c: blocks by C++ type and strings (see heap_census.h).
 *
 * The vtables: every module mapped from a file (its path as mapped, else
 * through /proc/PID/root) is opened with libelf and its `_ZTV` object
 * symbols (.symtab, else .dynsym) are placed at the module's load bias;
 * a block's first word inside [vtable + 16, vtable end) names its class.
 *
 * Must never: trust a symbol's size (empty or absurd ones are skipped),
 * or read past the page of a block's first byte.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/demangle.h"
#include "common/util.h"
#include "inspect/heap_census.h"

struct vt {
  uint64_t start, end;
  const char *sym;          /* mangled, owned by the names pool */
  int module;
  int group;                /* index in types + 1, 0 before the first hit */
};

struct vts {
  struct vt *v;
  size_t n, cap;
  char **mods;
  size_t nmods;
  char **pool;
  size_t npool;
};

static void module_vtables(struct vts *vs, const char *path, int fd, uint64_t start) {
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  if (!elf) return;
  uint64_t bias = start - hs_elf_first_load(elf);
  int mod = (int)vs->nmods;
  vs->mods = hs_xrealloc(vs->mods, (vs->nmods + 1) * sizeof *vs->mods);
  const char *b = strrchr(path, '/');
  vs->mods[vs->nmods++] = hs_xstrdup(b ? b + 1 : path);
  for (int pass = 0; pass < 2; pass++) {
    size_t before = vs->n;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn))) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || !sh.sh_entsize) continue;
      if (sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM)) continue;
      Elf_Data *d = elf_getdata(scn, NULL);
      if (!d) continue;
      size_t n = sh.sh_size / sh.sh_entsize;
      for (size_t i = 0; i < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF ||
            GELF_ST_TYPE(s.st_info) != STT_OBJECT || s.st_size < 24 || s.st_size > (1u << 20))
          continue;
        const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
        if (!name || strncmp(name, "_ZTV", 4)) continue;
        if (vs->n == vs->cap) vs->v = hs_xrealloc(vs->v, (vs->cap = vs->cap ? vs->cap * 2 : 256) * sizeof *vs->v);
        vs->pool = hs_xrealloc(vs->pool, (vs->npool + 1) * sizeof *vs->pool);
        vs->pool[vs->npool] = hs_xstrdup(name);
        vs->v[vs->n++] = (struct vt){ bias + s.st_value, bias + s.st_value + s.st_size,
                                      vs->pool[vs->npool++], mod, 0 };
      }
    }
    if (vs->n > before) break;     /* .symtab found: .dynsym adds nothing */
  }
  elf_end(elf);
}

static int cmp_vt(const void *a, const void *b) {
  uint64_t x = ((const struct vt *)a)->start, y = ((const struct vt *)b)->start;
  return x < y ? -1 : x > y;
}

static void load_vtables(struct hs_target *t, struct vts *vs) {
  elf_version(EV_CURRENT);
  for (size_t i = 0; i < t->nmaps; i++) {
    const struct hs_tmap *m = &t->maps[i];
    if (m->path[0] != '/' || m->offset != 0) continue;
    int seen = 0;                  /* one offset-0 mapping per file */
    for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(t->maps[k].path, m->path) && t->maps[k].offset == 0;
    if (seen) continue;
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && t->kind == HS_TARGET_LIVE) {
      char alt[1200];
      snprintf(alt, sizeof alt, "/proc/%d/root%s", (int)t->pid, m->path);
      fd = open(alt, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) continue;
    module_vtables(vs, m->path, fd, m->start);
    close(fd);
  }
  if (vs->n) qsort(vs->v, vs->n, sizeof *vs->v, cmp_vt);   /* qsort wants a real array */
}

static struct vt *find_vt(struct vts *vs, uint64_t w) {
  size_t lo = 0, hi = vs->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (vs->v[mid].start <= w) lo = mid + 1;
    else hi = mid;
  }
  if (!lo) return NULL;
  struct vt *v = &vs->v[lo - 1];
  return w >= v->start + 16 && w < v->end ? v : NULL;
}

static int cmp_group(const void *a, const void *b) {
  const struct hs_type_group *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* Length of the NUL-terminated printable text at p (len bytes), or 0. */
static size_t text_len(const uint8_t *p, size_t len) {
  size_t i = 0;
  for (; i < len && p[i]; i++)
    if (!((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) return 0;
  return i < len && i >= 4 ? i : 0;
}

void hs_census_run(struct hs_target *t, struct hs_heap *h, struct hs_census *c) {
  memset(c, 0, sizeof *c);
  struct vts vs = { 0 };
  load_vtables(t, &vs);
  c->vtables = vs.n;
  uint8_t buf[256];
  for (size_t i = 0; i < h->nblocks; i++) {
    struct hs_hblock *b = &h->blocks[i];
    if (!(b->addr & 4095) && !hs_heap_page_resident(h, b->addr)) continue;   /* never touched */
    size_t want = b->usable < sizeof buf ? (size_t)b->usable : sizeof buf;
    uint64_t page_left = 4096 - (b->addr & 4095);
    if (want > page_left) want = (size_t)page_left;
    if (want < 8) continue;
    size_t got = hs_target_read(t, b->addr, buf, want);
    if (got < 8) continue;
    uint64_t w;
    memcpy(&w, buf, 8);
    struct vt *v = !(w & 7) ? find_vt(&vs, w) : NULL;
    if (v) {
      if (!v->group) {
        c->types = hs_xrealloc(c->types, (c->ntypes + 1) * sizeof *c->types);
        struct hs_type_group *g = &c->types[c->ntypes++];
        memset(g, 0, sizeof *g);
        char *d = hs_demangle(v->sym);
        const char *name = d ? d : v->sym;
        if (!strncmp(name, "vtable for ", 11)) name += 11;
        g->name = hs_xstrdup(name);
        free(d);
        g->module = hs_xstrdup(vs.mods[v->module]);
        g->sample_addr = b->addr;
        g->sample_len = got < HS_SAMPLE_BYTES ? got : HS_SAMPLE_BYTES;
        memcpy(g->sample, buf, g->sample_len);
        v->group = (int)c->ntypes;
      }
      c->types[v->group - 1].blocks++;
      c->types[v->group - 1].bytes += b->usable;
      b->census = (uint32_t)(v->group + 1);
      continue;
    }
    size_t tl = text_len(buf, got);
    if (tl) {
      c->string_blocks++;
      c->string_bytes += b->usable;
      b->census = 1;
      if (c->nstring_samples < HS_STRING_SAMPLES) {
        c->string_addr[c->nstring_samples] = b->addr;
        c->string_text[c->nstring_samples++] = hs_xstrdup((const char *)buf);
      }
    }
  }
  /* groups sorted by bytes; the blocks' census indexes follow */
  if (c->ntypes) {
    for (size_t k = 0; k < c->ntypes; k++) c->types[k].sample_len |= (size_t)k << 32;
    qsort(c->types, c->ntypes, sizeof *c->types, cmp_group);
    uint32_t *where = hs_xmalloc(c->ntypes * sizeof *where);
    for (size_t k = 0; k < c->ntypes; k++) {
      where[c->types[k].sample_len >> 32] = (uint32_t)k;
      c->types[k].sample_len &= 0xffffffffu;
    }
    for (size_t i = 0; i < h->nblocks; i++)
      if (h->blocks[i].census >= 2) h->blocks[i].census = where[h->blocks[i].census - 2] + 2;
    free(where);
  }
  for (size_t i = 0; i < vs.npool; i++) free(vs.pool[i]);
  for (size_t i = 0; i < vs.nmods; i++) free(vs.mods[i]);
  free(vs.pool);
  free(vs.mods);
  free(vs.v);
}

void hs_census_free(struct hs_census *c) {
  for (size_t i = 0; i < c->ntypes; i++) {
    free(c->types[i].name);
    free(c->types[i].module);
  }
  free(c->types);
  for (size_t i = 0; i < c->nstring_samples; i++) free(c->string_text[i]);
  memset(c, 0, sizeof *c);
}
