/*
 * recorder.h -- writing one run into a faultline database.
 *
 * A recorder listens to a world through fl_world_hooks and turns what it hears into
 * rows: one `events` row per step, one `messages` row per message once its fate is
 * known, `snapshots` when a node's state changed, `logs` for protocol log lines; plus
 * the `faults` and `metrics` the caller hands over, and finally the `runs` row.
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

#include "core/world.h"
#include "storage/db.h"

typedef struct fl_recorder fl_recorder;

enum { FL_RECORD_NONE = 0, FL_RECORD_ALL = 1 }; /* NONE: only runs (+ metrics, faults) */

typedef struct fl_run_meta {
    int64_t sweep_id; /* 0: none -> NULL */
    int64_t scenario_id;
    uint64_t seed;             /* stored as a signed 64-bit integer (bit pattern kept) */
    const char *schedule_json; /* may be NULL; copied */
} fl_run_meta;

typedef struct fl_run_result {
    int outcome;                     /* enum fl_outcome; fl_outcome_name() gives the text */
    const char *check_name, *detail; /* may be NULL or "" (stored as NULL) */
    int64_t fail_step, fail_time_ns; /* -1 when none -> NULL */
    uint64_t steps;
    int64_t sim_time_ns;
    uint64_t msgs_sent, msgs_delivered, msgs_dropped, faults;
    int64_t wall_us;
    char digest[17]; /* 16 lowercase hex digits */
} fl_run_result;

/* Start recording a run at `level` (FL_RECORD_*).  Borrows db, which must outlive the
 * recorder; copies meta.  On success *out is the recorder (free with fl_rec_free()). */
int fl_rec_begin(fl_db *db, const fl_run_meta *meta, int level, fl_recorder **out, char *err,
                 size_t cap);

/* Fill h with callbacks that record into r (want_states = level == ALL).  With
 * FL_RECORD_NONE every callback is NULL (so the caller need not add them to the world at
 * all, which spares it describing every message).  Hooks cannot fail: the first error is kept
 * and reported by fl_rec_end(); later rows are skipped. */
void fl_rec_hooks(fl_recorder *r, fl_world_hooks *h);

/* A counter for the `metrics` table; the same name again adds to it.  Name copied. */
void fl_rec_metric(fl_recorder *r, const char *name, int64_t value);
/* One entry of the materialised fault schedule.  kind and spec_json are copied;
 * spec_json may be NULL. */
void fl_rec_fault(fl_recorder *r, int64_t seq, int64_t at_ns, const char *kind,
                  const char *spec_json, int took_effect);

/* Write the runs row and COMMIT; the run's id goes to *run_id.  If anything failed
 * earlier (or now), everything is rolled back and the first error is returned.  Call
 * at most once; free the recorder afterwards either way. */
int fl_rec_end(fl_recorder *r, const fl_run_result *res, int64_t *run_id, char *err, size_t cap);

/* Roll back what was not committed and free.  NULL ok. */
void fl_rec_free(fl_recorder *r);

/* Rows written so far by the hooks (events + messages + snapshots + logs): for
 * progress output and benchmarks. */
uint64_t fl_rec_rows(const fl_recorder *r);

#endif /* FL_STORAGE_RECORDER_H */
