/*
 * report_memcheck.c: the report in memcheck's text shape, every line
 * "==PID== ": heap errors with memcheck's headlines and "at"/"by"
 * frames, HEAP SUMMARY, the loss records in memcheck's order, LEAK
 * SUMMARY and ERROR SUMMARY (valgrind's -q: errors and records only), so
 * tools that parse memcheck's log (CTest's memcheck step, CI greps) read
 * heapspy's. Wording and order come from memcheck_shape.c; this file only
 * writes lines, and never invents a figure the model does not hold.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/memcheck_shape.h"
#include "analyze/suppress.h"
#include "common/util.h"
#include "common/version.h"

#define MAX_FRAMES 256

/* "==PID==    at 0x109465: double_free (check_heap.c:110)", then "by". */
static void stack(FILE *out, int pid, struct hs_model *m, uint32_t id, size_t max) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_mc_frames(m, id, f, max < MAX_FRAMES ? max : MAX_FRAMES);
  for (size_t i = 0; i < n; i++) {
    const char *obj = hs_mc_obj(m, &f[i]), *file = f[i].file ? strrchr(f[i].file, '/') : NULL;
    fprintf(out, "==%d==    %s 0x%llX: %s", pid, i ? "by" : "at", (unsigned long long)f[i].pc,
            f[i].function ? f[i].function : "???");
    if (f[i].file) fprintf(out, " (%s:%d)\n", file ? file + 1 : f[i].file, f[i].line);
    else if (obj) fprintf(out, " (in %s)\n", obj);
    else fputc('\n', out);
  }
  if (!n) fprintf(out, "==%d==    (no stack recorded)\n", pid);
}

static void one_error(FILE *out, int pid, struct hs_model *m, const struct hs_error *x,
                      const struct hs_report_opts *o, size_t *gen) {
  struct hs_mc_error mc;
  if (x->suppressed || !hs_mc_error_of(x->e, &mc)) return;
  const struct hsp_error *e = x->e;
  if (e->tid != m->prof.hdr->pid) fprintf(out, "==%d== Thread %d:\n", pid, hs_mc_tid(m, e->tid));
  fprintf(out, "==%d== %s\n", pid, mc.what);
  stack(out, pid, m, e->stack, o->max_frames);
  fprintf(out, "==%d==  %s\n", pid, mc.aux);
  if (mc.aux_stack) stack(out, pid, m, mc.aux_stack, o->max_frames);
  if (mc.block_stack) {
    fprintf(out, "==%d==  Block was alloc'd at\n", pid);
    stack(out, pid, m, mc.block_stack, o->max_frames);
  }
  if (mc.note) fprintf(out, "==%d==  (%s)\n", pid, mc.note);
  if (e->count > 1)
    fprintf(out, "==%d==  (the same error %llu times)\n", pid, (unsigned long long)e->count);
  fprintf(out, "==%d== \n", pid);
  if (o->gen_suppressions) hs_error_suppression_write(out, m, e, ++*gen);
}

static void records(FILE *out, int pid, struct hs_model *m, const struct hs_report_opts *o, size_t *gen) {
  size_t *rec, n = hs_mc_records(m, &rec);
  for (size_t i = 0; i < n; i++) {
    const struct hs_group *g = &m->groups[rec[i]];
    if (!hs_mc_record_shown(g, o)) continue;
    char text[256];
    hs_mc_record_text(text, sizeof text, g, i + 1, n);
    fprintf(out, "==%d== %s\n", pid, text);
    stack(out, pid, m, g->stack, o->max_frames);
    fprintf(out, "==%d== \n", pid);
    if (o->gen_suppressions && hs_kind_lost(g->kind)) hs_suppression_write(out, m, g, ++*gen);
  }
  free(rec);
}

