/*
 * report_errors.c: the heap errors of the text report (--check, --guard),
 * in the shape AddressSanitizer's readers know: kind and address first,
 * then where it was detected, where the address lies in its block, the
 * free and allocation stacks, and a one-line SUMMARY; suppressed errors
 * as one line each, never dropped; then valgrind's ERROR SUMMARY line.
 * Also the JSON report's errors[] (every kind, lock misuse included).
 *
 * Formats what the model holds; computes nothing of its own beyond the
 * bad address (block + offset).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/model_locks.h"
#include "analyze/report.h"
#include "analyze/suppress.h"

#define MAX_FRAMES 512

int hs_user_frame(struct hs_model *m, uint32_t id, struct hs_frame *out) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(m, id, f, MAX_FRAMES);
  for (int need_file = 1; need_file >= 0; need_file--)
    for (size_t i = 0; i < n; i++)
      if (!hs_frame_is_runtime(&f[i]) && f[i].function && strcmp(f[i].function, "_start") &&
          (f[i].file || !need_file)) {
        *out = f[i];
        return 1;
      }
  return 0;
}

uint64_t hs_error_address(const struct hsp_error *e) {
  if (!e->address && e->signal) return e->fault_addr;   /* no block: the pointer used */
  if (e->kind == HSP_ERR_MISMATCHED_FREE || e->kind == HSP_ERR_DOUBLE_FREE) return e->address;
  return e->address + (uint64_t)(int64_t)e->offset;
}

void hs_error_where(FILE *out, struct hs_model *m, const struct hsp_error *e) {
  static const char *const fam[] = { "malloc/free", "new/delete", "new[]/delete[]" };
  unsigned long long a = hs_error_address(e), b = e->address, n = e->size;
  if (!n && e->kind == HSP_ERR_INVALID_FREE) {
    fprintf(out, "0x%llx is not in any heap block heapspy knows (not allocated by malloc)\n", a);
    return;
  }
  if (!n && e->signal) {   /* a crash through a pointer made of --check's fill bytes */
    unsigned byte = (unsigned)(e->fault_addr >> 56);
    fprintf(out, "0x%llx is a pointer read from %s (--check fills it with 0x%02x bytes)\n",
            (unsigned long long)e->fault_addr,
            byte == 0xfd ? "freed memory" : byte == 0xbe ? "never-written heap memory"
                                          : "a red zone beside a block", byte);
    return;
  }
  int64_t off = e->kind == HSP_ERR_MISMATCHED_FREE ? 0 : e->offset;
  if (off < 0)
    fprintf(out, "0x%llx is located %lld bytes to the left of %llu-byte region [0x%llx,0x%llx)\n",
            a, (long long)-off, n, b, b + n);
  else if ((uint64_t)off >= n && n)
    fprintf(out, "0x%llx is located %llu bytes to the right of %llu-byte region [0x%llx,0x%llx)\n",
            a, (unsigned long long)off - n, n, b, b + n);
  else
    fprintf(out, "0x%llx is located %lld bytes inside of %llu-byte region [0x%llx,0x%llx)\n",
            a, (long long)off, n, b, b + n);
  if (e->kind == HSP_ERR_MISMATCHED_FREE)
    fprintf(out, "freed with the %s family, which did not allocate it\n",
            e->offset >= 0 && e->offset < 3 ? fam[e->offset] : hs_family_name(m, (unsigned)e->offset));
}

const char *hs_access_name(unsigned a) {
  return a == HSP_ACCESS_READ ? "read" : a == HSP_ACCESS_WRITE ? "write" : "access";
}

static void one(FILE *out, struct hs_model *m, const struct hsp_error *e, size_t frames) {
  const char *kind = hs_error_kind_name(e->kind);
  fprintf(out, "ERROR: heapspy: %s on address 0x%llx (thread %d)", kind,
          (unsigned long long)hs_error_address(e), e->tid);
  if (e->count > 1) fprintf(out, ", %llu times", (unsigned long long)e->count);
  if (e->signal) {   /* a fault (--guard, or a crash near a known block) */
    fprintf(out, "\n%s", hs_access_name(e->access));
    if (e->access_size) fprintf(out, " of size %u", e->access_size);
    fprintf(out, " at 0x%llx (signal %u) by thread %d here:\n", (unsigned long long)e->fault_addr,
            e->signal, e->tid);
  } else
    fprintf(out, "\ndetected by thread %d here:\n", e->tid);
  hs_text_stack(out, m, e->stack, frames, "    ", 0);
  hs_error_where(out, m, e);
  if (e->related_stack) {
    fprintf(out, "freed here:\n");
    hs_text_stack(out, m, e->related_stack, frames, "    ", 0);
  }
  if (e->alloc_stack) {
    fprintf(out, "%sallocated here:\n", e->related_stack ? "previously " : "");
    hs_text_stack(out, m, e->alloc_stack, frames, "    ", 0);
  }
  struct hs_frame f;
  fprintf(out, "SUMMARY: heapspy: %s", kind);
  if (hs_user_frame(m, e->stack, &f) || (e->related_stack && hs_user_frame(m, e->related_stack, &f)) ||
      (e->alloc_stack && hs_user_frame(m, e->alloc_stack, &f))) {
    if (f.file) fprintf(out, " %s:%d", f.file, f.line);
    fprintf(out, " in %s", f.function);
  }
  fputs("\n\n", out);
}

