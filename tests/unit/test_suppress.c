/*
 * test_suppress.c: valgrind-style suppressions (src/analyze/suppress.c):
 * loading files in memcheck's syntax and matching the model's leak groups
 * and errors against them. Checks: match-leak-kinds, fun: and obj:
 * frames, the "..." wildcard, * and ? globs, a leading allocator frame
 * standing for the call heapspy does not record, prefix matches, exact
 * non-matches, other tools' entries ignored, errors matched by kind on
 * their detection, free or allocation stack, the counts moved to
 * "suppressed"; and that every malformed file is refused with a message
 * naming the file and line, never a crash. Prints TAP.
 *
 * Links suppress.c with the real error-kind names (model_locks.c, which
 * needs data_symbols.c and hsp_read.c) and util.c. The frames of a stack
 * come from this file's hs_model_frames, not from a profile and a
 * symbolizer: stack ids index the table below, so the test states every
 * frame a suppression is matched against.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/model.h"
#include "analyze/suppress.h"
#include "tap.h"

/* ---- the model's side: frames by stack id ---------------------------- */

#define F(fn, mod) { .function = fn, .module = mod }
#define END { .function = NULL, .module = NULL }
static const struct hs_frame stacks[][6] = {
  [1] = { F("make_widget", "prog"), F("main", "prog"), END },
  [2] = { F("make_widget", "prog"), F("main", "prog"), F("__libc_start_main", "libc.so.6"), END },
  [3] = { F("make_widget", "prog"), F("helper", "prog"), F("main", "prog"), END },
  [4] = { F("make_widget", "prog"), END },
  [5] = { F("alloc_buf", "libgadget.so.1"), F("gadget_7_init", "libgadget.so.1"),
          F("start_gadgets", "libgadget.so.1"), F("main", "prog"), END },
  [6] = { F("alloc_buf", "libgadget.so.1"), F("gadget_12_init", "libgadget.so.1"),
          F("start_gadgets", "libgadget.so.1"), F("main", "prog"), END },
  [7] = { F("gadget_7_init", "libgadget.so.1"), F("main", "prog"), END },
  [8] = { F(NULL, "libgadget.so.1"), F("main", "prog"), END },
  [10] = { F("pool_release", "prog"), F("main", "prog"), END },
  [11] = { F("check_all", "prog"), F("main", "prog"), END },
  [12] = { F("cache_drop", "prog"), F("main", "prog"), END },
};
#define NSTACKS (sizeof stacks / sizeof *stacks)

size_t hs_model_frames(struct hs_model *m, uint32_t stack, struct hs_frame *out, size_t max) {
  (void)m;
  size_t n = 0;
  for (; stack < NSTACKS && n < max && (stacks[stack][n].function || stacks[stack][n].module); n++)
    out[n] = stacks[stack][n];
  return n;
}

/* model.c's; nothing this test calls reaches it. */
int hs_frame_is_runtime(const struct hs_frame *f) {
  (void)f;
  fprintf(stderr, "test_suppress: hs_frame_is_runtime called\n");
  abort();
}

/* ---- files ------------------------------------------------------------ */

static char dir[] = "/tmp/hs-unit-supp-XXXXXX";

static const char *file_with(const char *name, const char *text) {
  static char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f)) { perror(path); exit(1); }
  return path;
}

/* Loading text must fail with exactly "FILE" + msg_after_path. */
static void refused(const char *name, const char *text, const char *msg_after_path,
                    const char *what) {
  char err[1200] = "(no message)", want[1200];
  const char *path = file_with(name, text);
  struct hs_suppressions *s = hs_suppressions_load(path, err, sizeof err);
  snprintf(want, sizeof want, "%s%s", path, msg_after_path);
  if (s) {
    ok(0, "%s: refused", what);
    hs_suppressions_free(s);
    return;
  }
  is_str(err, want, "%s: refused, naming the file and line", what);
}

