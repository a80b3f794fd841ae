/*
 * report_json.c: the SPEC's JSON report. Top-level keys are a contract:
 * add freely, never rename. Every key SPEC lists is always present, as an
 * empty array or null when this run has nothing for it.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/model_locks.h"
#include "analyze/report.h"
#include "common/frame_print.h"
#include "analyze/suppress.h"
#include "common/version.h"

#define MAX_FRAMES 512


void hs_json_frames(FILE *out, struct hs_model *m, uint32_t stack) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(m, stack, f, MAX_FRAMES);
  fputc('[', out);
  for (size_t i = 0; i < n; i++) {
    fputs(i ? ",\n      {" : "\n      {", out);
    hs_frame_json_fields(out, &f[i]);
    fputc('}', out);
  }
  fputc(']', out);
}

static void jsample(FILE *out, const struct hsp_sample *s) {
  if (!s) { fputs("null", out); return; }
  fprintf(out, "{\"address\": \"0x%llx\", \"size\": %llu, \"hex\": \"",
          (unsigned long long)HSP_ADDR(s->ptr), (unsigned long long)s->size);
  for (uint32_t i = 0; i < s->len; i++) fprintf(out, "%02x", s->data[i]);
  fputs("\"}", out);
}

void hs_report_json(FILE *out, struct hs_model *m) {
  struct hs_report_opts o = { 0 };
  hs_report_json_opts(out, m, &o);
}

void hs_report_json_opts(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  int known = (h->flags & HSP_FLAG_EXIT_KNOWN) != 0;
  fputs("{\n  \"program\": ", out);
  hs_json_str(out, h->program);
  fputs(",\n  \"cmdline\": ", out);
  hs_json_str(out, h->cmdline);
  fprintf(out, ",\n  \"heapspy_version\": \"%s\"", HS_VERSION);
  fprintf(out, ",\n  \"pid\": %d,\n  \"exit\": {\"code\": ", h->pid);
  if (known && !h->exit_signal) fprintf(out, "%d", h->exit_code); else fputs("null", out);
  fputs(", \"signal\": ", out);
  if (known && h->exit_signal) fprintf(out, "%d", h->exit_signal); else fputs("null", out);
  fprintf(out, ", \"how\": \"%s\"}", (const char *[]){"unknown", "exit", "_exit", "signal"}[h->exit_how < 4 ? h->exit_how : 0]);
  fprintf(out, ",\n  \"duration_ms\": %llu, \"complete\": %s, \"libc_freeres\": %s",
          (unsigned long long)h->duration_ms, m->prof.incomplete ? "false" : "true",
          (h->flags & HSP_FLAG_FREERES) ? "true" : "false");
  if (h->flags & HSP_FLAG_ATTACHED)        /* heapspy attach: recorded since attach */
    fprintf(out, ",\n  \"attach\": {\"detached\": %s, \"frees_before_attach\": %llu, "
                 "\"slots_redirected\": %llu}",
            h->state == HSP_STATE_DETACHED ? "true" : "false",
            (unsigned long long)h->attach.frees_before, (unsigned long long)h->attach.slots_patched);
  if (h->flags & HSP_FLAG_TRACE_CAPPED)    /* only then: --trace stopped at --trace-cap */
    fprintf(out, ",\n  \"trace_capped_ms\": %u", h->trace_capped_ms);
  fprintf(out, ",\n  \"spy\": {\"unwind_fallbacks\": %llu, \"unwind_checked\": %llu, "
               "\"unwind_mismatches\": %llu, \"stacks\": %llu, \"profile_bytes\": %zu}",
          (unsigned long long)h->unwind_fallbacks, (unsigned long long)h->unwind_checked,
          (unsigned long long)h->unwind_mismatches, (unsigned long long)h->stacks.count,
          m->prof.size);
  char note[256];
  if (hs_model_sampling_note(m, note, sizeof note)) {   /* only then: --sample */
    fprintf(out, ",\n  \"sampling\": {\"mean_bytes\": %llu, \"note\": ",
            (unsigned long long)h->sampling.mean);
    hs_json_str(out, note);
    fputs("}", out);
  }
  fprintf(out, ",\n  \"totals\": {\"allocs\": %llu, \"frees\": %llu, \"bytes_allocated\": %llu, "
               "\"peak_bytes\": %llu, \"in_use_bytes\": %llu, \"in_use_blocks\": %llu}",
          (unsigned long long)m->total.allocs, (unsigned long long)m->total.frees,
          (unsigned long long)m->total.bytes_allocated, (unsigned long long)m->peak_bytes,
          (unsigned long long)m->total.in_use_bytes, (unsigned long long)m->total.in_use_blocks);
  fputs(",\n  \"families\": [", out);
  int first = 1;
  for (unsigned f = 0; f < m->nfamilies; f++) {
    const struct hsp_family_counts *c = &m->fam[f];
    fputs(first ? "\n    {\"name\": " : ",\n    {\"name\": ", out);
    first = 0;
    hs_json_str(out, hs_family_name(m, f));
    fprintf(out, ", \"allocs\": %llu, \"frees\": %llu, \"bytes_allocated\": %llu, "
                 "\"in_use_bytes\": %llu, \"in_use_blocks\": %llu}",
            (unsigned long long)c->allocs, (unsigned long long)c->frees,
            (unsigned long long)c->bytes_allocated, (unsigned long long)c->in_use_bytes,
            (unsigned long long)c->in_use_blocks);
  }
  fputs("],\n  \"leaks\": [", out);
  for (size_t i = 0; i < m->ngroups; i++) {
    const struct hs_group *g = &m->groups[i];
    fputs(i ? ",\n    {\"kind\": " : "\n    {\"kind\": ", out);
    hs_json_str(out, hs_kind_name(g->kind));
    fprintf(out, ", \"bytes\": %llu, \"blocks\": %llu, \"first_alloc_ms\": %u, \"family\": ",
            (unsigned long long)g->bytes, (unsigned long long)g->blocks, g->first_ms);
    hs_json_str(out, hs_family_name(m, g->family));
    fputs(", \"module\": ", out);
    hs_json_str(out, g->culprit ? g->culprit->module : NULL);
    fputs(", \"suppressed\": ", out);
    hs_json_str(out, g->suppressed);
    if (o->gen_suppressions && hs_kind_lost(g->kind)) {
      fputs(", \"suppression\": ", out);
      char *text = hs_suppression_string(m, g, NULL, i + 1);
      hs_json_str(out, text);
      free(text);
    }
    fputs(", \"sample\": ", out);
    jsample(out, g->sample);
    fputs(",\n     \"stack\": ", out);
    hs_json_frames(out, m, g->stack);
    fputc('}', out);
  }
  fputs("],\n  \"leak_summary\": {", out);
  for (unsigned k = 0; k <= HSP_LEAK_REACHABLE; k++)
    fprintf(out, "%s\"%s\": {\"bytes\": %llu, \"blocks\": %llu}", k ? ", " : "", hs_kind_name(k),
            (unsigned long long)m->kinds[k].bytes, (unsigned long long)m->kinds[k].blocks);
  fprintf(out, ", \"suppressed\": {\"bytes\": %llu, \"blocks\": %llu}",
          (unsigned long long)m->suppressed_bytes, (unsigned long long)m->suppressed_blocks);
  if (m->prof.hdr->flags & HSP_FLAG_ATTACHED) {
    fprintf(out, "},\n  \"before_attach\": {\"census_blocks\": %llu",
            (unsigned long long)m->before_census);
    for (unsigned k = 0; k <= HSP_LEAK_REACHABLE; k++)
      fprintf(out, ", \"%s\": {\"bytes\": %llu, \"blocks\": %llu}", hs_kind_name(k),
              (unsigned long long)m->before_kinds[k].bytes,
              (unsigned long long)m->before_kinds[k].blocks);
  }
  fputs("},\n  \"leak_scan\": ", out);
  hs_json_scan_info(out, hsp_scan_info(&m->prof, NULL));
  fputs(",\n  \"by_module\": [", out);
  for (size_t i = 0; i < m->nby_module; i++) {
    fputs(i ? ", {\"module\": " : "{\"module\": ", out);
    hs_json_str(out, m->by_module[i].name);
    fprintf(out, ", \"bytes\": %llu, \"blocks\": %llu}", (unsigned long long)m->by_module[i].bytes,
            (unsigned long long)m->by_module[i].blocks);
  }
  struct hs_locks locks;
  hs_locks_load(m, &locks);
  fputs("],\n  \"errors\": ", out);
  hs_json_errors(out, m, &locks, o->gen_suppressions);
  fprintf(out, ",\n  \"error_summary\": {\"errors\": %zu, \"suppressed\": %zu}",
          m->nerrors - m->errors_suppressed, m->errors_suppressed);
  fputs(",\n  \"threads_at_exit\": ", out);
  hs_json_threads_at_exit(out, m, &locks);
  fputs(",\n  \"lock_order\": ", out);
  hs_json_lock_order(out, m, &locks);
  hs_locks_free(&locks);
  fputs(",\n  \"checkpoints\": [", out);
  for (size_t i = 0; i < m->nmarks; i++) {
    fputs(i ? ",\n    " : "\n    ", out);
    hs_report_checkpoint(out, m, m->marks[i], 0, 1);
  }
  fputs("],\n  \"timeline\": ", out);
  hs_json_timeline(out, m);
  char line[512];
  fputs(",\n  \"timeline_verdict\": ", out);
  hs_json_str(out, hs_timeline_verdict(m, line, sizeof line) ? line : "");
  fputs(",\n  \"retention_verdict\": ", out);
  hs_json_str(out, hs_timeline_retention(m, line, sizeof line) ? line : "");
  fputs(",\n  \"rss_explained\": ", out);
  hs_json_rss(out, m);
  fputs("\n}\n", out);
}

