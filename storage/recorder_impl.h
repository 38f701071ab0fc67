/*
 * recorder_impl.h -- the recorder's state, shared by recorder.c (the sink: per-step rows
 * as records arrive; begin and end) and recorder_rows.c (the whole-run rows written at
 * the end: runs, faults, metrics).  storage/ internal.
 */
#ifndef FL_STORAGE_RECORDER_IMPL_H
#define FL_STORAGE_RECORDER_IMPL_H

#include <sqlite3.h>

#include "storage/recorder.h"
#include "storage/recorder_batch.h"

#ifndef FL_VERSION
#define FL_VERSION "unknown"
#endif

typedef struct rec_fault {
    int64_t seq, at_ns;
    char *kind, *spec;
    int reached, took_effect;
} rec_fault;

typedef struct rec_metric {
    char *name;
    int64_t value;
} rec_metric;

/* The per-step tables (ST_EVENT .. ST_LOG, written in batches: recorder_batch.h) come
 * first; history rows are written one by one (a completion updates its invocation's row,
 * which must be in the table by then). */
enum { ST_EVENT, ST_MESSAGE, ST_SNAPSHOT, ST_LOG, ST_HIST_INVOKE, ST_HIST_DONE, ST_COUNT };
#define ST_BATCHED 4

/* The descriptions of the last fates, by message id: a delivery step's detail is
 * "delivered <description>" (or "dropped:down ..."), and the description is already in
 * the message's row, so the events row keeps the first word only. */
#define FATE_RING 16
typedef struct rec_fate {
    uint64_t id;
    char desc[256];
} rec_fate;

struct fl_recorder {
    fl_db *db;
    sqlite3 *h;
    int level;
    int in_txn;
    int batched; /* inside the caller's transaction (a batch) */
    int ended;
    int64_t run_id;
    fl_run_meta meta;
    uint64_t seed;
    char *schedule_json; /* from the run_begin record */
    int have_result;
    fl_run_result res; /* from the run_end record */
    sqlite3_stmt *st[ST_COUNT];
    rec_batch batch[ST_BATCHED];
    uint64_t log_seq, rows;
    rec_fate fates[FATE_RING];
    unsigned nfates;
    rec_fault *faults;
    size_t nfaults, faults_cap;
    rec_metric *metrics;
    size_t nmetrics, metrics_cap;
    int rc; /* first error (FL_E code), 0 if none */
    char err[256];
};

static inline void fl_rec_bind_opt_int(sqlite3_stmt *st, int idx, int64_t v, int64_t none)
{
    if (v == none)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, v);
}

static inline void fl_rec_bind_opt_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (s == NULL || s[0] == '\0')
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

/* recorder_rows.c: the run's row (replacing its pending row), its faults, its metrics;
 * each returns an SQLite result code. */
int fl_rec_insert_run(fl_recorder *r);
int fl_rec_insert_faults(fl_recorder *r);
int fl_rec_insert_metrics(fl_recorder *r);

#endif /* FL_STORAGE_RECORDER_IMPL_H */
