/*
 * prune.h -- retention: dropping the full recordings of runs nobody needs any more.
 *
 * A pruned run keeps its `runs` row (outcome, digest, counts: what reports and the
 * "each seed once" rule read), its `faults` and `metrics`, and becomes recorded =
 * 'none', like a run a sweep never recorded; its per-step rows (events, messages,
 * snapshots, logs) go, and the file is vacuumed so that the space returns to the disk.
 * `replay` still re-executes a pruned run from its seed and schedule.
 */
#ifndef FL_STORAGE_PRUNE_H
#define FL_STORAGE_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/db.h"

typedef struct fl_prune_opts {
    int keep_failing;     /* keep the recordings of runs whose outcome is not ok */
    int64_t older_than_s; /* prune only runs recorded at least this long ago (0: any) */
    int64_t sweep_id;     /* prune only runs of this sweep (0: any) */
    int dry_run;          /* count, change nothing */
} fl_prune_opts;

typedef struct fl_prune_stats {
    uint64_t runs;                   /* recordings dropped (or that would be) */
    uint64_t rows;                   /* their per-step rows */
    uint64_t payload_bytes;          /* the bytes of those rows' values: what a dry run estimates */
    int64_t file_before, file_after; /* the file's size in bytes (not for a dry run) */
} fl_prune_stats;

/* Prune db (opened with FL_DB_CREATE; for a dry run read-only will do) by o.  A run's
 * age is runs.recorded_at, else its sweep's started_at; a run with neither (recorded
 * before schema 3, outside a sweep) is never old.  Runs whose recording is pending are
 * left alone.  Everything but the vacuum is one transaction.  0 or an FL_E code with a
 * message in err. */
int fl_db_prune(fl_db *db, const fl_prune_opts *o, fl_prune_stats *st, char *err, size_t cap);

#endif /* FL_STORAGE_PRUNE_H */
