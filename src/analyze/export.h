/*
 * export.h: continuous export of a running, spied process (`run` and
 * `attach` with --export-every / --push): every period, a pprof of the
 * heap in use and of what was allocated in the period, made in the
 * heapspy parent from the live profile the spy keeps (export_loop.c),
 * written into a folder and/or pushed to a Pyroscope-compatible server
 * (export_push.c).
 *
 * Must never: run inside the program, wait for it, or make it wait: the
 * exporter reads the profile file, on threads of its own.
 */
#ifndef HS_EXPORT_H
#define HS_EXPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define HS_EXPORT_LABELS 16

struct hs_export_cfg {
  double every;               /* seconds between exports; 0: no export */
  const char *dir;            /* --export-dir, or NULL: none written */
  unsigned keep;              /* files kept in dir, oldest removed (default 100) */
  uint64_t cap;               /* ... and their bytes at most (default 100M) */
  const char *push;           /* --push URL, or NULL */
  const char *push_name;      /* --push-name; NULL: the program's name */
  const char *labels[HS_EXPORT_LABELS];   /* --push-label k=v, checked */
  unsigned nlabels;
  const char *debuginfo;      /* --debuginfo-path */
};

struct hs_exporter;

/* Start exporting pid's live profile (the spy writes it); program is the
 * program's name for --push's default name. NULL when c->every is 0. */
struct hs_exporter *hs_export_start(const struct hs_export_cfg *c, pid_t pid,
                                    const char *profile, const char *program);
/* The program ended (or was detached): one last export of the last
 * interval, the push queue drained for a few seconds at most, summary
 * lines to log (NULL: only one saying pushed profiles were lost, if so,
 * to stderr). Frees e. */
void hs_export_finish(struct hs_exporter *e, FILE *log);

/* export_push.c: the sender. Profiles are queued (a bounded queue: the
 * oldest dropped when full) and sent by a thread of its own with retries
 * and exponential backoff. */
/* A mutex and a condition variable whose timed waits count on
 * CLOCK_MONOTONIC (a wall-clock step never shortens or stretches a
 * period): the exporter's and the pusher's. */
void hs_export_sync_init(pthread_mutex_t *mu, pthread_cond_t *cv);

struct hs_pusher;
struct hs_pusher *hs_push_start(const struct hs_export_cfg *c, const char *program);
/* Takes ownership of body (malloc'd): the pprof of [from, until], Unix s. */
void hs_push_enqueue(struct hs_pusher *p, void *body, size_t len, uint64_t from, uint64_t until);
/* Drain for at most grace_s, then stop; one summary line to log (NULL:
 * to stderr only if profiles were lost). */
void hs_push_finish(struct hs_pusher *p, double grace_s, FILE *log);

#endif
