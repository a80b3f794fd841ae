/*
 * spy_attach.c: the spy of `heapspy attach`, loaded late into a running
 * process (libheapspy-attach.so, which the process dlopen'd on heapspy's
 * behalf, src/inject/). No preload interposes anything here: the
 * allocation family is redirected by rewriting the GOT slots
 * (R_X86_64_JUMP_SLOT, R_X86_64_GLOB_DAT) that name it in every loaded
 * module but the spy, libc's own included, and in modules loaded later
 * (dlopen/dlmopen are redirected to re-run the patch). Detach writes
 * every slot's original value back, but with --guard-sample the free
 * side's (outlives_detach).
 *
 * Invariants:
 *  - each slot change is one aligned 8-byte store: a thread calling
 *    through it sees the old or the new function, never half of one;
 *  - a slot is recorded (with its original value) before it is changed,
 *    and never changed twice; RELRO pages are made writable for the store
 *    and read-only again;
 *  - after detach the spy is inert: the interceptors pass every call
 *    through (spy_status SPY_OFF), the library stays loaded (a thread may
 *    still be inside an interceptor, or hold its address).
 *
 * Must never: call malloc on its own behalf (the slot table is mmap'd),
 * hold patch_lock across the program's code, or redirect a module whose
 * allocator is not glibc's.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spy.h"
#include "spy_sample.h"
#include "spy_guard_sample.h"
#include "spy_scan.h"

int spy_attached;

/* Set by the library constructor (attach build): by then the library and
 * its dependencies are relocated. heapspy reads it from outside before it
 * calls heapspy_attach_begin: the library being mapped is not enough. */
SPY_EXPORT volatile int heapspy_attach_loaded;

/* The names redirected, and where to: filled once at attach. */
static const char *const family[] = {
  "malloc", "free", "calloc", "realloc", "reallocarray", "memalign", "posix_memalign",
  "aligned_alloc", "valloc", "pvalloc", "malloc_usable_size", "pthread_create", "dlclose",
  "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
  "_ZnamSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t",
  "_ZnamSt11align_val_tRKSt9nothrow_t", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
  "_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t", "_ZdlPvSt11align_val_t",
  "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
  "_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
  "dlopen", "dlmopen",
  /* --locks: spy_locks.c's interceptors */
  "pthread_mutex_lock", "pthread_mutex_timedlock", "pthread_mutex_clocklock",
  "pthread_mutex_trylock", "pthread_mutex_unlock", "pthread_mutex_destroy", "pthread_cond_wait",
  "pthread_cond_timedwait", "pthread_cond_clockwait", "pthread_rwlock_rdlock",
  "pthread_rwlock_wrlock", "pthread_rwlock_timedrdlock", "pthread_rwlock_timedwrlock",
  "pthread_rwlock_clockrdlock", "pthread_rwlock_clockwrlock", "pthread_rwlock_tryrdlock",
  "pthread_rwlock_trywrlock", "pthread_rwlock_unlock", "pthread_rwlock_destroy",
  "pthread_spin_lock", "pthread_spin_trylock", "pthread_spin_unlock", "pthread_spin_destroy",
};
#define NFAMILY (sizeof family / sizeof *family)
static uint64_t target[NFAMILY];       /* our function; 0: left alone */

struct slot {
  uint64_t *addr, orig;
  uint64_t relro_lo, relro_hi;         /* its module's RELRO pages */
};
#define MAX_SLOTS (1u << 16)
static struct slot *slots;             /* mmap'd, MAX_SLOTS */
static uint32_t nslots;
static uint32_t patch_lock;
static int detached;

static void *attach_dlopen(const char *file, int mode);
static void *attach_dlmopen(Lmid_t lm, const char *file, int mode);
static void patch_all(void);

void spy_attach_note_unknown(void) {
  __atomic_fetch_add(&spy_hdr->attach.frees_before, 1, __ATOMIC_RELAXED);
}

void spy_attach_free(void *p) {
  if (!spy_block_remove(p, NULL, NULL)) {
    spy_before_gone(p);
    spy_attach_note_unknown();
  }
  __libc_free(p);
}

/* A lock function: redirected only with --locks; a slot of one that is
 * not libc's is left alone rather than refusing the attach. */
