/*
 * spy_leakscan.c: the reachability scan that tells lost memory from
 * memory still held, the way memcheck does: every aligned word of every
 * root (writable mappings of modules and anonymous memory that holds no
 * heap block: globals, thread stacks, TLS) and of every reached block is
 * treated as a possible pointer.
 *
 *   reachable      a chain of pointers to block starts leads from a root
 *   possibly lost  only chains with an interior pointer reach it
 *   definitely     nothing points to it
 *   indirectly     only lost blocks point to it
 *
 * The scanning thread's own stack counts from the frame of the code that
 * asked for the scan: the spy's frames below it hold stale copies of old
 * pointers (the same reason memcheck scans only above the stack pointer).
 *
 * Runs at exit after the destructors and freeres, at _exit, and in a
 * fatal signal's handler before the signal is re-raised (a dying
 * process: its locks waited for a bounded time, else no scan); writes
 * one verdict per block into the profile. Uses only memory of its own (mmap), never the
 * heap, and holds every shard lock while it reads the table, so threads
 * that allocate meanwhile wait instead of moving blocks under it.
 */
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <time.h>
#include <unistd.h>

#include "spy.h"
#include "spy_scan.h"
#include "spy_check.h"
#include "spy_guard_sample.h"
#include "spy_sample.h"

struct sblock {
  uint64_t start, end;
  uint32_t before;                     /* 1 + its index in the attach census; 0: the table's */
  uint16_t state;
  uint8_t family;
  uint8_t heur;                        /* hsp_heuristic of the last interior sighting */
};

static struct sblock *blk;
static uint64_t nblk;
static uint64_t *starts;               /* blk[i].start, dense: find's search stays in L1 */
static uint32_t *todo;                 /* mark stack of block indices */
static uint64_t ntodo;
static uint64_t scanned;
static int64_t clique_head;            /* block whose clique is being built */
static size_t blk_bytes, todo_bytes;   /* our own buffers: never roots */

