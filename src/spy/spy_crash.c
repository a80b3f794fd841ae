/*
 * spy_crash.c: any crash is explained. When the program dies of SIGSEGV
 * or SIGBUS, the faulting address is looked up among the blocks the spy
 * knows: the guard heap's (live or quarantined, --guard), the guard
 * slots' (--guard-sample), --check's
 * quarantine, the large blocks glibc unmapped at a recent free, and the
 * live table (a block holding the address, or the nearest one ending or
 * starting within a page of it). The finding is one ASan-shaped line on
 * stderr ("write of size 8, 8 bytes inside the 48-byte block at B,
 * freed"; the size decoded from the instruction by spy_insn.c)
 * and an error record with the faulting stack, the block's allocation
 * and free stacks; the caller then lets the program die of the signal.
 * Under --check, a crash through a pointer made of fill bytes (read from
 * freed or never-written memory) is explained too.
 *
 * Must never: allocate, take a lock the crashed thread may hold (tables
 * are read without their locks), or run when the crash is the spy's own
 * (spy_busy): then the plain death is the safest outcome.
 */
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"
#include "spy_guard_sample.h"

#define NEAR_REACH 4096            /* "near": within a page of the block */
#define UNMAPPED_RING 64           /* recently unmapped large blocks */
#define PF_TRAP 14                 /* x86 page fault */
#define PF_FETCH 0x10              /* its error code: an instruction fetch */

/* ---- large blocks glibc unmapped at free (no --check) ------------------ */

static struct spy_near unmapped[UNMAPPED_RING];
static uint32_t unmapped_next;

void spy_crash_note_unmapped(const struct hsp_block *b) {
  uint32_t i = __atomic_fetch_add(&unmapped_next, 1, __ATOMIC_RELAXED) % UNMAPPED_RING;
  unmapped[i] = (struct spy_near){ b->ptr, HSP_BLOCK_SIZE(b), b->stack, spy_stack_capture(), 1 };
}

void spy_crash_note_unmapped_free(void *p) {
  struct hsp_block b;
  if (spy_block_lookup(p, &b)) spy_crash_note_unmapped(&b);
}

int spy_crash_find_unmapped(uint64_t addr, struct spy_near *out) {
  /* newest first: the range may have been mapped and freed again */
  uint32_t n = __atomic_load_n(&unmapped_next, __ATOMIC_RELAXED);
  for (uint32_t k = 0; k < UNMAPPED_RING && k < n; k++) {
    const struct spy_near *e = &unmapped[(n - 1 - k) % UNMAPPED_RING];
    if (addr >= e->user && addr < e->user + e->size) { *out = *e; return 1; }
  }
  return 0;
}

/* ---- live blocks ---------------------------------------------------------- */

static int64_t nearness(const struct hsp_block *b, void *ctx) {
  uint64_t addr = *(uint64_t *)ctx, lo = b->ptr, hi = lo + HSP_BLOCK_SIZE(b);
  if (addr >= lo && addr < hi) return 0;
  if (addr >= hi && addr - hi < NEAR_REACH) return (int64_t)(addr - hi) + 1;
  if (addr < lo && lo - addr <= NEAR_REACH) return (int64_t)(lo - addr) + 1;
  return -1;
}

static int live_near(uint64_t addr, struct spy_near *out) {
  struct hsp_block b;
  if (!spy_blocks_best(nearness, &addr, &b)) return 0;
  *out = (struct spy_near){ b.ptr, HSP_BLOCK_SIZE(&b), b.stack, 0, 0 };
  return 1;
}

/* ---- the explanation ------------------------------------------------------ */

static unsigned access_of(int sig, const ucontext_t *uc) {
  if (sig != SIGSEGV || !uc || uc->uc_mcontext.gregs[REG_TRAPNO] != PF_TRAP) return HSP_ACCESS_UNKNOWN;
  return uc->uc_mcontext.gregs[REG_ERR] & 2 ? HSP_ACCESS_WRITE : HSP_ACCESS_READ;
}

