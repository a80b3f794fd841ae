/*
 * markup.c: see markup.h.
 */
#include "common/markup.h"

void hs_markup_text(FILE *out, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    switch (*p) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default:
      if ((*p >= 0x20 && *p != 0x7f) || *p == '\t' || *p == '\n') fputc(*p, out);
    }
  }
}
