/*
 * target.h: "target memory", what the heap walker reads: the memory and
 * mappings of a live process (/proc/PID/mem and /proc/PID/maps) or of a
 * core file, and the registers of its threads. The glibc heap walker
 * (glibc_heap.c) only ever goes through this interface, so the same walk
 * serves a running process and a core.
 *
 * Must never: write to the target, or trust what it reads (every read
 * may fail or return short; callers check).
 */
#ifndef HS_TARGET_H
#define HS_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum hs_target_kind { HS_TARGET_LIVE, HS_TARGET_CORE };

struct hs_tmap {
  uint64_t start, end, offset;
  char perms[5];
  char *path;               /* "" when anonymous */
  /* core files only: where its bytes are in the core (0 bytes: not dumped) */
  uint64_t core_off, core_len;
  /* live, after hs_target_copy: the mapping's bytes as they were while
   * stopped (laid out like the mapping; pages not touched then are not
   * copied) and its pagemap entries then; NULL when not copied */
  uint8_t *copy;
  uint64_t *pagemap;
};

struct hs_tthread {
  pid_t tid;
  uint64_t regs[27];        /* struct user_regs_struct, x86-64 order */
  int have_regs;
};
/* Indexes into hs_tthread.regs (struct user_regs_struct). */
enum { HS_REG_RBP = 4, HS_REG_RBX = 5, HS_REG_RSP = 19, HS_REG_RIP = 16, HS_REG_FS_BASE = 21 };

struct hs_target {
  enum hs_target_kind kind;
  pid_t pid;                /* live: the process; core: the pid it recorded */
  int fd;                   /* /proc/PID/mem or the core file */
  char path[1024];          /* core file path */
  struct hs_tmap *maps;     /* sorted by address */
  size_t nmaps;
  struct hs_tthread *threads;
  size_t nthreads;
  /* A read-through window for small reads (headers, list links). */
  uint8_t *win;
  uint64_t win_addr;
  size_t win_len;
  uint64_t reads, read_failures;
  int pagemap_fd;           /* live: /proc/PID/pagemap, -1 if it cannot be read */
  uint64_t copied_bytes;    /* hs_target_copy: bytes copied (0: no copy) */
  double copy_ms;           /* ... and how long that took */
  /* core only */
  uint64_t core_size;
  int truncated;            /* the core ends before its program headers say */
  char exe[1024];           /* the program, as the core or --exe names it */
  char **files;             /* every file NT_FILE names, once, in its order */
  size_t nfiles;
};

/* Opens a live process: /proc/PID/mem and its mappings. 0 or -errno. */
int hs_target_open_live(struct hs_target *t, pid_t pid);
/* Re-reads the mappings of a live process (after stopping it). */
int hs_target_reload_maps(struct hs_target *t);
void hs_target_close(struct hs_target *t);

/* Reads len bytes at addr into buf. Returns the bytes read (short or 0
 * when the range is not mapped or not in the core). */
size_t hs_target_read(struct hs_target *t, uint64_t addr, void *buf, size_t len);
/* One 8-byte word; 0 or -1. */
int hs_target_u64(struct hs_target *t, uint64_t addr, uint64_t *v);

/* The mapping holding addr, or NULL. */
const struct hs_tmap *hs_target_map(const struct hs_target *t, uint64_t addr);

/* Forgets the read window (when the target may have changed). */
void hs_target_flush(struct hs_target *t);

/* ---- pagemap and the copy of a stopped target (target_copy.c) ---------- */

/* The pagemap entries of pages [vpn, vpn + n) (live: from the copy when
 * the pages were copied, else /proc/PID/pagemap); returns how many were
 * read, 0 when there is no pagemap (a core, or not readable). */
size_t hs_target_pagemap(struct hs_target *t, uint64_t vpn, uint64_t *out, size_t n);
/* 1 if hs_target_pagemap can answer (a live target with a pagemap). */
int hs_target_has_pagemap(struct hs_target *t);
/* A pagemap entry of a page the process touched (present or swapped). */
#define HS_PAGEMAP_TOUCHED(e) (((e) >> 63) | (((e) >> 62) & 1))

/* Copies, while the target is stopped, every private writable mapping's
 * touched pages (and their pagemap entries): afterwards reads of those
 * mappings, and their pagemap, come from the copy, so the walk and the
 * scan can run after the target is resumed and still see it as it was.
 * Returns 0, or -errno with nothing copied (then read the target while
 * it is stopped, as before). */
int hs_target_copy(struct hs_target *t);
/* A pointer into the copy holding [addr, addr + len), when every page of
 * it was copied; NULL otherwise. */
const uint8_t *hs_target_view(const struct hs_target *t, uint64_t addr, size_t len);
/* Frees the copy (hs_target_close does too). */
void hs_target_drop_copy(struct hs_target *t);

/* ---- stopping a live target (target_stop.c) ---------------------------- */

/* Stops every thread (PTRACE_SEIZE + PTRACE_INTERRUPT, threads created
 * meanwhile too) and copies their registers. Installs handlers for
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE that detach every thread
 * and then die of the signal. *stop_ms is set when hs_target_resume
 * runs. Returns 0 or -errno (nothing is left stopped on failure). */
int hs_target_stop(struct hs_target *t);
/* Detaches every stopped thread, restores the signal handlers. Returns
 * the time the target was stopped, in ms. Safe to call twice. */
double hs_target_resume(struct hs_target *t);
/* Reads the registers of every thread without stopping (--no-stop):
 * threads is filled with tids only. */
int hs_target_list_threads(struct hs_target *t);

/* ---- core files (target_core.c) ----------------------------------------- */

/* Opens an ELF core: its PT_LOAD segments, NT_FILE mappings and the
 * threads' NT_PRSTATUS registers. 0, or -1 with a one-line reason. */
int hs_target_open_core(struct hs_target *t, const char *path, const char *exe, char *err,
                        size_t errlen);

#endif