void hs_json_timeline(FILE *out, struct hs_model *m) {
  const struct hsp_tick *t;
  size_t nt = hsp_timeline(&m->prof, &t);
  fputc('[', out);
  for (size_t i = 0; i < nt; i++)
  {
    fprintf(out, "%s\n    {\"t_ms\": %llu, \"heap_bytes\": %lld, \"rss_bytes\": %llu, \"vm_bytes\": %llu, "
            "\"spy_rss_bytes\": %llu, \"spy_vm_bytes\": %llu, \"rss_file_bytes\": %llu, ",
            i ? "," : "", (unsigned long long)t[i].t_ms, (long long)t[i].heap_bytes,
            (unsigned long long)t[i].rss_bytes, (unsigned long long)t[i].vm_bytes,
            (unsigned long long)t[i].spy_rss_bytes, (unsigned long long)t[i].spy_vm_bytes,
            (unsigned long long)t[i].glibc.rss_file_bytes);
    hs_json_glibc(out, &t[i].glibc);
    fputc('}', out);
  }
  fputc(']', out);
}

/* --timeline --format json: the SPEC's timeline key, with enough around
 * it to say which run it is. */
void hs_report_timeline_json(FILE *out, struct hs_model *m) {
  const struct hsp_header *h = m->prof.hdr;
  fputs("{\n  \"program\": ", out);
  hs_json_str(out, h->program);
  fprintf(out, ",\n  \"pid\": %d,\n  \"duration_ms\": %llu,\n  \"peak_bytes\": %llu, \"peak_ms\": %llu,"
               "\n  \"timeline\": ",
          h->pid, (unsigned long long)h->duration_ms, (unsigned long long)m->peak_bytes,
          (unsigned long long)m->peak_ms);
  hs_json_timeline(out, m);
  fputs("\n}\n", out);
}

/* A point's glibc keys: free_held_bytes is mallinfo2's fordblks (free and
 * top chunks; tcache blocks count as in use there); null when not read. */
void hs_json_glibc(FILE *out, const struct hsp_glibc *g) {
  if (!g->t_ms) {
    fputs("\"free_held_bytes\": null, \"glibc\": null", out);
    return;
  }
  fprintf(out, "\"free_held_bytes\": %llu, \"glibc\": {\"t_ms\": %llu, \"free_bytes\": %llu, "
          "\"fastbin_bytes\": %llu, \"main_top_bytes\": %llu, \"system_bytes\": %llu, "
          "\"mmapped_bytes\": %llu, \"in_use_bytes\": %llu, \"free_chunks\": %llu}",
          (unsigned long long)g->free_bytes, (unsigned long long)g->t_ms,
          (unsigned long long)g->free_bytes, (unsigned long long)g->fastbin_bytes,
          (unsigned long long)g->main_top_bytes, (unsigned long long)g->system_bytes,
          (unsigned long long)g->mmapped_bytes, (unsigned long long)g->in_use_bytes,
          (unsigned long long)g->free_chunks);
}
