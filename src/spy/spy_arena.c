/*
 * spy_arena.c: the profile file as the spy's only memory. The file is
 * mapped MAP_SHARED at a fixed, reserved address range and grown in place,
 * so records survive any death of the process (the kernel owns the dirty
 * pages) and offsets convert to pointers by adding the base.
 *
 * Disk space is reserved with posix_fallocate before a range is mapped, so
 * a full disk never turns into SIGBUS inside the program: the arena falls
 * back to anonymous memory, warns once, and flags the profile incomplete.
 *
 * Must never: allocate from the program's heap, or be called with a shard
 * lock held by a caller that the arena lock holder could wait for (the
 * arena lock is a leaf).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spy.h"

#define ARENA_RESERVE (64ull << 30)   /* virtual reservation */
#define ARENA_MIN_GROW (1ull << 20)

char *spy_arena_base;
#define arena_base spy_arena_base
static int arena_fd = -1;
static dev_t arena_dev;                /* to recognise our file behind the fd */
static ino_t arena_ino;

/* The program owns the low descriptors: it may close them or dup2 its own
 * files over them. Keep ours high, and before every use check it is
 * still our file, so we can never extend or map someone else's. */
#define FD_FLOOR 700

static int adopt_fd(int fd) {
  int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR);
  if (high >= 0) { close(fd); fd = high; }
  struct stat st;
  if (fstat(fd, &st) == 0) { arena_dev = st.st_dev; arena_ino = st.st_ino; }
  return fd;
}

static int fd_still_ours(void) {
  struct stat st;
  if (arena_fd >= 0 && fstat(arena_fd, &st) == 0 && st.st_dev == arena_dev &&
      st.st_ino == arena_ino)
    return 1;
  /* closed behind our back (closefrom, daemonizing): reopen the same file */
  int fd = open(spy_opt.profile, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  if (fstat(fd, &st) == 0 && st.st_dev == arena_dev && st.st_ino == arena_ino) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, FD_FLOOR);
    if (high >= 0) { close(fd); fd = high; }
    arena_fd = fd;
    return 1;
  }
  close(fd);
  return 0;
}
static uint64_t arena_mapped;          /* bytes mapped at arena_base */
static uint64_t arena_disk;            /* of which backed by the file */
static int arena_on_disk = 1;          /* 0 after ENOSPC: anonymous tail */
static uint32_t arena_lock;            /* leaf lock: nothing nests inside */

struct hsp_header *spy_hdr;


static void arena_fall_back(int err) {
  spy_warn("cannot extend profile %s (%s); the program continues, the "
           "profile will be marked incomplete", spy_opt.profile,
           err == ENOSPC ? "disk full"
           : err == EBADF ? "the program closed or replaced heapspy's file descriptor"
                          : strerror(err));
  arena_on_disk = 0;
  __atomic_or_fetch(&spy_hdr->flags, HSP_FLAG_INCOMPLETE, __ATOMIC_RELAXED);
}