static void *map_anon(size_t n) {
  void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* LSD radix sort by start address, 11 bits a pass (no libc qsort: it may
 * allocate). Blocks are 16-byte aligned and below 2^48, so four passes over
 * bits 4..47 order them; scratch is our own mapping. Returns 0 if the
 * scratch could not be had (the caller then has no order to rely on). */
static int sort_blocks(struct sblock *a, uint64_t n) {
  size_t bytes = n * sizeof *a;
  struct sblock *tmp = map_anon(bytes);
  if (!tmp) return 0;
  struct sblock *src = a, *dst = tmp;
  for (unsigned shift = 4; shift < 48; shift += 11) {
    uint64_t count[2048] = { 0 };
    for (uint64_t i = 0; i < n; i++) count[(src[i].start >> shift) & 2047]++;
    uint64_t sum = 0;
    for (unsigned d = 0; d < 2048; d++) { uint64_t c = count[d]; count[d] = sum; sum += c; }
    for (uint64_t i = 0; i < n; i++) dst[count[(src[i].start >> shift) & 2047]++] = src[i];
    struct sblock *t = src; src = dst; dst = t;
  }
  if (src != a) memcpy(a, src, bytes);
  munmap(tmp, bytes ? bytes : 1);
  return 1;
}

/* A bit per 4 KiB page (folded onto 64 Ki bits) that some block touches:
 * most words of a heap whose blocks are few (--sample keeps one per
 * half-megabyte) point at no block's page and are dropped here, before
 * the binary search; with every block tracked nearly all pass. */
#define PAGE_BITS 16
static uint64_t block_pages[(1u << PAGE_BITS) / 64];

static void note_block_pages(void) {
  memset(block_pages, 0, sizeof block_pages);
  for (uint64_t i = 0; i < nblk; i++) {
    uint64_t first = blk[i].start >> 12, last = blk[i].end > blk[i].start ? (blk[i].end - 1) >> 12 : first;
    if (last - first >= (1u << PAGE_BITS)) {
      memset(block_pages, 0xff, sizeof block_pages);
      return;
    }
    for (uint64_t pg = first; pg <= last; pg++) {
      uint32_t bit = (uint32_t)pg & ((1u << PAGE_BITS) - 1);
      block_pages[bit / 64] |= 1ull << (bit % 64);
    }
  }
}

/* Could w point into a block? 0: certainly not. */
static inline int near_block(uint64_t w) {
  uint32_t bit = (uint32_t)(w >> 12) & ((1u << PAGE_BITS) - 1);
  return w >= blk[0].start && w <= blk[nblk - 1].end && (block_pages[bit / 64] >> (bit % 64) & 1);
}

/* Index of the block containing p, or -1. A zero-size block contains
 * only its own start. */
static int64_t find(uint64_t p) {
  if (!nblk || p < starts[0]) return -1;
  const uint64_t *base = starts;       /* the last start <= p: halving, branch-free */
  for (uint64_t n = nblk; n > 1; n -= n / 2)
    base = base[n / 2] <= p ? base + n / 2 : base;
  uint64_t lo = (uint64_t)(base - starts);
  if (p < blk[lo].end || p == blk[lo].start) return (int64_t)lo;
  return -1;
}

/* glibc's own bookkeeping (the arena's bins and top pointer in libc's
 * data) points at chunk headers, and a chunk header lies in the last
 * usable word of the chunk before it: inside a live block. Such a word is
 * the allocator's link, not the program's pointer. Layout: the size word
 * sits just before the block; bit 1 marks an mmap'd chunk (no neighbour). */
static int has_chunk_header(const struct sblock *b) {
  /* --guard's and --guard-sample's blocks have no chunk header: the word
   * before may be a guard page */
  return b->family < HSP_FAM_FIRST_CUSTOM && !spy_guard_owns((void *)(uintptr_t)b->start) &&
         !spy_gs_owns((void *)(uintptr_t)b->start);
}

/* Exact mode's record in front of b: glibc's chunk starts that much before. */
static uint64_t front_of(const struct sblock *b) {
  return spy_cb_front && spy_cb_fronted(b->start) ? SPY_EXACT_FRONT : 0;
}

static int allocator_link(const struct sblock *b, uint64_t w) {
  if (!has_chunk_header(b)) return 0;
  uint64_t front = front_of(b), sz = *(const uint64_t *)(uintptr_t)(b->start - front - 8);
  if (sz & 2 || (sz & ~7ull) < 8 + front) return 0;
  uint64_t usable = (sz & ~7ull) - 8 - front;
  if (usable < b->end - b->start || usable > b->end - b->start + 65536) return 0;
  return w == b->start + usable - 8;
}

/* File mappings, to tell vtables (memcheck's test: a readable file
 * mapping whose first non-null words point into executable file mappings). */
#define MAX_FILE_MAPS 4096
struct fmap { uint64_t lo, hi; int exec; };
static struct fmap fmaps[MAX_FILE_MAPS];
static unsigned nfmaps;

static const struct fmap *file_map(uint64_t a) {
  unsigned lo = 0, hi = nfmaps;
  while (lo < hi) {
    unsigned mid = (lo + hi) / 2;
    if (fmaps[mid].hi <= a) lo = mid + 1; else hi = mid;
  }
  return lo < nfmaps && fmaps[lo].lo <= a ? &fmaps[lo] : NULL;
}

static int looks_like_vtable(uint64_t p) {
  const struct fmap *m = file_map(p);
  if (!m) return 0;
  uint64_t last = p + 20 * 8;
  if (last > m->hi - 8) last = m->hi - 8;
  unsigned fns = 0;
  for (uint64_t a = p; a <= last; a += 8) {
    uint64_t fn = *(const uint64_t *)(uintptr_t)a;
    if (!fn) continue;
    const struct fmap *t = file_map(fn);
    if (!t || !t->exec) return 0;
    if (++fns == 2) return 1;
  }
  return 0;
}

static uint64_t word_at(uint64_t a) { return *(const uint64_t *)(uintptr_t)a; }

/* Which of memcheck's heuristics, if any, makes interior pointer w count
 * as a pointer to b's start; tried in memcheck's order. Every word read
 * lies inside the live block (or a readable file mapping). */
static unsigned heuristic(const struct sblock *b, uint64_t w) {
  uint64_t size = b->end - b->start, off = w - b->start;
  if (off == 24) {                     /* stdstring: length capacity refcount chars */
    uint64_t capacity = word_at(b->start + 8);
    if (capacity < size && 24 + capacity + 1 == size && word_at(b->start) <= capacity)
      return HSP_HEUR_STDSTRING;
  }
  if (off == 8) {
    uint64_t first = word_at(b->start);
    if (first && first == size - 8) return HSP_HEUR_LENGTH64;
    if (first && (size - 8) % first == 0) return HSP_HEUR_NEWARRAY;
  }
  if (!(w & 7) && off + 8 <= size && size >= 8) {   /* multiple inheritance */
    /* the block's first word first: a block sighted again and again by
     * interior pointers (an arena of small objects) has its start in
     * cache, while each word at w is a miss of its own */
    uint64_t first = word_at(b->start);
    if (!(first & 7) && first >= 4096 && looks_like_vtable(first)) {
      uint64_t inner = word_at(w);
      if (!(inner & 7) && inner >= 4096 && looks_like_vtable(inner)) return HSP_HEUR_MULTIPLE_INHERITANCE;
    }
  }
  return HSP_HEUR_NONE;
}

/* A word w seen in memory whose owner is definite (a root or a reachable
 * block) or not: upgrade the block it points to, push it if it changed. */
static void consider(uint64_t w, int definite, uint32_t clique_state) {
  int64_t i = find(w);
  if (i < 0) return;
  struct sblock *b = &blk[i];
  int at_start = w == b->start;
  if (!at_start && allocator_link(b, w)) return;
  uint32_t old = b->state, now = old;
  if (clique_state) {                  /* indirect pass: unreached only, */
    if (old == HSP_LEAK_UNCLASSIFIED && i != clique_head)
      now = clique_state;              /* absorbing earlier heads too */
  } else if (old == HSP_LEAK_REACHABLE) {
    if (at_start) b->heur = HSP_HEUR_NONE;   /* reachable plainly after all */
    return;
  } else {
    int as_start = at_start;           /* memcheck: a heuristic match counts as a start */
    if (!at_start) as_start = (b->heur = (uint8_t)heuristic(b, w)) != HSP_HEUR_NONE;
    if (as_start && definite) now = HSP_LEAK_REACHABLE;
    else if (old == HSP_LEAK_UNCLASSIFIED) now = HSP_LEAK_POSSIBLE;
  }
  if (now != old) {
    b->state = (uint16_t)now;
    todo[ntodo++] = (uint32_t)i;       /* each block is pushed < 3 times */
  }
}

/* Every word of words[0, n) that could point into a block, considered. */
static void scan_words(const uint64_t *words, size_t n, int definite, uint32_t clique) {
  for (size_t i = 0; i < n; i++)
    if (near_block(words[i])) consider(words[i], definite, clique);
}

static void scan_range(uint64_t lo, uint64_t hi, int definite, uint32_t clique) {
  lo = (lo + 7) & ~7ull;
  if (hi <= lo) return;
  scanned += hi - lo;
  scan_words((const uint64_t *)(uintptr_t)lo, (size_t)(hi - lo) / 8, definite, clique);
}

/* Roots are read through process_vm_readv: another thread may unmap its
 * stack or a mapping while we scan, and a fault there must not kill the
 * program. (Blocks need no such care: with the shard locks held none can
 * be freed.) */
static void scan_safe(uint64_t lo, uint64_t hi, int definite, uint32_t clique) {
  static uint64_t chunk[8192];
  pid_t self = getpid();
  lo = (lo + 7) & ~7ull;
  while (lo < hi) {
    size_t want = hi - lo < sizeof chunk ? (size_t)(hi - lo) : sizeof chunk;
    struct iovec local = { chunk, want }, remote = { (void *)(uintptr_t)lo, want };
    ssize_t got = process_vm_readv(self, &local, 1, &remote, 1, 0);
    if (got <= 0) return;              /* gone or unreadable: skip the rest */
    scanned += (uint64_t)got;
    scan_words(chunk, (size_t)got / 8, definite, clique);
    lo += (uint64_t)got;
  }
}

/* Set while a plain anonymous mapping (a heap, a stack, the program's
 * own mmap) is scanned as a root with every other thread held and this
 * one's asynchronous signals blocked: nothing can then shrink or unmap
 * it, so it is read in place, as blocks are, rather than copied out
 * through the kernel (a third of the exit scan of perl under --sample). */
static int roots_direct;

static void scan_root(uint64_t lo, uint64_t hi) {
  if (roots_direct) scan_range(lo, hi, 1, 0);
  else scan_safe(lo, hi, 1, 0);
}

static void drain(uint32_t clique) {
  while (ntodo) {
    struct sblock *b = &blk[todo[--ntodo]];
    if (b->before) scan_safe(b->start, b->end, b->state == HSP_LEAK_REACHABLE, clique);
    else scan_range(b->start, b->end, b->state == HSP_LEAK_REACHABLE, clique);
  }
}

/* Index of the first block starting at or above lo (nblk if none). */
static uint64_t first_block_from(uint64_t lo) {
  uint64_t a = 0, b = nblk;
  while (a < b) {
    uint64_t mid = (a + b) / 2;
    if (blk[mid].start < lo) a = mid + 1; else b = mid;
  }
  return a;
}

/* The pages glibc mmap'd for b alone, [*lo, *hi), as munmap_chunk frees
 * them: the chunk header's prev_size is the offset from the mapping's
 * start, its size (IS_MMAPPED set) the rest. 0 if b is no such chunk.
 * Under --check glibc's block starts SPY_FRONT before b, at its record, in
 * exact mode SPY_EXACT_FRONT before, if b has a front (under --check an
 * over-aligned block's longer zone reads as no chunk: never a root then,
 * as before). */
static int mmapped_chunk(const struct sblock *b, uint64_t *lo, uint64_t *hi) {
  if (!has_chunk_header(b)) return 0;
  uint64_t raw = b->start - (spy_check_on ? SPY_FRONT : front_of(b));
  uint64_t head = raw - 16, sz = word_at(raw - 8);
  if (!(sz & 2) || (sz & 1)) return 0;      /* IS_MMAPPED, never PREV_INUSE */
  uint64_t off = word_at(head), len = sz & ~7ull;
  if (off > head || len < b->end - head || ((head - off) | (off + len)) & 4095) return 0;
  *lo = head - off;
  *hi = head + len;
  return 1;
}

/* The spy's own memory, never a root, sorted by start, disjoint: the
 * scan's buffers (the block list, the mark stack, this list), every
 * thread's working memory (spy_thread_mem.h), which the kernel may have
 * merged with a neighbouring mapping, and the tables of live blocks'
 * addresses: --check's side table, the records' bitmap (each would keep
 * its blocks reachable). */
static uint64_t (*cuts)[2];
static uint64_t ncuts;
static size_t cuts_bytes;

static void add_cut(uint64_t lo, uint64_t hi) {
  cuts[ncuts][0] = lo;
  cuts[ncuts][1] = hi;
  ncuts++;
}

/* Ranges from fn, at most room of them. */
typedef uint64_t ranges_fn(uint64_t (*out)[2], uint64_t max);
static void take_ranges(ranges_fn *fn, uint64_t room) {
  uint64_t n = fn(cuts + ncuts, room);
  ncuts += n < room ? n : room;
}

/* With blk and todo mapped: the list made (shell sort: no libc qsort, it
 * may allocate). 0 if it could not be mapped. */
static int make_cuts(void) {
  /* room for more: threads may start, bitmaps be mapped meanwhile */
  uint64_t nmem = spy_thread_mem_ranges(NULL, 0) + 16, ncheck = spy_check_own_ranges(NULL, 0);
  uint64_t nrec = spy_cb_ranges(NULL, 0) + 16;
  cuts_bytes = (nmem + ncheck + nrec + 3) * sizeof *cuts;
  cuts = map_anon(cuts_bytes);
  if (!cuts) return 0;
  ncuts = 0;
  take_ranges(spy_thread_mem_ranges, nmem);
  take_ranges(spy_check_own_ranges, ncheck);
  take_ranges(spy_cb_ranges, nrec);             /* the records' bitmap */
  add_cut((uint64_t)(uintptr_t)blk, (uint64_t)(uintptr_t)blk + blk_bytes);
  add_cut((uint64_t)(uintptr_t)todo, (uint64_t)(uintptr_t)todo + todo_bytes);
  add_cut((uint64_t)(uintptr_t)cuts, (uint64_t)(uintptr_t)cuts + cuts_bytes);
  for (uint64_t gap = ncuts / 2; gap; gap /= 2)
    for (uint64_t i = gap; i < ncuts; i++)
      for (uint64_t j = i; j >= gap && cuts[j - gap][0] > cuts[j][0]; j -= gap) {
        uint64_t lo = cuts[j][0], hi = cuts[j][1];
        cuts[j][0] = cuts[j - gap][0], cuts[j][1] = cuts[j - gap][1];
        cuts[j - gap][0] = lo, cuts[j - gap][1] = hi;
      }
  return 1;
}

/* [lo, hi) as a root, without the spy's own memory in it. */
static void scan_root_not_ours(uint64_t lo, uint64_t hi) {
  uint64_t a = 0, b = ncuts;
  while (a < b) {                      /* the first cut ending above lo */
    uint64_t mid = (a + b) / 2;
    if (cuts[mid][1] <= lo) a = mid + 1; else b = mid;
  }
  for (; a < ncuts && cuts[a][0] < hi && lo < hi; a++) {
    if (cuts[a][0] > lo) scan_root(lo, cuts[a][0]);
    if (cuts[a][1] > lo) lo = cuts[a][1];
  }
  if (lo < hi) scan_root(lo, hi);
}

/* [lo, hi) of the mapping [map_lo, map_hi) as a root, without the heap
 * in it. The kernel merges adjacent anonymous mappings of the same
 * protection into one line of /proc/self/maps, so a chunk glibc mmap'd
 * for one large block may share its line with the program's own mmap
 * (python's object arenas): each such chunk is cut out and the rest
 * scanned, as memcheck scans the program's mmaps. A mapping holding any
 * other block (the brk heap, a thread arena's heap, --guard's pages, a
 * custom pool) is heap: its free chunks' stale contents must not count as
 * pointers, so none of it is scanned. */
static void scan_outside_heap(uint64_t map_lo, uint64_t map_hi, uint64_t lo, uint64_t hi) {
  uint64_t from = first_block_from(map_lo), i, clo, chi;
  for (i = from; i < nblk && blk[i].start < map_hi; i++)
    if (!mmapped_chunk(&blk[i], &clo, &chi) || clo < map_lo || chi > map_hi) return;
  for (i = from; i < nblk && blk[i].start < map_hi && lo < hi; i++) {
    mmapped_chunk(&blk[i], &clo, &chi);
    if (clo > lo) scan_root_not_ours(lo, clo < hi ? clo : hi);
    if (chi > lo) lo = chi;
  }
  if (lo < hi) scan_root_not_ours(lo, hi);
}

/* --sample: the table holds only the sampled blocks; the unsampled ones
 * live in the same arenas and may be what holds them, so the arena is a
 * root, all of it but the sampled blocks themselves (scanned when
 * reached). Free chunks count too: a stale pointer there makes a lost
 * block look reachable, never the reverse. */
static void scan_around_blocks(uint64_t lo, uint64_t hi) {
  for (uint64_t a = first_block_from(lo); a < nblk && blk[a].start < hi && lo < hi; a++) {
    if (blk[a].start > lo) scan_root_not_ours(lo, blk[a].start);
    if (blk[a].end > lo) lo = blk[a].end;
  }
  if (lo < hi) scan_root_not_ours(lo, hi);
}

/* Stack pointers of the other threads. A held thread's comes from its
 * interrupted context; a thread not held that sits in a system call
 * (blocked in a join, a lock, a read...) gives it in
 * /proc/self/task/TID/syscall; a running one's stack is scanned whole.
 * Below the stack pointer lie dead frames, as memcheck knows. */
#define MAX_SPS 1024
static uint64_t other_sp[MAX_SPS];
static unsigned n_other_sp;
static const struct spy_held_thread *held;
static unsigned nheld;
static int all_held;                   /* every other thread held, our signals blocked */
static sigset_t scan_old_mask;

static void note_thread_sp(int tid, void *me) {
  if (tid == *(int *)me || n_other_sp == MAX_SPS) return;
  for (unsigned i = 0; i < nheld; i++)
    if (held[i].tid == tid && SPY_HOLD_STATE(&held[i]) == SPY_HOLD_HELD) {
      other_sp[n_other_sp++] = held[i].sp;
      return;
    }
  char path[64], buf[256];
  spy_fmt(path, sizeof path, "/proc/self/task/%d/syscall", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t got = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (got <= 0 || buf[0] < '0' || buf[0] > '9') return;   /* "running" */
  buf[got] = 0;
  /* "NR a1 a2 a3 a4 a5 a6 SP PC": the 8th field */
  const char *f = buf;
  for (int k = 0; k < 7 && f; k++) { f = strchr(f, ' '); if (f) f++; }
  if (!f || f[0] != '0' || f[1] != 'x') return;
  f += 2;
  other_sp[n_other_sp++] = spy_hex(&f);
}

/* Calls fn for every line of /proc/self/maps: range, permissions, path
 * (NULL if none) and the text after the permissions. */
typedef void map_fn(uint64_t lo, uint64_t hi, const char *perms, const char *path,
                    const char *rest, void *ctx);

static void for_each_mapping(map_fn *fn, void *ctx) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[8192];
  size_t have = 0;
  for (;;) {
    ssize_t got = read(fd, buf + have, sizeof buf - have - 1);
    if (got <= 0) break;
    have += (size_t)got;
    buf[have] = 0;
    char *line = buf, *nl;
    while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
      *nl = 0;
      const char *s = line;
      uint64_t lo = spy_hex(&s);
      s++;
      uint64_t hi = spy_hex(&s);
      s++;
      fn(lo, hi, s, strchr(s, '/'), s, ctx);
      line = nl + 1;
    }
    have -= (size_t)(line - buf);
    memmove(buf, line, have);
  }
  close(fd);
}

