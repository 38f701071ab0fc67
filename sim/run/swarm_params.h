/*
 * swarm_params.h -- a run's params drawn from its protocol's ranges (issue 16).
 *
 * With "faults": {"swarm_params": true}, every seed draws each range the protocol
 * declares (struct fl_param_range, API version 4): "nodes" sets the cluster size, any
 * other name the param of that name, which replaces the scenario's value for this run.
 * The draws are recorded as the run's metrics "swarm.<name>" (durations in ns).
 */
#ifndef FL_SIM_RUN_SWARM_PARAMS_H
#define FL_SIM_RUN_SWARM_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/faultline.h"
#include "sim/run/scenario.h"

#define FL_SWARM_PARAMS_MAX 16 /* ranges read from a protocol's list */

typedef struct fl_swarm_draw {
    int nodes;     /* the run's node count */
    cJSON *params; /* owned: the run's params, or NULL when the scenario does not swarm */
    size_t n;      /* draws made: */
    char names[FL_SWARM_PARAMS_MAX][64]; /* "swarm.max_entries_per_msg" */
    int64_t values[FL_SWARM_PARAMS_MAX];
} fl_swarm_draw;

/* Draw seed's params for sc and protocol p into out (free with fl_swarm_draw_close,
 * also on failure).  Without swarm_params it only copies sc->nodes.  Returns 0, or
 * FL_EINVAL (the protocol declares no ranges, or a bad one) / FL_ENOMEM with a message
 * in err. */
int fl_swarm_params(const fl_scenario *sc, const struct fl_protocol *p, uint64_t seed,
                    fl_swarm_draw *out, char *err, size_t cap);
void fl_swarm_draw_close(fl_swarm_draw *d);

#endif /* FL_SIM_RUN_SWARM_PARAMS_H */
