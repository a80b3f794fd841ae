/*
 * hsp_sample.h: the weight of a block recorded under --sample, shared by
 * the spy that adds it to its counters and the analyzer that scales the
 * blocks it reads from the live table, so both sides agree to the byte.
 *
 * Sampling is a Poisson process over allocated bytes with mean `mean`,
 * each allocation of s bytes counting s + 1 (one for the call, so that
 * malloc(0) is sampled too and a thread's countdown falls at every call):
 * a block is recorded with probability p = 1 - exp(-(s + 1)/mean), so it
 * stands for s / p bytes and 1 / p blocks (unbiased). Block counts are
 * integers in the profile: the fractional part is rounded up or down by
 * a hash of the address, the same way at the allocation and the free,
 * unbiased over many blocks.
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

/* 1 / (1 - exp(-x)) for x > 0. Below 1 from the series of x / (1 -
 * exp(-x)) (Bernoulli numbers: 1 + x/2 + x^2/12 - x^4/720 + x^6/30240 -
 * x^8/1209600 + ...; what it leaves out is under 1.3e-8 of it): a few
 * multiplies where expm1 costs as much as a stack capture (the spy weighs
 * each sampled block twice, at its allocation and its free), and blocks
 * below the mean are nearly all the samples. */
static inline double hsp_sample_inverse_p(double x) {
  if (x < 1.0) {
    double y = x * x;
    double g = 1.0 + 0.5 * x +
               y * (1.0 / 12 + y * (-1.0 / 720 + y * (1.0 / 30240 + y * (-1.0 / 1209600))));
    return g / x;
  }
  return -1.0 / expm1(-x);
}

static inline struct hsp_weight hsp_sample_weigh(uint64_t mean, uint64_t key, uint64_t size) {
  if (!mean || (key & HSP_PTR_CUSTOM)) return (struct hsp_weight){ size, 1 };
  double x = ((double)size + 1.0) / (double)mean;
  double w = hsp_sample_inverse_p(x);     /* >= 1 */
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);   /* [0, 1) */
  uint64_t whole = (uint64_t)w;
  return (struct hsp_weight){ (uint64_t)((double)size * w + 0.5),
                              whole + (u < w - (double)whole) };
}

/* A --sample slot's totals as of now (struct hsp_sample_slot): read
 * between two equal, even `gen`s. A reader that interrupts its owner's
 * fold (a signal handler on that thread) would wait for ever: after a few
 * tries it takes the folded totals alone, which are never more than the
 * truth. Used by the spy and by readers of the profile, the same way. */
struct hsp_slot_totals { uint64_t allocs, frees, bytes; };
static inline struct hsp_slot_totals hsp_sample_slot_read(const struct hsp_sample_slot *c) {
  struct hsp_slot_totals t;
  for (int tries = 0; tries < 64; tries++) {
    uint32_t g = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
    uint64_t w = __atomic_load_n(&c->word, __ATOMIC_RELAXED);
    uint32_t start = __atomic_load_n(&c->start, __ATOMIC_RELAXED);
    t.allocs = __atomic_load_n(&c->allocs, __ATOMIC_RELAXED);
    t.bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
    t.frees = __atomic_load_n(&c->frees, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (!(g & 1) && __atomic_load_n(&c->gen, __ATOMIC_RELAXED) == g) {
      uint64_t since = w >> 32;
      t.allocs += since;
      t.bytes += (uint64_t)(uint32_t)(start - (uint32_t)w) - since;
      return t;
    }
  }
  t.allocs = __atomic_load_n(&c->allocs, __ATOMIC_RELAXED);
  t.bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
  return t;
}

#endif
