/*
 * apply_int.h -- the state shared by apply.c (actions, accounting) and policy.c (the
 * network policy).  Nothing outside faults/ includes this.
 */
#ifndef FL_FAULTS_APPLY_INT_H
#define FL_FAULTS_APPLY_INT_H

#include "faults/apply.h"

/* A partition that is no longer in place, kept so that a message in flight while it
 * was can still be cut at delivery.  Kept in the order they ended. */
typedef struct fl_past_partition {
    size_t entry;  /* schedule index */
    int64_t to_ns; /* when it was healed or replaced */
} fl_past_partition;

/* fifo links: the latest delivery time given on a directed link.  Open addressing,
 * keyed by (src << 32 | dst); never iterated, so the hash order is never observed. */
typedef struct fl_fifo_slot {
    uint64_t key; /* 0: empty (ids start at 1, so no real key is 0) */
    int64_t last_ns;
} fl_fifo_slot;

/* What became of one schedule entry (fl_faults.mark). */
enum {
    FL_MARK_REACHED = 1,   /* the run got to its time */
    FL_MARK_EFFECTIVE = 2, /* and it happened (see apply.h) */
    FL_MARK_BIT = 4,       /* partition: cut a message; crash: lost unsynced writes */
};

/* The per-kind figures, in the order of the metric names. */
enum { FL_STAT_SCHEDULED, FL_STAT_REACHED, FL_STAT_EFFECTIVE, FL_STAT_COUNT };

struct fl_faults {
    fl_world *w;
    const fl_schedule *s;
    size_t len;
    fl_net_faults net;
    int64_t win_from_ns, win_to_ns; /* per-message faults act in [from, to) */
    int16_t *timer;                 /* per entry: resolved timer index (timeouts) */
    uint8_t *mark;                  /* per entry: FL_MARK_* bits */
    /* The accounting lives in the run's metrics registry; these are its ids. */
    int mid[FL_FAULT_STAT_COUNT][FL_STAT_COUNT]; /* [kind][FL_STAT_*] */
    int mid_lost;                                /* faults.crash.bytes_lost */
    int mid_lost_writes;                         /* faults.crash.with_lost_writes */
    int mid_cut;                                 /* faults.partition.with_cut_messages */

    int64_t cur; /* schedule index of the partition in place, -1 when none */
    fl_past_partition *past;
    size_t npast, past_cap;

    fl_fifo_slot *fifo;
    size_t fifo_len, fifo_cap; /* cap is a power of two */
};

/* policy.c */
void fl_faults_policy_install(fl_faults *f);
/* Mark the partition of schedule entry i as having cut a message. */
void fl_faults_mark_cut(fl_faults *f, size_t i);
/* Count one per-message fault of `kind`: scheduled, reached and effective at once. */
void fl_faults_count_message(fl_faults *f, int kind);

#endif /* FL_FAULTS_APPLY_INT_H */
