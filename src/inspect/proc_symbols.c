/*
 * proc_symbols.c: the modules of a live process as libdwfl sees them
 * (path, load bias, extent, build-id), turned into the module list the
 * shared symbolizer (src/common/symbolize.h) takes; and the lookup of
 * one address for `maps PID ADDR`: module, section, and the symbol of any
 * kind (a global variable as well as a function) that holds it.
 *
 * Must never: stop or ptrace the target; libdwfl only reads
 * /proc/PID/maps here and opens the module files.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/demangle.h"
#include "common/util.h"
#include "inspect/proc.h"

static pid_t target_pid;

/* Address of the end of the mapping starting at start, or 0. */
static uint64_t mapping_end(pid_t pid, uint64_t start) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  FILE *f = fopen(path, "r");
  uint64_t end = 0;
  if (!f) return 0;
  while (!end && fgets(line, sizeof line, f)) {
    unsigned long long a, b;
    if (sscanf(line, "%llx-%llx", &a, &b) == 2 && a == start) end = b;
  }
  fclose(f);
  return end;
}

const char *hs_module_open_path(pid_t pid, const char *name, uint64_t start, char *out,
                                size_t len) {
  static const char deleted_tag[] = " (deleted)";
  size_t nl = strlen(name), tl = sizeof deleted_tag - 1;
  int deleted = nl > tl && !strcmp(name + nl - tl, deleted_tag);
  char clean[PATH_MAX], p[PATH_MAX + 64], link[PATH_MAX];
  snprintf(clean, sizeof clean, "%.*s", (int)(deleted ? nl - tl : nl), name);
  if (!deleted) {
    if (access(clean, R_OK) == 0) return snprintf(out, len, "%s", clean), out;
    snprintf(p, sizeof p, "/proc/%d/root%s", (int)pid, clean);
    if (access(p, R_OK) == 0) return snprintf(out, len, "%s", p), out;
  }
  /* Deleted or out of reach: the executable through /proc/PID/exe, any
   * other module through map_files (which needs privileges). */
  snprintf(p, sizeof p, "/proc/%d/exe", (int)pid);
  ssize_t n = readlink(p, link, sizeof link - 1);
  if (n > 0) {
    link[n] = 0;
    if (!strcmp(link, name) && access(p, R_OK) == 0) return snprintf(out, len, "%s", p), out;
  }
  uint64_t end = mapping_end(pid, start);
  if (end) {
    snprintf(p, sizeof p, "/proc/%d/map_files/%llx-%llx", (int)pid, (unsigned long long)start,
             (unsigned long long)end);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      return snprintf(out, len, "%s", p), out;
    }
  }
  return snprintf(out, len, "%s", clean), out;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr base,
                    char **file_name, Elf **elfp) {
  if (name[0] != '/')
    return dwfl_linux_proc_find_elf(mod, userdata, name, base, file_name, elfp);
  char p[PATH_MAX];
  hs_module_open_path(target_pid, name, base, p, sizeof p);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) *file_name = strdup(p);
  return fd;
}

static char *debuginfo_path;
static const Dwfl_Callbacks proc_callbacks = {
  .find_elf = find_elf,
  .find_debuginfo = dwfl_standard_find_debuginfo,
  .debuginfo_path = &debuginfo_path,
};

struct Dwfl *hs_proc_dwfl_begin(pid_t pid) {
  target_pid = pid;
  return dwfl_begin(&proc_callbacks);
}

struct add_ctx {
  struct hs_modlist *ml;
  pid_t pid;
};

/* "prog" for "/usr/bin/prog (deleted)". */
static char *shown_name(const char *name) {
  const char *b = hs_base(name);
  size_t n = strlen(b);
  if (n > 10 && !strcmp(b + n - 10, " (deleted)")) n -= 10;
  char *r = hs_xmalloc(n + 1);
  memcpy(r, b, n);
  r[n] = 0;
  return r;
}

