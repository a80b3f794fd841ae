/*
 * target_core.c: target memory of an ELF core file (see target.h): the
 * PT_LOAD segments are the memory, NT_FILE names the file behind each
 * mapping (a read-only file page the core left out is read from that
 * file), one NT_PRSTATUS per thread gives its pid and registers.
 *
 * Must never: trust a size or offset of the core (each is checked
 * against the file), or read a segment beyond what the core holds.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/target.h"

#define MAX_NOTES (64u << 20)
#define PRSTATUS_PID 32            /* x86-64 struct elf_prstatus: pr_pid */
#define PRSTATUS_REG 112           /* pr_reg: struct user_regs_struct */

struct nfile { uint64_t start, end, off; const char *name; };

static int cmp_map(const void *a, const void *b) {
  uint64_t x = ((const struct hs_tmap *)a)->start, y = ((const struct hs_tmap *)b)->start;
  return x < y ? -1 : x > y;
}

/* Parses one PT_NOTE segment's notes. */
static void notes(struct hs_target *t, const uint8_t *p, size_t len, struct nfile **files,
                  size_t *nfiles, char **names) {
  size_t off = 0;
  while (off + 12 <= len) {
    uint32_t namesz, descsz, type;
    memcpy(&namesz, p + off, 4);
    memcpy(&descsz, p + off + 4, 4);
    memcpy(&type, p + off + 8, 4);
    size_t name_off = off + 12, desc_off = name_off + ((namesz + 3) & ~3u);
    if (desc_off > len || descsz > len - desc_off) break;
    const uint8_t *d = p + desc_off;
    if (type == NT_PRSTATUS && descsz >= PRSTATUS_REG + 27 * 8) {
      t->threads = hs_xrealloc(t->threads, (t->nthreads + 1) * sizeof *t->threads);
      struct hs_tthread *th = &t->threads[t->nthreads++];
      memset(th, 0, sizeof *th);
      int32_t pid;
      memcpy(&pid, d + PRSTATUS_PID, 4);
      th->tid = pid;
      memcpy(th->regs, d + PRSTATUS_REG, sizeof th->regs);
      th->have_regs = 1;
      if (t->nthreads == 1) t->pid = pid;
    } else if (type == 0x46494c45 /* NT_FILE */ && descsz >= 16 && !*files) {
      uint64_t count, page;
      memcpy(&count, d, 8);
      memcpy(&page, d + 8, 8);
      if (count > (descsz - 16) / 24) count = 0;
      *files = hs_xcalloc(count + 1, sizeof **files);
      const char *s = (const char *)d + 16 + count * 24, *end = (const char *)d + descsz;
      *names = hs_xmalloc((size_t)(end - s) + 1);
      memcpy(*names, s, (size_t)(end - s));
      (*names)[end - s] = 0;
      const char *q = *names, *qend = *names + (end - s);
      for (uint64_t i = 0; i < count && q < qend; i++) {
        struct nfile *f = &(*files)[(*nfiles)++];
        memcpy(&f->start, d + 16 + i * 24, 8);
        memcpy(&f->end, d + 16 + i * 24 + 8, 8);
        memcpy(&f->off, d + 16 + i * 24 + 16, 8);
        f->off *= page;
        f->name = q;
        q += strlen(q) + 1;
      }
    }
    off = desc_off + ((descsz + 3) & ~3u);
  }
}

/* The permissions ("r-xp") of the segment of ELF file path that holds
 * file offset off; 0, or -1 when the file or no segment says. */
/* Why a program header cannot be a real core's (NULL if it can): no
 * file holds 2^48 bytes and no x86-64 mapping spans 2^57 (5-level paging),
 * so a value past these is damage, not truncation. */
#define MAX_FILE_OFFSET (1ull << 48)
#define MAX_MAPPING (1ull << 57)
static const char *implausible(const Elf64_Phdr *ph) {
  if (ph->p_offset > MAX_FILE_OFFSET || ph->p_filesz > MAX_FILE_OFFSET)
    return "places its bytes beyond any file";
  if (ph->p_type != PT_LOAD) return NULL;
  if (ph->p_memsz > MAX_MAPPING || ph->p_vaddr + ph->p_memsz < ph->p_vaddr)
    return "maps memory outside any process's address space";
  if (ph->p_filesz > ph->p_memsz) return "holds more bytes than the memory it maps";
  return NULL;
}

static int file_perms(const char *path, uint64_t off, char perms[5]) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  Elf64_Ehdr eh;
  int r = -1;
  if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
      eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum < 4096) {
    for (int i = 0; i < eh.e_phnum && r; i++) {
      Elf64_Phdr ph;
      if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph) break;
      uint64_t lo = ph.p_offset & ~0xfffull;
      if (ph.p_type != PT_LOAD || off < lo || off >= ph.p_offset + ph.p_filesz) continue;
      perms[0] = ph.p_flags & PF_R ? 'r' : '-';
      perms[1] = ph.p_flags & PF_W ? 'w' : '-';
      perms[2] = ph.p_flags & PF_X ? 'x' : '-';
      perms[3] = 'p';
      perms[4] = 0;
      r = 0;
    }
  }
  close(fd);
  return r;
}