void hs_report_errors_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  size_t gen = 0;
  for (size_t i = 0; i < m->nerrors; i++) {
    const struct hs_error *x = &m->errors[i];
    if (x->suppressed) {
      fprintf(out, "suppressed by \"%s\": %s on address 0x%llx\n\n", x->suppressed,
              hs_error_kind_name(x->e->kind), (unsigned long long)hs_error_address(x->e));
      continue;
    }
    if (x->e->kind < HSP_ERR_USE_AFTER_FREE) continue;   /* lock errors: report_locks.c */
    one(out, m, x->e, o->max_frames);
    if (o->gen_suppressions) {
      hs_error_suppression_write(out, m, x->e, ++gen);
      fputc('\n', out);
    }
  }
}

unsigned hs_report_show_kinds(const struct hs_report_opts *o) {
  if (o->show_kinds & HS_KINDS_GIVEN) return o->show_kinds & HS_KINDS_ALL;
  return (1u << HSP_LEAK_DEFINITE) | (1u << HSP_LEAK_INDIRECT) | (1u << HSP_LEAK_POSSIBLE) |
         (o->show_reachable ? 1u << HSP_LEAK_REACHABLE : 0);
}

unsigned hs_report_error_kinds(const struct hs_report_opts *o) {
  if (o->error_kinds & HS_KINDS_GIVEN) return o->error_kinds & HS_KINDS_ALL;
  return (1u << HSP_LEAK_DEFINITE) | (1u << HSP_LEAK_POSSIBLE);
}

void hs_report_error_counts(const struct hs_model *m, const struct hs_report_opts *o,
                            struct hs_error_counts *c) {
  *c = (struct hs_error_counts){ 0 };
  for (size_t i = 0; i < m->nerrors; i++) {
    const struct hs_error *x = &m->errors[i];
    if (x->suppressed) c->suppressed += x->e->count, c->suppressed_contexts++;
    else c->errors += x->e->count, c->contexts++;
  }
  /* memcheck: each loss record of an error kind is one error, in a full
   * leak check only */
  unsigned kinds = hs_report_error_kinds(o);
  for (size_t i = 0; o->leak_check == 0 && m->scanned && i < m->ngroups; i++) {
    const struct hs_group *g = &m->groups[i];
    if (g->kind > HSP_LEAK_REACHABLE || !(kinds & (1u << g->kind))) continue;
    if (g->suppressed) c->suppressed++, c->suppressed_contexts++;
    else c->errors++, c->contexts++;
  }
}

void hs_report_error_summary(FILE *out, const struct hs_model *m, const struct hs_report_opts *o) {
  struct hs_error_counts c;
  hs_report_error_counts(m, o, &c);
  fprintf(out, "ERROR SUMMARY: %llu errors from %llu contexts (suppressed: %llu from %llu)\n",
          (unsigned long long)c.errors, (unsigned long long)c.contexts,
          (unsigned long long)c.suppressed, (unsigned long long)c.suppressed_contexts);
}

/* ---- JSON: errors[], heap errors and lock misuse alike -------------- */

void hs_json_errors(FILE *out, struct hs_model *m, const struct hs_locks *l, int gen_suppressions) {
  fputc('[', out);
  size_t gen = 0;
  for (size_t i = 0; i < m->nerrors; i++) {
    const struct hsp_error *e = m->errors[i].e;
    fputs(i ? ",\n    {\"kind\": " : "\n    {\"kind\": ", out);
    hs_json_str(out, hs_error_kind_name(e->kind));
    fprintf(out, ", \"address\": \"0x%llx\", \"size\": %llu, \"tid\": %d, \"t_ms\": %llu, \"count\": %llu",
            (unsigned long long)e->address, (unsigned long long)e->size, e->tid,
            (unsigned long long)e->t_ms, (unsigned long long)e->count);
    int heap = e->kind >= HSP_ERR_USE_AFTER_FREE;
    if (heap) fprintf(out, ", \"offset\": %d", e->offset);
    if (heap && e->signal) {
      fprintf(out, ", \"access\": \"%s\", \"access_size\": ", hs_access_name(e->access));
      if (e->access_size) fprintf(out, "%u", e->access_size); else fputs("null", out);
      fprintf(out, ", \"fault_address\": \"0x%llx\", \"signal\": %u",
              (unsigned long long)e->fault_addr, e->signal);
    } else if (e->lock_kind) {
      fputs(", \"lock\": ", out);
      hs_json_lock(out, m, l, e->address, 0);
    }
    fputs(", \"suppressed\": ", out);
    hs_json_str(out, m->errors[i].suppressed);
    if (gen_suppressions && !m->errors[i].suppressed) {
      fputs(", \"suppression\": ", out);
      char *text = hs_suppression_string(m, NULL, e, ++gen);
      hs_json_str(out, text);
      free(text);
    }
    fputs(",\n     \"access_stack\": ", out);
    hs_json_frames(out, m, e->stack);
    fputs(",\n     \"alloc_stack\": ", out);
    hs_json_frames(out, m, e->alloc_stack);
    fputs(",\n     \"free_stack\": ", out);
    if (heap) hs_json_frames(out, m, e->related_stack);
    else fputs("[]", out);
    fputs(",\n     \"acquired_stack\": ", out);
    if (heap) fputs("[]", out);
    else hs_json_frames(out, m, e->related_stack);
    fputc('}', out);
  }
  fputc(']', out);
}
