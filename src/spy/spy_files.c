/*
 * spy_files.c: how the spy creates the files it writes inside the
 * program (the profile, the trace): the same rules and words as the
 * CLI's src/common/private_file.c. Private (file_mode, 0600 by default)
 * whatever the program's umask; never through a final symlink, a FIFO, a
 * device or a directory; never over a read-only file, another user's, one
 * with other hard links or one of another kind; a new name where the
 * name must be new (%p, a forked child, an exec'd image); and the very
 * file `heapspy run` created when it created one (profile_id, trace_id).
 *
 * Must never: allocate, call stdio, follow a final symlink, or truncate
 * or chmod a file before every check passed on the descriptor itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spy.h"

/* A number at *s in base (8 or 10), then for sizes an optional K, M, G or
 * T (powers of 1024); advances *s. */
static uint64_t parse_num(const char **s, unsigned base, int units) {
  uint64_t v = 0;
  while (**s >= '0' && **s < (char)('0' + base)) v = v * base + (uint64_t)(*(*s)++ - '0');
  if (units) {
    const char *u = "KMGT";
    for (unsigned i = 0; u[i]; i++)
      if ((**s | 0x20) == (u[i] | 0x20)) { v <<= 10 * (i + 1); (*s)++; break; }
  }
  return v;
}

uint64_t spy_size(const char *s) { return parse_num(&s, 10, 1); }

unsigned spy_file_mode(void) {
  const char *s = spy_opt.file_mode;
  uint64_t m = parse_num(&s, 8, 0);
  /* as the CLI's --file-mode: the owner's rw, never more than 0666 */
  return *s || (m & 0600) != 0600 || m > 0666 ? 0600 : (unsigned)m;
}

int spy_file_id(const char *s, struct spy_file_id *id) {
  id->pid = (int)parse_num(&s, 10, 0);
  if (*s++ != ',') return 0;
  id->dev = parse_num(&s, 10, 0);
  if (*s++ != ',') return 0;
  id->ino = parse_num(&s, 10, 0);
  return !*s && id->ino != 0 && id->pid > 0;
}

static const char *type_name(mode_t m) {
  return S_ISLNK(m) ? "it is a symbolic link" : S_ISDIR(m) ? "it is a directory"
         : S_ISFIFO(m) ? "it is a FIFO" : S_ISCHR(m) || S_ISBLK(m) ? "it is a device"
         : S_ISSOCK(m) ? "it is a socket" : "it is not a regular file";
}

/* What forbids writing over the existing file st, or NULL. */
static const char *refusal(const struct stat *st) {
  if (!S_ISREG(st->st_mode)) return type_name(st->st_mode);
  if (st->st_nlink > 1) return "it has other hard links (another name for the same file)";
  if (st->st_uid != geteuid()) return "it belongs to another user";
  if (!(st->st_mode & S_IWUSR)) return "it is read-only";
  return NULL;
}

int spy_open_private(const char *path, const char *magic, int flags,
                     const struct spy_file_id *made, const char **why) {
  struct stat st;
  *why = NULL;
  if (lstat(path, &st) == 0) {
    if ((*why = S_ISLNK(st.st_mode) ? "it is a symbolic link" : refusal(&st))) return -1;
    if ((flags & SPY_OPEN_EXCL) && !made) {
      *why = "it already exists (a stale file, or one placed there by someone else)";
      return -1;
    }
  }
  int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                      (made ? 0 : O_CREAT | (flags & SPY_OPEN_EXCL ? O_EXCL : 0)),
                spy_file_mode());
  if (fd < 0) {
    int e = errno;
    *why = e == ELOOP ? "it is a symbolic link" : e == EISDIR ? "it is a directory"
           : e == ENXIO ? "it is a FIFO" : e == EEXIST ? "it already exists" : NULL;
    errno = e;
    return -1;
  }
  char head[8];
  if (fstat(fd, &st) < 0) *why = "it cannot be examined (fstat failed)";
  else if ((*why = refusal(&st))) {}
  else if (made && ((uint64_t)st.st_dev != made->dev || (uint64_t)st.st_ino != made->ino))
    *why = "it is not the file heapspy created (replaced after heapspy run checked it)";
  else if (st.st_size && magic &&
           (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head || memcmp(head, magic, 8)))
    *why = "it is not a heapspy file of this kind";
  if (!*why && (fcntl(fd, F_SETFL, 0) < 0 || ftruncate(fd, 0) < 0 ||
                fchmod(fd, spy_file_mode()) < 0))
    *why = "it cannot be emptied or made private";
  if (*why) { close(fd); return -1; }
  return fd;
}
