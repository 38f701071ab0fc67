/*
 * shrink_out.h -- what `faultline shrink` does with its result (sim/shrink_out.c): the
 * minimal schedule's file, its recorded run and `shrinks` row, and the summary.
 */
#ifndef FL_SIM_SHRINK_OUT_H
#define FL_SIM_SHRINK_OUT_H

#include <stdint.h>

#include "results/recorded.h"
#include "sim/load.h"
#include "sim/shrink.h"

/* One shrink from start to end: the original, the search, the result. */
typedef struct fl_shrink_job {
    const char *db_path, *out_path;
    fl_recorded_run rr;
    fl_loaded L;
    char *scenario_text;
    fl_schedule *materialised;
    fl_shrink_result original; /* its re-execution */
    uint64_t ops_before;       /* workload ops by the failing step */
    uint64_t *ops;             /* those ops' numbers (ops_before of them) */
    uint64_t reached_before;   /* decisions at or before the failing step */
    fl_shrink s;
    int minimal;
    char *minimal_text; /* the minimal schedule, canonical */
    int64_t shrunk_run;
    fl_shrink_result shrunk;
    char *trace; /* the minimal run's trace */
    size_t trace_len;
    int64_t wall_us;
    int64_t start_us;       /* when the command started: the budget counts from here */
    int64_t materialise_us; /* the original's re-execution, to estimate the recording */
} fl_shrink_job;

/* Write the file, record the run and the shrinks row.  0, or an FL_E code with err. */
int fl_shrink_record(fl_shrink_job *j, char *err, size_t cap);
/* The summary on stdout: no wall-clock figures (those go to stderr). */
void fl_shrink_print(const fl_shrink_job *j);

#endif /* FL_SIM_SHRINK_OUT_H */