int hs_target_open_core(struct hs_target *t, const char *path, const char *exe, char *err,
                        size_t errlen) {
  memset(t, 0, sizeof *t);
  t->kind = HS_TARGET_CORE;
  t->fd = -1;
  t->pagemap_fd = -1;
  snprintf(t->path, sizeof t->path, "%s", path);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  t->fd = fd;
  t->core_size = (uint64_t)st.st_size;
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_CORE) {
    snprintf(err, errlen, "%s is not an ELF core file", path);
    return -1;
  }
  if (eh.e_machine != EM_X86_64) {
    snprintf(err, errlen, "%s is not an x86-64 core (this heapspy reads x86-64 glibc heaps)", path);
    return -1;
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > t->core_size) {
    snprintf(err, errlen, "core file %s is truncated: its program headers are cut off", path);
    return -1;
  }
  Elf64_Phdr *ph = hs_xmalloc(eh.e_phnum * sizeof *ph);
  if (pread(fd, ph, eh.e_phnum * sizeof *ph, (off_t)eh.e_phoff) != (ssize_t)(eh.e_phnum * sizeof *ph)) {
    free(ph);
    snprintf(err, errlen, "core file %s is truncated: its program headers are cut off", path);
    return -1;
  }
  for (int i = 0; i < eh.e_phnum; i++) {
    const char *why = implausible(&ph[i]);
    if (why) {
      snprintf(err, errlen, "core file %s is corrupt: program header %d %s", path, i, why);
      free(ph);
      return -1;
    }
  }
  uint64_t need = 0;
  struct nfile *files = NULL;
  size_t nfiles = 0;
  char *names = NULL;
  for (int i = 0; i < eh.e_phnum; i++) {
    if (ph[i].p_filesz && ph[i].p_offset + ph[i].p_filesz > need) need = ph[i].p_offset + ph[i].p_filesz;
    if (ph[i].p_type == PT_NOTE && ph[i].p_filesz <= MAX_NOTES &&
        ph[i].p_offset + ph[i].p_filesz <= t->core_size) {
      uint8_t *n = hs_xmalloc(ph[i].p_filesz);
      if (pread(fd, n, ph[i].p_filesz, (off_t)ph[i].p_offset) == (ssize_t)ph[i].p_filesz)
        notes(t, n, ph[i].p_filesz, &files, &nfiles, &names);
      free(n);
    }
  }
  if (need > t->core_size) {
    snprintf(err, errlen, "core file %s is truncated: it has %llu bytes, its segments need %llu",
             path, (unsigned long long)t->core_size, (unsigned long long)need);
    free(ph);
    free(files);
    free(names);
    return -1;
  }
  for (int i = 0; i < eh.e_phnum; i++) {
    if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz) continue;
    t->maps = hs_xrealloc(t->maps, (t->nmaps + 1) * sizeof *t->maps);
    struct hs_tmap *m = &t->maps[t->nmaps++];
    memset(m, 0, sizeof *m);
    m->start = ph[i].p_vaddr;
    m->end = ph[i].p_vaddr + ph[i].p_memsz;
    m->perms[0] = ph[i].p_flags & PF_R ? 'r' : '-';
    m->perms[1] = ph[i].p_flags & PF_W ? 'w' : '-';
    m->perms[2] = ph[i].p_flags & PF_X ? 'x' : '-';
    m->perms[3] = 'p';
    m->core_off = ph[i].p_offset;
    m->core_len = ph[i].p_filesz;
    const char *name = "";
    for (size_t k = 0; k < nfiles; k++)
      if (files[k].start <= m->start && m->start < files[k].end) {
        name = files[k].name;
        m->offset = files[k].off + (m->start - files[k].start);
        break;
      }
    m->path = hs_xstrdup(name);
  }
  /* File mappings the core left out entirely (gcore omits a module's code
   * and read-only data): kept as mappings with no bytes in the core, read
   * from the file, with the permissions of the module's own segment. */
  for (size_t k = 0; k < nfiles; k++) {
    int covered = 0;
    for (size_t i = 0; i < t->nmaps && !covered; i++)
      covered = t->maps[i].start < files[k].end && t->maps[i].end > files[k].start;
    char perms[5];
    if (covered || file_perms(files[k].name, files[k].off, perms) != 0) continue;
    t->maps = hs_xrealloc(t->maps, (t->nmaps + 1) * sizeof *t->maps);
    struct hs_tmap *m = &t->maps[t->nmaps++];
    memset(m, 0, sizeof *m);
    m->start = files[k].start;
    m->end = files[k].end;
    m->offset = files[k].off;
    memcpy(m->perms, perms, sizeof m->perms);
    m->path = hs_xstrdup(files[k].name);
  }
  qsort(t->maps, t->nmaps, sizeof *t->maps, cmp_map);
  for (size_t k = 0; k < nfiles; k++) {
    int seen = 0;
    for (size_t i = 0; i < t->nfiles && !seen; i++) seen = !strcmp(t->files[i], files[k].name);
    if (seen) continue;
    t->files = hs_xrealloc(t->files, (t->nfiles + 1) * sizeof *t->files);
    t->files[t->nfiles++] = hs_xstrdup(files[k].name);
  }
  if (exe) snprintf(t->exe, sizeof t->exe, "%s", exe);
  else if (nfiles) snprintf(t->exe, sizeof t->exe, "%s", files[0].name);
  free(ph);
  free(files);
  free(names);
  if (!t->nmaps) {
    snprintf(err, errlen, "core file %s holds no memory segments", path);
    return -1;
  }
  return 0;
}
