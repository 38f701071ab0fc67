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
    int64_t ops_max; /* 0: unlimited */
    int64_t ops_sent;
    int nodes;
} fl_workload;

/* Schedule the first request; wl must outlive the world.  every_ns 0 does nothing. */
int fl_workload_install(fl_workload *wl, fl_world *w, uint64_t seed, int64_t every_ns,
                        int64_t ops_max);

#endif /* FL_SIM_RUN_WORKLOAD_H */
