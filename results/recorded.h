/*
 * recorded.h -- a recorded run as `replay`, `show` and `shrink` need it: its scenario,
 * seed, schedule, digest, outcome, where it comes from, and the digest chain of every recorded
 * step.
 */
#ifndef FL_RESULTS_RECORDED_H
#define FL_RESULTS_RECORDED_H

#include <stddef.h>
#include <stdint.h>

typedef struct fl_recorded_run {
    int64_t run_id;
    uint64_t seed;
    char *scenario_json; /* scenarios.json */
    char *plugin_path;   /* scenarios.plugin_path (where the plugin was loaded), or NULL */
    char *schedule_json; /* runs.schedule_json, or NULL */
    char digest[17];
    uint64_t steps;
    char outcome[32];    /* runs.outcome */
    char check[128];     /* runs.check_name, or "" */
    char *detail;        /* runs.detail, or NULL */
    int64_t fail_step;   /* runs.fail_step, or -1 */
    char recorded[16];   /* runs.recorded: "all", "none", "pending" */
    int64_t scenario_id; /* runs.scenario_id */
    int64_t sweep_id;    /* runs.sweep_id, or 0 */
    char origin[16];     /* runs.origin ("run" or "sweep" in a file of schema 1) */
    int64_t parent_run;  /* runs.parent_run, or 0 */
    int64_t *chains;     /* events.chain by step, nchains of them (0 without events) */
    size_t nchains;
} fl_recorded_run;

/* Read run `run` (decimal id) of the database at path.  FL_ENOTFOUND / FL_ESCHEMA /
 * FL_EINVAL with a message in err.  Release with fl_recorded_close (also on failure). */
int fl_recorded_load(const char *path, const char *run, fl_recorded_run *rr, char *err, size_t cap);
void fl_recorded_close(fl_recorded_run *rr);

#endif /* FL_RESULTS_RECORDED_H */
