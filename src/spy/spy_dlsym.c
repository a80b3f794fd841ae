/*
 * spy_dlsym.c: dlsym for names that may be missing (libstdc++'s operators
 * in a C program), without ever leaving dlerror state behind.
 *
 * A failed dlsym keeps a message that only dlerror() frees, and dlerror
 * translates it through gettext, which takes glibc's locale lock to read.
 * The spy starts at the program's first malloc, which may come from
 * inside setlocale or newlocale, holding that lock to write: the read
 * lock then fails with EDEADLK, its unlock runs anyway, and the lock's
 * count is broken for good; the program's next setlocale waits forever
 * (curl, whose libp11-kit calls newlocale from its constructor). So a
 * name is first looked up in the loaded objects' own symbol tables (GNU
 * hash: every object Debian builds has one; an object with only the old
 * SysV table counts as not defining it), and dlsym is only asked for a
 * name that is there.
 *
 * Must never: call dlerror, or dlsym for a name no object defines.
 */
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "spy.h"

struct want {
  const char *name;
  uint32_t hash;
  uint64_t skip;                       /* an address inside the object to leave out, or 0 */
  int found;
};

static uint32_t gnu_hash(const char *s) {
  uint32_t h = 5381;
  for (; *s; s++) h = h * 33 + (unsigned char)*s;
  return h;
}

static uint64_t dyn_ptr(uint64_t v, uint64_t base) {
  return v < base ? v + base : v;      /* ld.so relocates d_ptr in place, except the vDSO's */
}

/* Does the object hold addr in one of its loaded segments? */
static int holds(const struct dl_phdr_info *info, uint64_t addr) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *p = &info->dlpi_phdr[i];
    uint64_t lo = info->dlpi_addr + p->p_vaddr;
    if (p->p_type == PT_LOAD && addr >= lo && addr < lo + p->p_memsz) return 1;
  }
  return 0;
}

static int look_in(struct dl_phdr_info *info, size_t size, void *arg) {
  struct want *w = arg;
  (void)size;
  if (w->skip && holds(info, w->skip)) return 0;
  const ElfW(Dyn) *d = NULL;
  for (int i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      d = (const ElfW(Dyn) *)(uintptr_t)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  const uint32_t *gh = NULL;
  const ElfW(Sym) *sym = NULL;
  const char *str = NULL;
  for (; d && d->d_tag != DT_NULL; d++) {
    uint64_t v = dyn_ptr(d->d_un.d_ptr, info->dlpi_addr);
    if (d->d_tag == DT_GNU_HASH) gh = (const uint32_t *)(uintptr_t)v;
    else if (d->d_tag == DT_SYMTAB) sym = (const ElfW(Sym) *)(uintptr_t)v;
    else if (d->d_tag == DT_STRTAB) str = (const char *)(uintptr_t)v;
  }
  if (!gh || !sym || !str || !gh[0] || !gh[2]) return 0;
  uint32_t nbuckets = gh[0], first = gh[1], nbloom = gh[2], shift = gh[3], h = w->hash;
  const uint64_t *bloom = (const uint64_t *)(gh + 4);
  const uint32_t *buckets = (const uint32_t *)(bloom + nbloom), *chain = buckets + nbuckets;
  uint64_t mask = 1ull << (h % 64) | 1ull << ((h >> shift) % 64);
  if ((bloom[(h / 64) % nbloom] & mask) != mask) return 0;
  for (uint32_t i = buckets[h % nbuckets]; i >= first; i++) {
    uint32_t ch = chain[i - first];
    if ((ch | 1) == (h | 1) && sym[i].st_shndx != SHN_UNDEF && !strcmp(str + sym[i].st_name, w->name)) {
      w->found = 1;
      return 1;
    }
    if (ch & 1) break;                 /* the chain's last */
  }
  return 0;
}

void *spy_dlsym_if_defined(void *handle, const char *name) {
  struct want w = { name, gnu_hash(name), 0, 0 };
  if (handle == RTLD_NEXT) w.skip = (uint64_t)(uintptr_t)&look_in;   /* not ours */
  dl_iterate_phdr(look_in, &w);
  return w.found ? dlsym(handle, name) : NULL;
}
