/*
 * private_file.h: the one place the CLI decides how a file or folder it
 * writes is created: private (0600 files, 0700 folders) whatever the
 * umask, unless --file-mode widens it; never through a final symbolic
 * link, a FIFO, a device or a directory; never over another user's file,
 * a read-only file, a file with other hard links, or (profiles and
 * traces) a file that is not a heapspy file of the same kind; %p names
 * always new (O_EXCL). Profiles hold memory contents (sample bytes,
 * command lines): they deserve the care of a core file.
 *
 * Must never: follow a final symlink, truncate a file before every check
 * passed, or change the mode of a file or folder it did not create or
 * was not asked to overwrite. The spy has its own equivalent
 * (spy_util.c: spy_open_private), with the same rules and messages.
 */
#ifndef HS_PRIVATE_FILE_H
#define HS_PRIVATE_FILE_H

#include <stddef.h>
#include <stdio.h>

enum hs_file_kind {
  HS_FILE_PROFILE,   /* .hsp: an existing file must start with HSP_MAGIC */
  HS_FILE_TRACE,     /* .trace: an existing file must start with HST_MAGIC */
  HS_FILE_REPORT,    /* report -o, snapshot reports: any regular file of ours */
  HS_FILE_LOG,       /* --log-file: likewise */
};

/* hs_create_private flags */
#define HS_CREATE_EXCL 1   /* the name must be new (a %p name) */

/* The mode of every file heapspy creates (default 0600); folders get the
 * same bits plus x where r is set (0600 -> 0700, 0640 -> 0750). */
extern unsigned hs_file_mode;
unsigned hs_dir_mode(void);

/* --file-mode's value: octal, at least 0600 (the owner reads and writes),
 * at most 0666 (never executable, setuid or sticky). Exits 125 with one
 * line naming CMD otherwise. */
unsigned hs_file_mode_arg(const char *cmd, const char *arg);

/* Opens path for writing under the rules above, emptied and with mode
 * hs_file_mode; returns the descriptor (close-on-exec), or -1 with one
 * line in err ("refusing to write PATH: it is a symbolic link", ...). */
int hs_create_private(const char *path, enum hs_file_kind kind, int flags, char *err,
                      size_t errlen);
/* The same as a stdio stream ("w"). */
FILE *hs_fopen_private(const char *path, enum hs_file_kind kind, int flags, char *err,
                       size_t errlen);

/* A folder for heapspy's files: created with hs_dir_mode(), or an
 * existing folder (never a symlink to one) that we can write into; its
 * mode is left alone. Returns 0, or -1 with one line in err. */
int hs_mkdir_private(const char *path, char *err, size_t errlen);

#endif