static int lock_name(const char *n) {
  return !strncmp(n, "pthread_mutex_", 14) || !strncmp(n, "pthread_rwlock_", 15) ||
         !strncmp(n, "pthread_spin_", 13) || !strncmp(n, "pthread_cond_", 13);
}

/* 1 if the module of addr is named like lib (its basename starts so). */
static int in_library(const void *addr, const char *lib) {
  Dl_info di;
  if (!addr || !dladdr(addr, &di) || !di.dli_fname) return 0;
  const char *b = strrchr(di.dli_fname, '/');
  b = b ? b + 1 : di.dli_fname;
  return strncmp(b, lib, strlen(lib)) == 0;
}

/* What each name becomes: ours, found in our own library (dlsym on our
 * handle looks here first; a plain reference would bind to libc's).
 * Returns 0, or -1 if our library cannot be found. */
static int resolve_targets(void) {
  Dl_info self;
  if (!dladdr((void *)resolve_targets, &self) || !self.dli_fname) return -1;
  void *h = dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD);
  if (!h) return -1;
  for (unsigned i = 0; i < NFAMILY; i++) {
    if (!strcmp(family[i], "dlopen")) target[i] = (uint64_t)(uintptr_t)attach_dlopen;
    else if (!strcmp(family[i], "dlmopen")) target[i] = (uint64_t)(uintptr_t)attach_dlmopen;
    else if (lock_name(family[i]) && !spy_opt.locks) target[i] = 0;
    else target[i] = (uint64_t)(uintptr_t)dlsym(h, family[i]);
  }
  dlclose(h);                          /* RTLD_NOLOAD's reference only (nodelete) */
  return 0;
}

static int family_index(const char *name) {
  for (unsigned i = 0; i < NFAMILY; i++)
    if (!strcmp(family[i], name)) return (int)i;
  return -1;
}

static int recorded(const uint64_t *addr) {
  for (uint32_t i = 0; i < nslots; i++)
    if (slots[i].addr == addr) return 1;
  return 0;
}

/* One 8-byte store into a slot, through a RELRO page if it is one. */
static void store(uint64_t *addr, uint64_t v, uint64_t relro_lo, uint64_t relro_hi) {
  uintptr_t a = (uintptr_t)addr;
  int ro = a >= relro_lo && a < relro_hi;
  uintptr_t page = a & ~(uintptr_t)(getpagesize() - 1);
  if (ro && mprotect((void *)page, (size_t)getpagesize(), PROT_READ | PROT_WRITE) != 0) return;
  __atomic_store_n(addr, v, __ATOMIC_RELEASE);
  if (ro) mprotect((void *)page, (size_t)getpagesize(), PROT_READ);
}

struct dyn {
  const ElfW(Sym) *sym;
  const char *str;
  const ElfW(Rela) *rel[2];
  size_t relsz[2];
};

static uint64_t dyn_ptr(uint64_t v, uint64_t base) {
  return v < base ? v + base : v;      /* ld.so relocates most d_ptr in place */
}

static void read_dynamic(const ElfW(Dyn) *d, uint64_t base, struct dyn *out) {
  memset(out, 0, sizeof *out);
  for (; d->d_tag != DT_NULL; d++) {
    switch (d->d_tag) {
    case DT_SYMTAB: out->sym = (const void *)(uintptr_t)dyn_ptr(d->d_un.d_ptr, base); break;
    case DT_STRTAB: out->str = (const void *)(uintptr_t)dyn_ptr(d->d_un.d_ptr, base); break;
    case DT_JMPREL: out->rel[0] = (const void *)(uintptr_t)dyn_ptr(d->d_un.d_ptr, base); break;
    case DT_PLTRELSZ: out->relsz[0] = d->d_un.d_val; break;
    case DT_RELA: out->rel[1] = (const void *)(uintptr_t)dyn_ptr(d->d_un.d_ptr, base); break;
    case DT_RELASZ: out->relsz[1] = d->d_un.d_val; break;
    default: break;
    }
  }
}

/* The check pass (before anything is changed): every slot of the C
 * family already bound must point into glibc, of the C++ family into
 * libstdc++; a program (or a library before them) that defines its own
 * allocator keeps it: C++ operators are then left alone, a foreign malloc
 * refuses the attach. A slot not bound yet points into its own module. */
struct pass { int check, foreign_c, foreign_cxx; };

