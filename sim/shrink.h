/*
 * shrink.h -- the search of `faultline shrink` (sim/cmd_shrink.c is the command):
 * a failing run's materialised schedule cut into elements -- fault episodes (a crash
 * with its restart, a partition with its heal, a clock drift with its reset, a forced
 * timeout, a message fault) and workload ops -- and ddmin (results/ddmin.h) over them,
 * each candidate a format-2 schedule ("messages": "only", "ops") re-executed in the
 * sweep's worker pool (sim/sweep.h), so a candidate that crashes or hangs is contained
 * and is simply "not the same failure".
 *
 * Determinism: candidates are tested in ddmin's fixed order and the first that still
 * fails is taken, so the result is the same at every -j; `candidates` counts what a
 * one-at-a-time search would have run (the same at every -j too), `executed` what the
 * pool actually ran.
 */
#ifndef FL_SIM_SHRINK_H
#define FL_SIM_SHRINK_H

#include <stddef.h>
#include <stdint.h>

#include "faults/schedule.h"
#include "sim/run/scenario.h"

enum fl_shrink_elem_kind { FL_SHRINK_EPISODE = 0, FL_SHRINK_MESSAGE, FL_SHRINK_OP };

/* One element: an episode (one or two timed entries of the schedule), a message entry,
 * or a workload op. */
typedef struct fl_shrink_elem {
    int kind;      /* enum fl_shrink_elem_kind */
    size_t first;  /* episode: its entry; message: its message entry; op: unused */
    long second;   /* episode: the entry that ends it (restart, heal, reset), or -1 */
    uint64_t op;   /* op: its number (1-based) */
    int64_t at_ns; /* when it starts: episodes and ops; -1 for a message */
} fl_shrink_elem;

/* What a candidate has to do to count as still failing. */
typedef struct fl_shrink_target {
    int outcome;    /* enum fl_outcome of the original */
    char check[64]; /* its check */
    int any_violation;
} fl_shrink_target;

/* What one execution gave. */
typedef struct fl_shrink_result {
    int outcome;
    char check[64];
    int64_t fail_step, fail_time_ns;
    uint64_t steps;
    char digest[17];
} fl_shrink_result;

typedef struct fl_shrink {
    /* in */
    const fl_scenario *sc;
    const char *scenario_text;
    const char *plugin_path;
    uint64_t seed;
    const fl_schedule *sched; /* the materialised schedule (borrowed) */
    int with_ops;             /* the scenario has a plain workload: candidates name ops */
    fl_shrink_target target;
    int jobs;
    int64_t deadline_us;     /* fl_sweep_now_us() deadline, 0: none */
    uint64_t max_candidates; /* 0: no cap */
    int progress;            /* 1: a \r line on stderr */
    int64_t stop_ns;         /* > 0: every candidate stops at this virtual time (see
                                fl_shrink_stop_ns) */
    /* the elements and the current failing set */
    fl_shrink_elem *elems; /* the faults latest first, then the ops (see below) */
    size_t nelems, nfaults;
    uint8_t *keep;
    /* out */
    uint64_t candidates, executed;
    size_t batch;   /* candidates per worker in the next batch (sim/shrink_run.c) */
    int64_t run_us; /* about how long one candidate takes: the original's re-execution */
    int interrupted;
    const char *phase;
    int64_t t0_us;
} fl_shrink;

/* Cut s->sched into elements, plus ops[0..nops) (the op numbers, ascending), all
 * kept.  0 or FL_ENOMEM.
 *
 * The faults are in reverse schedule order: message faults latest sent first, then the
 * episodes latest first.  ddmin tries its first chunks first, and removing late faults
 * leaves the run's prefix -- where a failure such as Figure 8's is set up -- as it was,
 * so those candidates keep failing far more often (measured on raft-figure8 seed 6 with
 * commit_old_term, 1,500 candidates at -j2: 1,358 -> 1,212 decisions in schedule order,
 * 1,358 -> 552 latest first). */
int fl_shrink_elements(fl_shrink *s, const uint64_t *ops, size_t nops);
/* The element that is k-th in schedule order (episodes, message faults, ops). */
size_t fl_shrink_in_order(const fl_shrink *s, size_t k);
/* The schedule text of the elements mask keeps (malloc'd, NULL when out of memory). */
char *fl_shrink_text(const fl_shrink *s, const uint8_t *mask);
/* Execute texts[0..n) in the pool, results to res[0..n).  0, or an FL_E code with a
 * message in err. */
int fl_shrink_execute(fl_shrink *s, char *const *texts, size_t n, fl_shrink_result *res, char *err,
                      size_t cap);
/* When candidates of a run that failed at fail_time_ns stop: a violation shows the
 * moment it happens, so a candidate that has not failed by the original's failing time
 * plus a margin (a quarter of it, at least 1 s of virtual time) does not count as
 * failing, and is not run on to the scenario's until.  0 (no stop) for a liveness
 * failure, which is only judged at the end. */
int64_t fl_shrink_stop_ns(int outcome, int64_t fail_time_ns);
/* Whether r fails the way s->target says. */
int fl_shrink_fails(const fl_shrink *s, const fl_shrink_result *r);
/* Why a phase stopped early (positive, unlike the FL_E codes). */
enum { FL_SHRINK_BUDGET = 1, FL_SHRINK_INTERRUPTED = 2 };
/* ddmin over the kept elements of the kinds in `kinds` (a bit per kind), the others
 * held as they are.  0 (*minimal set when it ended 1-minimal), FL_SHRINK_BUDGET or
 * FL_SHRINK_INTERRUPTED, or a negative FL_E code with a message in err. */
int fl_shrink_phase(fl_shrink *s, const char *phase, unsigned kinds, int *minimal, char *err,
                    size_t cap);
void fl_shrink_free(fl_shrink *s);

#endif /* FL_SIM_SHRINK_H */
