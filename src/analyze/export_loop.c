/*
 * export_loop.c: --export-every SECONDS: the exporter thread of the
 * heapspy parent (export.h). Each period it loads the live profile the
 * spy keeps in its shared mapping (as `heapspy report` would), takes the
 * per-stack counters, and renders one pprof (report_pprof.c's window):
 * alloc_* = what each stack allocated since the previous export, inuse_*
 * = the live blocks now. Under --sample the figures are the same
 * estimates `report --format pprof` writes. One last export covers the
 * interval up to the program's end, so the files' alloc_* add up to the
 * run's.
 *
 * Files: DIR/heap-PID-SEQ-YYYYmmddTHHMMSS.mmmZ.pb.gz, written under a
 * ".tmp-" name and renamed, so a reader never sees half a file. The
 * folder keeps the newest `keep` of them within `cap` bytes; older ones
 * are removed (only files this exporter wrote: it remembers their names).
 *
 * Must never: touch the program (the profile is only read), or remove a
 * file it did not write.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/export.h"
#include "analyze/report.h"
#include "common/private_file.h"
#include "common/util.h"

struct written { char name[96]; uint64_t bytes; };

struct hs_exporter {
  struct hs_export_cfg c;
  pid_t pid;
  char profile[PATH_MAX];
  struct hs_pusher *push;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;               /* the end */
  int stopping;
  struct hs_stack_stat *base;      /* the previous export's counters */
  size_t nbase;
  uint64_t last_ns;                /* its time (Unix ns); 0: none yet */
  unsigned seq, failed;
  struct written *files;           /* written and still there, oldest first */
  size_t nfiles;
  uint64_t total_bytes;
  int warned;
};

static uint64_t unix_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Remove the oldest files until at most keep remain within cap bytes
 * (the newest stays whatever its size). */
static void rotate(struct hs_exporter *e) {
  size_t drop = 0;
  uint64_t total = e->total_bytes;
  while (e->nfiles - drop > 1 &&
         (e->nfiles - drop > e->c.keep || total > e->c.cap)) {
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s", e->c.dir, e->files[drop].name);
    if (unlink(path) < 0 && errno != ENOENT) hs_warn("--export-dir: cannot remove %s: %m", path);
    total -= e->files[drop].bytes;
    drop++;
  }
  memmove(e->files, e->files + drop, (e->nfiles - drop) * sizeof *e->files);
  e->nfiles -= drop;
  e->total_bytes = total;
}

static void write_file(struct hs_exporter *e, const void *buf, size_t len, uint64_t t_ns) {
  time_t secs = (time_t)(t_ns / 1000000000ull);
  struct tm tm;
  gmtime_r(&secs, &tm);
  struct written w = { .bytes = len };
  snprintf(w.name, sizeof w.name, "heap-%d-%06u-%04d%02d%02dT%02d%02d%02d.%03uZ.pb.gz", (int)e->pid,
           e->seq, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (unsigned)(t_ns / 1000000ull % 1000));
  char tmp[PATH_MAX + 128], path[PATH_MAX + 128], err[1200];
  snprintf(tmp, sizeof tmp, "%s/.tmp-%s", e->c.dir, w.name);
  snprintf(path, sizeof path, "%s/%s", e->c.dir, w.name);
  FILE *f = hs_fopen_private(tmp, HS_FILE_REPORT, HS_CREATE_EXCL, err, sizeof err);
  if (!f) {
    hs_warn("--export-dir: %s", err);
    return;
  }
  int bad = fwrite(buf, 1, len, f) != len;
  bad |= fclose(f) != 0;
  if (bad || rename(tmp, path) < 0) {
    hs_warn("--export-dir: writing %s failed: %m", path);
    unlink(tmp);
    return;
  }
  e->files = hs_xrealloc(e->files, (e->nfiles + 1) * sizeof *e->files);
  e->files[e->nfiles++] = w;
  e->total_bytes += len;
  rotate(e);
}

