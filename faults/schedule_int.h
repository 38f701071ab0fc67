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

/* Reading schedule JSON (schedule_doc.c).  fl_schedule_json_int: 1 when v is an
 * integral number in [lo, hi] (into *out), else 0.  fl_schedule_parse_header: format 2's
 * object form, {"version": 2, "entries": [...], "messages": "seed" | "only", "ops"}:
 * *entries is the array and *messages_only the mode.  fl_schedule_parse_ops: its "ops",
 * op numbers >= 1, ascending, into s.  Both 0, or an FL_E code with a message in err. */
struct cJSON;
int fl_schedule_json_int(const struct cJSON *v, int64_t lo, int64_t hi, int64_t *out);
int fl_schedule_parse_header(const struct cJSON *root, const struct cJSON **entries,
                             int *messages_only, char *err, size_t cap);
int fl_schedule_parse_ops(const struct cJSON *ops, fl_schedule *s, char *err, size_t cap);

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

/* ---- aimed entries (schedule_aim.c) ---- */

/* What is wrong with an aimed field: the field ("node.select") and why. */
typedef struct fl_aim_err {
    char field[48];
    char msg[200];
} fl_aim_err;

#define FL_AIM_WITHIN_DEFAULT_NS 1000000000 /* a sync crash waits 1 s for a sync */

/* entry[key]: a node id 1..nodes or a selector object; sets f->node or f->select.
 * idx is the entry's 1-based number (an "entry" selector names an earlier one). */
int fl_aim_parse_node(const cJSON *entry, const char *key, int nodes, size_t idx, fl_fault *f,
                      fl_aim_err *e);
/* The aimed fields of an entry whose kind, node and (for isolate partitions) name are
 * read: tag, isolate + with, selected, sync + within_ns.  0 or FL_EINVAL with e set. */
int fl_aim_parse_fields(const cJSON *entry, int nodes, int64_t until_ns, size_t idx, fl_fault *f,
                        fl_aim_err *e);
/* Append ,"key":<node or selector> and the aimed fields after the kind's own. */
void fl_aim_put_node(fl_sbuf *b, const char *key, const fl_fault *f);
void fl_aim_put_tail(fl_sbuf *b, const fl_fault *f);
/* Append f as it was resolved by a run: node (> 0) in place of its selector, part in
 * place of its isolate form (NULL / 0: unresolved, written as planned). */
void fl_sbuf_entry_resolved(fl_sbuf *b, const fl_fault *f, int node, const fl_partition *part,
                            uint64_t sync_id);

/* nemesis_aim.c: generate cfg's aimed kinds over [from_ns, to_ns) and merge them into
 * base (the plain kinds' schedule, window closed), in time order.  0 or an FL_E code. */
int fl_nemesis_aim(const fl_faults_config *cfg, int nodes, uint64_t seed, int64_t from_ns,
                   int64_t to_ns, fl_schedule *base);

/* Nonzero when s is a plain name: 1..31 of [A-Za-z0-9_.-]. */
int fl_fault_name_ok(const char *s);

#endif /* FL_FAULTS_SCHEDULE_INT_H */
