/*
 * recorder.h -- writing one run into a faultline database.
 *
 * A recorder is a sink of a run's record stream (core/record.h) and turns the records
 * into rows: one `events` row per step, one `messages` row per message once its fate
 * is known (the fate record carries everything the row needs), `snapshots` when a
 * node's state changed (the change the record carries: scalars, edits, keyframe; see
 * core/statediff.h), `logs` for protocol log lines, the `faults` and `metrics` of
 * the run's end, and finally the `runs` row.
 *
 * A run is all or nothing: everything goes into one transaction that commits in
 * fl_rec_end(), so an aborted run (fl_rec_free() before fl_rec_end()) leaves no trace
 * and readers never see half a run.
 *
 * Locking: with FL_RECORD_ALL the transaction is opened (BEGIN IMMEDIATE, so a busy
 * database fails here rather than mid-run) and holds the database's write lock for the
 * whole run; other writers wait up to the busy timeout.  With FL_RECORD_NONE the few
 * rows are kept in memory and written in a short transaction at the end, so the
 * workers of a sweep do not serialise on the lock.  One recorder at a time per fl_db.
 */
#ifndef FL_STORAGE_RECORDER_H
#define FL_STORAGE_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/record.h"
#include "core/world.h"
#include "storage/db.h"

typedef struct fl_recorder fl_recorder;

enum { FL_RECORD_NONE = 0, FL_RECORD_ALL = 1 }; /* NONE: only runs (+ metrics, faults) */

/* Where a run comes from: the `runs.origin` column. */
enum fl_origin { FL_ORIGIN_RUN = 0, FL_ORIGIN_SWEEP, FL_ORIGIN_REPLAY, FL_ORIGIN_SHRINK };
const char *fl_origin_name(int origin);

typedef struct fl_run_meta {
    int64_t sweep_id; /* 0: none -> NULL */
    int64_t scenario_id;
    int origin;         /* enum fl_origin */
    int64_t parent_run; /* the run this one re-executes or shrinks; 0: none -> NULL */
    int pending;        /* FL_RECORD_NONE: mark the row recorded = 'pending' (a full
                         * recording of it is to come) */
    int64_t replaces;   /* FL_RECORD_ALL: the pending row this recording replaces, keeping
                         * its id (its runs, faults and metrics rows go); 0: none */
} fl_run_meta;

/* Start recording a run at `level` (FL_RECORD_*).  Borrows db, which must outlive the
 * recorder; copies meta.  On success *out is the recorder (free with
 * fl_recorder_free()).  The run's seed and schedule come with its RUN_BEGIN record. */
int fl_recorder_begin(fl_db *db, const fl_run_meta *meta, int level, fl_recorder **out, char *err,
                      size_t cap);

/* The recorder as a sink of the run's records (core/record.h).  With FL_RECORD_NONE it
 * wants only the run-level kinds (begin, faults, metrics, end), so a run that records
 * nothing per step has no description or snapshot made for it.  The sink's first error
 * is kept and reported by fl_recorder_end(); later rows are skipped. */
void fl_recorder_sink(fl_recorder *r, fl_sink *out);

/* Write the runs row (from the RUN_END record), the faults and metrics, and COMMIT;
 * the run's id goes to *run_id.  If anything failed earlier (or now), everything is
 * rolled back and the first error is returned.  Call at most once; free the recorder
 * afterwards either way. */
int fl_recorder_end(fl_recorder *r, int64_t *run_id, char *err, size_t cap);

/* The recorder's first error (0 if none), its message copied into err: tells a failed
 * write (disk full) from a failure of the run that fed it. */
int fl_recorder_error(const fl_recorder *r, char *err, size_t cap);

/* Roll back what was not committed and free.  NULL ok. */
void fl_recorder_free(fl_recorder *r);

/* Per-step rows given so far (events + messages + snapshots + logs, history
 * included), written or waiting in a batch for the next insert (recorder_batch.h): for
 * progress output and benchmarks. */
uint64_t fl_recorder_rows(const fl_recorder *r);

#endif /* FL_STORAGE_RECORDER_H */
