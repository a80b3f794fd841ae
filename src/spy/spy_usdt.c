/*
 * spy_usdt.c: the semaphores of the otel_memory USDT probes (spy_usdt.h).
 * A tracer that attaches to a probe increments its semaphore in the
 * process's memory (sdt.h's contract: a 16-bit counter in section
 * .probes, found through the probe's note); the spy only reads them.
 *
 * Must never: be written by the spy, or be exported (hidden: the notes
 * hold their addresses, not their names).
 */
#include "spy_usdt.h"

__attribute__((section(".probes"), visibility("hidden")))
volatile unsigned short otel_memory_alloc_semaphore;
__attribute__((section(".probes"), visibility("hidden")))
volatile unsigned short otel_memory_free_semaphore;