/* One export: the interval since the last one, ending now. */
static void export_once(struct hs_exporter *e) {
  uint64_t now = unix_ns();
  struct hs_model m;
  char err[1200];
  if (hs_model_load(&m, e->profile, e->c.debuginfo, err, sizeof err) < 0) {
    /* the spy may not have written its header yet: say it once */
    if (e->last_ns && !e->warned++) hs_warn("--export-every: %s", err);
    e->failed++;
    return;
  }
  uint64_t from = e->last_ns ? e->last_ns : m.prof.hdr->start_unix_ns;
  if (!from || from > now) from = now;
  struct hs_stack_stat *st;
  size_t n = hs_model_stack_stats(&m, &st);
  struct hs_pprof_window w = { .now = st, .nnow = n, .base = e->base, .nbase = e->nbase,
                               .time_ns = from, .duration_ns = now - from };
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  int rc = mem ? hs_report_pprof_window(mem, &m, &w, err, sizeof err) : -1;
  if (mem && fclose(mem) != 0) rc = -1;
  hs_model_free(&m);
  if (rc < 0) {
    if (!e->warned++) hs_warn("--export-every: %s", mem ? err : "out of memory");
    e->failed++;
    free(buf);
    free(st);
    return;
  }
  free(e->base);
  e->base = st;
  e->nbase = n;
  e->last_ns = now;
  e->seq++;
  if (e->c.dir) write_file(e, buf, len, now);
  if (e->push) hs_push_enqueue(e->push, buf, len, from / 1000000000ull, now / 1000000000ull);
  else free(buf);
}

static void add_ns(struct timespec *t, long ns) {
  t->tv_sec += ns / 1000000000L;
  t->tv_nsec += ns % 1000000000L;
  if (t->tv_nsec >= 1000000000L) t->tv_sec++, t->tv_nsec -= 1000000000L;
}

static void *exporter(void *arg) {
  struct hs_exporter *e = arg;
  struct timespec next, now;
  clock_gettime(CLOCK_MONOTONIC, &next);
  long period_ns = (long)(e->c.every * 1e9);
  pthread_mutex_lock(&e->mu);
  while (!e->stopping) {
    add_ns(&next, period_ns);
    while (!e->stopping && pthread_cond_timedwait(&e->cv, &e->mu, &next) != ETIMEDOUT) {}
    if (e->stopping) break;
    pthread_mutex_unlock(&e->mu);
    export_once(e);
    pthread_mutex_lock(&e->mu);
    /* an export slower than the period restarts the schedule from now:
     * periods are skipped, never piled up */
    struct timespec due = next;
    add_ns(&due, period_ns);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > due.tv_sec || (now.tv_sec == due.tv_sec && now.tv_nsec > due.tv_nsec))
      next = now;
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}

void hs_export_sync_init(pthread_mutex_t *mu, pthread_cond_t *cv) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(mu, NULL);
}

struct hs_exporter *hs_export_start(const struct hs_export_cfg *c, pid_t pid,
                                    const char *profile, const char *program) {
  if (!c->every) return NULL;
  struct hs_exporter *e = hs_xcalloc(1, sizeof *e);
  e->c = *c;
  e->pid = pid;
  snprintf(e->profile, sizeof e->profile, "%s", profile);
  if (c->push) e->push = hs_push_start(c, program);
  hs_export_sync_init(&e->mu, &e->cv);
  if (pthread_create(&e->thread, NULL, exporter, e)) {
    hs_warn("--export-every: cannot start the exporter thread; nothing will be exported");
    if (e->push) hs_push_finish(e->push, 0, NULL);
    free(e);
    return NULL;
  }
  return e;
}

void hs_export_finish(struct hs_exporter *e, FILE *log) {
  if (!e) return;
  pthread_mutex_lock(&e->mu);
  e->stopping = 1;
  pthread_cond_signal(&e->cv);
  pthread_mutex_unlock(&e->mu);
  pthread_join(e->thread, NULL);
  export_once(e);                   /* the last interval, to the end */
  if (log && e->c.dir)
    fprintf(log, "heapspy: %u heap profiles exported to %s (%zu kept)%s\n", e->seq, e->c.dir,
            e->nfiles, e->failed ? "; some periods could not be read" : "");
  if (e->push) hs_push_finish(e->push, 5.0, log);
  pthread_cond_destroy(&e->cv);
  pthread_mutex_destroy(&e->mu);
  free(e->base);
  free(e->files);
  free(e);
}
