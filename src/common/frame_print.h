/*
 * frame_print.h: the one way a stack frame is written, as text in every
 * text report and inspection command, and as the JSON frame object of the
 * SPEC ("function", "file", "line", "module", "offset", "pc", "inlined").
 * Callers write the indentation, the "#N" index and any field of their
 * own; this writes the frame and never a newline.
 */
#ifndef HS_FRAME_PRINT_H
#define HS_FRAME_PRINT_H

#include <stdio.h>

#include "common/symbolize.h"

enum {
  HS_FRAME_MARK_INLINED = 1,   /* " [inlined]" after an inlined frame */
  HS_FRAME_MODULE_ONLY = 2,    /* " (module)" without the offset, "?" when unknown */
};

/* "FUNCTION at FILE:LINE (MODULE+0xOFFSET)", the parts that are known;
 * "??" for an unknown function. */
void hs_frame_text(FILE *out, const struct hs_frame *f, unsigned flags);

/* The frame's JSON fields, comma-separated, without the braces. */
void hs_frame_json_fields(FILE *out, const struct hs_frame *f);

#endif
