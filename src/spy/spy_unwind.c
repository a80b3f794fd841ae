/*
 * spy_unwind.c: a fast DWARF CFI unwinder for the allocation hot path.
 *
 * Debian's binaries have no frame pointers, so each frame's caller is
 * found from the .eh_frame call-frame information. Evaluating CFI is slow;
 * its result for one return address is tiny and never changes while the
 * module stays loaded: "CFA = RSP or RBP + off, return address at CFA-8,
 * caller's RBP saved at CFA+k (or untouched)". So each thread keeps a
 * cache of those rules by address, and a step of the walk is one cache
 * probe and two loads. Rules are computed on a miss from the module's
 * .eh_frame_hdr search table (found with _dl_find_object, lock-free).
 *
 * Anything this does not understand (signal frames, CFA expressions,
 * code without CFI) makes spy_unwind return -1, and the caller falls back
 * to libunwind for that stack: never a wrong stack, only a slower one.
 * The walk only reads stack memory between the current stack pointer and
 * a bound, and each CFA must lie above the previous one.
 *
 * Must never: allocate, lock, or take the loader's lock.
 */
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>

#include "spy.h"

#define CACHE_SIZE 2048                /* per thread, power of two */
#define MAX_STACK_SPAN (512ull << 20)  /* frames lie within this of the start */

enum { RULE_EMPTY = 0, RULE_OK, RULE_END, RULE_FAIL };

struct rule {
  uint64_t pc;
  int32_t cfa_off;
  int16_t rbp_off;                     /* caller's RBP at CFA+rbp_off; 0: kept */
  uint8_t cfa_rbp;                     /* CFA based on RBP (else RSP) */
  uint8_t kind;
};

struct rule_cache {
  uint64_t generation;
  struct rule r[CACHE_SIZE];
};


/* Bumped when a module is unloaded: cached rules may describe code that
 * is gone. Read-mostly. */
static uint64_t generation = 1;
void spy_unwind_invalidate(void) { __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE); }

/* ---- DWARF encodings ---------------------------------------------------- */

struct cursor { const uint8_t *p, *end; int bad; };

