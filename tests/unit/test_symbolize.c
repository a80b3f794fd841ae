/* test_symbolize.c: unit test of the symbolizer (TAP on stdout). */
/* links: src/common/symbolize.c; libs: -ldw -lelf -lstdc++ */
/*
 * The program symbolizes itself: it records its own module map the way
 * the spy does (dl_iterate_phdr: path, load bias, PT_LOAD extents, GNU
 * build-id), captures pcs at known source lines, and checks the exact
 * frames. Must be built with -g (any -O level). Exits 1 on any failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "common/symbolize.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#if defined(__has_attribute)
#if __has_attribute(noipa)
#define HS_T_NOIPA __attribute__((noipa))
#endif
#endif
#ifndef HS_T_NOIPA
#define HS_T_NOIPA __attribute__((noinline))
#endif

/* ---- helpers ------------------------------------------------------- */

#define T_PLAN 18

static int t_streq(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static const char *t_base(const char *p) {
  const char *s = p ? strrchr(p, '/') : NULL;
  return s ? s + 1 : p;
}

static const char *t_str(const char *s) { return s ? s : "(null)"; }

static void t_dump(const struct hs_frame *f, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("#   [%zu] %s at %s:%d in %s+0x%llx%s\n", i, t_str(f[i].function),
           t_str(f[i].file), f[i].line, t_str(f[i].module),
           (unsigned long long)f[i].offset, f[i].inlined ? " (inlined)" : "");
}

/* ---- pcs at known lines ------------------------------------------------ */

static volatile int g_direct_line, g_inl_line, g_inl_call_line;

/* Returns its caller's return address: a pc right after a call. */
HS_T_NOIPA void *hs_t_ret_addr(void) {
  void *ra = __builtin_return_address(0);
  __asm__ volatile("" : : "r"(ra) : "memory");
  return ra;
}

HS_T_NOIPA void *hs_t_direct(void) {
  void *pc = hs_t_ret_addr(); g_direct_line = __LINE__;
  return pc;
}

static inline __attribute__((always_inline)) void *hs_t_inline_helper(void) {
  void *pc = hs_t_ret_addr(); g_inl_line = __LINE__;
  return pc;
}

HS_T_NOIPA void *hs_t_inline_outer(void) {
  void *pc = hs_t_inline_helper(); g_inl_call_line = __LINE__;
  return pc;
}

/* ---- our own module map, as the spy records it ----------------------- */

#define T_MAXMODS 64

static struct hs_module_info t_mods[T_MAXMODS];
static char t_paths[T_MAXMODS][4096];
static uint8_t t_ids[T_MAXMODS][64];
static size_t t_nmods;

static size_t t_note_build_id(const struct dl_phdr_info *info,
                              const ElfW(Phdr) *ph, uint8_t *out,
                              size_t cap) {
  const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
  const uint8_t *end = p + ph->p_memsz;
  size_t align = ph->p_align > 4 ? 8 : 4;
  while (p + sizeof(ElfW(Nhdr)) <= end) {
    const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
    size_t namesz = (nh->n_namesz + align - 1) & ~(align - 1);
    size_t descsz = (nh->n_descsz + align - 1) & ~(align - 1);
    const uint8_t *name = p + sizeof *nh;
    const uint8_t *desc = name + namesz;
    if (desc + nh->n_descsz > end)
      break;
    if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
        memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= cap) {
      memcpy(out, desc, nh->n_descsz);
      return nh->n_descsz;
    }
    p = desc + descsz;
  }
  return 0;
}

static int t_collect(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  (void)data;
  if (t_nmods == T_MAXMODS)
    return 1;
  size_t i = t_nmods;
  struct hs_module_info *m = &t_mods[i];
  if (i == 0) {
    /* The main program always comes first, with an empty name. */
    ssize_t n = readlink("/proc/self/exe", t_paths[i], sizeof t_paths[i] - 1);
    t_paths[i][n > 0 ? n : 0] = 0;
  } else {
    snprintf(t_paths[i], sizeof t_paths[i], "%s",
             info->dlpi_name[0] ? info->dlpi_name : "[anon]");
  }
  m->path = t_paths[i];
  m->base = info->dlpi_addr;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int k = 0; k < info->dlpi_phnum; k++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
    if (ph->p_type == PT_LOAD) {
      uint64_t a = info->dlpi_addr + ph->p_vaddr;
      if (a < lo)
        lo = a;
      if (a + ph->p_memsz > hi)
        hi = a + ph->p_memsz;
    } else if (ph->p_type == PT_NOTE && m->build_id_len == 0) {
      m->build_id_len = t_note_build_id(info, ph, t_ids[i], sizeof t_ids[i]);
      m->build_id = m->build_id_len ? t_ids[i] : NULL;
    }
  }
  m->start = lo == UINT64_MAX ? 0 : lo;
  m->end = hi;
  t_nmods++;
  return 0;
}

