/*
 * stress.c - malloc/free stress workload of the heapspy bench (bench/run.sh).
 *
 * usage: stress THREADS ITERATIONS
 *
 * Each of THREADS threads performs ITERATIONS steps on its own small live
 * set (LIVE slots): pick a random slot, free what is there, malloc a block
 * of random size (mostly small, some medium, rarely large), touch it.  Every
 * thread does exactly the same amount of work, so on an idle machine with
 * at least THREADS cores the wall time should not depend on THREADS; any
 * growth under a tracer measures its contention (global locks, shared
 * tables, a single writer thread).  Occasional realloc/calloc keep all
 * entry points exercised.  Prints a checksum so the work cannot be elided.
 *
 * Built by `make bench` as build/bench/stress with `gcc -O2 -pthread`.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE 256 /* live blocks per thread */

struct worker {
    pthread_t tid;
    unsigned index;
    unsigned long iterations;
    uint64_t checksum;
};

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Size mix: 75% 8..128 B, 20% 129..2048 B, 5% 2 KiB..64 KiB. */
static size_t pick_size(uint64_t r)
{
    unsigned bucket = (unsigned)(r % 100);
    r >>= 8;
    if (bucket < 75)
        return 8 + (size_t)(r % 121);
    if (bucket < 95)
        return 129 + (size_t)(r % 1920);
    return 2048 + (size_t)(r % (62 * 1024));
}

static void *work(void *arg)
{
    struct worker *w = arg;
    unsigned char *slot[LIVE] = {0};
    size_t len[LIVE] = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)(w->index + 1) * 0xbf58476d1ce4e5b9ull);
    uint64_t sum = 0;

    for (unsigned long i = 0; i < w->iterations; i++) {
        uint64_t r = xorshift64(&rng);
        unsigned k = (unsigned)(r % LIVE);
        size_t n = pick_size(r >> 16);
        unsigned op = (unsigned)((r >> 40) % 16);

        if (slot[k] && op == 0) {
            /* grow or shrink in place or by moving */
            unsigned char *p = realloc(slot[k], n);
            if (!p)
                abort();
            slot[k] = p;
        } else {
            if (slot[k])
                sum += slot[k][len[k] - 1];
            free(slot[k]);
            slot[k] = op == 1 ? calloc(1, n) : malloc(n);
            if (!slot[k])
                abort();
        }
        len[k] = n;
        /* touch first and last byte, like a real user of the block */
        slot[k][0] = (unsigned char)i;
        slot[k][n - 1] = (unsigned char)(i >> 3);
        sum += slot[k][0];
    }
    for (unsigned k = 0; k < LIVE; k++)
        free(slot[k]);
    w->checksum = sum;
    return NULL;
}

static unsigned long parse(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v == 0) {
        fprintf(stderr, "stress: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s THREADS ITERATIONS\n", argv[0]);
        return 2;
    }
    unsigned long nthreads = parse(argv[1], "thread count");
    unsigned long iters = parse(argv[2], "iteration count");
    if (nthreads > 1024) {
        fprintf(stderr, "stress: too many threads\n");
        return 2;
    }

    struct worker *ws = calloc(nthreads, sizeof *ws);
    if (!ws)
        return 1;
    for (unsigned long t = 0; t < nthreads; t++) {
        ws[t].index = (unsigned)t;
        ws[t].iterations = iters;
        int rc = pthread_create(&ws[t].tid, NULL, work, &ws[t]);
        if (rc) {
            fprintf(stderr, "stress: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    uint64_t total = 0;
    for (unsigned long t = 0; t < nthreads; t++) {
        pthread_join(ws[t].tid, NULL);
        total += ws[t].checksum;
    }
    free(ws);
    printf("stress: %lu threads x %lu iterations, checksum %llu\n", nthreads, iters,
           (unsigned long long)total);
    return 0;
}
