/*
 * runner.h -- one run, start to finish: scenario + protocol + seed (+ schedule) in,
 * outcome and digest out, with the trace printed and the run recorded on request.
 *
 * `run`, `replay` and the sweep workers all go through fl_run_one, so a seed means
 * the same run everywhere.
 */
#ifndef FL_SIM_RUNNER_H
#define FL_SIM_RUNNER_H

#include <stdio.h>

#include "sim/scenario.h"
#include "storage/recorder.h"

typedef struct fl_run_opts {
    uint64_t seed;
    const char *schedule_text; /* explicit schedule or script (JSON), or NULL */
    size_t schedule_len;
    const char *write_schedule_path; /* write the schedule used here, or NULL */
    FILE *trace;                     /* print the trace here, or NULL */
    fl_db *db;                       /* record here, or NULL */
    int64_t scenario_id, sweep_id;   /* with db */
    int record;                      /* FL_RECORD_* with db */
    const fl_world_hooks *extra;     /* another observer (replay's chain check), or NULL */
    /* Called once per metric at the end of the run (the `metrics` rows a recorded run
     * gets), for callers that record elsewhere (sweep workers); may be NULL. */
    void (*metric)(void *ctx, const char *name, int64_t value);
    void *metric_ctx;
} fl_run_opts;

/* Execute one run.  Returns 0 when the run executed, whatever its outcome (in *res;
 * strings in res stay valid until the next call on this thread), with *run_id set when
 * recorded; or a negative FL_E code with a message in err when it could not run (bad
 * schedule, database error): exit code 2 for FL_EINVAL/FL_EPARSE, else 3. */
int fl_run_one(const fl_scenario *sc, const struct fl_protocol *p, const fl_run_opts *o,
               fl_run_result *res, int64_t *run_id, char *err, size_t cap);

/* The last run's fault accounting on this thread, one item per fault kind that was
 * scheduled or hit: "partition 3/4, crash 1/2, drop 17/17" (took effect / scheduled);
 * "" when none.  Valid until the next fl_run_one on this thread. */
const char *fl_run_faults_text(void);

/* The one-screen summary on out (no wall-clock figures: those go elsewhere). */
void fl_run_print_summary(FILE *out, const fl_scenario *sc, const struct fl_protocol *p,
                          uint64_t seed, const fl_run_result *res);

#endif /* FL_SIM_RUNNER_H */
