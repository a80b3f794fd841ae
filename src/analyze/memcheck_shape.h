/*
 * memcheck_shape.h: the model as valgrind's memcheck words it, shared by
 * its two renderers (report_memcheck.c, memcheck's text; report_xml.c,
 * valgrind's XML protocol 4): each heap error's headline, XML kind and
 * "Address ... is N bytes inside a block" line; the loss records in
 * memcheck's order with their numbers and unique ids; stacks cut after
 * main as memcheck shows them. Decides wording and order only: never
 * prints, never counts anything the model does not hold.
 */
#ifndef HS_MEMCHECK_SHAPE_H
#define HS_MEMCHECK_SHAPE_H

#include "analyze/report.h"

/* hs_report_opts.leak_check: valgrind's --leak-check=full|yes, summary, no */
enum { HS_MC_LEAK_FULL, HS_MC_LEAK_SUMMARY, HS_MC_LEAK_NO };

/* One heap error as memcheck reports it. */
struct hs_mc_error {
  const char *kind;        /* XML <kind>: InvalidFree, MismatchedFree, InvalidRead, InvalidWrite */
  char what[64];           /* the headline: "Invalid free() / delete / delete[] / realloc()" */
  char aux[160];           /* "Address 0x... is 8 bytes inside a block of size 48 free'd" */
  uint32_t aux_stack;      /* the stack under aux (the free stack, else the allocation's); 0: none */
  uint32_t block_stack;    /* "Block was alloc'd at" when aux_stack is the free stack; 0: none */
  const char *note;        /* heapspy's own remark, or NULL */
};

/* Fills *out for a heap error; 0 for what memcheck does not report
 * (lock misuse is helgrind's). */
int hs_mc_error_of(const struct hsp_error *e, struct hs_mc_error *out);

/* memcheck's tid: 1 for the main thread, the kernel's id otherwise. */
int hs_mc_tid(const struct hs_model *m, int tid);

/* The frames memcheck shows of a stack: at most max, none below main. */
size_t hs_mc_frames(struct hs_model *m, uint32_t stack, struct hs_frame *out, size_t max);
/* The full path of a frame's module (valgrind's "obj"), or NULL. */
const char *hs_mc_obj(const struct hs_model *m, const struct hs_frame *f);

/* Loss records: every classified group, in memcheck's order (bytes, then
 * reachable, possible, indirect, definite, then blocks, then stack).
 * *out holds group indices; record number = position + 1. Caller frees. */
size_t hs_mc_records(const struct hs_model *m, size_t **out);
/* Whether a record is printed (a full leak check, a shown kind, not
 * suppressed), and counted as an error (an error kind, not suppressed). */
int hs_mc_record_shown(const struct hs_group *g, const struct hs_report_opts *o);
int hs_mc_record_error(const struct hs_group *g, const struct hs_report_opts *o);
/* "300 bytes in 3 blocks are definitely lost in loss record 5 of 5" */
void hs_mc_record_text(char *buf, size_t len, const struct hs_group *g, size_t number, size_t total);
/* XML <kind> of a leak: Leak_DefinitelyLost... */
const char *hs_mc_leak_kind(unsigned kind);

/* Errors memcheck counts (heap errors, not suppressed): their count, for
 * the unique ids of loss records that follow them. */
size_t hs_mc_nerrors(const struct hs_model *m);

/* memcheck's "frees" of the HEAP SUMMARY: every free call, the bad ones
 * (double, invalid) too. */
uint64_t hs_mc_frees(const struct hs_model *m);

#endif
