/*
 * sweep_json.h -- `sweep --format json`: the sweep's summary as one JSON object for CI.
 *
 * The shape (docs/sweep.md):
 *   {"sweep_id": 1, "db": "faultline.db", "seeds": {"from": 1, "to": 300},
 *    "shard": null, "ran": 300, "already_done": 0, "wall_s": 1.52,
 *    "seeds_total": 300, "failing": 2, "outcomes": {"ok": 298, "violation": 2},
 *    "violations": {"durability": 2},
 *    "failing_seeds": [{"run_id": 7, "seed": 14, "outcome": "violation",
 *                       "check": "durability", "detail": "...", "recorded": "all"}],
 *    "recorded": 2, "digest_mismatches": 0, "pending": 0,
 *    "interrupted": false, "stopped": false}
 * Counts cover the whole sweep (this invocation and the ones it resumed); ran and
 * wall_s this invocation.  failing_seeds lists at most the first 100 by seed.
 */
#ifndef FL_SIM_SWEEP_JSON_H
#define FL_SIM_SWEEP_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "sim/sweep.h"
#include "storage/db.h"

typedef struct fl_sweep_json_in {
    const char *db_path;
    int64_t sweep_id;
    uint64_t from, to, already_done;
    const char *shard; /* "K/N" or NULL */
} fl_sweep_json_in;

/* Print the object and a newline on out; *failing gets the number of failing seeds.
 * Returns 0, or an FL_E code with a message in err. */
int fl_sweep_print_json(FILE *out, fl_db *db, const fl_sweep_json_in *in, const fl_sweep_stats *st,
                        uint64_t *failing, char *err, size_t cap);

#endif /* FL_SIM_SWEEP_JSON_H */
