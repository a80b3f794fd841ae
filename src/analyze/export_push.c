/*
 * export_push.c: --push URL: each exported pprof sent to a Pyroscope-
 * compatible server through its HTTP ingest API (Pyroscope 1.x's
 * "POST /ingest", the one Grafana Pyroscope, Grafana Alloy's
 * pyroscope.receive_http and the older pyroscope.io servers all take):
 *
 *   POST URL/ingest?name=APP{host=H,k=v}&from=S&until=S&format=pprof
 *        &sampleRate=100&spyName=heapspy
 *
 * with the gzipped profile.proto as the body (application/octet-stream).
 * from/until are the interval's Unix seconds; sampleRate is Pyroscope's
 * default, which it ignores for pprof (the profile's own period says how
 * it was sampled).
 *
 * One thread sends, one profile at a time, oldest first. A failure that
 * may pass (no connection, a timeout, 5xx, 408, 429) is retried after
 * 0.5 s, doubling up to 30 s; a refusal (other 4xx) drops that profile.
 * The queue holds QUEUE profiles: a new one pushes the oldest out when
 * the server stays away. Every profile is sent, refused or dropped, and
 * the summary line says how many of each.
 *
 * Must never: make the exporter wait for the network (enqueueing only
 * takes the queue's lock, never held across a send), or retry forever
 * once the program has ended (hs_push_finish's grace).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyze/export.h"
#include "common/http_post.h"
#include "common/util.h"

#define QUEUE 16
#define BACKOFF_FIRST_S 0.5
#define BACKOFF_MAX_S 30.0
#define SEND_TIMEOUT_S 5.0

struct item { void *body; size_t len; uint64_t from, until; };

struct hs_pusher {
  struct hs_url url;
  char url_text[1100];
  char name[2048];                /* APP{labels}, not yet encoded */
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;              /* a new profile, or the end */
  struct item q[QUEUE];
  unsigned head, tail;            /* q[head % QUEUE] .. q[tail % QUEUE] */
  int stopping;
  double deadline;                /* when stopping: give up then (monotonic s) */
  uint64_t sent, dropped, refused, retries;
  char last_err[300];
};

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec at(double t) {
  struct timespec ts = { (time_t)t, (long)((t - (double)(time_t)t) * 1e9) };
  return ts;
}

/* The request target for one interval. */
static void target_of(const struct hs_pusher *p, const struct item *it, char *out, size_t cap) {
  snprintf(out, cap, "%s/ingest?name=", p->url.path);
  hs_url_encode(out, cap, p->name);
  size_t n = strlen(out);
  snprintf(out + n, cap - n, "&from=%llu&until=%llu&format=pprof&sampleRate=100&spyName=heapspy",
           (unsigned long long)it->from, (unsigned long long)it->until);
}

/* 1: sent; 0: retry later; -1: refused for good. */
static int send_one(struct hs_pusher *p, const struct item *it, char *err, size_t errlen) {
  char target[8192];
  target_of(p, it, target, sizeof target);
  int st = hs_http_post(&p->url, target, "application/octet-stream", it->body, it->len,
                        SEND_TIMEOUT_S, err, errlen);
  if (st >= 200 && st < 300) return 1;
  if (st > 0) snprintf(err, errlen, "%.200s answered HTTP %d", p->url_text, st);
  return st >= 400 && st < 500 && st != 408 && st != 429 ? -1 : 0;
}

static void *sender(void *arg) {
  struct hs_pusher *p = arg;
  struct item cur = { 0 };
  double backoff = 0;
  char err[sizeof p->last_err];
  pthread_mutex_lock(&p->mu);
  for (;;) {
    if (!cur.body) {
      while (p->head == p->tail && !p->stopping) pthread_cond_wait(&p->cv, &p->mu);
      if (p->head == p->tail) break;                 /* stopping, all sent */
      cur = p->q[p->head++ % QUEUE];
    }
    if (p->stopping && mono() >= p->deadline) break;
    pthread_mutex_unlock(&p->mu);
    err[0] = 0;
    int r = send_one(p, &cur, err, sizeof err);
    pthread_mutex_lock(&p->mu);
    if (err[0]) memcpy(p->last_err, err, sizeof err);
    if (r != 0) {
      if (r > 0) p->sent++;
      else p->refused++;
      free(cur.body);
      cur.body = NULL;
      backoff = 0;
      continue;
    }
    p->retries++;
    backoff = backoff ? backoff * 2 : BACKOFF_FIRST_S;
    if (backoff > BACKOFF_MAX_S) backoff = BACKOFF_MAX_S;
    /* new profiles wake the wait, the end shortens it */
    for (double wake = mono() + backoff;;) {
      double lim = p->stopping && p->deadline < wake ? p->deadline : wake;
      if (mono() >= lim) break;
      struct timespec ts = at(lim);
      pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
  }
  if (cur.body) p->dropped++, free(cur.body);
  for (; p->head != p->tail; p->head++) p->dropped++, free(p->q[p->head % QUEUE].body);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

struct hs_pusher *hs_push_start(const struct hs_export_cfg *c, const char *program) {
  struct hs_pusher *p = hs_xcalloc(1, sizeof *p);
  char err[512];
  if (hs_url_parse(c->push, &p->url, err, sizeof err) < 0) {   /* checked by the options */
    hs_warn("%s", err);
    free(p);
    return NULL;
  }
  snprintf(p->url_text, sizeof p->url_text, "%s", c->push);
  const char *base = strrchr(program, '/');
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) < 0) snprintf(host, sizeof host, "unknown");
  size_t n = (size_t)snprintf(p->name, sizeof p->name, "%s{host=%s",
                              c->push_name ? c->push_name : base ? base + 1 : program, host);
  for (unsigned i = 0; i < c->nlabels && n < sizeof p->name; i++)
    n += (size_t)snprintf(p->name + n, sizeof p->name - n, ",%s", c->labels[i]);
  if (n < sizeof p->name) snprintf(p->name + n, sizeof p->name - n, "}");
  hs_export_sync_init(&p->mu, &p->cv);
  if (pthread_create(&p->thread, NULL, sender, p)) {
    hs_warn("--push: cannot start the sender thread; nothing will be pushed");
    free(p);
    return NULL;
  }
  return p;
}

void hs_push_enqueue(struct hs_pusher *p, void *body, size_t len, uint64_t from, uint64_t until) {
  pthread_mutex_lock(&p->mu);
  if (p->tail - p->head == QUEUE) p->dropped++, free(p->q[p->head++ % QUEUE].body);
  p->q[p->tail++ % QUEUE] = (struct item){ body, len, from, until };
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

void hs_push_finish(struct hs_pusher *p, double grace_s, FILE *log) {
  pthread_mutex_lock(&p->mu);
  p->stopping = 1;
  p->deadline = mono() + grace_s;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  if (!log && p->dropped + p->refused) log = stderr;   /* lost profiles are said even under -q */
  if (log) {
    fprintf(log, "heapspy: --push: %llu profiles sent to %s, %llu dropped",
            (unsigned long long)p->sent, p->url_text,
            (unsigned long long)(p->dropped + p->refused));
    if (p->refused) fprintf(log, " (%llu refused by the server)", (unsigned long long)p->refused);
    if (p->retries) fprintf(log, "; %llu retries", (unsigned long long)p->retries);
    if (p->dropped + p->refused && p->last_err[0]) fprintf(log, "; last error: %s", p->last_err);
    fputc('\n', log);
  }
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p);
}
