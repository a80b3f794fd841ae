/*
 * demangle.h: a symbol's source-level name, whatever language mangled it:
 * C++ (Itanium ABI, "_Z..."), Rust (v0 "_R..." and the legacy "_ZN...17h<hash>E",
 * shown without the hash), D ("_D..."). Uses libiberty's demangler, the one
 * binutils and gdb use, so names read as in those tools.
 */
#ifndef HS_DEMANGLE_H
#define HS_DEMANGLE_H

/* The demangled name (malloc'd, the caller frees), or NULL when name is
 * not a mangled name this knows, or is malformed. Never fails otherwise. */
char *hs_demangle(const char *name);

#endif