static const char good[] =
    "# heapspy's own and valgrind's entries side by side\n"
    "\n"
    "{\n"
    "   widget-leak\n"
    "   Memcheck:Leak\n"
    "   match-leak-kinds: definite,possible\n"
    "   fun:malloc\n"
    "   fun:make_widget\n"
    "   fun:main\n"
    "}\n"
    "{\n"
    "   a helgrind entry, ignored whatever its lines\n"
    "   Helgrind:Race\n"
    "   fn:not_a_frame_line\n"
    "   fun:make_widget\n"
    "}\n"
    "{\n"
    "   gadget-init\n"
    "   Memcheck:Leak\n"
    "   fun:calloc\n"
    "   ...\n"
    "   fun:gadget_?_init\n"
    "   ...\n"
    "   obj:*/libgadget.so*\n"
    "   fun:main\n"
    "}\n"
    "\t{\n"
    "   gadget-object-only\n"
    "   heapspy:Leak\n"
    "   match-leak-kinds: reachable\n"
    "   obj:/usr/lib/libgadget.so.?\n"
    "}\n"
    "{\n"
    "   pool-double-free\n"
    "   Memcheck:Free\n"
    "   fun:free\n"
    "   fun:pool_release\n"
    "}\n"
    "{\n"
    "   cache-writes\n"
    "   heapspy:use_after_free\n"
    "   fun:cache_*\n"
    "}\n"
    "{\n"
    "   relock-in-cache\n"
    "   heapspy:lock_relock_deadlock\n"
    "   fun:cache_*\n"
    "}\n"
    "{\n"
    "   overflow-any-size\n"
    "   Memcheck:Addr8\n"
    "   fun:check_all\n"
    "}\n"
    "{\n"
    "   kinds-none: would match any stack, but of no kind\n"
    "   Memcheck:Leak\n"
    "   match-leak-kinds: none\n"
    "   ...\n"
    "}\n";

