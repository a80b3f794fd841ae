/*
 * snapshot_request.c: ask the spy inside a running process for a live
 * checkpoint through its profile (shared by `heapspy snapshot` and the
 * `run --snapshot-on` watcher).
 *
 * The request goes into the profile's header (everything but seq first,
 * then seq: the spy acts on a new seq only); the spy's signal, recorded
 * in the header and never guessed, wakes it; it takes the checkpoint at
 * its next allocation and sets done_seq.
 *
 * Must never: signal a process whose profile does not name a handler, or
 * one that is not the profile's owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/snapshot.h"
#include "common/util.h"

int hs_snapshot_request(const char *path, pid_t pid, const char *name, int leak_check,
                        double timeout, double *answer_s, char *err, size_t errlen) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno)), -1;
  struct hsp_header h;
  int rc = -1;
  if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h.magic, HSP_MAGIC, 8) ||
      h.version != HSP_VERSION) {
    snprintf(err, errlen, "%s is not a profile this heapspy can drive (version %u, expected %u)",
             path, h.version, (unsigned)HSP_VERSION);
    goto out;
  }
  if (h.pid != (int32_t)pid) {
    snprintf(err, errlen, "%s belongs to process %d, not %ld", path, h.pid, (long)pid);
    goto out;
  }
  if (h.state == HSP_STATE_DETACHED) {
    snprintf(err, errlen, "process %ld is no longer recorded: heapspy detached from it", (long)pid);
    goto out;
  }
  if (!h.snapshot_signal) {
    snprintf(err, errlen, "process %ld does not accept snapshots (its spy has no signal: "
                          "snapshot_signal=0, or the program uses that signal itself)", (long)pid);
    goto out;
  }
  struct hsp_request req = h.request;
  req.seq++;
  req.leak_check = (uint32_t)leak_check & HS_SNAPSHOT_LEAK_CHECK;
  req.detach = !!(leak_check & HS_SNAPSHOT_DETACH);
  snprintf(req.name, sizeof req.name, "%s", name);
  off_t at = (off_t)offsetof(struct hsp_header, request);
  if (pwrite(fd, (char *)&req + 8, sizeof req - 8, at + 8) != (ssize_t)(sizeof req - 8) ||
      pwrite(fd, &req.seq, 4, at) != 4) {
    snprintf(err, errlen, "cannot write the request into %s: %s", path, strerror(errno));
    goto out;
  }
  double sent = hs_now();
  if (kill(pid, h.snapshot_signal) < 0) {
    snprintf(err, errlen, "cannot signal process %ld: %s", (long)pid, strerror(errno));
    goto out;
  }
  struct timespec nap = { 0, 1000 * 1000 };   /* 1 ms: an idle process answers in about that */
  uint32_t done = 0;
  while (hs_now() - sent < timeout) {
    if (pread(fd, &done, 4, at + 4) != 4) break;
    if (done == req.seq) break;
    if (kill(pid, 0) < 0) {
      snprintf(err, errlen, "process %ld ended before the snapshot", (long)pid);
      goto out;
    }
    nanosleep(&nap, NULL);
  }
  if (done != req.seq) {
    snprintf(err, errlen, "process %ld did not answer in %.0f s (the thread the signal reached is "
                          "inside the allocator); the checkpoint '%s' will be taken as it leaves",
             (long)pid, timeout, name);
    rc = 1;
    goto out;
  }
  if (answer_s) *answer_s = hs_now() - sent;
  rc = 0;
out:
  close(fd);
  return rc;
}

const struct hsp_mark *hs_snapshot_mark(const struct hs_model *m, const char *name) {
  const struct hsp_mark *mk = NULL;
  for (size_t i = 0; i < m->nmarks; i++)
    if (!strcmp(m->marks[i]->name, name)) mk = m->marks[i];
  return mk;
}
