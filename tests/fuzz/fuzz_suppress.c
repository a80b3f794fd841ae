/*
 * fuzz_suppress.c: libFuzzer harness for the suppression reader and
 * matcher (src/analyze/suppress.c). Each input is a suppression file
 * (valgrind's or LeakSanitizer's syntax): loaded, then, if it loads,
 * applied to a small fixed model (leak groups of every kind and errors of
 * every family on stacks of real-looking frames, mangled and demangled)
 * and written back as entries. The loader must refuse or accept anything
 * with a message; any crash, out-of-bounds access (ASan), undefined
 * behaviour (UBSan), hang (-timeout) or leak is a bug.
 *
 * Build (tests/cases/t1207-fuzz-inputs.sh does): clang -fsanitize=fuzzer,
 * address,undefined with suppress.c, model_locks.c, data_symbols.c,
 * hsp_read.c, util.c and -lelf (tests/tests.mk's SUPPRESS_SRC).
 *
 * Must never: write anywhere but its own memfd and /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze/model.h"
#include "analyze/suppress.h"

#define F(fn, mod, src) { .function = fn, .module = mod, .file = src, .line = 12 }
#define M(fn, linkage, mod) { .function = fn, .mangled = linkage, .module = mod, .file = "x.cc", .line = 7 }
#define END { .function = NULL, .module = NULL }
static const struct hs_frame stacks[][6] = {
  [1] = { M("make_widget()", "_Z11make_widgetv", "prog"), F("main", "prog", "main.c"), END },
  [2] = { F("malloc", "libc.so.6", NULL), F("alloc_buf", "libgadget.so.1", "gadget.c"),
          F("main", "prog", "main.c"), F("__libc_start_main", "libc.so.6", NULL), END },
  [3] = { F(NULL, "libgadget.so.1", NULL), F("main", "prog", "main.c"), END },
  [4] = { M("pool::release(void*)", "_ZN4pool7releaseEPv", "prog"), F("main", "prog", "main.c"), END },
  [5] = { M("operator delete(void*)", "_ZdlPv", "libstdc++.so.6"), F("cache_drop", "prog", "cache.c"), END },
};
#define NSTACKS (sizeof stacks / sizeof *stacks)

size_t hs_model_frames(struct hs_model *m, uint32_t stack, struct hs_frame *out, size_t max) {
  (void)m;
  size_t n = 0;
  for (; stack < NSTACKS && n < max && (stacks[stack][n].function || stacks[stack][n].module); n++)
    out[n] = stacks[stack][n];
  return n;
}

int hs_frame_is_runtime(const struct hs_frame *f) {
  return f->module && !strncmp(f->module, "libc.so", 7);
}

static int fd = -1;
static char path[64];
static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fd < 0) {
    fd = memfd_create("supp", 0);
    devnull = fopen("/dev/null", "w");
    if (fd < 0 || !devnull) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size) abort();

  /* the first line doubles as a --show-leak-kinds list */
  char kinds[256];
  size_t k = 0;
  while (k < size && k + 1 < sizeof kinds && data[k] != '\n') { kinds[k] = (char)data[k]; k++; }
  kinds[k] = 0;
  unsigned mask;
  (void)hs_leak_kinds_parse(kinds, &mask);

  char err[1200];
  struct hs_suppressions *s = hs_suppressions_load(path, err, sizeof err);
  if (!s) return 0;
  struct hs_module_info mods[] = { { .path = "/home/u/prog" }, { .path = "/usr/lib/libgadget.so.1" } };
  struct hs_group groups[] = {
    { .stack = 1, .bytes = 100, .blocks = 1, .kind = HSP_LEAK_DEFINITE },
    { .stack = 2, .bytes = 200, .blocks = 2, .kind = HSP_LEAK_REACHABLE },
    { .stack = 3, .bytes = 300, .blocks = 3, .kind = HSP_LEAK_POSSIBLE },
    { .stack = 4, .bytes = 400, .blocks = 4, .kind = HSP_LEAK_INDIRECT },
    { .stack = 99, .bytes = 500, .blocks = 5, .kind = HSP_LEAK_DEFINITE },   /* no frames */
  };
  struct hsp_error errs[] = {
    { .kind = HSP_ERR_DOUBLE_FREE, .stack = 5 },
    { .kind = HSP_ERR_USE_AFTER_FREE, .stack = 4, .related_stack = 5, .alloc_stack = 1 },
    { .kind = HSP_ERR_HEAP_OVERFLOW, .stack = 2 },
    { .kind = HSP_ERR_LOCK_RELOCK, .stack = 4, .related_stack = 3 },
  };
  struct hs_error merrs[sizeof errs / sizeof *errs];
  struct hs_model m;
  memset(&m, 0, sizeof m);
  m.mods = mods;
  m.nmods = sizeof mods / sizeof *mods;
  m.groups = groups;
  m.ngroups = sizeof groups / sizeof *groups;
  for (size_t i = 0; i < m.ngroups; i++) {    /* a model's invariant: kinds sum their groups */
    m.kinds[groups[i].kind].bytes += groups[i].bytes;
    m.kinds[groups[i].kind].blocks += groups[i].blocks;
  }
  for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) merrs[i] = (struct hs_error){ .e = &errs[i] };
  m.errors = merrs;
  m.nerrors = sizeof errs / sizeof *errs;
  hs_suppressions_apply(s, &m);
  hs_suppressions_free(s);
  for (size_t i = 0; i < m.ngroups; i++) {
    hs_suppression_write(devnull, &m, &groups[i], i);
    free((char *)groups[i].suppressed);
  }
  for (size_t i = 0; i < m.nerrors; i++) {
    hs_error_suppression_write(devnull, &m, &errs[i], i);
    free((char *)merrs[i].suppressed);
  }
  return 0;
}