static uint64_t uleb(struct cursor *c) {
  uint64_t v = 0;
  for (unsigned shift = 0; c->p < c->end && shift < 64; shift += 7) {
    uint8_t b = *c->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  c->bad = 1;
  return 0;
}

/* Built in unsigned arithmetic (no shift of a signed value), then read
 * back as two's complement. */
static int64_t sleb(struct cursor *c) {
  uint64_t v = 0;
  unsigned shift = 0;
  uint8_t b = 0x80;
  while (c->p < c->end && shift < 64 && (b & 0x80)) {
    b = *c->p++;
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
  }
  if (b & 0x80) { c->bad = 1; return 0; }
  if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;   /* sign-extend */
  return (int64_t)v;
}

static uint64_t fixed(struct cursor *c, unsigned n) {
  if ((size_t)(c->end - c->p) < n) { c->bad = 1; return 0; }
  uint64_t v = 0;
  memcpy(&v, c->p, n);
  c->p += n;
  return v;
}

/* Read a pointer in DW_EH_PE encoding enc; datarel is relative to base. */
static uint64_t encoded(struct cursor *c, uint8_t enc, uint64_t datarel) {
  if (enc == 0xff) return 0;           /* DW_EH_PE_omit */
  uint64_t here = (uint64_t)(uintptr_t)c->p, v;
  switch (enc & 0x0f) {
  case 0x00: v = fixed(c, 8); break;
  case 0x01: v = uleb(c); break;
  case 0x02: v = fixed(c, 2); break;
  case 0x03: v = fixed(c, 4); break;
  case 0x04: v = fixed(c, 8); break;
  case 0x09: v = (uint64_t)sleb(c); break;
  case 0x0a: v = (uint64_t)(int64_t)(int16_t)fixed(c, 2); break;
  case 0x0b: v = (uint64_t)(int64_t)(int32_t)fixed(c, 4); break;
  case 0x0c: v = fixed(c, 8); break;
  default: c->bad = 1; return 0;
  }
  switch (enc & 0x70) {
  case 0x00: break;
  case 0x10: v += here; break;         /* pcrel */
  case 0x30: v += datarel; break;      /* datarel */
  default: c->bad = 1;
  }
  if (enc & 0x80) c->bad = 1;          /* indirect: not in .eh_frame of code */
  return v;
}

/* ---- finding the FDE ------------------------------------------------------ */

/* The FDE covering pc from a .eh_frame_hdr binary search table. */
static const uint8_t *find_fde(const uint8_t *hdr, uint64_t pc) {
  if (!hdr || hdr[0] != 1) return NULL;
  uint8_t ptr_enc = hdr[1], count_enc = hdr[2], table_enc = hdr[3];
  struct cursor c = { hdr + 4, hdr + 16, 0 };
  encoded(&c, ptr_enc, (uint64_t)(uintptr_t)hdr);
  uint64_t count = encoded(&c, count_enc, (uint64_t)(uintptr_t)hdr);
  if (c.bad || table_enc != 0x3b || !count) return NULL;   /* datarel|sdata4 */
  const int32_t *table = (const int32_t *)c.p;
  uint64_t base = (uint64_t)(uintptr_t)hdr, lo = 0, hi = count;
  while (hi - lo > 1) {
    uint64_t mid = (lo + hi) / 2;
    if (base + (uint64_t)(int64_t)table[2 * mid] <= pc) lo = mid; else hi = mid;
  }
  if (base + (uint64_t)(int64_t)table[2 * lo] > pc) return NULL;
  return (const uint8_t *)(uintptr_t)(base + (uint64_t)(int64_t)table[2 * lo + 1]);
}

/* ---- evaluating CFI --------------------------------------------------------- */

struct cfa_state { int cfa_rbp; int64_t cfa_off; int rbp_saved; int64_t rbp_off; int ra_undefined; };

struct cie {
  int64_t data_align;
  uint64_t code_align;
  uint8_t fde_enc;
  uint64_t ra_reg;
  const uint8_t *insns, *end;
  int signal_frame;
  int has_z;                           /* FDEs carry augmentation data */
};

static int parse_cie(const uint8_t *p, struct cie *cie) {
  uint32_t len;
  memcpy(&len, p, 4);
  if (len == 0 || len == 0xffffffffu) return -1;
  struct cursor c = { p + 4, p + 4 + len, 0 };
  if (fixed(&c, 4) != 0) return -1;    /* CIE id */
  uint8_t version = (uint8_t)fixed(&c, 1);
  const char *aug = (const char *)c.p;
  size_t alen = strnlen(aug, (size_t)(c.end - c.p));
  c.p += alen + 1;
  cie->code_align = uleb(&c);
  cie->data_align = sleb(&c);
  cie->ra_reg = version == 1 ? fixed(&c, 1) : uleb(&c);
  cie->fde_enc = 0;
  cie->signal_frame = 0;
  cie->has_z = aug[0] == 'z';
  if (cie->has_z) {
    uint64_t n = uleb(&c);
    const uint8_t *after = c.p + n;
    for (size_t i = 1; i < alen && !c.bad; i++) {
      switch (aug[i]) {
      case 'R': cie->fde_enc = (uint8_t)fixed(&c, 1); break;
      case 'L': fixed(&c, 1); break;
      case 'P': { uint8_t e = (uint8_t)fixed(&c, 1); encoded(&c, e & 0x7f, 0); break; }
      case 'S': cie->signal_frame = 1; break;
      default: return -1;
      }
    }
    c.p = after;
  } else if (alen) {
    return -1;
  }
  cie->insns = c.p;
  cie->end = c.end;
  return c.bad ? -1 : 0;
}

#define REG_RBP 6
#define REG_RSP 7

/* Run CFA instructions until the location passes target. Returns 0, or -1
 * for anything unsupported, or 1 if the return address is undefined (the
 * outermost frame). */
static int run_cfa(struct cursor *c, const struct cie *cie, uint64_t loc, uint64_t target,
                   struct cfa_state *st, const struct cfa_state *initial) {
  struct cfa_state stack[8];
  int depth = 0;
  while (c->p < c->end && !c->bad) {
    uint8_t op = *c->p++;
    uint64_t reg, delta;
    switch (op & 0xc0) {
    case 0x40:                         /* advance_loc */
      loc += (op & 0x3f) * cie->code_align;
      if (loc > target) return st->ra_undefined;
      continue;
    case 0x80:                         /* offset(reg) */
      reg = op & 0x3f;
      delta = uleb(c);
      if (reg == REG_RBP) { st->rbp_saved = 1; st->rbp_off = (int64_t)delta * cie->data_align; }
      else if (reg == cie->ra_reg && (int64_t)delta * cie->data_align != -8) return -1;
      continue;
    case 0xc0:                         /* restore(reg) */
      reg = op & 0x3f;
      if (reg == REG_RBP) { st->rbp_saved = initial->rbp_saved; st->rbp_off = initial->rbp_off; }
      continue;
    }
    switch (op) {
    case 0x00: break;                  /* nop */
    case 0x01: loc = encoded(c, cie->fde_enc, 0); if (loc > target) return st->ra_undefined; break;
    case 0x02: loc += fixed(c, 1) * cie->code_align; if (loc > target) return st->ra_undefined; break;
    case 0x03: loc += fixed(c, 2) * cie->code_align; if (loc > target) return st->ra_undefined; break;
    case 0x04: loc += fixed(c, 4) * cie->code_align; if (loc > target) return st->ra_undefined; break;
    case 0x05:                         /* offset_extended */
      reg = uleb(c);
      delta = uleb(c);
      if (reg == REG_RBP) { st->rbp_saved = 1; st->rbp_off = (int64_t)delta * cie->data_align; }
      else if (reg == cie->ra_reg && (int64_t)delta * cie->data_align != -8) return -1;
      break;
    case 0x11:                         /* offset_extended_sf */
      reg = uleb(c);
      { int64_t off = sleb(c) * cie->data_align;
        if (reg == REG_RBP) { st->rbp_saved = 1; st->rbp_off = off; }
        else if (reg == cie->ra_reg && off != -8) return -1; }
      break;
    case 0x06:                         /* restore_extended */
      reg = uleb(c);
      if (reg == REG_RBP) { st->rbp_saved = initial->rbp_saved; st->rbp_off = initial->rbp_off; }
      break;
    case 0x07:                         /* undefined */
      reg = uleb(c);
      if (reg == cie->ra_reg) st->ra_undefined = 1;
      else if (reg == REG_RBP) return -1;
      break;
    case 0x08:                         /* same_value */
      reg = uleb(c);
      if (reg == REG_RBP) st->rbp_saved = 0;
      break;
    case 0x09:                         /* register */
      reg = uleb(c);
      uleb(c);
      if (reg == REG_RBP || reg == cie->ra_reg) return -1;
      break;
    case 0x0a:                         /* remember_state */
      if (depth == 8) return -1;
      stack[depth++] = *st;
      break;
    case 0x0b:                         /* restore_state */
      if (!depth) return -1;
      *st = stack[--depth];
      break;
    case 0x0c:                         /* def_cfa */
      reg = uleb(c);
      st->cfa_off = (int64_t)uleb(c);
      if (reg != REG_RSP && reg != REG_RBP) return -1;
      st->cfa_rbp = reg == REG_RBP;
      break;
    case 0x12:                         /* def_cfa_sf */
      reg = uleb(c);
      st->cfa_off = sleb(c) * cie->data_align;
      if (reg != REG_RSP && reg != REG_RBP) return -1;
      st->cfa_rbp = reg == REG_RBP;
      break;
    case 0x0d:                         /* def_cfa_register */
      reg = uleb(c);
      if (reg != REG_RSP && reg != REG_RBP) return -1;
      st->cfa_rbp = reg == REG_RBP;
      break;
    case 0x0e: st->cfa_off = (int64_t)uleb(c); break;                  /* def_cfa_offset */
    case 0x13: st->cfa_off = sleb(c) * cie->data_align; break;         /* def_cfa_offset_sf */
    case 0x2e: uleb(c); break;                                          /* GNU_args_size */
    case 0x0f: case 0x10: case 0x14: case 0x15: case 0x16:
    default:
      return -1;                       /* expressions and the rest: libunwind's job */
    }
  }
  return c->bad ? -1 : st->ra_undefined;
}

/* Compute the rule for return address / pc `pc` (lookup at pc-1). */
static void compute_rule(uint64_t pc, struct rule *r) {
  r->pc = pc;
  r->kind = RULE_FAIL;
  struct dl_find_object fo;
  if (_dl_find_object((void *)(uintptr_t)(pc - 1), &fo) != 0 || !fo.dlfo_eh_frame) return;
  const uint8_t *fde = find_fde(fo.dlfo_eh_frame, pc - 1);
  if (!fde) return;
  uint32_t len, cie_delta;
  memcpy(&len, fde, 4);
  if (len == 0 || len == 0xffffffffu) return;
  memcpy(&cie_delta, fde + 4, 4);
  if (!cie_delta) return;              /* that is a CIE, not an FDE */
  struct cie cie;
  if (parse_cie(fde + 4 - cie_delta, &cie) < 0 || cie.signal_frame || cie.ra_reg != 16) return;
  struct cursor c = { fde + 8, fde + 4 + len, 0 };
  uint64_t start = encoded(&c, cie.fde_enc, 0);
  uint64_t range = encoded(&c, cie.fde_enc & 0x0f, 0);
  if (c.bad || pc - 1 < start || pc - 1 >= start + range) return;
  if (cie.has_z) c.p += uleb(&c);      /* augmentation data */
  struct cfa_state st = { 0, 8, 0, 0, 0 }, initial;
  struct cursor ci = { cie.insns, cie.end, 0 };
  if (run_cfa(&ci, &cie, start, UINT64_MAX, &st, &st) < 0) return;
  initial = st;
  int res = run_cfa(&c, &cie, start, pc - 1, &st, &initial);
  if (res < 0 || st.cfa_off < 8 || st.cfa_off > (1 << 30) || st.rbp_off < -32768 ||
      st.rbp_off > 32767 || (st.rbp_saved && st.rbp_off == 0))
    return;
  r->cfa_rbp = (uint8_t)st.cfa_rbp;
  r->cfa_off = (int32_t)st.cfa_off;
  r->rbp_off = st.rbp_saved ? (int16_t)st.rbp_off : 0;
  r->kind = res == 1 ? RULE_END : RULE_OK;
}

/* ---- the walk ------------------------------------------------------------------ */

/* Behind the per-thread caches, one table shared by all threads, so a
 * rule is computed once per process however the caches conflict.
 * Insert-only open addressing: a slot's rule is written before its pc is
 * published, and never changes after, so readers need no lock. A full
 * table is replaced by a larger copy; readers still on the old one only
 * miss. It lives in its own mappings, never in the heap. */
struct shared_rules { uint64_t capacity, count; struct rule r[]; };
static struct shared_rules *shared;
static uint64_t shared_generation;
static uint32_t shared_lock;

static struct shared_rules *shared_new(uint64_t cap) {
  size_t bytes = sizeof(struct shared_rules) + cap * sizeof(struct rule);
  struct shared_rules *t = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (t == MAP_FAILED) return NULL;
  t->capacity = cap;
  return t;
}

static int shared_find(uint64_t gen, uint64_t pc, struct rule *out) {
  struct shared_rules *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
  if (!t || __atomic_load_n(&shared_generation, __ATOMIC_ACQUIRE) != gen) return 0;
  uint64_t mask = t->capacity - 1;
  for (uint64_t i = (pc * 0x9e3779b97f4a7c15ull) >> 20 & mask;; i = (i + 1) & mask) {
    uint64_t k = __atomic_load_n(&t->r[i].pc, __ATOMIC_ACQUIRE);
    if (!k) return 0;
    if (k == pc) { *out = t->r[i]; return 1; }
  }
}

static void shared_add(uint64_t gen, const struct rule *r) {
  spy_lock(&shared_lock);
  struct shared_rules *t = shared;
  if (shared_generation != gen) {   /* a module went away */
    t = NULL;
    shared_generation = gen;
  }
  if (!t || (t->count + 1) * 2 > t->capacity) {
    struct shared_rules *nt = shared_new(t ? t->capacity * 2 : 16384);
    if (!nt) { spy_unlock(&shared_lock); return; }
    for (uint64_t i = 0; t && i < t->capacity; i++) {
      if (!t->r[i].pc) continue;
      uint64_t j = (t->r[i].pc * 0x9e3779b97f4a7c15ull) >> 20 & (nt->capacity - 1);
      while (nt->r[j].pc) j = (j + 1) & (nt->capacity - 1);
      nt->r[j] = t->r[i];
      nt->count++;
    }
    __atomic_store_n(&shared, nt, __ATOMIC_RELEASE);  /* the old table stays mapped */
    t = nt;
  }
  uint64_t mask = t->capacity - 1;
  SPY_ASSERT(t->count < t->capacity);    /* at most half full: the probe ends */
  for (uint64_t i = (r->pc * 0x9e3779b97f4a7c15ull) >> 20 & mask;; i = (i + 1) & mask) {
    if (t->r[i].pc == r->pc) break;
    if (!t->r[i].pc) {
      struct rule tmp = *r;
      tmp.pc = 0;
      t->r[i] = tmp;
      __atomic_store_n(&t->r[i].pc, r->pc, __ATOMIC_RELEASE);
      t->count++;
      break;
    }
  }
  spy_unlock(&shared_lock);
}

static inline const struct rule *rule_for(struct rule_cache *cache, uint64_t pc) {
  struct rule *r = &cache->r[(pc ^ (pc >> 11)) & (CACHE_SIZE - 1)];
  if (SPY_UNLIKELY(r->pc != pc || r->kind == RULE_EMPTY)) {
    if (!shared_find(cache->generation, pc, r)) {
      compute_rule(pc, r);
      shared_add(cache->generation, r);
    }
  }
  return r;
}

/* ---- memo of the last walk ----------------------------------------------------
 *
 * Consecutive allocations of a thread mostly share their outer frames. The
 * last walk is kept, outermost frame first, with the stack slots each step
 * read. When the new walk reaches a frame with the same pc, rsp and rbp as
 * a remembered one, and every slot the old walk read from there outward
 * still holds the same value, the rest of the walk would repeat the old
 * one exactly (each step is a function of the registers, the rule for pc
 * and those slots), so the old frames are reused. The checks are
 * independent loads, not a chain of dependent lookups. */

#define MEMO_MAX 256

struct frame {
  uint64_t pc, rsp, rbp;               /* registers at this frame */
  uint64_t ra_at, rbp_at;              /* slots read to step outward (0: none) */
  uint64_t h;                          /* stack hash chained from f[0] through this frame */
};

struct memo {
  unsigned n;                          /* frames in f[], outermost first */
  int truncated;                       /* stopped at max depth, not at the end */
  int reused;                          /* the innermost frame the last walk reused */
  struct frame f[MEMO_MAX];
  struct frame fresh[MEMO_MAX];        /* this walk's new frames, innermost first */
};

__thread int spy_unwind_repeat SPY_TLS;

struct unwind_mine {                   /* spy_thread_mem.unwind */
  struct rule_cache cache;
  struct memo memo;
};
SPY_MEM_FITS(struct unwind_mine, unwind);

/* Does the remembered walk from f[k] outward still hold? */
static int memo_valid_from(const struct memo *memo, int k) {
  for (int m = k; m >= 1; m--) {
    const struct frame *f = &memo->f[m];
    if (*(const uint64_t *)(uintptr_t)f->ra_at != memo->f[m - 1].pc) return 0;
    if (f->rbp_at && *(const uint64_t *)(uintptr_t)f->rbp_at != memo->f[m - 1].rbp) return 0;
  }
  return 1;
}

/* The fresh frames' chained hashes on top of h (the frame outside them;
 * the seed for a walk all fresh), and the hash of the stack of total
 * frames if it is exactly those frames, else 0 (cut at max depth). */
static uint64_t chain_fresh(struct memo *memo, uint64_t h, unsigned i, unsigned total, unsigned all) {
  for (unsigned t = i; t-- > 0;) memo->fresh[t].h = h = spy_stack_hash_step(h, memo->fresh[t].pc);
  return total == all ? spy_stack_hash_end(h, total) : 0;
}

/* Remember a walk of i fresh frames on top of f[0..keep-1], total frames
 * returned in all. Returns 1 if they are the very pcs of the walk it
 * replaces: the stack is then the last one even if a fresh frame's
 * registers differ (a function keeping a variable in rbp between two of
 * its calls into malloc). */
static int memo_store(struct memo *memo, unsigned keep, unsigned i, unsigned total,
                      int truncated) {
  int same = memo->n && keep + i == memo->n && total == memo->n;
  for (unsigned t = 0; same && t < i; t++) same = memo->fresh[t].pc == memo->f[memo->n - 1 - t].pc;
  if (keep + i > MEMO_MAX) { memo->n = 0; return same; }
  for (unsigned t = 0; t < i; t++) memo->f[keep + t] = memo->fresh[i - 1 - t];
  memo->n = keep + i;
  memo->truncated = truncated;
  return same;
}

/* The frames the last walk reused, out[filled..n): f[reused] outward. */
void spy_unwind_fill(uint64_t *out, unsigned filled, unsigned n) {
  const struct memo *memo = &((struct unwind_mine *)spy_mem()->unwind)->memo;
  for (unsigned t = 0; filled + t < n; t++) out[filled + t] = memo->f[memo->reused - (int)t].pc;
}

/* Walk the stack of the thread that called into the spy, starting at the
 * first frame outside [own_lo, own_hi). The spy itself is built with
 * frame pointers, so its own frames are skipped through the RBP chain.
 * Returns the number of frames, or -1 if libunwind must do it. */
int spy_unwind(uint64_t *out, unsigned max, uint64_t own_lo, uint64_t own_hi, uint64_t *hash,
               unsigned *filled) {
  struct unwind_mine *mine = (struct unwind_mine *)spy_mem()->unwind;
  struct rule_cache *cache = &mine->cache;
  struct memo *memo = &mine->memo;
  uint64_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
  if (SPY_UNLIKELY(cache->generation != gen)) {
    memset(cache->r, 0, sizeof cache->r);
    cache->generation = gen;
    memo->n = 0;
  }
  if (max > MEMO_MAX) max = MEMO_MAX;
  spy_unwind_repeat = 0;
  *hash = 0;
  *filled = 0;
  const uint64_t *fp = __builtin_frame_address(0);
  uint64_t lo = (uint64_t)(uintptr_t)fp, hi = lo + MAX_STACK_SPAN;
  /* our frames: [saved rbp][return address] linked by rbp */
  for (int i = 0; i < 8; i++) {
    uint64_t ra = fp[1];
    if (ra < own_lo || ra >= own_hi) break;
    const uint64_t *next = (const uint64_t *)(uintptr_t)fp[0];
    if ((uint64_t)(uintptr_t)next <= (uint64_t)(uintptr_t)fp || (uint64_t)(uintptr_t)next >= hi)
      goto fail;
    fp = next;
  }
  uint64_t pc = fp[1], rsp = (uint64_t)(uintptr_t)fp + 16, rbp = fp[0];
  if (pc >= own_lo && pc < own_hi) goto fail;
  unsigned n = 0;
  int k = (int)memo->n - 1;             /* remembered frame at or above rsp */
  while (n < max && pc) {
    while (k >= 0 && memo->f[k].rsp < rsp) k--;
    if (k >= 0 && memo->f[k].rsp == rsp && memo->f[k].pc == pc && memo->f[k].rbp == rbp &&
        (!memo->truncated || n + (unsigned)k + 1 >= max) && memo_valid_from(memo, k)) {
      unsigned total = n + (unsigned)k + 1 < max ? n + (unsigned)k + 1 : max;
      memo->reused = k;                /* f[0..k] stay as they are: memo_store adds above */
      *filled = n;
      *hash = chain_fresh(memo, memo->f[k].h, n, total, n + (unsigned)k + 1);
      spy_unwind_repeat = memo_store(memo, (unsigned)k + 1, n, total, memo->truncated);
      return (int)total;
    }
    SPY_DEBUG_ASSERT(n < MEMO_MAX);        /* max was clamped to it */
    struct frame *f = &memo->fresh[n];
    f->pc = pc;
    f->rsp = rsp;
    f->rbp = rbp;
    f->ra_at = f->rbp_at = 0;
    out[n++] = pc;
    const struct rule *r = rule_for(cache, pc);
    if (r->kind == RULE_END) {
      *filled = n;
      *hash = chain_fresh(memo, SPY_STACK_HASH_SEED, n, n, n);
      spy_unwind_repeat = memo_store(memo, 0, n, n, 0);
      return (int)n;
    }
    if (r->kind != RULE_OK) goto fail;
    uint64_t cfa = (r->cfa_rbp ? rbp : rsp) + (uint64_t)(int64_t)r->cfa_off;
    if (cfa <= rsp || cfa >= hi || (cfa & 7)) goto fail;
    if (r->rbp_off) {
      uint64_t at = cfa + (uint64_t)(int64_t)r->rbp_off;
      if (at < rsp || at >= cfa) goto fail;
      rbp = *(const uint64_t *)(uintptr_t)at;
      f->rbp_at = at;
    }
    f->ra_at = cfa - 8;
    pc = *(const uint64_t *)(uintptr_t)(cfa - 8);
    rsp = cfa;
  }
  *filled = n;
  *hash = chain_fresh(memo, SPY_STACK_HASH_SEED, n, n, n);
  spy_unwind_repeat = memo_store(memo, 0, n, n, n == max);
  return (int)n;
fail:                                  /* libunwind walks it: the memo is not its walk */
  memo->n = 0;
  return -1;
}
