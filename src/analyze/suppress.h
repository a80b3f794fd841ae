/*
 * suppress.h: valgrind-style suppressions of leaks and errors. Files use
 * memcheck's syntax, so existing suppression files work:
 *
 *   {
 *      a name
 *      Memcheck:Leak
 *      match-leak-kinds: definite,possible      (optional)
 *      fun:malloc                                (the allocation function)
 *      fun:make_*                                (wildcards * and ?)
 *      obj:/usr/lib/libfoo.so*
 *      ...                                       (any number of frames)
 *   }
 *
 * fun: matches a frame's linkage (mangled) name, as valgrind writes them,
 * or its demangled name; src:FILE[:LINE] (valgrind 3.19+) is a frame
 * too; "Memcheck,Helgrind:Leak" tool lists are ours when Memcheck is one
 * of them; LeakSanitizer files ("leak:PATTERN" lines) are read as well.
 * Written entries use linkage names and stop at main (valgrind accepts
 * them).
 *
 * heapspy's stacks start at the allocator's caller, so a leading frame
 * naming an allocation or release function (malloc, operator new, free,
 * operator delete...) stands for that call itself and always matches.
 *
 * Errors (--check, --guard, --locks): the second line names the kind.
 *   Memcheck:Free       double_free, invalid_free, mismatched_free
 *   Memcheck:Addr1..16  use_after_free, heap_overflow, heap_underflow (any
 *                       access size: --check sees the damage, not the access)
 *   heapspy:KIND        one errors[].kind: heapspy:use_after_free,
 *                       heapspy:heap_overflow, heapspy:lock_relock_deadlock...
 * Memcheck:Value*, Cond, Param, Overlap... have no heapspy counterpart
 * and are ignored. Frames match the stack where the error was detected,
 * or the block's free stack, or its allocation stack.
 */
#ifndef HS_SUPPRESS_H
#define HS_SUPPRESS_H

#include <stdio.h>
#include "analyze/model.h"

struct hs_suppressions;

/* "definite,possible" (valgrind's --errors-for-leak-kinds syntax: also
 * indirect, reachable, all, none) into a bit mask of HSP_LEAK_* kinds;
 * -1 on an unknown word. */
#define HS_KINDS_ALL ((1u << HSP_LEAK_DEFINITE) | (1u << HSP_LEAK_INDIRECT) | \
                      (1u << HSP_LEAK_POSSIBLE) | (1u << HSP_LEAK_REACHABLE))
int hs_leak_kinds_parse(const char *list, unsigned *mask);
/* Set beside a parsed mask to tell "none" (given) from "not given". */
#define HS_KINDS_GIVEN (1u << 31)

/* Counts the blocks of the given kinds that no suppression covers. */
uint64_t hs_unsuppressed_blocks(const struct hs_model *m, unsigned kinds);

/* Loads each file and applies them all to the model; exits 125 with the
 * loader's message on a bad file. */
void hs_suppressions_use(struct hs_model *m, const char *const *paths, size_t n);

/* Reads a file; NULL with a message naming the file and line on error. */
struct hs_suppressions *hs_suppressions_load(const char *path, char *err, size_t errlen);
void hs_suppressions_free(struct hs_suppressions *s);

/* Marks the model's groups that a suppression matches (hs_group.suppressed)
 * and counts them in m->suppressed_bytes/blocks; marks errors likewise
 * (hs_error.suppressed, counted in m->errors_suppressed). */
void hs_suppressions_apply(struct hs_suppressions *s, struct hs_model *m);

/* Writes a ready-to-paste suppression for one group. */
void hs_suppression_write(FILE *out, struct hs_model *m, const struct hs_group *g, size_t index);
/* ... and for one error: Memcheck:Free with the freeing stack for bad
 * frees, heapspy:KIND with the block's allocation stack otherwise. */
void hs_error_suppression_write(FILE *out, struct hs_model *m, const struct hsp_error *e,
                                size_t index);

/* The entry for a group (g) or an error (e) as a string (NULL if out of
 * memory); the caller frees it. */
char *hs_suppression_string(struct hs_model *m, const struct hs_group *g,
                            const struct hsp_error *e, size_t index);

/* Errors no suppression covers. */
uint64_t hs_unsuppressed_errors(const struct hs_model *m);

#endif