static int add_module(Dwfl_Module *mod, void **userdata, const char *name,
                      Dwarf_Addr start, void *arg) {
  struct add_ctx *c = arg;
  struct hs_modlist *ml = c->ml;
  Dwarf_Addr lo = 0, hi = 0;
  dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
  char path[PATH_MAX];
  int vdso = !strncmp(name, "[vdso", 5);
  if (vdso) snprintf(path, sizeof path, "[vdso]");
  else hs_module_open_path(c->pid, name, lo, path, sizeof path);
  for (size_t i = 0; i < ml->n; i++)
    if (ml->v[i].start == lo && !strcmp(ml->v[i].path, path)) return DWARF_CB_OK;
  GElf_Addr bias = lo;
  int have_elf = !vdso && dwfl_module_getelf(mod, &bias) != NULL;
  if (ml->n == ml->cap) {
    ml->cap = ml->cap ? ml->cap * 2 : 32;
    ml->v = hs_xrealloc(ml->v, ml->cap * sizeof *ml->v);
    ml->shown = hs_xrealloc(ml->shown, ml->cap * sizeof *ml->shown);
  }
  struct hs_module_info *m = &ml->v[ml->n];
  memset(m, 0, sizeof *m);
  m->path = hs_xstrdup(path);
  m->base = bias;
  m->start = lo;
  m->end = hi;
  char *shown = vdso ? hs_xstrdup("[vdso]") : shown_name(name);
  if (!strcmp(shown, hs_base(path))) {
    free(shown);
    shown = NULL;
  }
  ml->shown[ml->n++] = shown;
  const unsigned char *bits = NULL;
  GElf_Addr vaddr;
  int len = have_elf ? dwfl_module_build_id(mod, &bits, &vaddr) : 0;
  if (len > 0) {
    uint8_t *copy = hs_xmalloc((size_t)len);
    memcpy(copy, bits, (size_t)len);
    m->build_id = copy;
    m->build_id_len = (size_t)len;
  }
  (void)userdata;
  (void)start;
  return DWARF_CB_OK;
}

void hs_modlist_add_dwfl(struct hs_modlist *ml, struct Dwfl *dwfl, pid_t pid) {
  struct add_ctx c = { ml, pid };
  dwfl_getmodules(dwfl, add_module, &c, 0);
}

void hs_modlist_free(struct hs_modlist *ml) {
  for (size_t i = 0; i < ml->n; i++) {
    free((void *)ml->v[i].path);
    free((void *)ml->v[i].build_id);
    free(ml->shown[i]);
  }
  free(ml->v);
  free(ml->shown);
  memset(ml, 0, sizeof *ml);
}

const char *hs_modlist_shown(const struct hs_modlist *ml, const char *module) {
  if (!module) return NULL;
  for (size_t i = 0; i < ml->n; i++)
    if (ml->shown[i] && !strcmp(hs_base(ml->v[i].path), module)) return ml->shown[i];
  return module;
}

void hs_modlist_fix_frames(const struct hs_modlist *ml, struct hs_frame *f, size_t n) {
  for (size_t i = 0; i < n; i++) f[i].module = hs_modlist_shown(ml, f[i].module);
}

int hs_addr_lookup(pid_t pid, uint64_t addr, struct hs_addr_symbol *out,
                   struct hs_modlist *mods) {
  memset(out, 0, sizeof *out);
  Dwfl *dwfl = hs_proc_dwfl_begin(pid);
  if (!dwfl) return -ENOMEM;
  dwfl_report_begin(dwfl);
  int r = dwfl_linux_proc_report(dwfl, pid);
  dwfl_report_end(dwfl, NULL, NULL);
  if (r != 0) {
    dwfl_end(dwfl);
    return r > 0 ? -r : -EINVAL;
  }
  if (mods) hs_modlist_add_dwfl(mods, dwfl, pid);
  Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
  if (!mod) {
    dwfl_end(dwfl);
    return 0;
  }
  const char *name = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  snprintf(out->path, sizeof out->path, "%s", name ? name : "?");
  char *shown = name && !strncmp(name, "[vdso", 5) ? hs_xstrdup("[vdso]") : shown_name(out->path);
  snprintf(out->module, sizeof out->module, "%s", shown);
  free(shown);
  GElf_Addr bias = 0;
  Elf *elf = dwfl_module_getelf(mod, &bias);
  out->module_offset = addr - bias;
  if (elf) {
    Dwarf_Addr off = addr, sbias = 0;
    Elf_Scn *scn = dwfl_module_address_section(mod, &off, &sbias);
    GElf_Shdr shdr;
    size_t shstrndx;
    const char *sname;
    if (scn && gelf_getshdr(scn, &shdr) && elf_getshdrstrndx(elf, &shstrndx) == 0 &&
        (sname = elf_strptr(elf, shstrndx, shdr.sh_name)) != NULL)
      snprintf(out->section, sizeof out->section, "%s", sname);
    GElf_Off soff = 0;
    GElf_Sym sym;
    const char *s = dwfl_module_addrinfo(mod, addr, &soff, &sym, NULL, NULL, NULL);
    if (s && *s) {
      char *d = hs_demangle(s);
      snprintf(out->symbol, sizeof out->symbol, "%s", d ? d : s);
      free(d);
      out->symbol_offset = soff;
      out->symbol_size = sym.st_size;
      int type = GELF_ST_TYPE(sym.st_info);
      out->is_function = type == STT_FUNC || type == STT_GNU_IFUNC;
    }
  }
  dwfl_end(dwfl);
  return 1;
}
