/*
 * glibc_libc.c: which allocator a target uses, which glibc, and where its
 * main_arena is (see glibc_heap.h).
 *
 * - Another allocator (jemalloc, tcmalloc, mimalloc...) is recognized by
 *   its module name among the mappings; no libc.so.6 mapped means a
 *   static program or another C library (musl is named when mapped).
 * - The version is the "GNU C Library ... release version X.Y" banner in
 *   the libc file that is mapped. Exactly 2.36 is read; anything else is
 *   refused in one line.
 * - main_arena and mp_ are symbols of libc's separate debug file
 *   (/usr/lib/debug/.build-id/xx/rest.debug, Debian's libc6-dbg); without
 *   it (or with no_debuginfo) main_arena is found by a validated search
 *   of libc's writable data: a malloc_state whose 127 bins are each
 *   either empty (fd == bk == the bin itself) or two chunk pointers,
 *   whose `next` ring returns to it within 1024 arenas and whose top is
 *   the initial bin or a chunk in a mapping.
 * - The TLS offsets of every TPOFF64 relocation of libc are kept: the
 *   walker finds which one is `tcache` (and `thread_arena`) by what the
 *   threads hold there (the debug file names them when present).
 *
 * Must never: accept a candidate arena that does not validate, or a
 * version it cannot read.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/glibc_heap.h"
#include "inspect/glibc_layout.h"

static const char *base(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* Another allocator's module name, or NULL. */
static const char *other_allocator(const char *name) {
  static const char *const known[][2] = {
    { "libjemalloc", "jemalloc" }, { "libtcmalloc", "tcmalloc" }, { "libmimalloc", "mimalloc" },
    { "libhoard", "Hoard" }, { "libsnmalloc", "snmalloc" }, { "libtbbmalloc", "TBB malloc" },
    { "librpmalloc", "rpmalloc" },
  };
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (!strncmp(name, known[i][0], strlen(known[i][0]))) return known[i][1];
  return NULL;
}

/* Opens the file mapped as path: itself, else through /proc/PID/root. */
static int open_mapped(const struct hs_target *t, const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 || t->kind != HS_TARGET_LIVE) return fd;
  char alt[1200];
  snprintf(alt, sizeof alt, "/proc/%d/root%s", (int)t->pid, path);
  return open(alt, O_RDONLY | O_CLOEXEC);
}

/* The banner and version from libc's file; 0 or -1. */
static int read_version(int fd, struct hs_libc *l) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > (256 << 20)) return -1;
  char *buf = hs_xmalloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  buf[got] = 0;
  int ok = -1;
  static const char key[] = "GNU C Library ";
  for (char *p = memmem(buf, got, key, sizeof key - 1); p;
       p = memmem(p + 1, got - (size_t)(p + 1 - buf), key, sizeof key - 1)) {
    char *v = memmem(p, got - (size_t)(p - buf) < 200 ? got - (size_t)(p - buf) : 200,
                     "version ", 8);
    if (!v) continue;
    size_t n = strnlen(p, 159);
    snprintf(l->banner, sizeof l->banner, "%.*s", (int)n, p);
    l->banner[strcspn(l->banner, "\n")] = 0;
    v += 8;
    size_t k = 0;
    while (k < sizeof l->version - 1 && ((v[k] >= '0' && v[k] <= '9') || v[k] == '.')) k++;
    while (k && v[k - 1] == '.') k--;
    memcpy(l->version, v, k);
    l->version[k] = 0;
    if (k) {
      ok = 0;
      break;
    }
  }
  free(buf);
  return ok;
}

/* Build-id of an ELF file as hex; 0 or -1. */
static int build_id_hex(Elf *elf, char *hex, size_t len) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d) continue;
    size_t off = 0, noff, doff;
    GElf_Nhdr nh;
    while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
      if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
          memcmp((char *)d->d_buf + noff, "GNU", 4))
        continue;
      if (nh.n_descsz * 2 + 1 > len) return -1;
      const unsigned char *b = (const unsigned char *)d->d_buf + doff;
      for (size_t i = 0; i < nh.n_descsz; i++) sprintf(hex + 2 * i, "%02x", b[i]);
      return 0;
    }
  }
  return -1;
}

uint64_t hs_elf_first_load(Elf *elf) {
  size_t n;
  if (elf_getphdrnum(elf, &n) != 0) return 0;
  for (size_t i = 0; i < n; i++) {
    GElf_Phdr ph;
    if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) return ph.p_vaddr & ~0xfffull;
  }
  return 0;
}

