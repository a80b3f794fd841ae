/*
 * snapshot_watch.c: `heapspy run --snapshot-on RULES`: automatic live
 * snapshots, like an operating system's live kernel dumps. While the
 * program runs, the `heapspy run` parent polls (every 50 ms) the heap the
 * spy counts (the live profile's header), the program's RSS
 * (/proc/PID/statm) and the heap's growth over the last second. When a
 * rule fires it asks the spy for a checkpoint (snapshot_request.c) and
 * lets the program run on; a child process renders that checkpoint's
 * report from the profile into the snapshot folder (one at a time, in
 * order: checkpoints never change, so the report can come later, and the
 * watching never waits for symbolization). heapspy run waits for the last
 * report before it prints its own.
 *
 * Re-arming: a heap or rss rule fires again only once the value has
 * doubled since it last fired; a growth rule at most once every 10 s.
 * The folder holds at most `cap` bytes of snapshot reports: after each
 * new one the oldest are removed (never the newest).
 *
 * Must never: symbolize or allocate inside the program (all of it runs in
 * the parent), stop or slow the program (a snapshot it does not serve in
 * 2 s is left for its next allocation), or delete a file it did not
 * write (only snapshot-*.txt).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyze/report.h"
#include "analyze/snapshot.h"
#include "common/private_file.h"
#include "common/util.h"

#define POLL_MS 50
#define WINDOW 64                 /* growth: the last samples kept */
#define GROWTH_REARM_MS 10000
#define SERVE_TIMEOUT_S 2.0

static const char *const kind_names[] = { "heap", "rss", "growth" };

int hs_watch_parse(struct hs_watch *w, const char *spec, char *err, size_t errlen) {
  const char *p = spec;
  while (*p) {
    size_t n = strcspn(p, ",");
    char item[128];
    if (n >= sizeof item) n = sizeof item - 1;
    memcpy(item, p, n);
    item[n] = 0;
    p += n + (p[n] == ',');
    char *gt = strchr(item, '>');
    unsigned k = 0;
    if (gt) {
      *gt = 0;
      while (k < 3 && strcmp(item, kind_names[k])) k++;
    }
    if (!gt || k == 3) {
      snprintf(err, errlen, "--snapshot-on: '%s%s' is not heap>SIZE, rss>SIZE or growth>SIZE/s",
               item, gt ? ">..." : "");
      return -1;
    }
    struct hs_watch_rule r = { .kind = (enum hs_watch_kind)k };
    const char *end;
    if (hs_parse_size(gt + 1, &r.limit, &end) < 0 || !r.limit ||
        (k == HS_WATCH_GROWTH ? strcmp(end, "/s") : *end != 0)) {
      snprintf(err, errlen, "--snapshot-on: bad %s '%s' in %s>%s (examples: %s)",
               k == HS_WATCH_GROWTH ? "rate" : "size", gt + 1, item, gt + 1,
               k == HS_WATCH_GROWTH ? "10M/s, 512K/s" : "500M, 1G, 64K");
      return -1;
    }
    if (w->nrules == HS_WATCH_MAX) {
      snprintf(err, errlen, "--snapshot-on: at most %d rules", HS_WATCH_MAX);
      return -1;
    }
    r.armed_at = r.limit;
    w->rule[w->nrules++] = r;
  }
  if (!w->nrules) return snprintf(err, errlen, "--snapshot-on: no rule given"), -1;
  return 0;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t heap_of(int fd) {
  int64_t v = 0;
  if (fd < 0 || pread(fd, &v, sizeof v, offsetof(struct hsp_header, live.in_use_bytes)) != sizeof v)
    return -1;
  return v;
}

/* The spy's own resident memory at the timeline's last point (0 if none
 * yet): left out of the rss rule, as the timeline leaves it out. */
static uint64_t spy_rss_of(int fd) {
  uint64_t off = 0;
  uint32_t count = 0;
  if (fd < 0 || pread(fd, &off, sizeof off, offsetof(struct hsp_header, timeline_off)) != sizeof off ||
      !off || pread(fd, &count, sizeof count, (off_t)(off + offsetof(struct hsp_timeline, count))) != sizeof count ||
      !count || count > HSP_TICKS)
    return 0;
  uint64_t at = off + offsetof(struct hsp_timeline, ticks) + (uint64_t)(count - 1) * sizeof(struct hsp_tick) +
                offsetof(struct hsp_tick, spy_rss_bytes);
  uint64_t v = 0;
  return pread(fd, &v, sizeof v, (off_t)at) == sizeof v ? v : 0;
}

/* The program's RSS: the kernel's figure less the spy's own. */
static int64_t rss_of(pid_t pid, int fd) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
  FILE *f = fopen(path, "r");
  unsigned long long size, res;
  int ok = f && fscanf(f, "%llu %llu", &size, &res) == 2;
  if (f) fclose(f);
  if (!ok) return -1;
  uint64_t all = res * (unsigned long long)sysconf(_SC_PAGESIZE), spy = spy_rss_of(fd);
  return (int64_t)(all > spy ? all - spy : 0);
}

