/* component.h: a third-party component that hands out fresh strings. */
#ifndef COMPONENT_H
#define COMPONENT_H
/* Returns a newly allocated description of record i; the caller frees it. */
char *component_describe(int i);
#endif
