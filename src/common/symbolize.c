/*
 * symbolize.c: resolve program counters recorded by the spy into frames
 * (function, file:line, module+offset, inlined callers) with elfutils
 * libdwfl, offline: every module is re-opened from the path recorded at
 * run time and placed at the load bias recorded at run time.
 *
 * Invariants:
 *  - One Dwfl per symbolizer, built once in hs_symbolizer_new; modules are
 *    never reported later, so a Dwfl_Module pointer stays valid until
 *    hs_symbolizer_free.
 *  - The recorded extents decide which module a pc belongs to; libdwfl's
 *    own map is only a fallback for modules recorded without extents.
 *  - Every string handed out (function, file, module) is interned here and
 *    lives until hs_symbolizer_free; libdw strings are never handed out,
 *    so callers never depend on libdw's lifetimes.
 *  - A pc's frames are computed once and cached, keyed by (pc,
 *    is_return_address); the cache stores the whole inline chain, so the
 *    answer does not depend on the max of the first call.
 *
 * It must never abort, exit or crash on what it reads: missing files,
 * stripped binaries, mismatched build-ids and malformed DWARF only lose
 * information (function/file NULL, line 0), never the module+offset.
 * It never writes to the recorded module array or to any file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/demangle.h"
#include "common/hash.h"
#include "common/hashmap.h"
#include "common/symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Longest inline chain kept for one pc; deeper nesting (only from broken
 * or pathological DWARF) loses its innermost levels. */
#define HS_MAX_INLINE 64

/* Searched after the caller's debuginfo_path: libdwfl's default (the
 * module's own directory, its .debug/, and /usr/lib/debug). */
#define HS_DEFAULT_DEBUGINFO ":.debug:/usr/lib/debug"

/* A function symbol; name points into libelf data owned by the Dwfl. */
struct hs_sym {
  uint64_t addr;        /* runtime address, as Dwfl addresses */
  uint64_t size;        /* st_size; if 0, up to the end of its section */
  const char *name;
  uint32_t rank;        /* global < weak < local, then symtab order */
};

/* One address range of a compile unit, in DWARF (unbiased) addresses. */
struct hs_curange {
  uint64_t start, end;
  Dwarf_Die cu;
};

struct hs_mod {
  const struct hs_module_info *info;
  const char *name;     /* interned basename of info->path */
  Dwfl_Module *dm;      /* NULL: file missing or unreadable */
  struct hs_sym *syms;  /* sorted by (addr, rank); built on first use */
  size_t nsyms;
  int syms_built;
  struct hs_curange *cus;  /* sorted by start; built on first miss of */
  size_t ncus;             /* dwfl_module_addrdie */
  Dwarf_Addr cu_bias;
  int cus_built;
};

struct hs_symbolizer {
  Dwfl_Callbacks cb;          /* must outlive dwfl: it keeps a pointer */
  char *debuginfo_path;       /* cb.debuginfo_path points here */
  Dwfl *dwfl;                 /* NULL if libdwfl could not start */

  struct hs_mod *mods;
  size_t nmods;

  char **strs;                /* interned strings, in the order first seen */
  size_t strs_len, strs_cap;
  struct hs_map str_index;    /* hash chain of a string -> index + 1 in strs */

  /* pc << 1 | is_return_address -> (first frame + 1) << 16 | frame count */
  struct hs_map cache;
  struct hs_frame *frames;    /* cached frames, referenced by the cache */
  size_t frames_len, frames_cap;

  char *warn;                 /* NUL-terminated, one warning per line */
  size_t warn_len, warn_cap;
};

/* ---- string interning ------------------------------------------------ */

/* Returns the symbolizer's copy of str, or NULL (str NULL or no memory). */
static const char *hs_intern(struct hs_symbolizer *s, const char *str) {
  if (!str)
    return NULL;
  uint64_t key = hs_hash_str(str), *v;
  while ((v = hs_map_slot(&s->str_index, key)) && *v && strcmp(s->strs[*v - 1], str))
    key = hs_map_next_key(key);
  if (!v)
    return NULL;
  if (*v)
    return s->strs[*v - 1];
  char *copy = strdup(str);
  if (!copy)
    return NULL;
  if (s->strs_len == s->strs_cap) {
    size_t ncap = s->strs_cap ? s->strs_cap * 2 : 256;
    char **n = realloc(s->strs, ncap * sizeof *n);
    if (!n) {
      free(copy);
      return NULL;
    }
    s->strs = n;
    s->strs_cap = ncap;
  }
  s->strs[s->strs_len++] = copy;
  *v = s->strs_len;
  return copy;
}