/* How many bytes the faulting instruction accesses, 0 if unknown. Not
 * when the fault was the fetch of the instruction itself: then the bytes
 * at RIP are what cannot be read. */
static unsigned access_size_of(const ucontext_t *uc, uint64_t addr) {
  if (!uc) return 0;
  const greg_t *g = uc->uc_mcontext.gregs;
  uint64_t rip = (uint64_t)g[REG_RIP];
  if (!rip || (g[REG_TRAPNO] == PF_TRAP && g[REG_ERR] & PF_FETCH) || addr - rip < 15) return 0;
  return spy_insn_access_size((const uint8_t *)(uintptr_t)rip, 15);
}

/* ---- a pointer made of --check's fill bytes -------------------------------- */

/* Eight fill bytes are a non-canonical address: a pointer loaded from
 * freed, never-written or red-zone memory faults when it is used, with a
 * general protection fault, for which the kernel gives no address. A
 * register holding one (give or take a field offset) says where the
 * pointer came from, and another register pointing into a quarantined
 * block most likely says which freed block it was read from. */
static const struct { unsigned char byte; unsigned kind; const char *what; } fills[] = {
  { SPY_FILL_FREED, HSP_ERR_USE_AFTER_FREE, "freed memory" },
  { SPY_FILL_NEW, HSP_ERR_BAD_ACCESS, "never-written heap memory" },
  { SPY_FILL_RZ, HSP_ERR_BAD_ACCESS, "a red zone beside a block" },
};
static const char *const gpr[] = { "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                                   "rdi", "rsi", "rbp", "rbx", "rdx", "rax", "rcx" };  /* gregs order */
#define NGPR (sizeof gpr / sizeof *gpr)

static int made_of(uint64_t v, unsigned char byte) {
  uint64_t w = 0x0101010101010101ull * byte;
  return v - w + 4096 < 8192;                 /* within 4 KiB of eight fill bytes */
}

/* "write of size 4", "read", "access" */
static void access_words(const struct spy_fault *f, char *out, size_t n) {
  static const char *const acc[] = { "access", "read", "write", "access" };
  if (f->size) spy_fmt(out, n, "%s of size %u", acc[f->access & 3], f->size);
  else spy_fmt(out, n, "%s", acc[f->access & 3]);
}

static int explain_fill(int sig, const ucontext_t *uc, uint64_t addr) {
  if (!spy_check_on || !uc) return 0;
  const greg_t *g = uc->uc_mcontext.gregs;
  unsigned r = NGPR, k = 0;
  for (unsigned i = 0; i < NGPR && r == NGPR; i++)
    for (k = 0; k < sizeof fills / sizeof *fills; k++)
      if (made_of((uint64_t)g[i], fills[k].byte)) { r = i; break; }
  if (r == NGPR) return 0;
  uint64_t v = (uint64_t)g[r];
  struct spy_near b = { 0 };
  unsigned from = NGPR;
  /* a register inside a freed block first, then one in its red zones */
  for (int pass = 0; pass < 2 && from == NGPR && fills[k].byte == SPY_FILL_FREED; pass++)
    for (unsigned i = 0; i < NGPR && from == NGPR; i++) {
      uint64_t x = (uint64_t)g[i];
      if (i != r && spy_check_find_freed(x, &b) && (pass || (x >= b.user && x < b.user + b.size)))
        from = i;
    }
  char src[160] = "";
  if (from < NGPR)
    spy_fmt(src, sizeof src, "; %s points %llu bytes inside the %llu-byte block at %p, freed",
            gpr[from], (unsigned long long)((uint64_t)g[from] - b.user), (unsigned long long)b.size,
            (void *)(uintptr_t)b.user);
  struct spy_fault f = { v, access_of(sig, uc), access_size_of(uc, addr), sig, 0 };
  char how[48], line[512];
  access_words(&f, how, sizeof how);
  size_t n = spy_fmt(line, sizeof line,
                     "heapspy: ERROR: %s on address %p: %s through a pointer read from %s "
                     "(%s = %p, --check's fill)%s (%s)\n",
                     spy_heap_kind_name(fills[k].kind),
                     (void *)(uintptr_t)(from < NGPR ? (uint64_t)g[from] : v), how,
                     fills[k].what, gpr[r], (void *)(uintptr_t)v, src,
                     sig == SIGSEGV ? "SIGSEGV" : "SIGBUS");
  ssize_t w = spy_silent ? 0 : write(2, line, n);
  (void)w;
  f.stack = spy_stack_from_context(uc);
  if (from < NGPR)
    spy_error_record_fault(fills[k].kind, b.user, b.size, (int32_t)(int64_t)((uint64_t)g[from] - b.user),
                           b.free_stack, b.alloc_stack, &f);
  else
    spy_error_record_fault(fills[k].kind, 0, 0, 0, 0, 0, &f);
  return 1;
}

void spy_crash_explain(int sig, const void *siginfo, const void *ucontext) {
  if ((sig != SIGSEGV && sig != SIGBUS) || !siginfo || !spy_hdr || spy_status != SPY_READY || spy_busy)
    return;
  const siginfo_t *si = siginfo;
  const ucontext_t *uc = ucontext;
  if (si->si_code <= 0) return;           /* sent by kill/raise: no address */
  uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
  spy_busy++;
  struct spy_near b;
  int guarded = spy_guard_find(addr, &b) || spy_gs_find(addr, &b);
  int found = guarded || spy_check_find_freed(addr, &b) || spy_crash_find_unmapped(addr, &b) ||
              live_near(addr, &b);
  if (!found) {
    explain_fill(sig, uc, addr);
    spy_busy--;
    return;
  }
  struct spy_fault f = { addr, access_of(sig, uc), access_size_of(uc, addr), sig, 0 };
  uint64_t end = b.user + b.size;
  unsigned kind;
  char where[96];
  if (addr >= b.user && (addr < end || (b.freed && addr == b.user))) {
    kind = b.freed ? HSP_ERR_USE_AFTER_FREE : HSP_ERR_BAD_ACCESS;
    spy_fmt(where, sizeof where, "%llu byte%s inside", (unsigned long long)(addr - b.user),
            addr - b.user == 1 ? "" : "s");
  } else if (addr >= end) {
    kind = b.freed ? HSP_ERR_USE_AFTER_FREE : HSP_ERR_HEAP_OVERFLOW;
    spy_fmt(where, sizeof where, "%llu byte%s past the end of", (unsigned long long)(addr - end),
            addr - end == 1 ? "" : "s");
  } else {
    kind = b.freed ? HSP_ERR_USE_AFTER_FREE : HSP_ERR_HEAP_UNDERFLOW;
    spy_fmt(where, sizeof where, "%llu byte%s before", (unsigned long long)(b.user - addr),
            b.user - addr == 1 ? "" : "s");
  }
  char how[48], line[512];
  access_words(&f, how, sizeof how);
  size_t n = spy_fmt(line, sizeof line,
                     "heapspy: ERROR: %s on address %p: %s, %s the %llu-byte block at %p%s (%s%s)\n",
                     spy_heap_kind_name(kind), (void *)(uintptr_t)addr, how, where,
                     (unsigned long long)b.size, (void *)(uintptr_t)b.user,
                     b.freed ? ", freed" : "", sig == SIGSEGV ? "SIGSEGV" : "SIGBUS",
                     guarded ? " on a guard page" : "");
  ssize_t w = spy_silent ? 0 : write(2, line, n);
  (void)w;
  f.stack = spy_stack_from_context(uc);
  spy_error_record_fault(kind, b.user, b.size, (int32_t)(int64_t)(addr - b.user), b.free_stack,
                         b.alloc_stack, &f);
  spy_busy--;
}
