/*
 * proc_regions.c: the memory regions of a live process (/proc/PID/smaps)
 * with their sizes (RSS, shared, private dirty, swapped), each put in one
 * category the way WinDbg's !address -summary does: heap, anonymous,
 * reserved, main and thread stacks, code and data per module, mapped
 * files, shared memory, other.
 *
 * Thread stacks: a thread's stack is the region holding its saved stack
 * pointer when /proc shows it (stat's kstkesp, task/TID/syscall); kernels
 * that hide both (and running threads) leave the glibc layout: a writable
 * anonymous region directly above a small no-access guard region.
 *
 * Must never: stop or ptrace the target (this is what `maps` uses; it
 * must be safe on a production process).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "inspect/proc.h"

#define GUARD_MAX (1u << 20)     /* largest guard region believed */
#define STACK_MIN (16u << 10)    /* smallest thread stack believed */

const char *hs_base(const char *path) {
  const char *s = strrchr(path, '/');
  return s && s[1] ? s + 1 : path;
}

const char *hs_kind_label(enum hs_region_kind k) {
  static const char *const names[HS_R_NKINDS] = {
    [HS_R_HEAP] = "heap",
    [HS_R_ANON] = "anonymous",
    [HS_R_RESERVED] = "reserved (no access)",
    [HS_R_STACK_MAIN] = "main thread stack",
    [HS_R_STACK_THREAD] = "thread stacks",
    [HS_R_CODE] = "module code",
    [HS_R_DATA] = "module data",
    [HS_R_FILE] = "mapped files",
    [HS_R_SHM] = "shared memory",
    [HS_R_OTHER] = "other",
  };
  return (unsigned)k < HS_R_NKINDS ? names[k] : "?";
}

static int is_header(const char *line) {
  const char *p = line;
  while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) p++;
  return p > line && *p == '-';
}

/* Parses "start-end perms offset dev inode   path". */
static int parse_header(char *line, struct hs_region *r) {
  unsigned long long start, end, off, inode;
  char perms[5];
  unsigned maj, min;
  int used = 0;
  if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off,
             &maj, &min, &inode, &used) < 7)
    return -1;
  memset(r, 0, sizeof *r);
  r->start = start;
  r->end = end;
  r->offset = off;
  r->inode = inode;
  memcpy(r->perms, perms, sizeof r->perms);
  char *path = line + used;
  path[strcspn(path, "\n")] = 0;
  r->path = hs_xstrdup(path);
  r->module = -1;
  return 0;
}

static void parse_field(const char *line, struct hs_region *r) {
  char name[64];
  unsigned long long kb;
  if (sscanf(line, "%63[^:]: %llu kB", name, &kb) != 2) return;
  uint64_t b = (uint64_t)kb * 1024;
  if (!strcmp(name, "Rss")) r->rss = b;
  else if (!strcmp(name, "Shared_Clean") || !strcmp(name, "Shared_Dirty")) r->shared += b;
  else if (!strcmp(name, "Private_Dirty")) r->private_dirty = b;
  else if (!strcmp(name, "Swap")) r->swap = b;
}

static int module_index(struct hs_regions *rs, const char *path) {
  for (size_t i = 0; i < rs->nmodules; i++)
    if (!strcmp(rs->modules[i], path)) return (int)i;
  return -1;
}

static int is_shm_path(const char *p) {
  return !*p || !strncmp(p, "/dev/zero", 9) || !strncmp(p, "/SYSV", 5) ||
         !strncmp(p, "/dev/shm/", 9) || !strncmp(p, "/memfd:", 7) ||
         !strncmp(p, "[anon_shmem", 11) || !strncmp(p, "/anon_hugepage", 14);
}