/* Interns the demangled form of a mangled name (C++, Rust, D); NULL if
 * name is not one (or no memory). */
static const char *hs_intern_demangled(struct hs_symbolizer *s,
                                       const char *name) {
  char *d = hs_demangle(name);
  const char *r = d ? hs_intern(s, d) : NULL;
  free(d);
  return r;
}

/* Interns a symbol name, demangled when it is a mangled one. */
static const char *hs_intern_symbol(struct hs_symbolizer *s,
                                    const char *name) {
  if (!name || !*name)
    return NULL;
  const char *d = hs_intern_demangled(s, name);
  return d ? d : hs_intern(s, name);
}

/* ---- warnings ---------------------------------------------------------- */

static void hs_warn(struct hs_symbolizer *s, const char *module,
                    const char *what) {
  size_t need = strlen(module) + 2 + strlen(what) + 1;
  if (s->warn_len + need + 1 > s->warn_cap) {
    size_t ncap = s->warn_cap ? s->warn_cap : 256;
    while (s->warn_len + need + 1 > ncap)
      ncap *= 2;
    char *n = realloc(s->warn, ncap);
    if (!n)
      return;
    s->warn = n;
    s->warn_cap = ncap;
  }
  s->warn_len += (size_t)sprintf(s->warn + s->warn_len, "%s: %s\n", module,
                                 what);
}

/* ---- construction ------------------------------------------------------ */

static const char *hs_basename(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash && slash[1] ? slash + 1 : path;
}