static void note_file_map(uint64_t lo, uint64_t hi, const char *perms, const char *path,
                          const char *rest, void *ctx) {
  (void)rest; (void)ctx;
  if (!path || perms[0] != 'r' || nfmaps == MAX_FILE_MAPS) return;
  fmaps[nfmaps++] = (struct fmap){ lo, hi, perms[2] == 'x' };
}

/* The spy's own module, [own_lo, own_hi): its data and bss are never
 * roots (the scan's read buffer holds copies of what it read, the
 * interceptors' statics recent pointers). Found at start: dl_iterate_phdr
 * takes the loader's lock, which a handler must not. */
static uint64_t own_lo, own_hi;

static int own_module_cb(struct dl_phdr_info *info, size_t size, void *ctx) {
  (void)size; (void)ctx;
  uint64_t me = (uint64_t)(uintptr_t)own_module_cb, lo = UINT64_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uint64_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  if (me < lo || me >= hi) return 0;
  own_lo = lo & ~4095ull;
  own_hi = (hi + 4095) & ~4095ull;
  return 1;
}

void spy_scan_init(void) { dl_iterate_phdr(own_module_cb, NULL); }

static void scan_mapping(uint64_t lo, uint64_t hi, const char *perms, const char *path,
                         const char *rest, void *ctx) {
  if (lo >= own_lo && hi <= own_hi) return;
  if (lo < own_lo && hi > own_lo) hi = own_lo;    /* merged with a neighbour: */
  if (lo < own_hi && hi > own_hi) lo = own_hi;    /* only its part is ours */
  uint64_t arena_lo = (uint64_t)(uintptr_t)spy_hdr;
  const char *special = strchr(rest, '[');
  int skip = !(perms[0] == 'r' && perms[1] == 'w') ||
             (lo >= arena_lo && lo < arena_lo + (64ull << 30)) ||
             (path && strstr(path, "libheapspy")) ||
             (special && (!strncmp(special, "[vvar", 5) || !strncmp(special, "[vsys", 5))) ||
             (path && !strncmp(path, "/dev/", 5)) || spy_trace_owns(lo);
  if (skip) return;
  uint64_t first = first_block_from(lo);
  /* no file, no device, no kernel object behind it: [heap], [stack] or none */
  roots_direct = all_held && !path && !strstr(rest, "anon_inode") &&
                 (!special || !strncmp(special, "[heap]", 6) || !strncmp(special, "[stack", 6));
  if (spy_sampling && first < nblk && blk[first].start < hi) {
    scan_around_blocks(lo, hi);        /* --sample: the heap is a root */
    roots_direct = 0;
    drain(0);
    return;
  }
  const struct spy_scan_origin *o = ctx;
  uint64_t sp = o->stack, from = lo;
  if (sp >= from && sp < hi) from = sp;   /* our stack: only live frames */
  for (unsigned t = 0; t < n_other_sp; t++)
    if (other_sp[t] >= from && other_sp[t] < hi && other_sp[t] - 128 > from)
      from = other_sp[t] - 128;        /* keep the red zone */
  if (o->interrupted_sp > from && o->interrupted_sp < hi) from = o->interrupted_sp;
  scan_outside_heap(lo, hi, from, hi);
  roots_direct = 0;
  drain(0);
}

