/*
 * demangle.c: see demangle.h. Must never return a name that merely looks
 * demangled: a malformed symbol gives NULL and is shown as it is.
 */
#include <libiberty/demangle.h>

#include "common/demangle.h"

char *hs_demangle(const char *name) {
  if (!name || name[0] != '_') return NULL;
  int style;
  switch (name[1]) {
  case 'Z': case 'R': style = DMGL_AUTO; break;   /* C++, or Rust legacy/v0 */
  case 'D': style = DMGL_DLANG; break;            /* not tried by DMGL_AUTO */
  default: return NULL;
  }
  return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | style);
}
