/*
 * spy_modules.c: record every module (executable, shared object, vdso)
 * with its load bias, extent and GNU build-id, so profiles can be
 * symbolized later and on another machine. Records are appended, never
 * removed: a module dlclose'd during the run keeps its name.
 *
 * Lookups (spy_module_known) are lock-free over an append-only list.
 * Scans run inside dl_iterate_phdr, which holds the loader's lock for the
 * whole walk: that lock is what serializes writers here. Taking a lock of
 * our own around it would deadlock against a thread allocating inside
 * dlopen.
 *
 * Must never: call dlopen/dladdr or allocate from the heap.
 */
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "spy.h"

#define MAX_RANGES 4096

/* In-process copy of the extents for fast lookups. */
static struct { uint64_t start, end; } ranges[MAX_RANGES];
static unsigned nranges;               /* published with release */
static unsigned long long last_adds;
static uint64_t *tail_next;            /* where to link the next record */

int spy_module_known(uint64_t pc) {
  unsigned n = __atomic_load_n(&nranges, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < n; i++)
    if (pc >= ranges[i].start && pc < ranges[i].end) return 1;
  return 0;
}

static int known_exact(uint64_t start, uint64_t end) {
  for (unsigned i = 0; i < nranges; i++)
    if (ranges[i].start == start && ranges[i].end == end) return 1;
  return 0;
}

static size_t find_build_id(const struct dl_phdr_info *info, uint8_t *out) {
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
    const char *end = p + ph->p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
      const char *name = p + sizeof *nh;
      const char *desc = name + ((nh->n_namesz + 3) & ~3u);
      if (desc + nh->n_descsz > end) break;
      if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
          memcmp(name, "GNU", 4) == 0) {
        size_t n = nh->n_descsz > 40 ? 40 : nh->n_descsz;
        memcpy(out, desc, n);
        return n;
      }
      p = desc + ((nh->n_descsz + 3) & ~3u);
    }
  }
  return 0;
}

static int scan_one(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  int *first = data;
  if (!tail_next) tail_next = &spy_hdr->modules_off;
  if (*first) {
    *first = 0;
    if (info->dlpi_adds == last_adds) return 1;  /* nothing new loaded */
    last_adds = info->dlpi_adds;
  }
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uint64_t s = info->dlpi_addr + ph->p_vaddr;
    if (s < lo) lo = s;
    if (s + ph->p_memsz > hi) hi = s + ph->p_memsz;
  }
  if (hi == 0 || known_exact(lo, hi) || nranges >= MAX_RANGES) return 0;

  char exe[512];
  const char *path = info->dlpi_name;
  if (!path || !*path) {               /* the main program */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    path = exe;
  }
  /* `heapspy attach`'s copy of the spy, loaded through a descriptor of
   * heapspy's (/proc/PID/fd/N): no one can open that file later */
  if (!strncmp(path, "/proc/", 6) && strstr(path, "/fd/")) return 0;
  size_t plen = strlen(path);
  uint64_t off;
  struct hsp_module *m = spy_arena_alloc(sizeof *m + plen + 1, &off);
  if (!m) return 1;
  m->base = info->dlpi_addr;
  m->start = lo;
  m->end = hi;
  m->build_id_len = (uint32_t)find_build_id(info, m->build_id);
  m->path_len = (uint16_t)plen;
  memcpy(m->path, path, plen + 1);
  __atomic_store_n(tail_next, off, __ATOMIC_RELEASE);
  tail_next = &m->next_off;
  ranges[nranges].start = lo;
  ranges[nranges].end = hi;
  __atomic_store_n(&nranges, nranges + 1, __ATOMIC_RELEASE);
  return 0;
}

void spy_modules_scan(void) {
  int first = 1;
  dl_iterate_phdr(scan_one, &first);
}
