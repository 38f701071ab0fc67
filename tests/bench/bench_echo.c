/*
 * bench_echo.c -- engine speed: simulated steps per wall second for the echo protocol
 * with recording off, on one core, at several cluster sizes; and peak memory.
 *
 * usage: bench_echo [nodes...]   (default: 3 10 1000 100000)
 * Each size runs 5 times; the median is printed.  Targets (issue 2): >= 3 M steps/s at
 * 3 nodes, >= 1.5 M at 1,000 nodes; a 100,000-node run under 1 GiB peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "core/world.h"

extern const struct fl_protocol fl_proto_echo;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double one_run(int nodes, uint64_t steps, uint64_t seed)
{
    /* The tick shrinks with size so that every node still acts within the run. */
    fl_world_config cfg = {.seed = seed,
                           .nodes = nodes,
                           .protocol = &fl_proto_echo,
                           .latency = {1000000, 10000000},
                           .disk_sync = {1000000, 5000000},
                           .until_ns = INT64_MAX / 2,
                           .max_steps = steps};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    if (!w) {
        fprintf(stderr, "bench_echo: %s\n", err);
        exit(1);
    }
    double t0 = wall();
    fl_world_run(w);
    double dt = wall() - t0;
    uint64_t done = fl_world_steps(w);
    fl_world_free(w);
    return (double)done / dt;
}

int main(int argc, char **argv)
{
    int sizes[16] = {3, 10, 1000, 100000};
    int nsizes = 4;
    if (argc > 1) {
        nsizes = 0;
        for (int i = 1; i < argc && nsizes < 16; i++)
            sizes[nsizes++] = atoi(argv[i]);
    }
    printf("bench_echo: echo protocol, recording off, one core, median of 5 runs\n");
    for (int i = 0; i < nsizes; i++) {
        double rates[5];
        uint64_t steps = sizes[i] >= 100000 ? 4000000 : 3000000;
        for (int r = 0; r < 5; r++)
            rates[r] = one_run(sizes[i], steps, (uint64_t)r + 1);
        qsort(rates, 5, sizeof rates[0], cmp_double);
        printf("  nodes=%-7d steps/run=%-8llu median %.2f M steps/s (min %.2f, max %.2f)\n",
               sizes[i], (unsigned long long)steps, rates[2] / 1e6, rates[0] / 1e6, rates[4] / 1e6);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    return 0;
}
