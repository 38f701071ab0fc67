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

struct fl_faults {
    fl_world *w;
    const fl_schedule *s;
    size_t len;
    fl_net_faults net;
    int64_t win_from_ns, win_to_ns; /* per-message faults act in [from, to) */
    int16_t *timer;                 /* per entry: resolved timer index (timeouts) */
    uint8_t *took;                  /* per entry: took effect */
    /* The accounting lives in the run's metrics registry; these are its ids. */
    int mid[FL_FAULT_STAT_COUNT][2]; /* [kind][0: scheduled, 1: effective] */
    int mid_lost;                    /* faults.crash.bytes_lost */

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
/* Count one fault of `kind` as taken effect (and scheduled, for message faults). */
void fl_faults_count(fl_faults *f, int kind, int scheduled_too);

#endif /* FL_FAULTS_APPLY_INT_H */
