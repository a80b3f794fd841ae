/*
 * marshal.c: the marshalling helper of story 1. It copies a C string into
 * a freshly allocated, length-prefixed buffer. Correct in itself: the
 * leak is that its caller never frees what it returns.
 */
#include <stdlib.h>
#include <string.h>

#include "marshal.h"

struct wire_string *marshal_to_wire(const char *s) {
  uint32_t len = (uint32_t)strlen(s);
  struct wire_string *w = malloc(sizeof *w + len + 1);
  if (!w) return NULL;
  w->len = len;
  memcpy(w->bytes, s, len + 1);
  return w;
}
