/*
 * symbolize.h: turn recorded program counters into frames (function,
 * file:line, module, inlined frames), using the module map the spy
 * recorded (paths, load bias, build-ids) and elfutils libdw.
 *
 * Works later and elsewhere: only needs the same binaries (matched by
 * build-id when possible) or their separate debug info. Never aborts on a
 * missing or stripped module: it degrades to "module+offset".
 */
#ifndef HS_SYMBOLIZE_H
#define HS_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct hs_module_info {
  const char *path;         /* as recorded at run time */
  uint64_t base;            /* load bias */
  uint64_t start, end;      /* address extent of the module */
  const uint8_t *build_id;
  size_t build_id_len;
};

struct hs_frame {
  const char *function;     /* demangled; NULL if unknown */
  const char *mangled;      /* its linkage name when mangled (C++), as valgrind's
                               suppressions name it; NULL otherwise */
  const char *file;         /* source file; NULL if no line info */
  int line;                 /* 0 if unknown */
  const char *module;       /* basename of module path; NULL if none */
  uint64_t offset;          /* pc - module base (file-relative address) */
  uint64_t pc;              /* the recorded address */
  int inlined;              /* 1: this frame is inlined into the next */
};

struct hs_symbolizer;

/* Create a symbolizer for the given modules (the array and strings must
 * outlive it). debuginfo_path: extra search path for separate debug info,
 * or NULL. Never returns NULL except on out-of-memory. */
struct hs_symbolizer *hs_symbolizer_new(const struct hs_module_info *mods,
                                        size_t nmods,
                                        const char *debuginfo_path);

/* Resolve one pc into up to max frames, innermost (inlined) first, the
 * real function last. is_return_address: look up pc-1 (all recorded
 * stack frames are return addresses). Returns the number of frames
 * written (>= 1 when max >= 1). Strings in the frames are owned by the
 * symbolizer and stay valid until hs_symbolizer_free. Results are cached
 * per pc. */
size_t hs_symbolize(struct hs_symbolizer *s, uint64_t pc,
                    int is_return_address, struct hs_frame *out, size_t max);

/* Warnings gathered so far (e.g. "libfoo.so: build-id differs from the
 * run"), one per line, or "" if none. */
const char *hs_symbolizer_warnings(struct hs_symbolizer *s);

void hs_symbolizer_free(struct hs_symbolizer *s);

/* data_symbols.c: the object symbol holding vaddr (a link-time address)
 * in the ELF file at path (a global or static variable, e.g. a lock);
 * 1 if found. */
int hs_data_symbol(const char *path, uint64_t vaddr, char *name, size_t len, uint64_t *off);

#endif
