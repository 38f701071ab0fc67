/*
 * rec_stream.h -- a recorded run read back from the database as the record stream it
 * was recorded from (core/record.h), for the exports (`faultline export`): the same
 * sinks that consume a live run consume a stored one.
 *
 * What comes back, in this order: run_begin; for each step, step_begin, the fates it
 * decided of messages sent before it (its delivery), the sends of that step, the fates
 * it decided of its own sends (dropped at once), its log lines, its client records (invocations and
 * completions), the states that changed in it, step_end; then the fates of the messages
 * still in flight at the end, the faults (by entry), the metrics (by name) and run_end.
 * Every field is the one the live record had, with two limits: the database does not
 * keep the order of records inside a step (the order above is fixed instead), and a log
 * record's time is its step's.  A delivery step's detail gets back the message's
 * description that the events row leaves out (docs/sql.md, events.detail).  States are
 * whole texts (results/state.h); a state record's `scalars` is the text too and its
 * `parts` NULL.  A send record carries the message's fate and fate step as the database
 * knows them at the end (a live send says in_flight), so that an export can tell at the
 * send whether a delivery will come.
 */
#ifndef FL_RESULTS_REC_STREAM_H
#define FL_RESULTS_REC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "storage/db.h"

/* What the runs row says about the run, for the caller's checks before streaming. */
typedef struct fl_rec_stream_run {
    char recorded[16]; /* runs.recorded: "all", "none", "pending" */
    uint64_t steps;
    int nodes; /* the scenario's node count */
} fl_rec_stream_run;

/* Look up run run_id: 0 with *info filled, FL_ENOTFOUND ("no run N in DB") or another
 * FL_E code, with a message in err. */
int fl_rec_stream_info(fl_db *db, int64_t run_id, fl_rec_stream_run *info, char *err, size_t cap);

/* Give every record of run run_id, in the order above, to sink (whose wants are
 * honoured; FL_REC_WANT_DESC and FL_REC_WANT_STATE_TEXT are always met).  Returns 0,
 * the sink's error (a negative FL_E code: the stream stops at it, with "export: the
 * <sink name> failed" in err) or a reading error with its message in err.  The run must
 * be recorded in full (fl_rec_stream_info). */
int fl_rec_stream(fl_db *db, int64_t run_id, const fl_sink *sink, char *err, size_t cap);

#endif /* FL_RESULTS_REC_STREAM_H */
