/*
 * component.c: libcomponent.so, the "component" of story 1: every call
 * returns a freshly allocated string that the caller owns and frees.
 * It does nothing wrong.
 */
#include <stdio.h>
#include <stdlib.h>

#include "component.h"

char *component_describe(int i) {
  char *s = malloc(64);
  if (s) snprintf(s, 64, "record #%d: temperature %d.%d C", i, 20 + i % 7, i % 10);
  return s;
}
