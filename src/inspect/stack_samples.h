/*
 * stack_samples.h: the stacks of every thread of a live process, sampled
 * N times, symbolized, with the likely loop of each busy thread: the
 * frames found in every sample of a thread that used at least a tenth of
 * a CPU (or ran every time we looked). `heapspy stacks` prints them.
 * Threads are stopped only while proc_unwind.c copies their registers and
 * stack; symbolizing happens after the last sample, never while a thread
 * is stopped.
 */
#ifndef HS_STACK_SAMPLES_H
#define HS_STACK_SAMPLES_H

#include "inspect/proc.h"

#define HS_BUSY_SHARE 0.10   /* CPU share over the sampling that makes a thread busy */

/* One thread in one sample, symbolized. */
struct hs_tstack {
  const struct hs_raw_stack *raw;
  struct hs_frame *f;
  uint8_t *every;            /* frame i is in every sample of this thread */
  size_t n;
};

/* One thread of the first sample over the whole sampling. */
struct hs_thread_sum {
  pid_t tid;
  uint64_t start_ticks, ticks0, ticks1;
  int in_all, busy;
  double share;              /* of one CPU, over span */
  const struct hs_frame *loop;   /* busy: innermost frame in every sample (last sample's) */
};

struct hs_stack_samples {
  long asked, taken;
  int gone;                  /* the process exited after `taken` samples */
  double span;               /* seconds from the first sample to the end of the last */
  struct hs_raw_sample *smp; /* [asked], the first `taken` filled */
  struct hs_tstack **st;     /* [taken][thread of that sample] */
  struct hs_thread_sum *sum; /* [nsum]: the threads of the first sample */
  size_t nsum;
  struct hs_symbolizer *sym;
  struct hs_modlist ml;
};

/* Takes n samples of pid's threads, interval seconds apart, up to
 * max_frames each, then symbolizes them and finds the likely loops. Dies
 * with one line (naming `stacks`) when no sample can be taken; a process
 * that exits mid-way leaves out->gone set and the samples taken so far. */
void hs_stack_samples_take(pid_t pid, long n, double interval, size_t max_frames,
                           struct hs_stack_samples *out);
void hs_stack_samples_free(struct hs_stack_samples *s);

#endif
