/*
 * job.h -- one run in a worker process: how `run` and `replay` execute, as a pool of
 * one, so that a crash or a hang anywhere in protocol code (start, stop, snapshot,
 * check...) is contained and reported the same way as in a sweep: the worker streams
 * the run's records back (sim/run/wire.h) and the parent hands them to its sinks (the
 * trace, the recorder, JSON lines, replay's chain check).  If the worker dies, the run
 * ends as `crash` with the signal's name, at the step that was running; if it outlives
 * the scenario's wall watchdog, as `hang`.  Either way the sinks get the run's end.
 */
#ifndef FL_SIM_JOB_H
#define FL_SIM_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "sim/run/scenario.h"

typedef struct fl_job_spec {
    const fl_scenario *sc;
    const char *scenario_text; /* canonical, for the worker */
    const char *plugin_path;   /* absolute, or NULL: built in */
    uint64_t seed;
    const char *schedule_text; /* explicit schedule or script, or NULL */
    size_t schedule_len;
    const char *write_schedule_path; /* the schedule the run followed goes here, or NULL */
    const fl_sink *sinks;
    size_t nsinks;
    char *protocol_name; /* out, before the first record: the name the worker said */
    size_t protocol_name_cap;
} fl_job_spec;

/* Execute the run in a fresh worker.  Returns 0 when the run executed, whatever its
 * outcome (crash and hang included, in *res), or a negative FL_E code with a message in
 * err when it could not (the worker could not start or load the protocol: FL_EINVAL;
 * a sink failed: FL_EIO). */
int fl_job_run(const fl_job_spec *spec, fl_run_result *res, char *err, size_t cap);

#endif /* FL_SIM_JOB_H */
