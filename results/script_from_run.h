/*
 * script_from_run.h -- a recorded run as a scenario with an inline scripted-mode script
 * (docs/script.md): `faultline script`, and `shrink --as-script` on its minimal run.
 *
 * The script repeats, step by step, what the run's nodes saw: every delivery by the
 * message's identity on its link (nth, copy), every timer that fired, every crash,
 * restart, client request and completed sync, with the syncs held so that they complete
 * where the run completed them.  Nothing in it depends on the seed or on timing.  A
 * failing run is cut at its failing step, and the scalar members of every up node's
 * state just before that step come as expects right before it, so the script checks it
 * is on the run's path where the bug shows.  A passing run is converted whole, its
 * expects at the end.
 */
#ifndef FL_RESULTS_SCRIPT_FROM_RUN_H
#define FL_RESULTS_SCRIPT_FROM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "storage/db.h"

/* What a conversion made, for the command's summary. */
typedef struct fl_script_info {
    size_t entries;    /* script entries, expects included */
    size_t expects;    /* of them, expects */
    int64_t last_step; /* the last step of the run the script follows */
    int processes;     /* client processes the script uses (0 without workload.model) */
    /* What the script cannot say and the converter left out (torn writes, corrupt
     * reads), "" when nothing: one line, for a warning. */
    char note[256];
} fl_script_info;

/* How to convert: timed = 1 gives every acting entry the virtual time of the run's step
 * it repeats ("at_ns"), for protocols that read the clock (canonical-raft's ticks). */
typedef struct fl_script_opts {
    int timed;
} fl_script_opts;

/* Convert run run_id of db (opts NULL: the defaults, untimed).  The run must be recorded in full,
 * in automatic mode.  On success *out is the scenario's JSON text (caller frees with free()), one
 * script entry per line.  FL_ENOTFOUND (no such run), FL_EINVAL (not recorded in full, a scripted
 * run), FL_ENOMEM, or a storage error, with a message in err.  Borrows db. */
int fl_script_from_run(fl_db *db, int64_t run_id, const fl_script_opts *opts, char **out,
                       fl_script_info *info, char *err, size_t cap);

#endif /* FL_RESULTS_SCRIPT_FROM_RUN_H */