static void classify(struct hs_regions *rs) {
  /* Modules: files with at least one executable mapping. */
  for (size_t i = 0; i < rs->n; i++) {
    struct hs_region *r = &rs->v[i];
    if (r->path[0] == '/' && r->perms[2] == 'x' && module_index(rs, r->path) < 0) {
      rs->modules = hs_xrealloc(rs->modules, (rs->nmodules + 1) * sizeof *rs->modules);
      rs->modules[rs->nmodules++] = hs_xstrdup(r->path);
    }
  }
  for (size_t i = 0; i < rs->n; i++) {
    struct hs_region *r = &rs->v[i], *prev = i ? &rs->v[i - 1] : NULL;
    const char *p = r->path;
    int shared = r->perms[3] == 's';
    if (!strcmp(p, "[heap]")) r->kind = HS_R_HEAP;
    else if (!strcmp(p, "[stack]")) r->kind = HS_R_STACK_MAIN;
    else if (shared && is_shm_path(p)) r->kind = HS_R_SHM;
    else if (p[0] == '/' && (r->module = module_index(rs, p)) >= 0)
      r->kind = r->perms[2] == 'x' ? HS_R_CODE : HS_R_DATA;
    else if (!strncmp(p, "/memfd:", 7))
      /* private: copy-on-write pages of no file on disk (--guard-sample's
       * slots are such pages): memory as anonymous mappings are */
      r->kind = !strcmp(r->perms, "---p") ? HS_R_RESERVED : HS_R_ANON;
    else if (p[0] == '/') r->kind = HS_R_FILE;
    else if (p[0] == '[' && strncmp(p, "[anon:", 6)) r->kind = HS_R_OTHER;
    else if (!strcmp(r->perms, "---p")) r->kind = HS_R_RESERVED;
    else if (prev && prev->end == r->start && prev->kind == HS_R_DATA &&
             prev->perms[1] == 'w' && !p[0]) {
      r->kind = HS_R_DATA;            /* .bss beyond the file's end */
      r->module = prev->module;
    } else r->kind = HS_R_ANON;
  }
}

/* Marks the region holding sp, and its guard just below, as tid's stack. */
static void mark_stack(struct hs_regions *rs, uint64_t sp, pid_t tid) {
  for (size_t i = 0; i < rs->n; i++) {
    struct hs_region *r = &rs->v[i];
    if (sp < r->start || sp >= r->end) continue;
    if (r->kind != HS_R_ANON && r->kind != HS_R_STACK_THREAD) return;
    r->kind = HS_R_STACK_THREAD;
    r->tid = tid;
    if (i && rs->v[i - 1].end == r->start && rs->v[i - 1].kind == HS_R_RESERVED) {
      rs->v[i - 1].kind = HS_R_STACK_THREAD;
      rs->v[i - 1].tid = tid;
    }
    return;
  }
}

static void find_stacks(pid_t pid, struct hs_regions *rs) {
  struct hs_task *t;
  int n = hs_tasks_read(pid, &t);
  for (int i = 0; i < n; i++) {
    uint64_t sp = hs_task_sp(pid, &t[i]);
    if (sp) mark_stack(rs, sp, t[i].tid);
  }
  if (n > 0) free(t);
  /* The glibc layout, for threads whose stack pointer is hidden. */
  for (size_t i = 1; i < rs->n; i++) {
    struct hs_region *g = &rs->v[i - 1], *r = &rs->v[i];
    if (r->kind == HS_R_ANON && !strcmp(r->perms, "rw-p") && !r->path[0] &&
        g->kind == HS_R_RESERVED && g->end == r->start && !g->path[0] &&
        g->end - g->start <= GUARD_MAX && r->end - r->start >= STACK_MIN) {
      r->kind = g->kind = HS_R_STACK_THREAD;
    }
  }
}

int hs_regions_read(pid_t pid, struct hs_regions *rs, int with_stacks) {
  memset(rs, 0, sizeof *rs);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOENT ? -ESRCH : -errno;
  char *line = NULL;
  size_t len = 0, cap = 0;
  struct hs_region *cur = NULL;
  errno = 0;
  while (getline(&line, &len, f) >= 0) {
    if (is_header(line)) {
      if (rs->n == cap) rs->v = hs_xrealloc(rs->v, (cap = cap ? cap * 2 : 64) * sizeof *rs->v);
      if (parse_header(line, &rs->v[rs->n]) == 0) cur = &rs->v[rs->n++];
    } else if (cur) {
      parse_field(line, cur);
    }
  }
  int err = ferror(f) ? errno : 0;
  free(line);
  fclose(f);
  if (err || rs->n == 0) {
    hs_regions_free(rs);
    /* An empty smaps: a kernel thread, or a process that just exited. */
    if (!err) return hs_proc_alive(pid) ? -EINVAL : -ESRCH;
    return err == ESRCH || err == ENOENT ? -ESRCH : -err;
  }
  classify(rs);
  if (with_stacks) find_stacks(pid, rs);
  return 0;
}

void hs_regions_free(struct hs_regions *rs) {
  for (size_t i = 0; i < rs->n; i++) free(rs->v[i].path);
  for (size_t i = 0; i < rs->nmodules; i++) free(rs->modules[i]);
  free(rs->v);
  free(rs->modules);
  memset(rs, 0, sizeof *rs);
}

const struct hs_region *hs_region_find(const struct hs_regions *rs, uint64_t addr) {
  size_t lo = 0, hi = rs->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (rs->v[mid].end <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < rs->n && rs->v[lo].start <= addr ? &rs->v[lo] : NULL;
}
