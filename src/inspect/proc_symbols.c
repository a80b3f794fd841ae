/*
 * proc_symbols.c: the modules of a live process as libdwfl sees them
 * (path, load bias, extent, build-id), turned into the module list the
 * shared symbolizer (src/analyze/symbolize.h) takes; and the lookup of
 * one address for `maps PID ADDR`: module, section, and the symbol of any
 * kind (a global variable as well as a function) that holds it.
 *
 * Must never: stop or ptrace the target; libdwfl only reads
 * /proc/PID/maps here and opens the module files.
 */
#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../analyze/util.h"
#include "proc.h"

extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct add_ctx {
  struct hs_modlist *ml;
  pid_t pid;
};

static int add_module(Dwfl_Module *mod, void **userdata, const char *name,
                      Dwarf_Addr start, void *arg) {
  struct add_ctx *c = arg;
  struct hs_modlist *ml = c->ml;
  Dwarf_Addr lo = 0, hi = 0;
  dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
  char path[1100];
  if (!strncmp(name, "[vdso", 5)) snprintf(path, sizeof path, "[vdso]");
  else if (name[0] == '/' && access(name, R_OK) != 0)
    snprintf(path, sizeof path, "/proc/%d/root%s", (int)c->pid, name);
  else snprintf(path, sizeof path, "%s", name);
  for (size_t i = 0; i < ml->n; i++)
    if (ml->v[i].start == lo && !strcmp(ml->v[i].path, path)) return DWARF_CB_OK;
  GElf_Addr bias = lo;
  int have_elf = path[0] == '/' && dwfl_module_getelf(mod, &bias) != NULL;
  if (ml->n == ml->cap)
    ml->v = hs_xrealloc(ml->v, (ml->cap = ml->cap ? ml->cap * 2 : 32) * sizeof *ml->v);
  struct hs_module_info *m = &ml->v[ml->n++];
  memset(m, 0, sizeof *m);
  m->path = hs_xstrdup(path);
  m->base = bias;
  m->start = lo;
  m->end = hi;
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
  }
  free(ml->v);
  memset(ml, 0, sizeof *ml);
}

static char *debuginfo_path;
static const Dwfl_Callbacks proc_callbacks = {
  .find_elf = dwfl_linux_proc_find_elf,
  .find_debuginfo = dwfl_standard_find_debuginfo,
  .debuginfo_path = &debuginfo_path,
};

int hs_addr_lookup(pid_t pid, uint64_t addr, struct hs_addr_symbol *out,
                   struct hs_modlist *mods) {
  memset(out, 0, sizeof *out);
  Dwfl *dwfl = dwfl_begin(&proc_callbacks);
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
  snprintf(out->module, sizeof out->module, "%s",
           name && !strncmp(name, "[vdso", 5) ? "[vdso]" : hs_base(out->path));
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
      int st = -1;
      char *d = s[0] == '_' && s[1] == 'Z' ? __cxa_demangle(s, NULL, NULL, &st) : NULL;
      snprintf(out->symbol, sizeof out->symbol, "%s", d && st == 0 ? d : s);
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