/* TPOFF64 relocations without a symbol (libc's own initial-exec TLS):
 * their GOT slots and addends. */
static void tls_relocs(Elf *elf, struct hs_libc *l) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d) continue;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n && l->ntls < HS_LIBC_MAX_TLS; i++) {
      GElf_Rela r;
      if (!gelf_getrela(d, (int)i, &r)) continue;
      if (GELF_R_TYPE(r.r_info) != R_X86_64_TPOFF64 || GELF_R_SYM(r.r_info) != 0) continue;
      l->tls[l->ntls].got = r.r_offset;
      l->tls[l->ntls].addend = (uint64_t)r.r_addend;
      l->ntls++;
    }
  }
}

/* Symbols of the debug file: main_arena, mp_, and the TLS offsets of
 * tcache and thread_arena. 0 if main_arena was found. */
static int debug_symbols(const char *path, struct hs_libc *l) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  int found = -1;
  Elf_Scn *scn = NULL;
  while (elf && (scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d) continue;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; i++) {
      GElf_Sym s;
      if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF) continue;
      const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
      if (!name) continue;
      int type = GELF_ST_TYPE(s.st_info);
      if (type == STT_OBJECT && !strcmp(name, "main_arena") && s.st_size == HS_MSTATE_SIZE) {
        l->main_arena = l->bias + s.st_value;
        found = 0;
      } else if (type == STT_OBJECT && !strcmp(name, "mp_") && s.st_size == HS_MP_SIZE) {
        l->mp = l->bias + s.st_value;
      } else if (type == STT_TLS && !strcmp(name, "tcache")) {
        l->tcache_sym = s.st_value;
        l->have_tcache_sym = 1;
      } else if (type == STT_TLS && !strcmp(name, "thread_arena")) {
        l->arena_sym = s.st_value;
        l->have_arena_sym = 1;
      }
    }
  }
  if (elf) elf_end(elf);
  close(fd);
  return found;
}

/* ---- the structural search ---------------------------------------------- */

/* 1 if the malloc_state image at buf (address a) has self-consistent bins. */
static int bins_ok(const uint8_t *buf, uint64_t a) {
  const uint64_t *bins = (const uint64_t *)(buf + HS_MS_BINS);
  int empty = 0;
  for (int i = 0; i < HS_NBINS; i++) {
    uint64_t self = a + HS_MS_BINS + 16 * (uint64_t)i - 16;
    uint64_t fd = bins[2 * i], bk = bins[2 * i + 1];
    if (fd == self && bk == self) {
      empty++;
      continue;
    }
    if (fd == self || bk == self || !fd || !bk || (fd & 15) || (bk & 15)) return 0;
  }
  return empty >= 1;
}

/* 1 if the next ring from a returns to a through valid arenas. */
static int ring_ok(struct hs_target *t, uint64_t a, uint64_t next) {
  uint64_t cur = next;
  for (int i = 0; i < 1024; i++) {
    if (cur == a) return 1;
    if (!cur || (cur & 7)) return 0;
    uint8_t img[HS_MSTATE_SIZE];
    if (hs_target_read(t, cur, img, sizeof img) != sizeof img || !bins_ok(img, cur)) return 0;
    memcpy(&cur, img + HS_MS_NEXT, 8);
  }
  return 0;
}

int hs_libc_search_arena(struct hs_target *t, struct hs_libc *l) {
  /* libc's writable mappings and the anonymous one right after (.bss) */
  for (size_t i = 0; i < t->nmaps; i++) {
    const struct hs_tmap *m = &t->maps[i];
    int libc_rw = !strcmp(m->path, l->path) && m->perms[1] == 'w';
    int bss = !m->path[0] && i && !strcmp(t->maps[i - 1].path, l->path) &&
              t->maps[i - 1].perms[1] == 'w' && t->maps[i - 1].end == m->start &&
              m->perms[1] == 'w';
    if (!libc_rw && !bss) continue;
    size_t len = (size_t)(m->end - m->start);
    if (len > (64u << 20)) continue;
    uint8_t *buf = hs_xmalloc(len);
    size_t got = hs_target_read(t, m->start, buf, len);
    for (size_t off = 0; off + HS_MSTATE_SIZE <= got; off += 8) {
      uint64_t a = m->start + off, next, top, sysmem;
      memcpy(&next, buf + off + HS_MS_NEXT, 8);
      if (!next || (next & 7)) continue;
      if (!bins_ok(buf + off, a)) continue;
      memcpy(&top, buf + off + HS_MS_TOP, 8);
      memcpy(&sysmem, buf + off + HS_MS_SYSTEM_MEM, 8);
      uint64_t initial_top = a + HS_MS_BINS - 16;
      if (top != initial_top && ((top & 15) || !hs_target_map(t, top))) continue;
      if (sysmem & 0xfff) continue;
      if (next != a && !ring_ok(t, a, next)) continue;
      l->main_arena = a;
      free(buf);
      return 0;
    }
    free(buf);
  }
  return -1;
}

