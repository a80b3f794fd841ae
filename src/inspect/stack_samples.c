/*
 * stack_samples.c: see stack_samples.h. Must never leave a thread
 * stopped (proc_unwind.c resumes each before the next), nor symbolize
 * while one is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "inspect/stack_samples.h"

#define INLINE_MAX 32

static size_t symbolize_stack(struct hs_symbolizer *sym, const struct hs_modlist *ml,
                              const struct hs_raw_stack *raw, struct hs_tstack *ts) {
  struct hs_frame tmp[INLINE_MAX];
  size_t cap = raw->n + 1;
  ts->raw = raw;
  ts->f = hs_xmalloc(cap * sizeof *ts->f);
  ts->n = 0;
  for (size_t i = 0; i < raw->n; i++) {
    size_t k = hs_symbolize(sym, raw->pc[i], !raw->activation[i], tmp, INLINE_MAX);
    if (ts->n + k > cap) ts->f = hs_xrealloc(ts->f, (cap = (ts->n + k) * 2) * sizeof *ts->f);
    memcpy(ts->f + ts->n, tmp, k * sizeof *tmp);
    ts->n += k;
  }
  ts->every = hs_xcalloc(ts->n + 1, 1);
  hs_modlist_fix_frames(ml, ts->f, ts->n);
  return ts->n;
}

/* Frames are alike across samples when they name the same function of
 * the same module (the line moves as the loop runs); unnamed ones when
 * their address is the same. Strings are interned by the symbolizer. */
static int same_frame(const struct hs_frame *a, const struct hs_frame *b) {
  if (a->module != b->module) return 0;
  if (a->function || b->function) return a->function == b->function;
  return a->pc == b->pc;
}

static int has_frame(const struct hs_tstack *ts, const struct hs_frame *f) {
  for (size_t i = 0; i < ts->n; i++)
    if (same_frame(&ts->f[i], f)) return 1;
  return 0;
}

static pid_t tracer_of(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long t = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %ld", &t) == 1) break;
  fclose(f);
  return (pid_t)t;
}

static void die_sample_error(pid_t pid, int err, int started) {
  char note[400], comm[64];
  if (err == -EPERM || err == -EACCES) {
    pid_t tr = tracer_of(pid);
    if (tr > 0)
      hs_die(1, "stacks: process %d is already traced by process %d (%s); "
                "a process can have only one tracer", (int)pid, (int)tr,
             hs_proc_comm(tr, comm, sizeof comm));
    hs_die(1, "stacks: permission denied stopping the threads of process %d with ptrace (%s)",
           (int)pid, hs_permission_note(pid, note, sizeof note));
  }
  if (err == -ENOSYS) hs_die(1, "stacks: only x86_64 processes can be unwound by this build");
  hs_proc_die("stacks", pid, err, "the stacks", started);
}

/* CPU ticks of tid in a fresh read of the tasks, or 0 with *found = 0. */
static uint64_t ticks_of(const struct hs_task *t, int n, pid_t tid, uint64_t start, int *found) {
  for (int i = 0; i < n; i++)
    if (t[i].tid == tid && t[i].starttime == start) {
      *found = 1;
      return t[i].utime + t[i].stime;
    }
  *found = 0;
  return 0;
}

