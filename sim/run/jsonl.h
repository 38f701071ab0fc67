/*
 * jsonl.h -- the record stream as JSON lines: one object per record, its keys the
 * database's column names, so that a line reads like the row it becomes (docs/
 * pipeline.md).  `faultline run --records FILE` writes it; exports reuse it.
 *
 *   {"record":"step_end","table":"events","step":3,"time_ns":...,"kind":"deliver",...}
 *   {"record":"fate","table":"messages","msg_id":17,"src":1,"dst":2,"type":"MsgVote",...}
 *
 * Absent node ids, message ids and details are null, as in the database; a state's and
 * a fault spec's JSON are embedded as JSON, not as strings.
 */
#ifndef FL_SIM_RUN_JSONL_H
#define FL_SIM_RUN_JSONL_H

#include <stdio.h>

#include "core/record.h"

typedef struct fl_jsonl {
    FILE *out;
} fl_jsonl;

/* A sink writing every record to out; j must outlive the run.  A write error is the
 * sink's error (FL_EIO). */
void fl_jsonl_sink(fl_jsonl *j, FILE *out, fl_sink *k);

/* One record as a JSON line (no newline), or NULL when out of memory; free with
 * cJSON_free(). */
char *fl_jsonl_line(const fl_record *r);

#endif /* FL_SIM_RUN_JSONL_H */