/* Remove the oldest snapshot-*.txt until the folder's reports fit in cap
 * (the newest, `keep`, always stays). */
static void enforce_cap(const char *dir, uint64_t cap, const char *keep) {
  for (;;) {
    DIR *d = opendir(dir);
    if (!d) return;
    uint64_t total = 0;
    char oldest[512] = "";
    struct timespec oldest_t = { 0, 0 };
    struct dirent *e;
    while ((e = readdir(d))) {
      size_t n = strlen(e->d_name);
      if (strncmp(e->d_name, "snapshot-", 9) || n < 4 || strcmp(e->d_name + n - 4, ".txt")) continue;
      char path[4096];
      struct stat st;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      if (stat(path, &st) < 0) continue;
      total += (uint64_t)st.st_size;
      if (!strcmp(e->d_name, keep)) continue;
      struct timespec t = st.st_mtim;
      if (!*oldest || t.tv_sec < oldest_t.tv_sec ||
          (t.tv_sec == oldest_t.tv_sec && t.tv_nsec < oldest_t.tv_nsec) ||
          (t.tv_sec == oldest_t.tv_sec && t.tv_nsec == oldest_t.tv_nsec &&
           strcmp(e->d_name, oldest) < 0)) {
        snprintf(oldest, sizeof oldest, "%s", e->d_name);
        oldest_t = t;
      }
    }
    closedir(d);
    if (total <= cap || !*oldest) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, oldest);
    if (unlink(path) < 0) return;
  }
}

/* A checkpoint taken, its report not yet written. */
struct taken {
  char name[64];
  unsigned seq;
  struct hs_watch_rule rule;    /* as it was when it fired */
  uint64_t value, t_ms;
};

/* Write the report of checkpoint tk (already in the profile: marks never
 * change, so this may run any time later); one warning line on failure. */
static void render(struct hs_watch *w, pid_t pid, const char *profile, const struct taken *tk) {
  char err[1200], vb[32], lb[32];
  const struct hs_watch_rule *r = &tk->rule;
  struct hs_model m;
  if (hs_model_load(&m, profile, w->debuginfo, err, sizeof err) < 0) {
    hs_warn("--snapshot-on: %s", err);
    return;
  }
  const struct hsp_mark *mk = hs_snapshot_mark(&m, tk->name);
  char file[512], path[4096];
  snprintf(file, sizeof file, "snapshot-%d-%03u-%s.txt", (int)pid, tk->seq, kind_names[r->kind]);
  snprintf(path, sizeof path, "%s/%s", w->dir, file);
  char ferr[1200] = "";
  FILE *out = mk ? hs_fopen_private(path, HS_FILE_REPORT, HS_CREATE_EXCL, ferr, sizeof ferr) : NULL;
  if (!out) {
    if (mk) hs_warn("--snapshot-on: %s", ferr);
    else hs_warn("--snapshot-on: cannot write %s: checkpoint missing", path);
    hs_model_free(&m);
    return;
  }
  fprintf(out, "heapspy: automatic snapshot %u of process %d (%s) at %llu ms: %s %s%s above %s%s\n",
          tk->seq, (int)pid, m.prof.hdr->cmdline, (unsigned long long)tk->t_ms, kind_names[r->kind],
          hs_human_bytes((double)tk->value, vb), r->kind == HS_WATCH_GROWTH ? "/s" : "",
          hs_human_bytes((double)r->armed_at, lb), r->kind == HS_WATCH_GROWTH ? "/s" : "");
  fprintf(out, "profile: %s (checkpoint '%s')\n", profile, tk->name);
  hs_report_checkpoint(out, &m, mk, 20, 0);
  int bad = ferror(out) | fclose(out), saved = errno;
  hs_model_free(&m);
  if (bad) {                    /* a full disk: no half report; the checkpoint stays */
    unlink(path);
    hs_warn("--snapshot-on: writing %s failed (%s); checkpoint '%s' stays in the profile",
            path, strerror(saved), tk->name);
    return;
  }
  enforce_cap(w->dir, w->cap, file);
}