uint64_t spy_sig_sp, spy_sig_regs[SPY_SIG_REGS];

void spy_sig_interrupted(const void *ucontext) {
  const ucontext_t *uc = ucontext;
  for (int r = 0; r < SPY_SIG_REGS; r++)    /* R8..R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP */
    spy_sig_regs[r] = (uint64_t)uc->uc_mcontext.gregs[r];
  spy_sig_sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP] - 128;
}

void spy_sig_clear(void) { spy_sig_sp = 0; }

static void scan_roots(const struct spy_scan_origin *o) {
  int me = spy_gettid();
  n_other_sp = 0;
  spy_for_each_task(note_thread_sp, &me);
  for (unsigned i = 0; i < nheld; i++)  /* held threads' registers are roots */
    if (SPY_HOLD_STATE(&held[i]) == SPY_HOLD_HELD)
      for (int r = 0; r < SPY_HELD_REGS; r++) consider(held[i].regs[r], 1, 0);
  drain(0);
  for_each_mapping(scan_mapping, (void *)o);
}

static void add_block(uint64_t start, uint64_t size, unsigned family, uint32_t before) {
  blk[nblk] = (struct sblock){ .start = start, .end = start + size, .before = before,
                               .state = HSP_LEAK_UNCLASSIFIED, .family = (uint8_t)family };
  nblk++;
}

