/*
 * proc_heapblock.c: for `maps PID ADDR` on a process spied by heapspy,
 * the heap block holding ADDR and the stack that allocated it.
 *
 * The spy keeps its profile (.hsp) mapped MAP_SHARED in the process and
 * up to date, so the profile's file, found in /proc/PID/maps by its
 * magic, is the live heap: opening it read-only here sees every block
 * allocated so far.
 *
 * Must never: write to the profile or signal the process; a profile that
 * is torn or belongs to another process yields a note, never a failure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "profile/hsp_read.h"
#include "inspect/proc.h"
#include "inspect/spy_records.h"

#define MAX_MODULES 4096
#define MAX_FRAMES 256

struct heap_priv {
  struct hsp_profile prof;
  struct hs_module_info *mods;
  struct hs_symbolizer *sym;
};

/* 1 if the file mapped at r starts with the profile magic. The spy maps
 * its profile shared and writable; the name is the user's choice. */
static int is_profile(pid_t pid, const struct hs_region *r) {
  if (r->perms[3] != 's' || r->path[0] != '/' || r->offset != 0) return 0;
  char mf[128], magic[8];
  int fd = open(r->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", (int)pid,
             (unsigned long long)r->start, (unsigned long long)r->end);
    fd = open(mf, O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) return 0;
  int ok = pread(fd, magic, sizeof magic, 0) == (ssize_t)sizeof magic &&
           !memcmp(magic, HSP_MAGIC, sizeof magic);
  close(fd);
  return ok;
}

/* Opens the profile mapped at region r, as a file or through map_files. */
static int open_profile(pid_t pid, const struct hs_region *r, struct hsp_profile *p,
                        char *err, size_t errlen) {
  struct stat st;
  if (stat(r->path, &st) == 0 && st.st_ino == r->inode && hsp_open(p, r->path, err, errlen) == 0)
    return 0;
  char mf[128];
  snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", (int)pid,
           (unsigned long long)r->start, (unsigned long long)r->end);
  return hsp_open(p, mf, err, errlen);
}

void hs_heap_lookup(pid_t pid, const struct hs_regions *rs, uint64_t addr,
                    struct hs_heap_hit *hit) {
  memset(hit, 0, sizeof *hit);
  const struct hs_region *pr = NULL;
  for (size_t i = 0; i < rs->n; i++)
    if (is_profile(pid, &rs->v[i])) {
      pr = &rs->v[i];
      break;
    }
  if (!pr) return;
  hit->spied = 1;
  snprintf(hit->profile, sizeof hit->profile, "%s", pr->path);
  struct heap_priv *hp = hs_xcalloc(1, sizeof *hp);
  char err[1200];
  if (open_profile(pid, pr, &hp->prof, err, sizeof err) < 0) {
    snprintf(hit->note, sizeof hit->note, "cannot read the profile: %.200s", err);
    free(hp);
    return;
  }
  hit->priv = hp;
  const struct hsp_header *h = hp->prof.hdr;
  if (h->pid != pid) {
    snprintf(hit->note, sizeof hit->note,
             "the profile mapped here belongs to process %d (a parent before fork?)", h->pid);
    return;
  }
  struct hsp_block *b = NULL;
  size_t n = hsp_live_blocks_copy(&hp->prof, &b);
  n = hs_spy_records_append(pid, h, &b, n);
  n = b ? hsp_blocks_sort(b, n) : 0;
  size_t lo = 0, hi = n;                  /* first block with ptr > addr */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (b[mid].ptr <= addr) lo = mid + 1;
    else hi = mid;
  }
  const struct hsp_block *blk = NULL;
  if (lo > 0) {
    const struct hsp_block *c = &b[lo - 1];
    uint64_t size = HSP_BLOCK_SIZE(c);
    if (addr < c->ptr + (size ? size : 1)) blk = c;
  }
  if (!blk) {
    snprintf(hit->note, sizeof hit->note,
             "not inside any of the %zu live blocks the spy knows (free memory, allocator "
             "metadata, or memory not from malloc/new)", n);
    free(b);
    return;
  }
  hit->found = 1;
  hit->ptr = blk->ptr;
  hit->size = HSP_BLOCK_SIZE(blk);
  hit->t_ms = blk->t_ms;
  unsigned fam = HSP_BLOCK_FAMILY(blk);
  if (fam < h->nfamilies && fam < HSP_MAX_FAMILIES && memchr(h->families[fam], 0, HSP_FAMILY_NAME))
    snprintf(hit->family, sizeof hit->family, "%s", h->families[fam]);
  else
    snprintf(hit->family, sizeof hit->family, "family %u", fam);

  const struct hsp_module **mods = hs_xcalloc(MAX_MODULES, sizeof *mods);
  size_t nm = hsp_modules(&hp->prof, mods, MAX_MODULES);
  hp->mods = hs_xcalloc(nm + 1, sizeof *hp->mods);
  for (size_t i = 0; i < nm; i++) {
    hp->mods[i].path = mods[i]->path;
    hp->mods[i].base = mods[i]->base;
    hp->mods[i].start = mods[i]->start;
    hp->mods[i].end = mods[i]->end;
    hp->mods[i].build_id = mods[i]->build_id;
    hp->mods[i].build_id_len = mods[i]->build_id_len;
  }
  free(mods);
  hp->sym = hs_symbolizer_new(hp->mods, nm, NULL);
  const struct hsp_stack *s = hsp_stack(&hp->prof, blk->stack);
  hit->frames = hs_xcalloc(MAX_FRAMES, sizeof *hit->frames);
  uint64_t pc[MAX_FRAMES];
  uint32_t depth = s ? hsp_stack_frames(&hp->prof, s, pc, MAX_FRAMES) : 0;
  for (uint32_t i = 0; i < depth && hit->nframes < MAX_FRAMES; i++)
    hit->nframes += hs_symbolize(hp->sym, pc[i], 1, hit->frames + hit->nframes,
                                 MAX_FRAMES - hit->nframes);
  free(b);
}

void hs_heap_hit_free(struct hs_heap_hit *hit) {
  struct heap_priv *hp = hit->priv;
  if (hp) {
    if (hp->sym) hs_symbolizer_free(hp->sym);
    free(hp->mods);
    hsp_close(&hp->prof);
    free(hp);
  }
  free(hit->frames);
  memset(hit, 0, sizeof *hit);
}
