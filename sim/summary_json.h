/*
 * summary_json.h -- `run --format json`: the run's summary as one JSON object for CI,
 * with the fault accounting taken from the run's own METRIC records.
 *
 * The shape (docs/sweep.md, "JSON summaries for CI"):
 *   {"scenario": "raft-chaos", "protocol": "raft", "nodes": 3, "seed": 3,
 *    "outcome": "ok", "check": null, "detail": null, "fail_step": null,
 *    "fail_time_ns": null, "steps": 10529, "sim_time_ns": 30000000000,
 *    "messages": {"sent": 6725, "delivered": 6340, "dropped": 385, "in_flight": 0},
 *    "faults": {"crash": {"scheduled": 15, "reached": 15, "happened": 15,
 *                         "with_lost_writes": 0, "bytes_lost": 0}, ...},
 *    "not_reached": 0, "liveness_checked": true, "liveness_note": null,
 *    "digest": "cb43ebe918156ed0", "run_id": null, "db": null}
 * Every fault kind is there (zeros included), as in the metrics rows.
 */
#ifndef FL_SIM_SUMMARY_JSON_H
#define FL_SIM_SUMMARY_JSON_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/record.h"
#include "sim/run/scenario.h"

typedef struct fl_summary_json {
    cJSON *faults; /* {"kind": {"stat": n}}, filled by the sink */
    int oom;
} fl_summary_json;

/* A sink that keeps the run's faults.* metrics (init *sj first: zeroed). */
void fl_summary_json_sink(fl_summary_json *sj, fl_sink *out);
/* Print the summary object and a newline on out; liveness_note is NULL when the run
 * has a liveness phase, run_id <= 0 and db NULL when it was not recorded.  Returns 0 or
 * FL_ENOMEM. */
int fl_summary_json_print(fl_summary_json *sj, FILE *out, const fl_scenario *sc,
                          const char *protocol_name, uint64_t seed, const fl_run_result *res,
                          const char *liveness_note, int64_t run_id, const char *db);
void fl_summary_json_close(fl_summary_json *sj);

#endif /* FL_SIM_SUMMARY_JSON_H */
