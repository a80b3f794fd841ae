/*
 * markup.h: the one writer of text inside HTML or XML markup (the HTML
 * report, valgrind's XML): &, <, >, " and ' escaped, control characters
 * other than tab and newline dropped (XML 1.0 cannot carry them). Writes
 * text only, never a tag, and never allocates.
 */
#ifndef HS_MARKUP_H
#define HS_MARKUP_H

#include <stdio.h>

/* s escaped; NULL writes nothing. */
void hs_markup_text(FILE *out, const char *s);

#endif
