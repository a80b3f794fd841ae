/*
 * inject_symbols.c: what a call into a running process needs to know
 * before any thread is stopped: is it a 64-bit glibc 2.34+ program,
 * where are libc's dlopen and its rt_sigreturn stub (__restore_rt), where
 * is the dynamic loader's code, and where a symbol of a loaded module is.
 *
 * __restore_rt is a local symbol, in .symtab only (absent from a stripped
 * libc): it is found as its exact bytes, `mov $15,%rax; syscall`, which
 * must occur once in libc's executable mapping.
 *
 * Must never: write to or stop the process (it reads /proc/PID/maps,
 * /proc/PID/mem and the mapped files).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "inject/inject.h"
#include "inspect/glibc_heap.h"
#include "inspect/proc.h"

static const unsigned char restore_rt_bytes[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00,
                                                  0x0f, 0x05 };

struct mapping {
  uint64_t lo, hi, off;
  char perms[5];
  char path[1024];
};

/* Calls fn for each line of /proc/PID/maps that names a file; stops when
 * fn returns nonzero. -errno if the maps cannot be read. */
static int each_mapping(pid_t pid, int (*fn)(const struct mapping *, void *), void *ctx) {
  char p[64], line[1400];
  snprintf(p, sizeof p, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(p, "r");
  if (!f) return errno == ENOENT ? -ESRCH : -errno;
  struct mapping m;
  while (fgets(line, sizeof line, f)) {
    unsigned long long lo, hi, off;
    int pos = 0;
    m.path[0] = 0;
    if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &lo, &hi, m.perms, &off, &pos) < 4) continue;
    if (pos > 0) sscanf(line + pos, "%1023[^\n]", m.path);
    if (m.path[0] != '/') continue;
    m.lo = lo;
    m.hi = hi;
    m.off = off;
    if (fn(&m, ctx)) break;
  }
  fclose(f);
  return 0;
}

static int is_libc(const char *path) {
  const char *b = hs_base(path);
  return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-2.", 7);
}

static int is_ld(const char *path) {
  return !strncmp(hs_base(path), "ld-linux", 8);
}

static int find_libc(const struct mapping *m, void *ctx) {
  struct hs_inject_libc *l = ctx;
  if (is_libc(m->path) && m->perms[2] == 'x') {
    snprintf(l->path, sizeof l->path, "%s", m->path);
    l->text_lo = m->lo;
    l->text_hi = m->hi;
  }
  if (is_ld(m->path) && m->perms[2] == 'x') {
    l->ld_lo = m->lo;
    l->ld_hi = m->hi;
  }
  return 0;
}

struct base_ctx {
  const char *path;
  uint64_t base;
};

static int find_base(const struct mapping *m, void *ctx) {
  struct base_ctx *c = ctx;
  size_t n = strlen(c->path);           /* "PATH" or "PATH (deleted)" */
  if (strncmp(m->path, c->path, n) || (m->path[n] && m->path[n] != ' ') || m->off != 0) return 0;
  c->base = m->lo;
  return 1;
}

/* A defined function or object named name in the file's .dynsym, its
 * link-time value; the first PT_LOAD's vaddr into *first. 0 if none. */
static uint64_t dynsym_value(int fd, const char *name, uint64_t *first) {
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
  if (!elf) return 0;
  uint64_t v = 0;
  *first = hs_elf_first_load(elf);
  Elf_Scn *scn = NULL;
  while (!v && (scn = elf_nextscn(elf, scn))) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize) continue;
    Elf_Data *d = elf_getdata(scn, NULL);
    for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
      GElf_Sym s;
      if (!gelf_getsym(d, (int)i, &s) || s.st_shndx == SHN_UNDEF || !s.st_value) continue;
      const char *n = elf_strptr(elf, sh.sh_link, s.st_name);
      if (n && !strcmp(n, name)) {
        v = s.st_value;
        break;
      }
    }
  }
  elf_end(elf);
  return v;
}

uint64_t hs_inject_symbol(pid_t pid, const char *mapped, const char *file, const char *name) {
  struct base_ctx c = { mapped, 0 };
  if (each_mapping(pid, find_base, &c) < 0 || !c.base) return 0;
  char open_path[1200];
  if (!file) file = hs_module_open_path(pid, mapped, c.base, open_path, sizeof open_path);
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t first, v = dynsym_value(fd, name, &first);
  close(fd);
  return v ? c.base - first + v : 0;
}