static int hs_is_regular_file(const char *path) {
  struct stat st;
  return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void hs_check_build_id(struct hs_symbolizer *s, struct hs_mod *m) {
  const struct hs_module_info *info = m->info;
  if (!info->build_id || info->build_id_len == 0)
    return;
  const unsigned char *bits = NULL;
  GElf_Addr vaddr = 0;
  int len = dwfl_module_build_id(m->dm, &bits, &vaddr);
  if (len > 0 && (size_t)len == info->build_id_len &&
      memcmp(bits, info->build_id, info->build_id_len) == 0)
    return;
  hs_warn(s, m->name, "build-id differs from the run; symbols may be wrong");
}

struct hs_symbolizer *hs_symbolizer_new(const struct hs_module_info *mods,
                                        size_t nmods,
                                        const char *debuginfo_path) {
  struct hs_symbolizer *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  if (nmods && !(s->mods = calloc(nmods, sizeof *s->mods))) {
    free(s);
    return NULL;
  }
  s->nmods = nmods;

  if (debuginfo_path && *debuginfo_path) {
    size_t len = strlen(debuginfo_path) + sizeof(HS_DEFAULT_DEBUGINFO) + 1;
    s->debuginfo_path = malloc(len);
    if (s->debuginfo_path)
      snprintf(s->debuginfo_path, len, "%s:%s", debuginfo_path,
               HS_DEFAULT_DEBUGINFO);
  }
  s->cb.find_elf = dwfl_build_id_find_elf;
  s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
  s->cb.section_address = dwfl_offline_section_address;
  s->cb.debuginfo_path = s->debuginfo_path ? &s->debuginfo_path : NULL;
  s->dwfl = dwfl_begin(&s->cb);
  if (s->dwfl)
    dwfl_report_begin(s->dwfl);

  for (size_t i = 0; i < nmods; i++) {
    struct hs_mod *m = &s->mods[i];
    m->info = &mods[i];
    m->name = hs_intern(s, mods[i].path && *mods[i].path
                               ? hs_basename(mods[i].path)
                               : "?");
    if (!s->dwfl || !hs_is_regular_file(mods[i].path))
      continue;
    /* add_p_vaddr=true: base is the load bias (runtime minus link-time
     * address), which is what the spy records; libdwfl ignores it for
     * ET_EXEC, whose bias is 0 by definition. */
    m->dm = dwfl_report_elf(s->dwfl, mods[i].path, mods[i].path, -1,
                            mods[i].base, true);
  }
  if (s->dwfl)
    dwfl_report_end(s->dwfl, NULL, NULL);

  for (size_t i = 0; i < nmods; i++)
    if (s->mods[i].dm)
      hs_check_build_id(s, &s->mods[i]);
  return s;
}

/* ---- module lookup --------------------------------------------------- */

static struct hs_mod *hs_find_mod(struct hs_symbolizer *s, uint64_t addr) {
  for (size_t i = 0; i < s->nmods; i++) {
    const struct hs_module_info *info = s->mods[i].info;
    if (addr >= info->start && addr < info->end)
      return &s->mods[i];
  }
  if (!s->dwfl)
    return NULL;
  Dwfl_Module *dm = dwfl_addrmodule(s->dwfl, addr);
  if (!dm)
    return NULL;
  for (size_t i = 0; i < s->nmods; i++)
    if (s->mods[i].dm == dm)
      return &s->mods[i];
  return NULL;
}

/* ---- DWARF helpers ----------------------------------------------------- */

/* Name of a subprogram or inlined instance, following abstract origins
 * and specifications. A C++ linkage name wins (demangled it is the full
 * signature); any other linkage name is an asm label (glibc's
 * __GI_qsort for qsort), so the source name wins over it. */
static const char *hs_die_name(struct hs_symbolizer *s, Dwarf_Die *die,
                               const char **mangled) {
  Dwarf_Attribute attr;
  const char *linkage = NULL, *name = NULL;
  *mangled = NULL;
  if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
      dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
    linkage = dwarf_formstring(&attr);
  const char *demangled = hs_intern_demangled(s, linkage);
  if (demangled) {
    *mangled = hs_intern(s, linkage);
    return demangled;
  }
  if (dwarf_attr_integrate(die, DW_AT_name, &attr))
    name = dwarf_formstring(&attr);
  return hs_intern_symbol(s, name ? name : linkage);
}

/* DW_AT_call_file / DW_AT_call_line of an inlined instance. */
static void hs_call_site(struct hs_symbolizer *s, Dwarf_Die *die,
                         const char **file, int *line) {
  Dwarf_Attribute attr;
  Dwarf_Word v;
  *file = NULL;
  *line = 0;
  if (dwarf_attr(die, DW_AT_call_line, &attr) &&
      dwarf_formudata(&attr, &v) == 0 && v <= (Dwarf_Word)INT32_MAX)
    *line = (int)v;
  if (!dwarf_attr(die, DW_AT_call_file, &attr) ||
      dwarf_formudata(&attr, &v) != 0)
    return;
  Dwarf_Die cu;
  Dwarf_Files *files;
  size_t nfiles;
  if (!dwarf_diecu(die, &cu, NULL, NULL) ||
      dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || v >= nfiles)
    return;
  *file = hs_intern(s, dwarf_filesrc(files, (size_t)v, NULL, NULL));
}

/* libdw 0.188 maps addresses to CUs only through .debug_aranges, which
 * clang and rustc do not emit by default; without this index such
 * binaries get no DWARF at all. */

#define HS_MAX_CU_RANGES (1u << 22)

static int hs_curange_cmp(const void *a, const void *b) {
  const struct hs_curange *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

/* gcc 12's -fanalyzer loses the first block of a growing realloc'd array
 * (m->cus) and calls it leaked; it is freed in hs_symbolizer_free. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static void hs_cus_build(struct hs_mod *m) {
  m->cus_built = 1;
  size_t cap = 0;
  Dwarf_Die *cu = NULL;
  Dwarf_Addr bias = 0;
  while ((cu = dwfl_module_nextcu(m->dm, cu, &bias)) != NULL) {
    m->cu_bias = bias;
    Dwarf_Addr base, start, end;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(cu, off, &base, &start, &end)) > 0) {
      if (end <= start)
        continue;
      if (m->ncus == cap) {
        size_t ncap = cap ? cap * 2 : 64;
        struct hs_curange *n;
        if (ncap > HS_MAX_CU_RANGES ||
            !(n = realloc(m->cus, ncap * sizeof *n)))
          goto done;
        m->cus = n;
        cap = ncap;
      }
      m->cus[m->ncus].start = start;
      m->cus[m->ncus].end = end;
      m->cus[m->ncus].cu = *cu;
      m->ncus++;
    }
  }
done:
  if (m->ncus)   /* m->cus may be NULL: qsort must not be given it */
    qsort(m->cus, m->ncus, sizeof *m->cus, hs_curange_cmp);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* The CU holding addr (a Dwfl address) and its bias, or NULL. */
static Dwarf_Die *hs_addr_cu(struct hs_mod *m, Dwarf_Addr addr,
                             Dwarf_Addr *bias) {
  Dwarf_Die *cu = dwfl_module_addrdie(m->dm, addr, bias);
  if (cu)
    return cu;
  if (!m->cus_built)
    hs_cus_build(m);
  Dwarf_Addr a = addr - m->cu_bias;
  size_t lo = 0, hi = m->ncus;    /* first range with start > a */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->cus[mid].start <= a)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0 || a >= m->cus[lo - 1].end)
    return NULL;
  *bias = m->cu_bias;
  return &m->cus[lo - 1].cu;
}

