/*
 * report_scan.c: how a reachability scan went, for the text and JSON
 * reports and for a leak check's checkpoint: what memcheck's heuristics
 * made still reachable (printed the way memcheck prints it, "of which
 * reachable via heuristic"), and how the other threads were held still.
 *
 * Must never: compute anything but sums of what the spy recorded.
 */
#include "analyze/report.h"
#include "common/util.h"

static const char *const heur_names[HSP_HEURISTICS] = {
  "none", "stdstring", "length64", "newarray", "multipleinheritance",
};
static const char *const unheld_names[HSP_UNHELD_REASONS] = {
  "blocked_signal", "timeout", "no_signal", "too_many",
};
static const char *const unheld_phrases[HSP_UNHELD_REASONS] = {
  "blocking the signal", "not answering in time", "(holding is off or the program owns the signal)",
  "over the limit",
};

void hs_text_scan_heuristics(FILE *out, const struct hsp_scan_info *s) {
  if (!s) return;
  char b1[32], b2[32];
  int any = 0;
  for (unsigned h = 1; h < HSP_HEURISTICS; h++) {
    if (!s->heur_blocks[h]) continue;
    if (!any++) fprintf(out, "                      of which reachable via heuristic:\n");
    fprintf(out, "                        %-19s: %s bytes in %s blocks\n", heur_names[h],
            hs_commas(s->heur_bytes[h], b1), hs_commas(s->heur_blocks[h], b2));
  }
}

void hs_text_scan_threads(FILE *out, const struct hsp_scan_info *s) {
  if (!s) return;
  unsigned unheld = s->threads_gone;
  for (unsigned r = 0; r < HSP_UNHELD_REASONS; r++) unheld += s->unheld[r];
  if (!s->threads_held && !unheld) return;
  fprintf(out, "   the scan held %u other thread%s still for %.3f ms (held in %.3f ms, released in %.3f ms)",
          s->threads_held, s->threads_held == 1 ? "" : "s", (double)s->scan_ns / 1e6,
          (double)s->stop_ns / 1e6, (double)s->release_ns / 1e6);
  if (unheld) {
    fputs("; not held:", out);
    for (unsigned r = 0; r < HSP_UNHELD_REASONS; r++)
      if (s->unheld[r]) fprintf(out, " %u %s", s->unheld[r], unheld_phrases[r]);
    if (s->threads_gone) fprintf(out, " %u exited", s->threads_gone);
    fputs(" (their stacks read as they ran)", out);
  }
  fputc('\n', out);
}

void hs_json_scan_info(FILE *out, const struct hsp_scan_info *s) {
  if (!s) {
    fputs("null", out);
    return;
  }
  fputs("{\"reachable_via_heuristic\": {", out);
  for (unsigned h = 1; h < HSP_HEURISTICS; h++)
    fprintf(out, "%s\"%s\": {\"bytes\": %llu, \"blocks\": %llu}", h > 1 ? ", " : "", heur_names[h],
            (unsigned long long)s->heur_bytes[h], (unsigned long long)s->heur_blocks[h]);
  fprintf(out, "}, \"threads_held\": %u, \"threads_exited\": %u, \"threads_not_held\": {",
          s->threads_held, s->threads_gone);
  for (unsigned r = 0; r < HSP_UNHELD_REASONS; r++)
    fprintf(out, "%s\"%s\": %u", r ? ", " : "", unheld_names[r], s->unheld[r]);
  fprintf(out, "}, \"hold_us\": %.1f, \"release_us\": %.1f, \"scan_us\": %.1f}",
          (double)s->stop_ns / 1e3, (double)s->release_ns / 1e3, (double)s->scan_ns / 1e3);
}
