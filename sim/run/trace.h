/*
 * trace.h -- the human-readable trace of a run (`--trace`, `replay`, `show`).
 *
 * Every line of a step carries that step's virtual time and number; after a step, one
 * `state` line per node whose state changed.  The text depends only on the run, never
 * on wall time, so two executions of a run print byte-identical traces.
 */
#ifndef FL_SIM_RUN_TRACE_H
#define FL_SIM_RUN_TRACE_H

#include <stdio.h>

#include "core/record.h"
#include "core/world.h"

typedef struct fl_trace {
    FILE *out;
    const char *proto_name;
    uint64_t step;
    int64_t time_ns;
    uint64_t step_msg_id; /* the message this step delivers, printed by the step line */
} fl_trace;

/* A sink that prints to out; t must outlive the run.  A write error on out is the
 * sink's error (FL_EIO). */
void fl_trace_sink(fl_trace *t, FILE *out, const char *proto_name, fl_sink *k);

/* "[  0.151203s #42] " */
void fl_trace_prefix(FILE *out, int64_t time_ns, uint64_t step);
/* The lines of a trace, for printers that read a recorded run (show). */
void fl_trace_step_line(FILE *out, const fl_rec_step *s);
void fl_trace_send_line(FILE *out, int64_t time_ns, uint64_t step, int src, int dst,
                        const char *desc, uint64_t msg_id);
void fl_trace_state_line(FILE *out, int64_t time_ns, uint64_t step, int node, const char *json);
void fl_trace_log_line(FILE *out, int64_t time_ns, uint64_t step, const char *proto, int node,
                       const char *text);
/* Print a state JSON text as "k=v k=v" (scalars; arrays as their length). */
void fl_trace_state_fields(FILE *out, const char *json);
/* A client operation's completion: "history: op 7 p0 ok read -> 3 (node 2)".  key and
 * result may be NULL; value and result are JSON text. */
void fl_trace_history_line(FILE *out, int64_t time_ns, uint64_t step, uint64_t op_id, int process,
                           const char *type, const char *f, const char *key, const char *value,
                           const char *result, int node);

#endif /* FL_SIM_RUN_TRACE_H */