/* Map [arena_mapped, want) . Returns 0 on success. */
static int arena_grow(uint64_t want) {
  SPY_ASSERT(want > arena_mapped);     /* else add below wraps around */
  uint64_t add = want - arena_mapped;
  if (add < arena_mapped / 2) add = arena_mapped / 2;
  if (add < ARENA_MIN_GROW) add = ARENA_MIN_GROW;
  add = (add + 4095) & ~4095ull;
  if (arena_mapped + add > ARENA_RESERVE) return -1;
  char *at = arena_base + arena_mapped;
  if (arena_on_disk && !fd_still_ours()) {
    if (!spy_hdr) return -1;
    arena_fall_back(EBADF);
  }
  if (arena_on_disk) {
    int err = posix_fallocate(arena_fd, (off_t)arena_mapped, (off_t)add);
    if (err == 0 &&
        mmap(at, add, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, arena_fd,
             (off_t)arena_mapped) != MAP_FAILED) {
      /* no read-ahead: a fault would fill the page cache with zeroed
       * pages around it that --sample never touches (1 ms a run) */
      madvise(at, add, MADV_RANDOM);
      arena_mapped += add;
      arena_disk = arena_mapped;
      if (spy_hdr) spy_hdr->file_size = arena_mapped;
      return 0;
    }
    if (!spy_hdr) {                    /* the header itself did not fit */
      if (err) errno = err;            /* posix_fallocate returns it, sets nothing */
      return -1;
    }
    arena_fall_back(err ? err : errno);
  }
  if (mmap(at, add, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
    return -1;
  arena_mapped += add;
  return 0;
}

int spy_arena_open(const char *path, int flags, const struct spy_file_id *made) {
  arena_base = spy_reserve(ARENA_RESERVE);
  if (!arena_base) {
    spy_warn("cannot reserve address space for the profile; spy disabled");
    return -1;
  }
  const char *why;
  arena_fd = spy_open_private(path, HSP_MAGIC, flags, made, &why);
  if (arena_fd >= 0) arena_fd = adopt_fd(arena_fd);
  if (arena_fd < 0) {
    if (why) spy_warn("refusing to write profile %s: %s; spy disabled", path, why);
    else spy_warn("cannot create profile %s (%s); spy disabled", path, strerror(errno));
    munmap(arena_base, ARENA_RESERVE);
    return -1;
  }
  if (arena_grow(HSP_HEADER_SIZE + sizeof(struct hsp_shard) * HSP_SHARDS) < 0) {
    spy_warn("cannot write profile %s (%s); spy disabled", path,
             strerror(errno));
    close(arena_fd);
    munmap(arena_base, ARENA_RESERVE);
    return -1;
  }
  spy_hdr = (struct hsp_header *)arena_base;
  spy_hdr->file_size = arena_mapped;
  spy_hdr->header_size = HSP_HEADER_SIZE;
  spy_hdr->shards_off = HSP_HEADER_SIZE;
  spy_hdr->arena_used = HSP_HEADER_SIZE + sizeof(struct hsp_shard) * HSP_SHARDS;
  return 0;
}

void *spy_arena_alloc(size_t bytes, uint64_t *off_out) {
  bytes = (bytes + 63) & ~(size_t)63;  /* cache-line aligned records */
  spy_lock(&arena_lock);
  uint64_t off = spy_hdr->arena_used;
  if (off + bytes > arena_mapped && arena_grow(off + bytes) < 0) {
    spy_unlock(&arena_lock);
    return NULL;
  }
  /* records are cache-line aligned (the reader refuses offsets that are
   * not 8-aligned) and lie in the mapping */
  SPY_ASSERT(off % 64 == 0 && off + bytes <= arena_mapped);
  __atomic_store_n(&spy_hdr->arena_used, off + bytes, __ATOMIC_RELEASE);
  spy_unlock(&arena_lock);
  if (off_out) *off_out = off;
  return arena_base + off;
}

static uint64_t arena_released;        /* bytes given back to the kernel */

uint64_t spy_arena_vm(void) { return arena_base ? ARENA_RESERVE : 0; }

/* Approximation: everything used and not released is resident. */
uint64_t spy_arena_resident(void) {
  uint64_t used = __atomic_load_n(&spy_hdr->arena_used, __ATOMIC_RELAXED);
  uint64_t rel = __atomic_load_n(&arena_released, __ATOMIC_RELAXED);
  return used > rel ? used - rel : 0;
}

void spy_arena_release(uint64_t off, uint64_t len) {
  uint64_t lo = (off + 4095) & ~4095ull, hi = (off + len) & ~4095ull;
  if (hi > lo && madvise(arena_base + lo, hi - lo, MADV_REMOVE) == 0)
    __atomic_add_fetch(&arena_released, hi - lo, __ATOMIC_RELAXED);
}

/* fork: the arena as it was at the fork, for the child. Until the child
 * has its own copy, the parent's allocations and frees after fork()
 * returns would land in the file both share: the child would inherit
 * blocks it never had (the parent's, on pages that are inaccessible in
 * the child under --guard) and lose blocks it still holds. So the
 * parent, every spy lock held, copies the used part into private memory
 * before the fork; the child starts from that copy; the parent drops
 * it. Without a copy (mmap refused) the child copies the live file as
 * before. */
static char *fork_copy;
static uint64_t fork_copy_len;

void spy_arena_fork_prepare(int copy) {
  spy_lock(&arena_lock);
  fork_copy = NULL;
  if (!copy) return;
  uint64_t used = (__atomic_load_n(&spy_hdr->arena_used, __ATOMIC_RELAXED) + 4095) & ~4095ull;
  if (used > arena_mapped) used = arena_mapped;
  void *p = mmap(NULL, arena_mapped, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;
  memcpy(p, arena_base, used);        /* the rest of the file is zeros */
  fork_copy = p;
  fork_copy_len = arena_mapped;
}

void spy_arena_fork_parent(void) {
  if (fork_copy) munmap(fork_copy, fork_copy_len);
  fork_copy = NULL;
  spy_unlock(&arena_lock);
}

/* In a forked child, first: only the forking thread exists. */
void spy_arena_fork_child(void) { arena_lock = 0; }

/* In a forked child: write the arena (as of the fork) into a fresh file at
 * path (a new name: never a file that exists, the parent's included) and
 * map that file over the same addresses, so the child continues its own
 * profile. Warns once on failure. */
int spy_arena_reopen_for_child(const char *path) {
  const char *src = fork_copy ? fork_copy : arena_base;
  const char *why;
  int fd = spy_open_private(path, HSP_MAGIC, SPY_OPEN_EXCL, NULL, &why);
  if (fd < 0) {
    if (why) spy_warn("refusing to write the child's profile %s: %s; child not spied", path, why);
    else spy_warn("cannot create the child's profile %s (%s); child not spied", path,
                  strerror(errno));
    return -1;
  }
  for (uint64_t off = 0; off < arena_mapped;) {
    ssize_t w = pwrite(fd, src + off, arena_mapped - off, (off_t)off);
    if (w <= 0) { if (w < 0 && errno == EINTR) continue; close(fd); return -1; }
    off += (uint64_t)w;
  }
  if (mmap(arena_base, arena_mapped, PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
    close(fd);
    return -1;
  }
  if (fork_copy) munmap(fork_copy, fork_copy_len);
  fork_copy = NULL;
  if (fd_still_ours()) close(arena_fd);
  arena_fd = adopt_fd(fd);
  arena_disk = arena_mapped;
  arena_on_disk = 1;
  arena_lock = 0;
  return 0;
}

/* In a forked child that is not followed: keep our memory readable but
 * never write the parent's file again: the copy made at the fork takes
 * the arena's place (a private mapping of the file would still show the
 * parent's later writes on every page the child has not written). */
void spy_arena_detach(void) {
  if (fork_copy && mremap(fork_copy, fork_copy_len, fork_copy_len, MREMAP_MAYMOVE | MREMAP_FIXED,
                          arena_base) != MAP_FAILED) {
    fork_copy = NULL;
  } else {
    if (fork_copy) munmap(fork_copy, fork_copy_len);
    fork_copy = NULL;
    if (arena_disk && fd_still_ours())
      mmap(arena_base, arena_disk, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_FIXED, arena_fd, 0);
  }
  if (fd_still_ours()) close(arena_fd);
  arena_fd = -1;
  arena_lock = 0;
}
