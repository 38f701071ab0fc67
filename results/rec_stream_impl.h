/*
 * rec_stream_impl.h -- what rec_stream.c and rec_stream_run.c share: the runs row of the
 * run being read back.  results/ internal.
 */
#ifndef FL_RESULTS_REC_STREAM_IMPL_H
#define FL_RESULTS_REC_STREAM_IMPL_H

#include "results/rec_stream.h"

typedef struct fl_rec_run_row {
    fl_run_result res; /* as run_end gave it */
    uint64_t seed;
    int nodes;
    char protocol[128];
    char *schedule_json; /* owned: free() it */
    char recorded[16];
} fl_rec_run_row;

/* The runs row of run (and its scenario's node count and protocol), or FL_ENOTFOUND
 * "no run N in DB". */
int fl_rec_read_run(fl_db *db, int64_t run, fl_rec_run_row *w, char *err, size_t cap);

/* The index of s among name(0) .. name(count - 1), or -1. */
int fl_rec_parse_name(const char *(*name)(int), int count, const char *s);

#endif /* FL_RESULTS_REC_STREAM_IMPL_H */
