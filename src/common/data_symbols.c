/*
 * data_symbols.c: name a data address (a global or static variable, e.g.
 * a lock) from the symbol table of the module holding it. The code
 * symbolizer (symbolize.c) keeps function symbols only; this looks up
 * object symbols (.symtab, else .dynsym) of one ELF file with libelf.
 *
 * Must never: trust the file (sizes and indexes are checked by libelf's
 * accessors), or keep it open after the call.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/symbolize.h"

/* Object symbol holding vaddr (link-time address): best is the smallest
 * that contains it; a sizeless symbol at exactly vaddr also counts. */
static int search(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, uint64_t vaddr,
                  char *name, size_t len, uint64_t *off) {
  Elf_Data *d = elf_getdata(scn, NULL);
  if (!d || !sh->sh_entsize) return 0;
  size_t n = sh->sh_size / sh->sh_entsize;
  uint64_t best_size = UINT64_MAX;
  int found = 0;
  for (size_t i = 0; i < n; i++) {
    GElf_Sym sym;
    if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_OBJECT && type != STT_NOTYPE && type != STT_COMMON) continue;
    int inside = sym.st_size ? vaddr >= sym.st_value && vaddr - sym.st_value < sym.st_size
                             : vaddr == sym.st_value && type == STT_OBJECT;
    uint64_t size = sym.st_size ? sym.st_size : 1;
    if (!inside || size >= best_size) continue;
    const char *s = elf_strptr(elf, sh->sh_link, sym.st_name);
    if (!s || !*s) continue;
    snprintf(name, len, "%s", s);
    *off = vaddr - sym.st_value;
    best_size = size;
    found = 1;
  }
  return found;
}

int hs_data_symbol(const char *path, uint64_t vaddr, char *name, size_t len, uint64_t *off) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  elf_version(EV_CURRENT);
  Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
  int found = 0;
  for (int pass = 0; elf && pass < 2 && !found; pass++) {
    Elf_Scn *scn = NULL;
    while (!found && (scn = elf_nextscn(elf, scn))) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh)) continue;
      if (sh.sh_type == (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM))
        found = search(elf, scn, &sh, vaddr, name, len, off);
    }
  }
  if (elf) elf_end(elf);
  close(fd);
  return found;
}
