/*
 * private_file.c: how the CLI creates every file and folder it writes
 * (rules and reasons: private_file.h). Each refusal is one line naming
 * the path and what is wrong with it.
 *
 * Must never: follow a final symlink, open a FIFO in a way that blocks,
 * truncate or chmod a file before all checks passed on the very inode
 * that was opened, or chmod an existing folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/private_file.h"
#include "common/util.h"
#include "profile/hsp_format.h"
#include "profile/hst_format.h"

unsigned hs_file_mode = 0600;

unsigned hs_dir_mode(void) {
  return hs_file_mode | ((hs_file_mode & 0444) >> 2);
}

unsigned hs_file_mode_arg(const char *cmd, const char *arg) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(arg, &end, 8);
  if (!*arg || *arg == '-' || *arg == '+' || *end || errno || v > 0666 || (v & 0600) != 0600)
    hs_die(HS_EXIT_USAGE, "%s: --file-mode expects an octal mode from 0600 to 0666 "
                          "(like 0640), not '%s'", cmd, arg);
  return (unsigned)v;
}

static const char *type_name(mode_t m) {
  return S_ISLNK(m) ? "it is a symbolic link" : S_ISDIR(m) ? "it is a directory"
         : S_ISFIFO(m) ? "it is a FIFO" : S_ISCHR(m) || S_ISBLK(m) ? "it is a device"
         : S_ISSOCK(m) ? "it is a socket" : "it is not a regular file";
}

/* What forbids writing over the existing file st, or NULL. */
static const char *refusal(const struct stat *st, char *buf, size_t cap) {
  if (!S_ISREG(st->st_mode)) return type_name(st->st_mode);
  if (st->st_nlink > 1) {
    snprintf(buf, cap, "it has %lu hard links (another name for the same file)",
             (unsigned long)st->st_nlink);
    return buf;
  }
  if (st->st_uid != geteuid()) {
    snprintf(buf, cap, "it belongs to another user (uid %u)", (unsigned)st->st_uid);
    return buf;
  }
  if (!(st->st_mode & S_IWUSR)) return "it is read-only";
  return NULL;
}

static int say(char *err, size_t errlen, const char *verb, const char *path, const char *why) {
  snprintf(err, errlen, "refusing to %s %s: %s", verb, path, why);
  return -1;
}

/* A profile or trace we may overwrite: empty, or starting with its magic. */
static const char *not_ours(int fd, const struct stat *st, enum hs_file_kind kind) {
  if (kind != HS_FILE_PROFILE && kind != HS_FILE_TRACE) return NULL;
  if (st->st_size == 0) return NULL;
  char magic[8] = { 0 };
  const char *want = kind == HS_FILE_PROFILE ? HSP_MAGIC : HST_MAGIC;
  if (pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic || memcmp(magic, want, 8))
    return kind == HS_FILE_PROFILE ? "it is not a heapspy profile" : "it is not a heapspy trace";
  return NULL;
}

int hs_create_private(const char *path, enum hs_file_kind kind, int flags, char *err,
                      size_t errlen) {
  char buf[160];
  const char *why;
  struct stat st;
  /* first by name, for a precise message; then again on what was opened */
  if (lstat(path, &st) == 0) {
    if (S_ISLNK(st.st_mode)) return say(err, errlen, "write", path, "it is a symbolic link");
    if ((why = refusal(&st, buf, sizeof buf))) return say(err, errlen, "write", path, why);
    if (flags & HS_CREATE_EXCL)
      return say(err, errlen, "create", path, "it already exists (a stale file, or one placed "
                                              "there by someone else; %p names are always new)");
  }
  int acc = kind == HS_FILE_PROFILE || kind == HS_FILE_TRACE ? O_RDWR : O_WRONLY;
  int fd = open(path, acc | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
                          (flags & HS_CREATE_EXCL ? O_EXCL : 0),
                hs_file_mode);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP) return say(err, errlen, "write", path, "it is a symbolic link");
    if (e == EISDIR) return say(err, errlen, "write", path, "it is a directory");
    if (e == ENXIO) return say(err, errlen, "write", path, "it is a FIFO");
    if (e == EEXIST) return say(err, errlen, "create", path, "it already exists");
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
    return -1;
  }
  if (fstat(fd, &st) < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if ((why = refusal(&st, buf, sizeof buf)) || (why = not_ours(fd, &st, kind))) {
    close(fd);
    return say(err, errlen, st.st_size ? "overwrite" : "write", path, why);
  }
  if (fcntl(fd, F_SETFL, 0) < 0 || ftruncate(fd, 0) < 0 || fchmod(fd, hs_file_mode) < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

FILE *hs_fopen_private(const char *path, enum hs_file_kind kind, int flags, char *err,
                       size_t errlen) {
  int fd = hs_create_private(path, kind, flags, err, errlen);
  if (fd < 0) return NULL;
  FILE *f = fdopen(fd, "w");
  if (!f) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    close(fd);
  }
  return f;
}

int hs_mkdir_private(const char *path, char *err, size_t errlen) {
  struct stat st;
  if (mkdir(path, hs_dir_mode()) == 0) {
    if (chmod(path, hs_dir_mode()) == 0) return 0;     /* the umask took bits away */
    snprintf(err, errlen, "cannot set the mode of %s: %s", path, strerror(errno));
    return -1;
  }
  if (errno != EEXIST) {
    snprintf(err, errlen, "cannot create the folder %s: %s", path, strerror(errno));
    return -1;
  }
  if (lstat(path, &st) < 0) {
    snprintf(err, errlen, "cannot create the folder %s: %s", path, strerror(errno));
    return -1;
  }
  if (S_ISLNK(st.st_mode)) return say(err, errlen, "use", path, "it is a symbolic link");
  if (!S_ISDIR(st.st_mode)) return say(err, errlen, "use", path, "it is not a directory");
  if (access(path, W_OK | X_OK) < 0) {
    snprintf(err, errlen, "cannot write into the folder %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}
