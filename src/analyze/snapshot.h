/*
 * snapshot.h: live checkpoints of a running, spied process: the request
 * (snapshot_request.c, used by `heapspy snapshot` and by `run
 * --snapshot-on`) and the automatic snapshot watcher of `heapspy run`
 * (snapshot_watch.c).
 */
#ifndef HS_SNAPSHOT_H
#define HS_SNAPSHOT_H

#include <stdint.h>
#include <sys/types.h>
#include "analyze/model.h"

/* Ask process pid, spied into the profile at path, for a checkpoint named
 * name; wait up to timeout seconds for the spy to take it (the thread the
 * signal lands on takes it at once, unless it is inside the allocator:
 * then as it leaves). Returns 0 when it is in the profile (*answer_s, if
 * given, how long that took), 1 when the spy has not served it yet (it
 * will when a thread leaves the allocator), -1 on error; err says why.
 * leak_check: HS_SNAPSHOT_LEAK_CHECK, and HS_SNAPSHOT_DETACH to end an
 * attached recording after it (`heapspy detach`). */
#define HS_SNAPSHOT_LEAK_CHECK 1
#define HS_SNAPSHOT_DETACH 2
int hs_snapshot_request(const char *path, pid_t pid, const char *name, int leak_check,
                        double timeout, double *answer_s, char *err, size_t errlen);

/* The last checkpoint of that name in the model, or NULL. */
const struct hsp_mark *hs_snapshot_mark(const struct hs_model *m, const char *name);

/* --snapshot-on: thresholds checked while the program runs. */
enum hs_watch_kind { HS_WATCH_HEAP, HS_WATCH_RSS, HS_WATCH_GROWTH };
struct hs_watch_rule {
  enum hs_watch_kind kind;
  uint64_t limit;           /* bytes, or bytes per second for growth */
  uint64_t armed_at;        /* fires when the value exceeds this */
  uint64_t last_ms;         /* when it last fired (growth: re-arm after 10 s) */
};
#define HS_WATCH_MAX 8
struct hs_watch {
  struct hs_watch_rule rule[HS_WATCH_MAX];
  unsigned nrules;
  const char *dir;          /* where the reports go; NULL: next to the profile */
  uint64_t cap;             /* bytes the folder may hold */
  const char *debuginfo;    /* --debuginfo-path */
};

/* Parse "heap>500M,rss>1G,growth>10M/s" into w; -1 with err on bad input. */
int hs_watch_parse(struct hs_watch *w, const char *spec, char *err, size_t errlen);

/* Watch pid (spied into profile) until it ends; returns waitpid's status.
 * Writes a snapshot report into w->dir each time a rule fires. */
int hs_watch_run(struct hs_watch *w, pid_t pid, const char *profile);

#endif