/* Reports are rendered one at a time in a child process, in the order the
 * checkpoints were taken, so that watching never waits for symbolization. */
#define QUEUE 64
struct renderer {
  struct taken q[QUEUE];
  unsigned head, tail;          /* q[head % QUEUE] .. q[tail % QUEUE] */
  pid_t child;                  /* rendering q[head], or 0 */
};

static void render_step(struct renderer *rd, struct hs_watch *w, pid_t pid, const char *profile,
                        int wait_child) {
  if (rd->child) {
    int st;
    pid_t r = waitpid(rd->child, &st, wait_child ? 0 : WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) return;
    rd->child = 0;
    rd->head++;
  }
  if (rd->head == rd->tail) return;
  fflush(NULL);
  pid_t c = fork();
  if (c == 0) {
    render(w, pid, profile, &rd->q[rd->head % QUEUE]);
    fflush(NULL);
    _exit(0);
  }
  if (c > 0) rd->child = c;
  else { render(w, pid, profile, &rd->q[rd->head % QUEUE]); rd->head++; }
}

/* Ask for checkpoint number seq for rule r (value: what crossed); queue
 * its report. */
static void snapshot(struct renderer *rd, pid_t pid, const char *profile, unsigned seq,
                     const struct hs_watch_rule *r, uint64_t value, uint64_t t_ms) {
  char err[1200];
  if (rd->tail - rd->head == QUEUE) {
    hs_warn("--snapshot-on: %d reports still to write; snapshot %u skipped", QUEUE, seq);
    return;
  }
  struct taken *tk = &rd->q[rd->tail % QUEUE];
  snprintf(tk->name, sizeof tk->name, "auto-%u-%s", seq, kind_names[r->kind]);
  int rc = hs_snapshot_request(profile, pid, tk->name, 0, SERVE_TIMEOUT_S, NULL, err, sizeof err);
  if (rc) {
    if (rc < 0 && !strstr(err, "ended before")) hs_warn("--snapshot-on: %s", err);
    return;
  }
  tk->seq = seq;
  tk->rule = *r;
  tk->value = value;
  tk->t_ms = t_ms;
  rd->tail++;
}

int hs_watch_run(struct hs_watch *w, pid_t pid, const char *profile) {
  int fd = -1, status = 0;
  struct { uint64_t t; int64_t heap; } win[WINDOW];
  unsigned nwin = 0, seq = 0;
  static struct renderer rd;
  uint64_t t0 = now_ms();
  struct timespec nap = { 0, POLL_MS * 1000 * 1000 };
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (fd < 0) fd = open(profile, O_RDONLY | O_CLOEXEC);
    uint64_t t = now_ms() - t0;
    int64_t heap = heap_of(fd), rss = rss_of(pid, fd);
    win[nwin % WINDOW].t = t;
    win[nwin % WINDOW].heap = heap;
    nwin++;
    for (unsigned i = 0; i < w->nrules; i++) {
      struct hs_watch_rule *rl = &w->rule[i];
      int64_t v = rl->kind == HS_WATCH_HEAP ? heap : rl->kind == HS_WATCH_RSS ? rss : -1;
      if (rl->kind == HS_WATCH_GROWTH && heap >= 0) {
        /* the rate since the sample nearest to 1 s ago, at least 0.5 s ago */
        int best = -1;
        uint64_t best_off = 0;
        for (unsigned k = 0; k < WINDOW && k < nwin; k++) {
          uint64_t age = t - win[k].t, off = age > 1000 ? age - 1000 : 1000 - age;
          if (age >= 500 && win[k].heap >= 0 && (best < 0 || off < best_off)) {
            best = (int)k;
            best_off = off;
          }
        }
        if (best >= 0 && heap > win[best].heap)
          v = (int64_t)((uint64_t)(heap - win[best].heap) * 1000 / (t - win[best].t));
        if (rl->last_ms && t - rl->last_ms < GROWTH_REARM_MS) v = -1;
      }
      if (v < 0 || (uint64_t)v <= rl->armed_at) continue;
      snapshot(&rd, pid, profile, ++seq, rl, (uint64_t)v, t);
      rl->last_ms = t;
      if (rl->kind != HS_WATCH_GROWTH) rl->armed_at = 2 * (uint64_t)v;
    }
    render_step(&rd, w, pid, profile, 0);
    nanosleep(&nap, NULL);
  }
  if (fd >= 0) close(fd);
  while (rd.child || rd.head != rd.tail) render_step(&rd, w, pid, profile, 1);
  return status;
}