/* The table's blocks, then the attach census's that are not gone (at
 * most max of those). */
static void collect(struct hsp_shard *sh, const struct hsp_before *bf, uint64_t nbf, uint64_t max) {
  for (int si = 0; si < HSP_SHARDS; si++) {
    struct hsp_block *t = spy_arena_at(sh[si].table_off);
    for (uint64_t i = 0; i < sh[si].capacity; i++)
      if (t[i].ptr)
        add_block(HSP_ADDR(t[i].ptr), HSP_BLOCK_SIZE(&t[i]), HSP_BLOCK_FAMILY(&t[i]), 0);
  }
  for (uint64_t i = 0, n = 0; i < nbf && n < max; i++)
    if (__atomic_load_n(&bf[i].kind, __ATOMIC_ACQUIRE) != HSP_BEFORE_GONE) {
      add_block(bf[i].ptr, bf[i].size, HSP_FAM_MALLOC, (uint32_t)(i + 1));
      n++;
    }
}

/* A census block that meets a table block is gone: glibc gave its
 * memory out again since the census (it was freed while the allocator
 * slots were being redirected). Census blocks are disjoint, so with blk
 * sorted a table block meeting one starts before it (the highest end so
 * far) or is the entry right after it. Marks such entries in the census. */
static void drop_stale_before(struct hsp_before *bf) {
  uint64_t kept = 0, table_end = 0;
  for (uint64_t i = 0; i < nblk; i++) {
    const struct sblock *b = &blk[i];
    if (!b->before) {
      uint64_t end = b->end > b->start ? b->end : b->start + 1;
      if (end > table_end) table_end = end;
    } else if (b->start < table_end || (i + 1 < nblk && blk[i + 1].start < b->end)) {
      bf[b->before - 1].kind = HSP_BEFORE_GONE;
      continue;
    }
    blk[kept++] = *b;
  }
  nblk = kept;
}

