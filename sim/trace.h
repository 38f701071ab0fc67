/*
 * trace.h -- the human-readable trace of a run (`--trace`, `replay`, `show`).
 *
 * Every line of a step carries that step's virtual time and number; after a step, one
 * `state` line per node whose state changed.  The text depends only on the run, never
 * on wall time, so two executions of a run print byte-identical traces.
 */
#ifndef FL_SIM_TRACE_H
#define FL_SIM_TRACE_H

#include <stdio.h>

#include "core/world.h"

typedef struct fl_trace {
    FILE *out;
    const char *proto_name;
    uint64_t step;
    int64_t time_ns;
    uint64_t step_msg_id; /* the message this step delivers, printed by the step line */
} fl_trace;

/* Hooks that print to t->out; t must outlive the world. */
void fl_trace_hooks(fl_trace *t, FILE *out, const char *proto_name, fl_world_hooks *h);

/* "[  0.151203s #42] " */
void fl_trace_prefix(FILE *out, int64_t time_ns, uint64_t step);
/* Print a state JSON text as "k=v k=v" (scalars; arrays as their length). */
void fl_trace_state_fields(FILE *out, const char *json);

#endif /* FL_SIM_TRACE_H */
