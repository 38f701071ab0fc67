/*
 * bench_evq.c -- the event queue in the hold model, against a plain binary heap.
 *
 * Hold model: fill the queue with P events, then repeatedly pop the earliest and push
 * one at (its time + a random increment).  The plain heap of (time, seq) pairs with no
 * payload is the reference (fl_evq carries a 28-bit tag in its key); the target is at
 * least 80% of its rate at every P from 10^3 to 10^6, in both the default build
 * (RelWithDebInfo, -O2) and Release (-O3): `make bench` runs both.  Median of 5 runs
 * each, the two queues alternating so that load from other processes hits both alike.
 *
 * Fairness: both queues see the same keys (same seed, same draws) and both call
 * fl_rng_below out of line; the plain heap is compiled into this file (the compiler may
 * inline it), fl_evq is called through its library, so the comparison leans, if at all,
 * towards the plain heap.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/evq.h"
#include "core/rng.h"

#define HOLDS 5000000
#define RUNS 5

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the plain binary heap ---- */
typedef struct pkey {
    int64_t t;
    uint64_t seq;
} pkey;

static inline int pless(const pkey *a, const pkey *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void ppush(pkey *h, size_t *n, pkey k)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!pless(&k, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = k;
}

static pkey ppop(pkey *h, size_t *n)
{
    pkey top = h[0], k = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && pless(&h[c + 1], &h[c]))
            c++;
        if (!pless(&h[c], &k))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = k;
    return top;
}

static double bench_plain(size_t pending, uint64_t seed)
{
    pkey *h = malloc(pending * sizeof *h);
    size_t n = 0;
    uint64_t seq = 0;
    fl_rng r;
    fl_rng_fork(&r, seed, "bench", 0);
    for (size_t i = 0; i < pending; i++)
        ppush(h, &n, (pkey){(int64_t)fl_rng_below(&r, 1000000), seq++});
    double t0 = wall();
    for (int i = 0; i < HOLDS; i++) {
        pkey k = ppop(h, &n);
        ppush(h, &n, (pkey){k.t + (int64_t)fl_rng_below(&r, 1000000), seq++});
    }
    double dt = wall() - t0;
    free(h);
    return HOLDS / dt;
}

static double bench_evq(size_t pending, uint64_t seed)
{
    fl_evq *q = fl_evq_new();
    fl_rng r;
    fl_rng_fork(&r, seed, "bench", 0);
    for (size_t i = 0; i < pending; i++)
        fl_evq_push(q, (int64_t)fl_rng_below(&r, 1000000), (uint32_t)i, NULL);
    double t0 = wall();
    int64_t t;
    uint64_t seq;
    uint32_t tag;
    for (int i = 0; i < HOLDS; i++) {
        fl_evq_pop_until(q, INT64_MAX, &t, &seq, &tag);
        fl_evq_push(q, t + (int64_t)fl_rng_below(&r, 1000000), tag, NULL);
    }
    double dt = wall() - t0;
    fl_evq_free(q);
    return HOLDS / dt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* bench_evq [pending ...]: the populations to measure, 10^3 .. 10^6 when none given. */
int main(int argc, char **argv)
{
    size_t sizes[16] = {1000, 10000, 100000, 1000000};
    int nsizes = 4;
    if (argc > 1) {
        nsizes = 0;
        for (int a = 1; a < argc && nsizes < 16; a++) {
            char *end;
            unsigned long long v = strtoull(argv[a], &end, 10);
            if (*end || v == 0 || v > FL_EVQ_MAX_PENDING / 2) {
                fprintf(stderr, "bench_evq: pending must be in [1, 2^30], got '%s'\n", argv[a]);
                return 2;
            }
            sizes[nsizes++] = (size_t)v;
        }
    }
    printf("bench_evq: hold model, %d holds, median of %d\n", HOLDS, RUNS);
    for (int i = 0; i < nsizes; i++) {
        double plain[RUNS], evq[RUNS];
        for (int r = 0; r < RUNS; r++) {
            plain[r] = bench_plain(sizes[i], (uint64_t)r + 1);
            evq[r] = bench_evq(sizes[i], (uint64_t)r + 1);
        }
        qsort(plain, RUNS, sizeof(double), cmp_double);
        qsort(evq, RUNS, sizeof(double), cmp_double);
        double p = plain[RUNS / 2], e = evq[RUNS / 2];
        printf("  pending=%-8zu plain heap %6.2f M/s   fl_evq %6.2f M/s   ratio %.2f %s\n",
               sizes[i], p / 1e6, e / 1e6, e / p,
               e >= 0.8 * p ? "(>= 0.80: ok)" : "(< 0.80: BELOW TARGET)");
    }
    return 0;
}