/* addr is a canonical PLT entry: a program built without -fPIE that
 * takes a function's address exports an undefined symbol with its PLT
 * stub as the value, and every module's pointer binds there; the stub
 * itself goes through the program's own slot, checked on its own. */
static int canonical_plt(const void *addr) {
  Dl_info di;
  void *extra = NULL;
  if (!dladdr1(addr, &di, &extra, RTLD_DL_SYMENT) || !extra) return 0;
  const ElfW(Sym) *sym = extra;
  return sym->st_shndx == SHN_UNDEF && di.dli_saddr == addr;
}

static void check_slot(struct pass *p, int f, uint64_t v, uint64_t mod_lo, uint64_t mod_hi) {
  if (v >= mod_lo && v < mod_hi) return;             /* lazy binding: its PLT stub */
  if (canonical_plt((void *)(uintptr_t)v)) return;
  const char *n = family[f];
  if (n[0] == '_') {
    if (!in_library((void *)(uintptr_t)v, "libstdc++.so")) p->foreign_cxx = 1;
  } else if (strcmp(n, "dlopen") && strcmp(n, "dlmopen") && strcmp(n, "dlclose") &&
             strcmp(n, "pthread_create") && !lock_name(n)) {
    if (!in_library((void *)(uintptr_t)v, "libc.so")) p->foreign_c = 1;
  }
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *ctx) {
  (void)size;
  struct pass *pass = ctx;
  uint64_t own = (uint64_t)(uintptr_t)module_cb, relro_lo = 0, relro_hi = 0;
  uint64_t mod_lo = UINT64_MAX, mod_hi = 0;
  const ElfW(Dyn) *dynamic = NULL;
  if (strstr(info->dlpi_name, "linux-vdso") || strstr(info->dlpi_name, "/ld-linux")) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (ph->p_type == PT_LOAD && own >= lo && own < hi) return 0;    /* the spy itself */
    if (ph->p_type == PT_LOAD && lo < mod_lo) mod_lo = lo;
    if (ph->p_type == PT_LOAD && hi > mod_hi) mod_hi = hi;
    if (ph->p_type == PT_DYNAMIC) dynamic = (const void *)(uintptr_t)lo;
    if (ph->p_type == PT_GNU_RELRO) {  /* the pages ld.so made read-only: whole ones */
      relro_lo = lo & ~(uint64_t)(getpagesize() - 1);
      relro_hi = hi & ~(uint64_t)(getpagesize() - 1);
    }
  }
  if (!dynamic) return 0;
  struct dyn d;
  read_dynamic(dynamic, info->dlpi_addr, &d);
  if (!d.sym || !d.str) return 0;
  int changed = 0;
  for (int t = 0; t < 2; t++) {
    for (size_t k = 0; d.rel[t] && k < d.relsz[t] / sizeof(ElfW(Rela)); k++) {
      const ElfW(Rela) *r = &d.rel[t][k];
      unsigned type = ELF64_R_TYPE(r->r_info), symi = ELF64_R_SYM(r->r_info);
      if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) || !symi) continue;
      int f = family_index(d.str + d.sym[symi].st_name);
      if (f < 0 || !target[f]) continue;
      uint64_t *addr = (uint64_t *)(uintptr_t)(info->dlpi_addr + r->r_offset);
      if (pass && pass->check) {
        check_slot(pass, f, __atomic_load_n(addr, __ATOMIC_ACQUIRE), mod_lo, mod_hi);
        continue;
      }
      if (recorded(addr) || nslots == MAX_SLOTS) continue;
      slots[nslots].addr = addr;
      slots[nslots].orig = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
      slots[nslots].relro_lo = relro_lo;
      slots[nslots].relro_hi = relro_hi;
      nslots++;
      store(addr, target[f], relro_lo, relro_hi);
      changed = 1;
    }
  }
  if (changed) spy_hdr->attach.modules_patched++;
  return 0;
}

/* Redirects the family in every module loaded now (and not yet done). */
static void patch_all(void) {
  spy_lock(&patch_lock);
  if (!detached) {
    dl_iterate_phdr(module_cb, NULL);
    spy_hdr->attach.slots_patched = nslots;
  }
  spy_unlock(&patch_lock);
}

/* dlopen while attached: the module (and what it brought) is patched
 * before the caller can use it; its constructors ran unpatched, so frees
 * of what they allocated count as "before attach". */