static const struct hs_module_info *t_mod_named(const char *base) {
  for (size_t i = 0; i < t_nmods; i++)
    if (t_streq(t_base(t_mods[i].path), base))
      return &t_mods[i];
  return NULL;
}

/* ---- tests ----------------------------------------------------------- */

int main(void) {
  struct hs_frame f[16];
  size_t n;

  plan(T_PLAN);
  dl_iterate_phdr(t_collect, NULL);
  const char *exe = t_base(t_mods[0].path);
  uint64_t exe_base = t_mods[0].base;

  struct hs_symbolizer *s = hs_symbolizer_new(t_mods, t_nmods, NULL);
  ok(s != NULL, "symbolizer created for %zu modules", t_nmods);
  if (!s)
    return 1;
  is_str(hs_symbolizer_warnings(s), "", "no warnings for own modules");

  /* A return address in a plain function: the call's line. */
  uint64_t pc = (uint64_t)(uintptr_t)hs_t_direct();
  n = hs_symbolize(s, pc, 1, f, 16);
  if (!ok(n == 1 && t_streq(f[0].function, "hs_t_direct") &&
           t_streq(t_base(f[0].file), "test_symbolize.c") &&
           f[0].line == g_direct_line && t_streq(f[0].module, exe) &&
           f[0].offset == pc - exe_base && f[0].pc == pc && !f[0].inlined,
       "direct call: hs_t_direct at test_symbolize.c:%d", g_direct_line))
    t_dump(f, n);
  const char *first_name = n ? f[0].function : NULL;

  /* Same pc again: served from the cache, same interned strings. */
  n = hs_symbolize(s, pc, 1, f, 16);
  ok(n == 1 && f[0].function == first_name && first_name != NULL,
       "repeated pc gives the same interned strings");

  /* A return address inside inlined code: inline frame, then caller. */
  pc = (uint64_t)(uintptr_t)hs_t_inline_outer();
  n = hs_symbolize(s, pc, 1, f, 16);
  int good = ok(n == 2 && t_streq(f[0].function, "hs_t_inline_helper") &&
           t_streq(t_base(f[0].file), "test_symbolize.c") &&
           f[0].line == g_inl_line && f[0].inlined == 1 &&
           t_streq(f[0].module, exe) && f[0].offset == pc - exe_base,
       "inlined frame: hs_t_inline_helper at test_symbolize.c:%d",
       g_inl_line);
  good &= ok(n == 2 && t_streq(f[1].function, "hs_t_inline_outer") &&
           t_streq(t_base(f[1].file), "test_symbolize.c") &&
           f[1].line == g_inl_call_line && f[1].inlined == 0 &&
           t_streq(f[1].module, exe) && f[1].offset == pc - exe_base &&
           f[1].pc == pc,
       "outer frame: hs_t_inline_outer at call line test_symbolize.c:%d",
       g_inl_call_line);
  if (!good)
    t_dump(f, n);

  /* max smaller than the chain keeps the innermost frames. */
  n = hs_symbolize(s, pc, 1, f, 1);
  ok(n == 1 && t_streq(f[0].function, "hs_t_inline_helper") &&
           f[0].line == g_inl_line,
       "max=1 keeps the innermost frame");
  ok(hs_symbolize(s, pc, 1, f, 0) == 0, "max=0 writes nothing");

  /* A libc function (stripped system library, maybe with debug info). */
  void *qs = dlsym(RTLD_DEFAULT, "qsort");
  const struct hs_module_info *libc = t_mod_named("libc.so.6");
  if (!qs || !libc) {
    skip("libc.so.6 or qsort not found", "libc function");
  } else {
    pc = (uint64_t)(uintptr_t)qs;
    n = hs_symbolize(s, pc, 0, f, 16);
    if (!ok(n >= 1 && t_streq(f[n - 1].function, "qsort") &&
             t_streq(f[n - 1].module, "libc.so.6") &&
             f[n - 1].offset == pc - libc->base,
         "libc: qsort in libc.so.6"))
      t_dump(f, n);
  }

  /* A C++ symbol from libstdc++ (linked for __cxa_demangle): demangled. */
  void *dtor = dlsym(RTLD_DEFAULT, "_ZNSt9exceptionD2Ev");
  if (!dtor || !t_mod_named("libstdc++.so.6")) {
    skip("libstdc++.so.6 not loaded", "C++ demangling");
  } else {
    n = hs_symbolize(s, (uint64_t)(uintptr_t)dtor, 0, f, 16);
    if (!ok(n >= 1 && t_streq(f[n - 1].function, "std::exception::~exception()") &&
                t_streq(f[n - 1].module, "libstdc++.so.6"),
            "C++: std::exception::~exception() demangled"))
      t_dump(f, n);
  }

  /* An address in no module. */
  n = hs_symbolize(s, 0x10, 1, f, 16);
  ok(n == 1 && f[0].function == NULL && f[0].module == NULL &&
           f[0].file == NULL && f[0].line == 0 && f[0].offset == 0 &&
           f[0].pc == 0x10 && !f[0].inlined,
       "address in no module: all unknown");
  n = hs_symbolize(s, 0, 1, f, 16);
  ok(n == 1 && f[0].module == NULL && f[0].pc == 0,
       "pc 0 as a return address: no module, no crash");

  /* The vDSO has no file: module+offset only. */
  const struct hs_module_info *vdso = t_mod_named("linux-vdso.so.1");
  if (!vdso || vdso->end <= vdso->start) {
    skip("no linux-vdso.so.1 in the module list", "vdso module+offset");
  } else {
    pc = vdso->start + 0x10;
    n = hs_symbolize(s, pc, 0, f, 16);
    ok(n == 1 && f[0].function == NULL && f[0].file == NULL &&
             t_streq(f[0].module, "linux-vdso.so.1") &&
             f[0].offset == pc - vdso->base,
         "vdso: module+offset, no function");
  }
  hs_symbolizer_free(s);

  /* A module whose file is gone: module+offset, no build-id warning. */
  static const uint8_t ghost_id[20] = {1, 2, 3};
  struct hs_module_info ghost = {
      .path = "/nonexistent/heapspy-test/libghost.so.1",
      .base = 0x7e0000000000ull,
      .start = 0x7e0000000000ull,
      .end = 0x7e0000010000ull,
      .build_id = ghost_id,
      .build_id_len = sizeof ghost_id,
  };
  s = hs_symbolizer_new(&ghost, 1, "/nonexistent/heapspy-debug");
  n = s ? hs_symbolize(s, 0x7e0000001234ull, 1, f, 16) : 0;
  ok(n == 1 && f[0].function == NULL && f[0].file == NULL &&
           t_streq(f[0].module, "libghost.so.1") && f[0].offset == 0x1234,
       "missing file: libghost.so.1+0x1234");
  ok(s && t_streq(hs_symbolizer_warnings(s), ""),
       "missing file: no build-id warning");
  hs_symbolizer_free(s);

  /* The executable recorded with another build-id: one warning, symbols
   * still resolved from the file at hand. */
  static struct hs_module_info wrong[T_MAXMODS];
  static const uint8_t bad_id[20] = {0xab, 0xab, 0xab, 0xab, 0xab};
  memcpy(wrong, t_mods, t_nmods * sizeof *wrong);
  wrong[0].build_id = bad_id;
  wrong[0].build_id_len = sizeof bad_id;
  s = hs_symbolizer_new(wrong, t_nmods, "/nonexistent/heapspy-debug");
  pc = (uint64_t)(uintptr_t)hs_t_direct();
  /* Lookups in the module must not repeat the warning. */
  n = s ? hs_symbolize(s, pc, 1, f, 16) : 0;
  n = s ? hs_symbolize(s, pc + 1, 1, f, 16) : 0;
  char want[4200];
  snprintf(want, sizeof want,
           "%s: build-id differs from the run; symbols may be wrong\n", exe);
  is_str(s ? hs_symbolizer_warnings(s) : NULL, want, "wrong build-id: exactly one warning");
  n = s ? hs_symbolize(s, pc, 1, f, 16) : 0;
  ok(n == 1 && t_streq(f[0].function, "hs_t_direct") &&
           f[0].line == g_direct_line,
       "wrong build-id: still symbolized");
  hs_symbolizer_free(s);

  /* No modules at all. */
  s = hs_symbolizer_new(NULL, 0, NULL);
  n = s ? hs_symbolize(s, pc, 1, f, 16) : 0;
  ok(n == 1 && f[0].module == NULL && f[0].function == NULL,
       "empty module list: no crash");
  hs_symbolizer_free(s);

  return done_testing();
}