void hs_stack_samples_take(pid_t pid, long nsamples, double interval, size_t max_frames,
                           struct hs_stack_samples *out) {
  int err = 0;
  struct hs_unwinder *u = hs_unwind_open(pid, &err);
  if (!u) die_sample_error(pid, err, 0);

  /* ---- sample ---- */
  struct hs_task *tk0 = NULL, *tk1 = NULL;
  int ntk0 = hs_tasks_read(pid, &tk0), ntk1 = 0;
  if (ntk0 < 0) die_sample_error(pid, ntk0, 0);
  struct hs_raw_sample *smp = hs_xcalloc((size_t)nsamples, sizeof *smp);
  long taken = 0;
  int gone = 0;
  double t0 = hs_now(), tlast = t0;
  for (long s = 0; s < nsamples; s++) {
    if (s) hs_sleep_until(t0 + (double)s * interval);
    double ts = hs_now();
    err = hs_unwind_sample(u, &smp[s], max_frames);
    if (err == -ESRCH || (err && !hs_proc_alive(pid))) {
      gone = 1;
      break;
    }
    if (err) {
      hs_unwind_close(u);
      die_sample_error(pid, err, taken > 0);
    }
    smp[s].t = ts - t0;
    tlast = hs_now();
    taken++;
  }
  if (taken == 0) {
    hs_unwind_close(u);
    hs_die(1, "stacks: no such process %d", (int)pid);
  }
  ntk1 = hs_tasks_read(pid, &tk1);
  double span = tlast - t0;

  /* ---- symbolize (every thread runs again by now) ---- */
  struct hs_modlist ml = { 0 };
  hs_unwind_modules(u, &ml);
  hs_unwind_close(u);
  struct hs_symbolizer *sym = hs_symbolizer_new(ml.v, ml.n, NULL);
  struct hs_tstack **st = hs_xcalloc((size_t)taken, sizeof *st);
  for (long s = 0; s < taken; s++) {
    st[s] = hs_xcalloc(smp[s].nthreads + 1, sizeof **st);
    for (size_t k = 0; k < smp[s].nthreads; k++) symbolize_stack(sym, &ml, &smp[s].threads[k], &st[s][k]);
  }

  /* ---- the likely loop: frames common to every sample of a busy thread ---- */
  long hz = hs_ticks();
  size_t nsum = smp[0].nthreads;
  struct hs_thread_sum *sum = hs_xcalloc(nsum + 1, sizeof *sum);
  for (size_t k = 0; k < nsum; k++) {
    struct hs_thread_sum *ts = &sum[k];
    ts->tid = smp[0].threads[k].tid;
    int f0 = 0, f1 = 0;
    for (int i = 0; i < ntk0; i++)
      if (tk0[i].tid == ts->tid) ts->start_ticks = tk0[i].starttime;
    ts->ticks0 = ticks_of(tk0, ntk0, ts->tid, ts->start_ticks, &f0);
    ts->ticks1 = ntk1 > 0 ? ticks_of(tk1, ntk1, ts->tid, ts->start_ticks, &f1) : 0;
    ts->share = f0 && f1 && span > 0 ? (double)(ts->ticks1 - ts->ticks0) / (double)hz / span : 0;
    int running = 0;
    ts->in_all = 1;
    for (long s = 0; s < taken; s++) {
      const struct hs_tstack *found = NULL;
      for (size_t j = 0; j < smp[s].nthreads; j++)
        if (smp[s].threads[j].tid == ts->tid) found = &st[s][j];
      if (!found || found->raw->error || found->n == 0) ts->in_all = 0;
      else if (found->raw->state == 'R') running++;
    }
    /* Busy: it used a tenth of a CPU while sampling, or was running (or
     * runnable, on a crowded machine) every time we looked. */
    ts->busy = taken >= 2 && ts->in_all &&
               ((span >= 0.05 && ts->share >= HS_BUSY_SHARE) || running == taken);
    if (!ts->busy) continue;
    /* The thread's stack in each sample (in_all: there is one in each). */
    struct hs_tstack **mine = hs_xcalloc((size_t)taken, sizeof *mine);
    for (long s = 0; s < taken; s++)
      for (size_t j = 0; j < smp[s].nthreads; j++)
        if (smp[s].threads[j].tid == ts->tid) mine[s] = &st[s][j];
    /* Candidates: the first sample's frames, kept while every later
     * sample has them too; then each sample marks the survivors. */
    size_t ncand = mine[0]->n;
    struct hs_frame *cand = hs_xcalloc(ncand + 1, sizeof *cand);
    memcpy(cand, mine[0]->f, ncand * sizeof *cand);
    for (long s = 1; s < taken; s++) {
      size_t w = 0;
      for (size_t i = 0; i < ncand; i++)
        if (has_frame(mine[s], &cand[i])) cand[w++] = cand[i];
      ncand = w;
    }
    struct hs_tstack survivors = { .f = cand, .n = ncand };
    for (long s = 0; s < taken; s++)
      for (size_t i = 0; i < mine[s]->n; i++)
        mine[s]->every[i] = (uint8_t)has_frame(&survivors, &mine[s]->f[i]);
    free(cand);
    free(mine);
  }

  /* The innermost marked frame of each busy thread, from the last sample. */
  for (size_t k = 0; k < nsum; k++) {
    if (!sum[k].busy) continue;
    for (size_t j = 0; j < smp[taken - 1].nthreads; j++) {
      struct hs_tstack *x = &st[taken - 1][j];
      if (x->raw->tid != sum[k].tid) continue;
      for (size_t i = 0; i < x->n && !sum[k].loop; i++)
        if (x->every[i]) sum[k].loop = &x->f[i];
    }
  }
  free(tk0);
  free(tk1);
  *out = (struct hs_stack_samples){ .asked = nsamples, .taken = taken, .gone = gone, .span = span,
                                    .smp = smp, .st = st, .sum = sum, .nsum = nsum, .sym = sym,
                                    .ml = ml };
}

void hs_stack_samples_free(struct hs_stack_samples *x) {
  for (long s = 0; s < x->taken; s++) {
    for (size_t j = 0; j < x->smp[s].nthreads; j++) {
      free(x->st[s][j].f);
      free(x->st[s][j].every);
    }
    free(x->st[s]);
  }
  for (long s = 0; s < x->asked; s++) hs_raw_sample_free(&x->smp[s]);
  free(x->st);
  free(x->smp);
  free(x->sum);
  hs_symbolizer_free(x->sym);
  hs_modlist_free(&x->ml);
}
