/*
 * report.h: renderers of the report model. Each writes one format to a
 * stream and computes nothing of its own.
 */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include <stdio.h>
#include "model.h"

struct hs_report_opts {
  size_t max_groups;      /* leak groups shown in text (0 = all) */
  size_t max_frames;      /* frames shown per stack in text */
  int show_reachable;     /* list still-reachable sites in text too */
};

void hs_report_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
void hs_report_json(FILE *out, struct hs_model *m);

#endif
