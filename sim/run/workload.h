/*
 * workload.h -- client requests from the scenario's `workload` section.
 *
 * Requests arrive at exponentially distributed intervals (mean `every`) at a node
 * drawn uniformly, op i's both keyed by ("workload", i), so changing the workload never
 * shifts the network's or the faults' draws, and op i is the same op whatever else
 * the run did.  Each request is scheduled by the
 * previous one, so a long run holds one pending workload event, not thousands.
 */
#ifndef FL_SIM_RUN_WORKLOAD_H
#define FL_SIM_RUN_WORKLOAD_H

#include <stdint.h>

#include "core/rng.h"
#include "core/world.h"

typedef struct fl_workload {
    uint64_t seed;
    int64_t every_ns;
    int64_t ops_max;  /* 0: unlimited */
    int64_t ops_sent; /* the last op issued or skipped (op numbers start at 1) */
    int nodes;
    /* A schedule's "ops" (borrowed, ascending), or NULL: every op.  An op not listed
     * is skipped -- no step -- and the ops after it keep their times and nodes. */
    const uint64_t *keep;
    size_t nkeep, keep_next;
    int64_t last_ns; /* when op ops_sent was due */
} fl_workload;

/* Schedule the first request; wl must outlive the world.  every_ns 0 does nothing.
 * keep (nkeep ops, ascending; borrowed, must outlive the world) limits the ops issued,
 * or is NULL. */
int fl_workload_install(fl_workload *wl, fl_world *w, uint64_t seed, int64_t every_ns,
                        int64_t ops_max, const uint64_t *keep, size_t nkeep);

/* How many ops the workload issues at or before until_ns (every op, no keep list):
 * what shrink starts its search over ops from. */
uint64_t fl_workload_ops_by(uint64_t seed, int64_t every_ns, int64_t ops_max, int nodes,
                            int64_t until_ns);

#endif /* FL_SIM_RUN_WORKLOAD_H */
