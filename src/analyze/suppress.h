/*
 * suppress.h: valgrind-style leak suppressions. Files use memcheck's
 * syntax, so existing suppression files work:
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
 * heapspy's stacks start at the allocator's caller, so a leading frame
 * naming an allocation function (malloc, calloc, realloc, operator new...)
 * stands for the allocation itself and always matches.
 */
#ifndef HS_SUPPRESS_H
#define HS_SUPPRESS_H

#include <stdio.h>
#include "model.h"

struct hs_suppressions;

/* "definite,possible" (valgrind's --errors-for-leak-kinds syntax: also
 * indirect, reachable, all, none) into a bit mask of HSP_LEAK_* kinds;
 * -1 on an unknown word. */
#define HS_KINDS_ALL ((1u << HSP_LEAK_DEFINITE) | (1u << HSP_LEAK_INDIRECT) | \
                      (1u << HSP_LEAK_POSSIBLE) | (1u << HSP_LEAK_REACHABLE))
int hs_leak_kinds_parse(const char *list, unsigned *mask);

/* Counts the blocks of the given kinds that no suppression covers. */
uint64_t hs_unsuppressed_blocks(const struct hs_model *m, unsigned kinds);

/* Loads each file and applies them all to the model; exits 125 with the
 * loader's message on a bad file. */
void hs_suppressions_use(struct hs_model *m, const char *const *paths, size_t n);

/* Reads a file; NULL with a message naming the file and line on error. */
struct hs_suppressions *hs_suppressions_load(const char *path, char *err, size_t errlen);
void hs_suppressions_free(struct hs_suppressions *s);

/* Marks the model's groups that a suppression matches (hs_group.suppressed)
 * and counts them in m->suppressed_bytes/blocks. */
void hs_suppressions_apply(struct hs_suppressions *s, struct hs_model *m);

/* Writes a ready-to-paste suppression for one group. */
void hs_suppression_write(FILE *out, struct hs_model *m, const struct hs_group *g, size_t index);

#endif