/* patch_all with this thread marked as inside the spy: a detach request
 * arriving meanwhile (its signal handler would take patch_lock, which
 * this thread holds) is served on the way out instead. */
static void patch_all_busy(void) {
  spy_busy++;
  patch_all();
  spy_leave();
}

static void *attach_dlopen(const char *file, int mode) {
  void *h = dlopen(file, mode);
  if (h && spy_status == SPY_READY) patch_all_busy();
  return h;
}

static void *attach_dlmopen(Lmid_t lm, const char *file, int mode) {
  void *h = dlmopen(lm, file, mode);
  if (h && spy_status == SPY_READY) patch_all_busy();
  return h;
}

/* Called by heapspy (src/inject/) on one thread of the process, stopped
 * at a safe point: no frame of it inside the allocator, the dynamic
 * loader or fork. options: HEAPSPY_OPTIONS' syntax (the profile, already
 * created by heapspy: profile_id). Returns 0, or -1 (the CLI finds out
 * from the profile's header: HSP_FLAG_ATTACHED, slots_patched). */
SPY_EXPORT int heapspy_attach_begin(const char *options) {
  if (spy_status != SPY_UNINIT) return -1;
  slots = mmap(NULL, MAX_SLOTS * sizeof *slots, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (slots == MAP_FAILED) return -1;
  spy_attached = 1;
  spy_silent = 1;                      /* the program's stderr is its own */
  if (spy_start(options) < 0) return -1;
  spy_hdr->flags |= HSP_FLAG_ATTACHED;
  if (spy_opt.before[0]) spy_before_load(spy_opt.before);   /* else: no census, none known */
  struct pass check = { 1, 0, 0 };
  int ok = spy_hdr->snapshot_signal && resolve_targets() == 0;
  if (ok) dl_iterate_phdr(module_cb, &check);
  if (!ok || check.foreign_c) {
    spy_status = SPY_OFF;              /* no way to detach, or not glibc's malloc */
    spy_sample_gate_update();
    spy_uninstall_handlers();
    __atomic_store_n(&spy_hdr->state, HSP_STATE_DETACHED, __ATOMIC_RELEASE);
    return -1;
  }
  for (unsigned i = 0; check.foreign_cxx && i < NFAMILY; i++)
    if (family[i][0] == '_') target[i] = 0;
  patch_all_busy();
  return 0;
}

/* With --guard-sample, blocks in guard slots outlive detach: glibc must
 * never be handed one, so the slots of what frees, reallocates or sizes
 * a block stay redirected to the (then inert) interceptors, which give a
 * slot's block back to its slot and pass every other call to glibc. */
static int outlives_detach(uint64_t v) {
  static const char *const release[] = { "free", "realloc", "reallocarray", "malloc_usable_size" };
  if (!spy_gs_on || !v) return 0;
  for (unsigned f = 0; f < NFAMILY; f++) {
    if (target[f] != v) continue;
    if (!strncmp(family[f], "_ZdlPv", 6) || !strncmp(family[f], "_ZdaPv", 6)) return 1;
    for (unsigned r = 0; r < sizeof release / sizeof *release; r++)
      if (!strcmp(family[f], release[r])) return 1;
  }
  return 0;
}

/* Detach, on the thread serving the request (spy_client.c), after the
 * last mark was recorded: every slot back as it was, then the spy goes
 * inert. Threads already inside an interceptor finish their call
 * normally: nothing they use is taken away. */
void spy_attach_end(void) {
  spy_lock(&patch_lock);
  if (!detached) {
    detached = 1;
    for (uint32_t i = nslots; i-- > 0;)
      if (!outlives_detach(*slots[i].addr))
        store(slots[i].addr, slots[i].orig, slots[i].relro_lo, slots[i].relro_hi);
  }
  spy_unlock(&patch_lock);
  __atomic_store_n(&spy_status, SPY_OFF, __ATOMIC_SEQ_CST);
  spy_sample_gate_update();
  spy_uninstall_handlers();
  spy_blocks_settle();                 /* this thread's pending table operations */
  spy_stacks_flush_counts();
  spy_hdr->attach.detach_t_ms = spy_now_ms();
  spy_hdr->duration_ms = spy_now_ms();
  __atomic_store_n(&spy_hdr->state, HSP_STATE_DETACHED, __ATOMIC_RELEASE);
}
