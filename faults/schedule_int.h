/*
 * schedule_int.h -- what the files of faults/ share about schedules and nothing else
 * may use: building a schedule entry by entry, and a small growable string.
 */
#ifndef FL_FAULTS_SCHEDULE_INT_H
#define FL_FAULTS_SCHEDULE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "faults/schedule.h"

struct fl_schedule {
    int nodes;
    size_t len, cap;
    fl_fault *entries;
    size_t cells; /* partition memory in group_of cells, bounded by FL_SCHEDULE_MAX_CELLS */
    int format;   /* 1: a bare array; 2: the object form */
    int messages_only;
    /* message entries, in file order, and their indexes sorted by (from, to, nth, kind) */
    fl_msg_fault *msgs;
    size_t nmsgs, msgs_cap;
    uint32_t *msg_order;
    /* format 2's "ops": the workload ops to issue, ascending and unique (has_ops 0:
     * every op) -- what shrink uses to say "only these ops" */
    int has_ops;
    uint64_t *ops;
    size_t nops;
};

/* Append a message entry (format 2).  Returns 0, FL_ELIMIT or FL_ENOMEM. */
int fl_schedule_push_msg(fl_schedule *s, const fl_msg_fault *m);
/* Sort the message entries for lookup.  Returns 0, FL_ENOMEM, or FL_EINVAL with *a and
 * *b the two entries (indexes into msgs) that conflict: the same kind twice for one
 * message, or a drop with another kind. */
int fl_schedule_msgs_finish(fl_schedule *s, size_t *a, size_t *b);

/* An empty schedule for `nodes` nodes, or NULL when out of memory. */
fl_schedule *fl_schedule_new_empty(int nodes);
/* Append a copy of *f; the schedule takes ownership of f->part (also on failure, when
 * it frees it).  Returns 0, FL_ELIMIT (too many entries or partition cells) or
 * FL_ENOMEM. */
int fl_schedule_push(fl_schedule *s, const fl_fault *f);

/* A partition of `nodes` nodes with every node in group 0 and room for `nallow` allow
 * pairs (filled by the caller, then fl_partition_finish()).  NULL when out of memory. */
fl_partition *fl_partition_new(int nodes, size_t nallow, const char *name);
/* Build the lookup table from allow[]; returns 0 or FL_ENOMEM. */
int fl_partition_finish(fl_partition *p);
void fl_partition_free(fl_partition *p);

/* A string that grows; on allocation failure it remembers the failure (oom) and
 * ignores further appends, so callers check once at the end. */
typedef struct fl_sbuf {
    char *buf;
    size_t len, cap;
    int oom;
} fl_sbuf;
void fl_sbuf_putf(fl_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_sbuf_puts(fl_sbuf *b, const char *s);
/* Append the partition's groups as "{1} | {2,3}", stopping near max_len with "...". */
void fl_sbuf_groups(fl_sbuf *b, const fl_partition *p, size_t max_len);
/* Append entry f as compact JSON. */
void fl_sbuf_entry(fl_sbuf *b, const fl_fault *f);
/* Append message entry m as compact JSON. */
void fl_sbuf_msg_entry(fl_sbuf *b, const fl_msg_fault *m);

/* Nonzero when s is a plain name: 1..31 of [A-Za-z0-9_.-]. */
int fl_fault_name_ok(const char *s);

#endif /* FL_FAULTS_SCHEDULE_INT_H */
