/*
 * frame_print.c: see frame_print.h. Must never compute anything about a
 * frame (the symbolizer did), only write it.
 */
#include "common/frame_print.h"
#include "common/json.h"

void hs_frame_text(FILE *out, const struct hs_frame *f, unsigned flags) {
  fputs(f->function ? f->function : "??", out);
  if (f->file) fprintf(out, " at %s:%d", f->file, f->line);
  if (flags & HS_FRAME_MODULE_ONLY) fprintf(out, " (%s)", f->module ? f->module : "?");
  else if (f->module) fprintf(out, " (%s+0x%llx)", f->module, (unsigned long long)f->offset);
  if ((flags & HS_FRAME_MARK_INLINED) && f->inlined) fputs(" [inlined]", out);
}

void hs_frame_json_fields(FILE *out, const struct hs_frame *f) {
  fputs("\"function\": ", out);
  hs_json_str(out, f->function);
  fputs(", \"file\": ", out);
  hs_json_str(out, f->file);
  fprintf(out, ", \"line\": %d, \"module\": ", f->line);
  hs_json_str(out, f->module);
  fprintf(out, ", \"offset\": %llu, \"pc\": \"0x%llx\", \"inlined\": %s",
          (unsigned long long)f->offset, (unsigned long long)f->pc, f->inlined ? "true" : "false");
}
