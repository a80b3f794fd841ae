/* marshal.h: copies C strings into length-prefixed wire buffers. */
#ifndef MARSHAL_H
#define MARSHAL_H
#include <stdint.h>
struct wire_string { uint32_t len; char bytes[]; };
/* Returns a new wire buffer holding a copy of s; the caller frees it. */
struct wire_string *marshal_to_wire(const char *s);
#endif