/* The callee-saved registers as they are on entry: the caller's values,
 * or values its own code put there. Read by a leaf that touches no
 * other register. */
__attribute__((noinline)) void spy_capture_registers(uint64_t regs[6]) {
  __asm__ volatile("mov %%rbx, 0(%0)\n\tmov %%rbp, 8(%0)\n\tmov %%r12, 16(%0)\n\t"
                   "mov %%r13, 24(%0)\n\tmov %%r14, 32(%0)\n\tmov %%r15, 40(%0)"
                   : : "r"(regs) : "memory");
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t spy_leak_scan(const struct spy_scan_origin *from, uint64_t *sites_count) {
  struct hsp_shard *sh = spy_arena_at(spy_hdr->shards_off);
  struct hsp_scan_info info = { 0 };
  uint64_t t0 = mono_ns(), sites = 0;
  int classified = 0;
  if (from->dying) {                   /* the caller settled the pending table operations */
    if (!spy_blocks_lock_all_bounded()) return 0;    /* stays unclassified */
  } else {
    spy_blocks_lock_all();
  }
  spy_blocks_flush_locked();           /* --check's recorded blocks: the table lists all */
  uint64_t total = 0, nbf = 0;
  for (int i = 0; i < HSP_SHARDS; i++) total += sh[i].count;
  struct hsp_before *bf = spy_before_table(&nbf);
  blk_bytes = (total + nbf) * (sizeof *blk + sizeof *starts) + 64;   /* blk, then starts */
  todo_bytes = (total + nbf) * 3 * sizeof *todo + 64;
  blk = map_anon(blk_bytes);
  todo = map_anon(todo_bytes);
  uint64_t voff = 0;
  struct hsp_verdict *v = spy_arena_alloc(total * sizeof *v + 8, &voff);
  if (!blk || !todo || !v || !(total + nbf) || !make_cuts()) goto out;
  /* From here to the release: no allocation, no lock, no user code. */
  nheld = spy_stop_others(&info, &held);
  all_held = 1;
  for (int r = 0; r < HSP_UNHELD_REASONS; r++) all_held &= !info.unheld[r];
  if (all_held) {                      /* a handler here could free into glibc */
    sigset_t async;
    sigfillset(&async);
    sigdelset(&async, SIGSEGV);        /* faults stay fatal (or --guard's) */
    sigdelset(&async, SIGBUS);
    sigdelset(&async, SIGILL);
    sigdelset(&async, SIGFPE);
    sigdelset(&async, SIGTRAP);        /* --guard steps over a fault with it */
    all_held = pthread_sigmask(SIG_BLOCK, &async, &scan_old_mask) == 0;
  }
  nblk = ntodo = scanned = 0;
  nfmaps = 0;
  collect(sh, bf, nbf, nbf);
  if (!sort_blocks(blk, nblk)) goto out;
  if (nbf) drop_stale_before(bf);
  if (!nblk) goto out;
  starts = (uint64_t *)(blk + total + nbf);
  for (uint64_t i = 0; i < nblk; i++) starts[i] = blk[i].start;
  note_block_pages();
  for_each_mapping(note_file_map, NULL);
  for (int r = 0; r < 6; r++) consider(from->regs[r], 1, 0);   /* registers are roots */
  for (int r = 0; from->interrupted_sp && r < SPY_SIG_REGS; r++) consider(spy_sig_regs[r], 1, 0);
  drain(0);
  scan_roots(from);
  /* What no root reaches is lost: each such block heads a clique and
   * everything only it reaches is indirectly lost. */
  for (uint64_t i = 0; i < nblk; i++) {
    if (blk[i].state != HSP_LEAK_UNCLASSIFIED) continue;
    clique_head = (int64_t)i;
    scan_range(blk[i].start, blk[i].end, 0, HSP_LEAK_INDIRECT);
    drain(HSP_LEAK_INDIRECT);
  }
  clique_head = -1;
  spy_stop_release(&info);
  uint64_t nv = 0;
  for (uint64_t i = 0; i < nblk; i++) {
    uint32_t kind = blk[i].state ? blk[i].state : HSP_LEAK_DEFINITE;
    if (kind == HSP_LEAK_REACHABLE && blk[i].heur) {
      info.heur_bytes[blk[i].heur] += blk[i].end - blk[i].start;
      info.heur_blocks[blk[i].heur]++;
    }
    if (blk[i].before) {               /* gone meanwhile: the free path said so */
      uint32_t *k = &bf[blk[i].before - 1].kind, was = __atomic_load_n(k, __ATOMIC_ACQUIRE);
      if (was != HSP_BEFORE_GONE)
        __atomic_compare_exchange_n(k, &was, kind, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
      continue;
    }
    v[nv].ptr = blk[i].start;
    v[nv].kind = kind;
    v[nv].custom = blk[i].family >= HSP_FAM_FIRST_CUSTOM;
    nv++;
  }
  spy_hdr->verdicts_count = nv;
  spy_hdr->verdicts_t_ms = spy_now_ms();
  spy_hdr->scanned_bytes = scanned;
  info.scan_ns = mono_ns() - t0;
  spy_hdr->scan = info;
  __atomic_store_n(&spy_hdr->verdicts_off, voff, __ATOMIC_RELEASE);
  classified = 1;
out:
  if (all_held) pthread_sigmask(SIG_SETMASK, &scan_old_mask, NULL);
  all_held = 0;
  spy_stop_release(NULL);
  if (sites_count) sites = spy_blocks_snapshot_locked(sites_count, classified);
  spy_blocks_unlock_all();
  if (blk) munmap(blk, blk_bytes);
  if (todo) munmap(todo, todo_bytes);
  if (cuts) munmap(cuts, cuts_bytes);
  blk = NULL;
  starts = NULL;
  todo = NULL;
  cuts = NULL;
  ncuts = 0;
  nheld = 0;
  return sites;
}
