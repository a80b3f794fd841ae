/*
 * hsp_sample.h: the weight of a block recorded under --sample, shared by
 * the spy that adds it to its counters and the analyzer that scales the
 * blocks it reads from the live table, so both sides agree to the byte.
 *
 * Sampling is a Poisson process over allocated bytes with mean `mean`: a
 * block of s bytes is recorded with probability 1 - exp(-s/mean), so it
 * stands for s / (1 - exp(-s/mean)) bytes and 1 / (1 - exp(-s/mean))
 * blocks (unbiased). Block counts are integers in the profile: the
 * fractional part is rounded up or down by a hash of the address, the
 * same way at the allocation and the free, unbiased over many blocks.
 * Custom-family blocks (HEAPSPY_ALLOC_LIKE) are never sampled: weight 1.
 *
 * Must never: allocate or depend on anything but <math.h> and the format.
 */
#ifndef HSP_SAMPLE_H
#define HSP_SAMPLE_H

#include <math.h>
#include <stdint.h>
#include "profile/hsp_format.h"

struct hsp_weight { uint64_t bytes, blocks; };

static inline struct hsp_weight hsp_sample_weigh(uint64_t mean, uint64_t key, uint64_t size) {
  if (!mean || (key & HSP_PTR_CUSTOM)) return (struct hsp_weight){ size, 1 };
  double x = (double)(size ? size : 1) / (double)mean;
  double w = -1.0 / expm1(-x);            /* 1 / (1 - exp(-x)), >= 1 */
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);   /* [0, 1) */
  uint64_t whole = (uint64_t)w;
  return (struct hsp_weight){ (uint64_t)((double)size * w + 0.5),
                              whole + (u < w - (double)whole) };
}

#endif