/* Scope search state: the function-like DIEs containing pc, outermost
 * first, as physically nested in the DIE tree. */
struct hs_walk {
  Dwarf_Addr pc;
  Dwarf_Die chain[HS_MAX_INLINE];
  size_t n;
  long budget;          /* DIEs left to visit; bounds hostile DWARF */
};

#define HS_MAX_NEST 128       /* DIE nesting followed, imports included */
#define HS_WALK_BUDGET (1L << 22)

/* Descends from parent along the children whose ranges hold w->pc.
 * Returns 1 once a scope holding pc was found under parent.
 *
 * Not dwarf_getscopes: for an inlined instance it continues into the
 * abstract origin's scopes and, with libdw 0.188, finds nothing at all
 * when that origin is in another CU (GCC -flto does this); the physical
 * nesting is what names the callers anyway. */
static int hs_walk_scopes(struct hs_walk *w, Dwarf_Die *parent, int depth) {
  Dwarf_Die child;
  if (depth > HS_MAX_NEST || dwarf_child(parent, &child) != 0)
    return 0;
  do {
    if (--w->budget < 0)
      return 0;
    int tag = dwarf_tag(&child);
    switch (tag) {
    case DW_TAG_subprogram:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_entry_point:
    case DW_TAG_lexical_block:
    case DW_TAG_try_block:
    case DW_TAG_catch_block:
      if (dwarf_haspc(&child, w->pc) <= 0)
        break;
      if (tag != DW_TAG_lexical_block && tag != DW_TAG_try_block &&
          tag != DW_TAG_catch_block && w->n < HS_MAX_INLINE)
        w->chain[w->n++] = child;
      hs_walk_scopes(w, &child, depth + 1);
      return 1;
    case DW_TAG_namespace:
    case DW_TAG_module:
      if (hs_walk_scopes(w, &child, depth + 1))
        return 1;
      break;
    case DW_TAG_imported_unit: {
      Dwarf_Attribute attr;
      Dwarf_Die unit;
      if (dwarf_attr(&child, DW_AT_import, &attr) &&
          dwarf_formref_die(&attr, &unit) &&
          hs_walk_scopes(w, &unit, depth + 1))
        return 1;
      break;
    }
    default:
      break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
  return 0;
}

/* Completes frames[] innermost first from the scopes of cu around pc (a
 * DWARF address). On entry frames[0] holds module/offset/pc and the pc's
 * own file:line; it becomes the innermost inlined instance if pc is in
 * inlined code. The last frame is the real function, its name NULL when
 * DWARF has none. Returns the number of frames, at least 1. */
static size_t hs_inline_chain(struct hs_symbolizer *s, Dwarf_Die *cu,
                              Dwarf_Addr pc, struct hs_frame *frames) {
  struct hs_walk *w = malloc(sizeof *w);
  if (!w)
    return 1;
  w->pc = pc;
  w->n = 0;
  w->budget = HS_WALK_BUDGET;
  /* Split DWARF: the scopes live in the .dwo unit behind the skeleton. */
  Dwarf_Die unit = *cu, split;
  uint8_t unit_type = 0;
  if (dwarf_cu_info(cu->cu, NULL, &unit_type, NULL, &split, NULL, NULL,
                    NULL) == 0 &&
      unit_type == DW_UT_skeleton && dwarf_tag(&split) == DW_TAG_compile_unit)
    unit = split;
  hs_walk_scopes(w, &unit, 0);

  /* Function-like scopes, innermost first, up to the real function. */
  Dwarf_Die *funcs[HS_MAX_INLINE];
  size_t nfuncs = 0;
  int outer_is_real = 0;
  for (size_t i = w->n; i-- > 0;) {
    funcs[nfuncs++] = &w->chain[i];
    if (dwarf_tag(&w->chain[i]) != DW_TAG_inlined_subroutine) {
      outer_is_real = 1;
      break;
    }
  }

  /* Inlined instances are named by DWARF; so is the real function, which
   * names clones and split parts (foo.isra.0, foo.cold) as the source
   * function foo. A NULL name is left for the symbol table. */
  const struct hs_frame base = frames[0];
  size_t nf = 0;
  for (; nf < nfuncs; nf++) {
    struct hs_frame *f = &frames[nf];
    if (nf > 0) {
      /* Positioned at the call site of the instance just inside it. */
      *f = base;
      hs_call_site(s, funcs[nf - 1], &f->file, &f->line);
    }
    f->function = hs_die_name(s, funcs[nf], &f->mangled);
    f->inlined = dwarf_tag(funcs[nf]) == DW_TAG_inlined_subroutine;
  }
  /* Broken nesting (no enclosing subprogram): the real function, for
   * the symbol table to name, at the outermost known call site. */
  if (nf > 0 && !outer_is_real && nf < HS_MAX_INLINE) {
    struct hs_frame *f = &frames[nf];
    *f = base;
    f->function = NULL;
    f->mangled = NULL;
    f->inlined = 0;
    hs_call_site(s, funcs[nfuncs - 1], &f->file, &f->line);
    nf++;
  }
  free(w);
  return nf ? nf : 1;
}

/* ---- symbol table ------------------------------------------------------ */

/* libdwfl's own dwfl_module_addrinfo scans the whole symbol table on
 * every call (~0.3 ms for libstdc++); a sorted copy makes it a binary
 * search. */

static int hs_sym_cmp(const void *a, const void *b) {
  const struct hs_sym *x = a, *y = b;
  if (x->addr != y->addr)
    return x->addr < y->addr ? -1 : 1;
  return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static void hs_syms_build(struct hs_mod *m) {
  m->syms_built = 1;
  int n = dwfl_module_getsymtab(m->dm);
  if (n <= 1 || !(m->syms = malloc((size_t)n * sizeof *m->syms)))
    return;
  size_t k = 0;
  for (int i = 1; i < n; i++) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    Elf *elf = NULL;
    Dwarf_Addr bias = 0;
    const char *name =
        dwfl_module_getsym_info(m->dm, i, &sym, &addr, &shndx, &elf, &bias);
    int type = GELF_ST_TYPE(sym.st_info);
    if (!name || !*name || shndx == SHN_UNDEF || shndx == (GElf_Word)-1 ||
        (type != STT_FUNC && type != STT_GNU_IFUNC))
      continue;
    uint64_t size = sym.st_size;
    if (size == 0) {
      /* Sizeless (asm, _init): never past its section (_init must not
       * swallow the PLT). */
      Dwarf_Addr off = addr, sbias = 0;
      Elf_Scn *scn = dwfl_module_address_section(m->dm, &off, &sbias);
      GElf_Shdr shdr;
      if (!scn || !gelf_getshdr(scn, &shdr) || off >= shdr.sh_size)
        continue;
      size = shdr.sh_size - off;
    }
    int bind = GELF_ST_BIND(sym.st_info);
    uint32_t brank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    m->syms[k].addr = addr;
    m->syms[k].size = size;
    m->syms[k].name = name;
    m->syms[k].rank = brank << 28 | ((uint32_t)i & 0x0fffffff);
    k++;
  }
  m->nsyms = k;
  qsort(m->syms, k, sizeof *m->syms, hs_sym_cmp);
}

/* Name of the function symbol holding addr: among the symbols starting
 * nearest at or below addr, the best-ranked one that spans it; NULL in
 * padding between functions. A sizeless symbol spans up to the next
 * symbol, as the binary search only ever offers the nearest start. */
static const char *hs_sym_lookup(struct hs_mod *m, uint64_t addr) {
  if (!m->syms_built)
    hs_syms_build(m);
  size_t lo = 0, hi = m->nsyms;   /* first entry with start > addr */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->syms[mid].addr <= addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0)
    return NULL;
  uint64_t start = m->syms[lo - 1].addr;
  size_t first = lo - 1;
  while (first > 0 && m->syms[first - 1].addr == start)
    first--;
  for (size_t i = first; i < lo; i++)
    if (addr - start < m->syms[i].size)
      return m->syms[i].name;
  return NULL;
}

/* ---- resolution -------------------------------------------------------- */

/* Computes the frames of one pc into frames[HS_MAX_INLINE]. */
static size_t hs_resolve(struct hs_symbolizer *s, uint64_t pc, int ira,
                         struct hs_frame *frames) {
  uint64_t addr = (ira && pc > 0) ? pc - 1 : pc;
  struct hs_frame *f = &frames[0];
  memset(f, 0, sizeof *f);
  f->pc = pc;

  struct hs_mod *m = hs_find_mod(s, addr);
  if (!m)
    return 1;
  f->module = m->name;
  f->offset = pc - m->info->base;
  if (!m->dm)
    return 1;

  Dwarf_Addr bias = 0;
  Dwarf_Die *cu = hs_addr_cu(m, addr, &bias);
  const char *file = NULL;
  int line = 0;
  Dwfl_Line *ln = dwfl_module_getsrc(m->dm, addr);
  if (ln) {
    Dwarf_Addr laddr = 0;
    int col = 0;
    Dwarf_Word mtime = 0, length = 0;
    file = dwfl_lineinfo(ln, &laddr, &line, &col, &mtime, &length);
  } else if (cu) {
    Dwarf_Line *dl = dwarf_getsrc_die(cu, addr - bias);
    if (dl && (file = dwarf_linesrc(dl, NULL, NULL)) != NULL &&
        dwarf_lineno(dl, &line) != 0)
      line = 0;
  }
  f->file = hs_intern(s, file);
  f->line = f->file ? line : 0;

  size_t n = cu ? hs_inline_chain(s, cu, addr - bias, frames) : 1;

  struct hs_frame *real = &frames[n - 1];
  if (!real->function && !real->inlined) {
    const char *sym = hs_sym_lookup(m, addr);
    real->function = hs_intern_symbol(s, sym);
    real->mangled = sym && real->function && strcmp(sym, real->function) ? hs_intern(s, sym) : NULL;
  }
  return n;
}

/* ---- cache ------------------------------------------------------------- */

/* Best effort: on no memory the pc is simply resolved again next time. */
static void hs_cache_put(struct hs_symbolizer *s, uint64_t pc, int ira,
                         const struct hs_frame *frames, size_t n) {
  if (s->frames_len + n > s->frames_cap) {
    size_t ncap = s->frames_cap ? s->frames_cap : 1024;
    while (s->frames_len + n > ncap)
      ncap *= 2;
    struct hs_frame *nf = realloc(s->frames, ncap * sizeof *nf);
    if (!nf)
      return;
    s->frames = nf;
    s->frames_cap = ncap;
  }
  if (s->frames_len + n > UINT32_MAX || n > UINT16_MAX)
    return;
  uint64_t *v = hs_map_slot(&s->cache, pc << 1 | (uint64_t)ira);
  if (!v)
    return;
  memcpy(s->frames + s->frames_len, frames, n * sizeof *frames);
  *v = (uint64_t)(s->frames_len + 1) << 16 | n;
  s->frames_len += n;
}

/* ---- public API ------------------------------------------------------- */

size_t hs_symbolize(struct hs_symbolizer *s, uint64_t pc,
                    int is_return_address, struct hs_frame *out,
                    size_t max) {
  if (max == 0)
    return 0;
  int ira = is_return_address ? 1 : 0;
  const struct hs_frame *frames;
  size_t n;
  struct hs_frame tmp[HS_MAX_INLINE];

  uint64_t hit = hs_map_get(&s->cache, pc << 1 | (uint64_t)ira);
  if (hit) {
    frames = s->frames + (hit >> 16) - 1;
    n = hit & 0xffff;
  } else {
    n = hs_resolve(s, pc, ira, tmp);
    hs_cache_put(s, pc, ira, tmp, n);
    frames = tmp;
  }
  /* Too small an out keeps the innermost frames; the last one written
   * then still says inlined=1, which tells the caller it was cut. */
  if (n > max)
    n = max;
  memcpy(out, frames, n * sizeof *out);
  return n;
}

const char *hs_symbolizer_warnings(struct hs_symbolizer *s) {
  return s->warn ? s->warn : "";
}

void hs_symbolizer_free(struct hs_symbolizer *s) {
  if (!s)
    return;
  if (s->dwfl)
    dwfl_end(s->dwfl);
  for (size_t i = 0; i < s->strs_len; i++)
    free(s->strs[i]);
  free(s->strs);
  hs_map_free(&s->str_index);
  hs_map_free(&s->cache);
  free(s->frames);
  free(s->warn);
  for (size_t i = 0; i < s->nmods; i++) {
    free(s->mods[i].syms);
    free(s->mods[i].cus);
  }
  free(s->mods);
  free(s->debuginfo_path);
  free(s);
}