static void leak_summary(FILE *out, int pid, const struct hs_model *m, const struct hs_report_opts *o) {
  static const char *const label[] = { "", "definitely lost", "indirectly lost", "  possibly lost",
                                       "still reachable" };
  char b1[32], b2[32];
  fprintf(out, "==%d== LEAK SUMMARY:\n", pid);
  for (unsigned k = HSP_LEAK_DEFINITE; k <= HSP_LEAK_REACHABLE; k++)
    fprintf(out, "==%d==    %s: %s bytes in %s blocks\n", pid, label[k],
            hs_commas(m->kinds[k].bytes, b1), hs_commas(m->kinds[k].blocks, b2));
  fprintf(out, "==%d==         suppressed: %s bytes in %s blocks\n", pid,
          hs_commas(m->suppressed_bytes, b1), hs_commas(m->suppressed_blocks, b2));
  if (m->kinds[HSP_LEAK_UNCLASSIFIED].blocks)
    fprintf(out, "==%d==       unclassified: %s bytes in %s blocks (allocated after the scan)\n", pid,
            hs_commas(m->kinds[0].bytes, b1), hs_commas(m->kinds[0].blocks, b2));
  if (o->leak_check == HS_MC_LEAK_SUMMARY)
    fprintf(out, "==%d== Rerun with --leak-check=full to see details of leaked memory\n", pid);
  else if (!(hs_report_show_kinds(o) & (1u << HSP_LEAK_REACHABLE)) && m->kinds[HSP_LEAK_REACHABLE].blocks)
    fprintf(out, "==%d== Reachable blocks (those to which a pointer was found) are not shown.\n"
                 "==%d== To see them, rerun with: --leak-check=full --show-leak-kinds=all\n", pid, pid);
}

void hs_report_memcheck(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  int pid = h->pid;
  char b1[32], b2[32], b3[32];
  size_t gen = 0;
  if (!o->quiet) {
    fprintf(out, "==%d== heapspy %s, memcheck's report shape (heap errors: --check, --guard)\n", pid,
            HS_VERSION);
    fprintf(out, "==%d== Command: %s\n==%d== \n", pid, h->cmdline[0] ? h->cmdline : h->program, pid);
  }
  for (size_t i = 0; i < m->nerrors; i++) one_error(out, pid, m, &m->errors[i], o, &gen);
  if (h->exit_signal && !o->quiet) {
    const char *name = sigabbrev_np(h->exit_signal);
    fprintf(out, "==%d== Process terminating with default action of signal %d (SIG%s)\n", pid,
            h->exit_signal, name ? name : "?");
  }
  if (!o->quiet) {
    fprintf(out, "==%d== \n==%d== HEAP SUMMARY:\n", pid, pid);
    fprintf(out, "==%d==     in use at exit: %s bytes in %s blocks\n", pid,
            hs_commas(m->total.in_use_bytes, b1), hs_commas(m->total.in_use_blocks, b2));
    fprintf(out, "==%d==   total heap usage: %s allocs, %s frees, %s bytes allocated\n==%d== \n", pid,
            hs_commas(m->total.allocs, b1), hs_commas(hs_mc_frees(m), b2),
            hs_commas(m->total.bytes_allocated, b3), pid);
  }
  if (!m->total.in_use_blocks) {
    if (!o->quiet) fprintf(out, "==%d== All heap blocks were freed -- no leaks are possible\n==%d== \n", pid, pid);
  } else if (!m->scanned) {
    if (!o->quiet)
      fprintf(out, "==%d== No reachability scan ran (the program did not reach exit): "
                   "blocks in use are unclassified\n==%d== \n", pid, pid);
  } else if (o->leak_check != HS_MC_LEAK_NO) {
    records(out, pid, m, o, &gen);
    if (!o->quiet) {
      leak_summary(out, pid, m, o);
      fprintf(out, "==%d== \n", pid);
    }
  } else if (!o->quiet)
    fprintf(out, "==%d== For a detailed leak analysis, rerun with: --leak-check=full\n==%d== \n", pid, pid);
  if (o->quiet) return;
  struct hs_error_counts c;
  hs_report_error_counts(m, o, &c);
  fprintf(out, "==%d== ERROR SUMMARY: %llu errors from %llu contexts (suppressed: %llu from %llu)\n",
          pid, (unsigned long long)c.errors, (unsigned long long)c.contexts,
          (unsigned long long)c.suppressed, (unsigned long long)c.suppressed_contexts);
}