int main(void) {
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }

  /* ---- leak kinds lists ---- */
  unsigned mask = 99;
  ok(hs_leak_kinds_parse("definite,possible", &mask) == 0 &&
         mask == (1u << HSP_LEAK_DEFINITE | 1u << HSP_LEAK_POSSIBLE),
     "'definite,possible' is the definite and possible bits");
  ok(hs_leak_kinds_parse("indirect reachable", &mask) == 0 &&
         mask == (1u << HSP_LEAK_INDIRECT | 1u << HSP_LEAK_REACHABLE),
     "'indirect reachable': spaces separate too");
  ok(hs_leak_kinds_parse("all", &mask) == 0 && mask == HS_KINDS_ALL, "'all' is every kind");
  ok(hs_leak_kinds_parse("none", &mask) == 0 && mask == 0, "'none' is no kind");
  mask = 99;
  ok(hs_leak_kinds_parse("definite,lost", &mask) == -1 && mask == 99,
     "an unknown word is -1, the mask untouched");

  /* ---- a model: leak groups and errors on the stacks above ---- */
  struct hs_module_info mods[] = {
    { .path = "/home/u/prog" }, { .path = "/usr/lib/libgadget.so.1" },
  };
  struct hs_group groups[] = {
    { .stack = 1, .bytes = 100, .blocks = 1, .kind = HSP_LEAK_DEFINITE },   /* 0: widget-leak */
    { .stack = 1, .bytes = 200, .blocks = 2, .kind = HSP_LEAK_REACHABLE },  /* 1: kind differs */
    { .stack = 2, .bytes = 300, .blocks = 3, .kind = HSP_LEAK_POSSIBLE },   /* 2: prefix match */
    { .stack = 3, .bytes = 400, .blocks = 4, .kind = HSP_LEAK_DEFINITE },   /* 3: a frame between */
    { .stack = 4, .bytes = 500, .blocks = 5, .kind = HSP_LEAK_DEFINITE },   /* 4: stack too short */
    { .stack = 5, .bytes = 600, .blocks = 6, .kind = HSP_LEAK_INDIRECT },   /* 5: gadget-init */
    { .stack = 6, .bytes = 700, .blocks = 7, .kind = HSP_LEAK_DEFINITE },   /* 6: ? is one char */
    { .stack = 7, .bytes = 800, .blocks = 8, .kind = HSP_LEAK_DEFINITE },   /* 7: ... matches none */
    { .stack = 8, .bytes = 900, .blocks = 9, .kind = HSP_LEAK_REACHABLE },  /* 8: obj: only */
    { .stack = 1, .bytes = 1000, .blocks = 10, .kind = HSP_LEAK_UNCLASSIFIED }, /* 9: never */
  };
  struct hsp_error errs[] = {
    { .kind = HSP_ERR_DOUBLE_FREE, .stack = 10 },                           /* pool-double-free */
    { .kind = HSP_ERR_INVALID_FREE, .stack = 10 },                          /* Memcheck:Free too */
    { .kind = HSP_ERR_DOUBLE_FREE, .stack = 11 },                           /* other stack */
    { .kind = HSP_ERR_USE_AFTER_FREE, .stack = 11, .related_stack = 12 },   /* by its free stack */
    { .kind = HSP_ERR_USE_AFTER_FREE, .stack = 11, .alloc_stack = 12 },     /* by its alloc stack */
    { .kind = HSP_ERR_HEAP_OVERFLOW, .stack = 12 },                         /* other kind */
    { .kind = HSP_ERR_HEAP_UNDERFLOW, .stack = 11 },                        /* Addr8: any size */
    { .kind = HSP_ERR_LOCK_RELOCK, .stack = 11, .related_stack = 12 },      /* locks: no */
    { .kind = HSP_ERR_LOCK_RELOCK, .stack = 12 },                           /* relock-in-cache */
  };
  struct hs_error merrs[sizeof errs / sizeof *errs];
  struct hs_model m;
  memset(&m, 0, sizeof m);
  m.mods = mods;
  m.nmods = sizeof mods / sizeof *mods;
  m.groups = groups;
  m.ngroups = sizeof groups / sizeof *groups;
  for (size_t i = 0; i < m.ngroups; i++) {
    m.kinds[groups[i].kind].bytes += groups[i].bytes;
    m.kinds[groups[i].kind].blocks += groups[i].blocks;
  }
  for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) merrs[i] = (struct hs_error){ .e = &errs[i] };
  m.errors = merrs;
  m.nerrors = sizeof errs / sizeof *errs;

  char err[1200] = "";
  struct hs_suppressions *s = hs_suppressions_load(file_with("good.supp", good), err, sizeof err);
  if (!ok(s != NULL, "a file of nine entries (one another tool's) loads"))
    diag("%s", err);
  hs_suppressions_apply(s, &m);
  hs_suppressions_free(s);

  /* the group's verdicts: the suppression's name, or NULL */
  static const char *const want_group[] = {
    "widget-leak", NULL, "widget-leak", NULL, NULL, "gadget-init", NULL, NULL,
    "gadget-object-only", NULL,
  };
  static const char *const why_group[] = {
    "fun:malloc (the allocator call) then make_widget, main: suppressed",
    "the same stack, reachable: match-leak-kinds says definite,possible only",
    "make_widget, main, then __libc_start_main: a prefix match",
    "make_widget, helper, main: fun:main must follow fun:make_widget at once",
    "make_widget alone: the stack ends before fun:main",
    "alloc_buf, gadget_7_init, start_gadgets (libgadget.so.1), main: ..., ?, ... and obj:*/ match",
    "gadget_12_init: ? stands for one character only",
    "gadget_7_init at the top: '...' may be empty, but obj:*/libgadget.so* then needs main's module",
    "a frame without a function in /usr/lib/libgadget.so.1: obj: with ? (the recorded path)",
    "an unclassified group is never suppressed",
  };
  /* groups 1, 3, 4, 6 and 7 also pass kinds-none: match-leak-kinds: none matches no kind */
  for (size_t i = 0; i < m.ngroups; i++)
    is_str(groups[i].suppressed, want_group[i], "group %zu: %s", i, why_group[i]);
  is_u64(m.suppressed_bytes, 100 + 300 + 600 + 900, "suppressed bytes: groups 0, 2, 5, 8");
  is_u64(m.suppressed_blocks, 1 + 3 + 6 + 9, "suppressed blocks: groups 0, 2, 5, 8");
  ok(m.kinds[HSP_LEAK_DEFINITE].bytes == 400 + 500 + 700 + 800 &&
         m.kinds[HSP_LEAK_DEFINITE].blocks == 4 + 5 + 7 + 8 &&
         m.kinds[HSP_LEAK_POSSIBLE].bytes == 0 && m.kinds[HSP_LEAK_INDIRECT].blocks == 0 &&
         m.kinds[HSP_LEAK_REACHABLE].bytes == 200 && m.kinds[HSP_LEAK_UNCLASSIFIED].bytes == 1000,
     "the kinds' totals lose exactly the suppressed groups");
  is_u64(hs_unsuppressed_blocks(&m, 1u << HSP_LEAK_DEFINITE | 1u << HSP_LEAK_POSSIBLE), 4 + 5 + 7 + 8,
         "unsuppressed definite and possible blocks: 24");

  static const char *const want_err[] = {
    "pool-double-free", "pool-double-free", NULL, "cache-writes", "cache-writes", NULL,
    "overflow-any-size", NULL, "relock-in-cache",
  };
  static const char *const why_err[] = {
    "double_free in pool_release: Memcheck:Free, fun:free standing for the call",
    "invalid_free in pool_release: Memcheck:Free covers it too",
    "double_free in check_all: no entry",
    "use_after_free found in check_all, freed in cache_drop: matched by its free stack",
    "use_after_free found in check_all, allocated in cache_drop: matched by its allocation stack",
    "heap_overflow in cache_drop: heapspy:use_after_free is that kind only",
    "heap_underflow in check_all: Memcheck:Addr8 stands for any heap address error",
    "lock_relock_deadlock in check_all, the lock taken in cache_drop: a lock's acquisition "
    "stack is not matched",
    "lock_relock_deadlock in cache_drop: heapspy:lock_relock_deadlock",
  };
  for (size_t i = 0; i < m.nerrors; i++)
    is_str(merrs[i].suppressed, want_err[i], "error %zu: %s", i, why_err[i]);
  is_u64(hs_unsuppressed_errors(&m), 3, "3 of 9 errors stay");
  for (size_t i = 0; i < m.ngroups; i++) free((char *)groups[i].suppressed);
  for (size_t i = 0; i < m.nerrors; i++) free((char *)merrs[i].suppressed);

  /* ---- malformed files: refused with a clear message ---- */
  ok(hs_suppressions_load("/nonexistent/heapspy.supp", err, sizeof err) == NULL &&
         !strcmp(err, "cannot read suppressions /nonexistent/heapspy.supp: No such file or directory"),
     "a missing file names the system error");
  refused("stray.supp", "fun:malloc\n", ":1: expected '{' to open a suppression",
          "a frame line outside braces");
  refused("after.supp", "{\n one\n Memcheck:Leak\n fun:make_widget\n}\nstray\n",
          ":6: expected '{' to open a suppression", "a stray line after a complete entry");
  refused("after-other.supp", "{\n one\n Helgrind:Race\n fun:x\n}\n}\n",
          ":6: expected '{' to open a suppression", "a stray line after another tool's entry");
  refused("nameless.supp", "{\n   only-a-name\n}\n", ":3: suppression without a name and a kind",
          "an entry with a name but no kind");
  refused("kind.supp", "{\n n\n heapspy:use_after_fry\n}\n",
          ":3: unknown kind 'heapspy:use_after_fry' (heapspy:Leak or heapspy:KIND with an "
          "errors[].kind such as heapspy:use_after_free)", "a misspelt heapspy: kind");
  refused("kinds.supp", "{\n n\n Memcheck:Leak\n match-leak-kinds: definite,lost\n}\n",
          ":4: bad match-leak-kinds (use definite,indirect,possible,reachable,all)",
          "an unknown leak kind");
  refused("frame.supp", "{\n n\n Memcheck:Leak\n fun:a\n fn:b\n}\n",
          ":5: unknown frame line 'fn:b' (expected fun:, obj: or ...)", "a misspelt frame line");
  refused("open.supp", "{\n n\n Memcheck:Leak\n fun:a\n", ": the last suppression is not closed with '}'",
          "a file ending inside an entry");
  refused("open2.supp", "{\n n\n Memcheck:Leak\n fun:a\n}\n{\n m\n Memcheck:Free\n obj:*\n",
          ": the last suppression is not closed with '}'",
          "a file ending inside its second entry");
  s = hs_suppressions_load(file_with("empty.supp", "# nothing\n\n"), err, sizeof err);
  ok(s != NULL, "a file of comments only loads");
  hs_suppressions_free(s);

  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) diag("could not remove %s", dir);
  return done_testing();
}