static int find_prefix(const struct mapping *m, void *ctx) {
  const char **prefix = ctx;
  if (strncmp(m->path, *prefix, strlen(*prefix))) return 0;
  *prefix = NULL;
  return 1;
}

int hs_inject_mapped(pid_t pid, const char *prefix) {
  const char *p = prefix;
  return each_mapping(pid, find_prefix, &p) == 0 && !p;
}

int hs_inject_read(pid_t pid, uint64_t addr, void *buf, size_t len) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/mem", (int)pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = pread(fd, buf, len, (off_t)addr);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

/* The one address of restore_rt_bytes in [lo, hi) of pid, or 0 (none,
 * or more than one: which one returns into rt_sigreturn is then unsure). */
static uint64_t find_restore_rt(pid_t pid, uint64_t lo, uint64_t hi) {
  char p[64];
  snprintf(p, sizeof p, "/proc/%d/mem", (int)pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  size_t len = (size_t)(hi - lo);
  unsigned char *buf = hs_xmalloc(len);
  ssize_t got = pread(fd, buf, len, (off_t)lo);
  close(fd);
  uint64_t found = 0;
  int count = 0;
  for (ssize_t i = 0; got > 0 && i + (ssize_t)sizeof restore_rt_bytes <= got; i++)
    if (buf[i] == 0x48 && !memcmp(buf + i, restore_rt_bytes, sizeof restore_rt_bytes)) {
      found = lo + (uint64_t)i;
      count++;
    }
  free(buf);
  return count == 1 ? found : 0;
}

enum hs_inject_status hs_inject_libc_find(pid_t pid, struct hs_inject_libc *l, char *err,
                                          size_t errlen) {
  memset(l, 0, sizeof *l);
  char exe[64];
  snprintf(exe, sizeof exe, "/proc/%d/exe", (int)pid);
  int fd = open(exe, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return snprintf(err, errlen, "no such process %ld", (long)pid), HS_INJECT_NO_PROCESS;
  if (fd < 0) {
    char note[512];
    snprintf(err, errlen, "not permitted to attach to process %ld: %s", (long)pid,
             hs_permission_note(pid, note, sizeof note));
    return HS_INJECT_NOT_PERMITTED;
  }
  unsigned char ident[EI_NIDENT];
  ssize_t n = pread(fd, ident, sizeof ident, 0);
  close(fd);
  if (n == (ssize_t)sizeof ident && ident[EI_CLASS] == ELFCLASS32)
    return snprintf(err, errlen, "process %ld is a 32-bit program: heapspy attaches to 64-bit "
                                 "x86-64 programs only", (long)pid), HS_INJECT_UNSUPPORTED;
  int r = each_mapping(pid, find_libc, l);
  if (r == -ESRCH) return snprintf(err, errlen, "no such process %ld", (long)pid), HS_INJECT_NO_PROCESS;
  if (r < 0)
    return snprintf(err, errlen, "cannot read /proc/%ld/maps: %s", (long)pid, strerror(-r)),
           HS_INJECT_NOT_PERMITTED;
  if (!l->path[0] && !l->ld_lo)
    return snprintf(err, errlen, "process %ld is statically linked: there is no libc.so to load "
                                 "the spy with", (long)pid), HS_INJECT_UNSUPPORTED;
  if (!l->path[0])
    return snprintf(err, errlen, "process %ld does not use glibc (no libc.so.6 mapped)", (long)pid),
           HS_INJECT_UNSUPPORTED;
  l->dlopen = hs_inject_symbol(pid, l->path, NULL, "dlopen");
  if (!l->dlopen)
    return snprintf(err, errlen, "process %ld runs a glibc older than 2.34 (no dlopen in %s): "
                                 "heapspy cannot load the spy into it", (long)pid, l->path),
           HS_INJECT_UNSUPPORTED;
  l->restore_rt = find_restore_rt(pid, l->text_lo, l->text_hi);
  if (!l->restore_rt)
    return snprintf(err, errlen, "cannot find the rt_sigreturn stub in %s", l->path),
           HS_INJECT_UNSUPPORTED;
  return HS_INJECT_OK;
}