enum hs_libc_status hs_libc_locate(struct hs_target *t, int no_debuginfo, struct hs_libc *l,
                                   char *msg, size_t len) {
  memset(l, 0, sizeof *l);
  const struct hs_tmap *libc = NULL;
  int musl = 0;
  for (size_t i = 0; i < t->nmaps; i++) {
    const char *b = base(t->maps[i].path);
    if (t->maps[i].path[0] != '/') continue;
    const char *other = other_allocator(b);
    if (other) {
      snprintf(msg, len, "%s %d uses %s (%s is loaded), not glibc's malloc; heapspy heap reads "
               "glibc's heap only", t->kind == HS_TARGET_CORE ? "the process of the core" : "process",
               (int)t->pid, other, b);
      return HS_LIBC_OTHER_ALLOC;
    }
    if (!strcmp(b, "libc.so.6") && (!libc || t->maps[i].offset == 0)) {
      if (!libc || t->maps[i].offset == 0) libc = &t->maps[i];
    }
    if (!strncmp(b, "ld-musl", 7) || !strncmp(b, "libc.musl", 9)) musl = 1;
  }
  if (!libc) {
    if (musl)
      snprintf(msg, len, "process %d uses musl libc, not glibc; heapspy heap reads glibc's heap only",
               (int)t->pid);
    else
      snprintf(msg, len, "process %d has no glibc (libc.so.6 is not mapped): a statically linked "
               "program or another C library; heapspy heap reads glibc's heap only", (int)t->pid);
    return HS_LIBC_NONE;
  }
  snprintf(l->path, sizeof l->path, "%s", libc->path);
  int fd = open_mapped(t, l->path);
  if (fd < 0) {
    snprintf(msg, len, "cannot open %s (the libc of process %d): %s", l->path, (int)t->pid,
             strerror(errno));
    return HS_LIBC_VERSION;
  }
  if (read_version(fd, l) != 0) {
    close(fd);
    snprintf(msg, len, "cannot find the glibc version in %s (process %d); heapspy heap reads "
             "glibc 2.36", l->path, (int)t->pid);
    return HS_LIBC_VERSION;
  }
  if (strcmp(l->version, HS_GLIBC_VERSION)) {
    close(fd);
    snprintf(msg, len, "glibc %s in process %d is not supported (this heapspy reads glibc %s)",
             l->version, (int)t->pid, HS_GLIBC_VERSION);
    return HS_LIBC_VERSION;
  }
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  char hex[128] = "";
  if (elf) {
    uint64_t lowest = libc->start;
    for (size_t i = 0; i < t->nmaps; i++)
      if (!strcmp(t->maps[i].path, l->path) && t->maps[i].offset == 0) {
        lowest = t->maps[i].start;
        break;
      }
    l->bias = lowest - hs_elf_first_load(elf);
    build_id_hex(elf, hex, sizeof hex);
    tls_relocs(elf, l);
    elf_end(elf);
  }
  close(fd);
  if (!no_debuginfo && hex[0]) {
    snprintf(l->debugfile, sizeof l->debugfile, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex,
             hex + 2);
    if (debug_symbols(l->debugfile, l) == 0) {
      l->from_debuginfo = 1;
      return HS_LIBC_OK;
    }
    l->debugfile[0] = 0;
  }
  if (hs_libc_search_arena(t, l) == 0) return HS_LIBC_OK;
  snprintf(msg, len, "cannot find glibc's main_arena in process %d (no debug info for %s, and "
           "no valid malloc_state in its data)", (int)t->pid, l->path);
  return HS_LIBC_NO_ARENA;
}
