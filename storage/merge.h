/*
 * merge.h -- combining faultline databases into one: what `faultline merge OUT IN...`
 * does with the databases that the shards of a sweep (`--shard K/N`), or separate
 * sweeps, wrote on different machines.
 *
 * Scenarios are identified by their hash (one row per hash in OUT); sweeps are copied
 * (a sweep that OUT already has -- same scenario, seed range, shard and start time, as
 * when a shard is merged again after it resumed -- is reused, and takes the input's
 * status if that one is done); runs are copied with every row that belongs to them
 * (events, messages, snapshots, faults, logs, metrics) under new run ids.  A run is a
 * duplicate when OUT, or an earlier run of the inputs, already has a run of the same
 * scenario and seed.
 *
 * OUT changes in one transaction or not at all: inputs that are not faultline
 * databases, duplicates (unless skipped), an input that is OUT itself are all refused
 * before anything is written.
 */
#ifndef FL_STORAGE_MERGE_H
#define FL_STORAGE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/db.h"

/* Skip duplicate runs (and count them) instead of refusing the merge. */
#define FL_DB_MERGE_SKIP_DUPLICATES 1

typedef struct fl_db_merge_stats {
    uint64_t scenarios;  /* scenarios added to OUT (the others it had already) */
    uint64_t sweeps;     /* sweeps added to OUT (the others it had already) */
    uint64_t runs;       /* runs copied */
    uint64_t rows;       /* rows of those runs in events, messages, snapshots, ... */
    uint64_t duplicates; /* duplicate runs: skipped, or the reason for refusing */
    /* Duplicates whose digest differs from the run kept: the same scenario and seed
     * gave another execution (a nondeterministic protocol, or another build). */
    uint64_t digest_differs;
    uint64_t differs_seed; /* the first such seed */
} fl_db_merge_stats;

/* Merge the faultline databases in[0..nin-1] into out (opened with FL_DB_CREATE),
 * borrowing both.  The inputs are only read.  Errors, with OUT unchanged and a message
 * in err: FL_ENOTFOUND an input does not exist; FL_ESCHEMA an input is not a
 * faultline database (or has another schema version); FL_EINVAL an input is OUT, or
 * there are duplicates and flags lacks FL_DB_MERGE_SKIP_DUPLICATES (then
 * st->duplicates > 0 and err names the first duplicate's seed and where it already
 * is), or two scenarios collide on one hash; FL_EDB, FL_EIO, FL_ENOMEM otherwise.
 * st is filled in either way (zero on early errors). */
int fl_db_merge(fl_db *out, const char *const *in, size_t nin, int flags, fl_db_merge_stats *st,
                char *err, size_t cap);

#endif /* FL_STORAGE_MERGE_H */
