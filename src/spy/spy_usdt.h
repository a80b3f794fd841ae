/*
 * spy_usdt.h: the OpenTelemetry memory-profiling USDT contract
 * (opentelemetry-ebpf-profiler, design-docs/00003-memory-profiling), so
 * fleet eBPF profilers read heapspy's samples without knowing heapspy:
 *
 *   otel_memory:alloc(ptr, size, weight)  a block the spy records: its
 *       address, its size, and the bytes it stands for (under --sample
 *       the unbiased weight of profile/hsp_sample.h; otherwise every
 *       block is recorded and weight = size)
 *   otel_memory:free(ptr)                 the free of such a block
 *
 * Both sit in the block table's funnels (spy_blocks.c), after the block
 * is counted, outside every lock. Custom families (HEAPSPY_ALLOC_LIKE)
 * are left out: their blocks live inside malloc'd slabs already counted.
 * Each probe has a semaphore the tracer raises when it attaches, so with
 * nobody tracing a probe costs one load and a branch predicted not taken.
 *
 * Must never: evaluate a probe's arguments while its semaphore is 0, or
 * fire under a shard lock.
 */
#ifndef SPY_USDT_H
#define SPY_USDT_H

#include <stdint.h>

#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#include "spy.h"

/* sdt.h's names: PROVIDER_PROBE_semaphore, in section .probes */
extern volatile unsigned short otel_memory_alloc_semaphore;
extern volatile unsigned short otel_memory_free_semaphore;

static inline void spy_usdt_alloc(uint64_t ptr, uint64_t size, uint64_t weight) {
  if (SPY_UNLIKELY(otel_memory_alloc_semaphore)) STAP_PROBE3(otel_memory, alloc, ptr, size, weight);
}

static inline void spy_usdt_free(uint64_t ptr) {
  if (SPY_UNLIKELY(otel_memory_free_semaphore)) STAP_PROBE1(otel_memory, free, ptr);
}

#endif
