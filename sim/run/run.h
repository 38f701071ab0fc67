/*
 * run.h -- one run, start to finish: scenario + protocol + seed (+ schedule) in, a
 * stream of records out (core/record.h), and the one result.
 *
 * `run`, `replay` and the sweep workers all go through fl_run, so a seed means the same
 * run everywhere.  What happens to the records is the caller's choice of sinks: the
 * trace printer (trace.h), the recorder (storage/recorder.h), a sweep worker's pipe
 * frames (frames.h), replay's chain check.  The run itself emits RUN_BEGIN, then the
 * world's per-step records, then the run's FAULT and METRIC records and RUN_END.
 */
#ifndef FL_SIM_RUN_RUN_H
#define FL_SIM_RUN_RUN_H

#include <stdio.h>

#include "core/record.h"
#include "sim/run/scenario.h"

typedef struct fl_run_job {
    const fl_scenario *sc;
    const struct fl_protocol *protocol;
    uint64_t seed;
    const char *schedule_text; /* explicit schedule or script (JSON), or NULL */
    size_t schedule_len;
    const fl_sink *sinks; /* consumers of the run's records (borrowed) */
    size_t nsinks;        /* at most FL_STREAM_MAX_SINKS */
    /* > 0: the world stops at this virtual time instead of the scenario's until (shrink's
     * candidates: one that has not failed by then does not count).  The schedule is still
     * read against the scenario's until, so nothing before stop_ns changes. */
    int64_t stop_ns;
} fl_run_job;

/* Execute one run.  Returns 0 when the run executed, whatever its outcome (in *res,
 * self-contained); or a negative FL_E code with a message in err when it could not run
 * (bad schedule: exit code 2 for FL_EINVAL/FL_EPARSE, else 3).  A sink's error does
 * not stop the run: the sink that failed says so when its owner finishes it (the
 * recorder's fl_recorder_end), and fl_run reports it too as FL_EIO with the sink's
 * name, after the run. */
int fl_run(const fl_run_job *job, fl_run_result *res, char *err, size_t cap);

/* The one-screen summary on out (no wall-clock figures: those go elsewhere). */
void fl_run_print_summary(FILE *out, const fl_scenario *sc, const char *protocol_name,
                          uint64_t seed, const fl_run_result *res);

#endif /* FL_SIM_RUN_RUN_H */
