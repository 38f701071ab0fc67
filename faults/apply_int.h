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

/* A per-message fault that happened, and when the message was sent. */
typedef struct fl_msg_happened {
    int64_t at_ns;
    fl_msg_fault m;
} fl_msg_happened;

/* What became of one schedule entry (fl_faults.mark). */
enum {
    FL_MARK_REACHED = 1,   /* the run got to its time */
    FL_MARK_EFFECTIVE = 2, /* and it happened (see apply.h) */
    FL_MARK_BIT = 4,       /* partition: cut a message; crash: lost unsynced writes */
};

/* The per-kind figures, in the order of the metric names. */
enum { FL_STAT_SCHEDULED, FL_STAT_REACHED, FL_STAT_EFFECTIVE, FL_STAT_COUNT };

/* The aimed kinds of the nemesis (their entries' tags), counted as metrics
 * faults.<tag>.scheduled / .reached / .effective when the scenario has any. */
enum {
    FL_AIM_TAG_LEADER_CRASH = 0,
    FL_AIM_TAG_SYNC_CRASH,
    FL_AIM_TAG_LEADER_PARTITION,
    FL_AIM_TAG_RESTART_PARTITIONED,
    FL_AIM_TAG_STORM,
    FL_AIM_TAG_COUNT
};
extern const char *const fl_aim_tag_names[FL_AIM_TAG_COUNT];

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

    /* Every per-message fault that happened, in send order: the seed's and the
     * schedule's.  They become faults rows and the message entries of the schedule
     * `run --write-schedule` writes. */
    fl_msg_happened *happened;
    size_t nhappened, happened_cap;

    /* Aimed entries (issue 16, aim.c). */
    int wants_last_leader; /* a "last-leader" selector: look at the roles at every entry */
    size_t sync_lo;        /* sync crashes before it are triggered or expired */
    int last_leader;       /* the leader seen last (0: none yet) */
    int32_t *target;       /* per entry: the node it acted on (resolved), 0: none */
    fl_partition **built;  /* per entry: an isolate partition as it was built, or NULL */
    int64_t *sync_done;    /* per entry: a sync crash's sync completion time */
    uint64_t *sync_ids;    /* per entry: the id of the sync it struck (0: none yet) */
    size_t nsync;          /* sync crashes, in schedule order: */
    size_t *sync_entries;  /*   their entry indexes */
    int32_t *sync_bound;   /*   the node its selector bound (0: not yet) */
    uint8_t *sync_state;   /*   FL_SYNC_ARMED, _TRIGGERED, _EXPIRED */
    int mid_tag[FL_AIM_TAG_COUNT][FL_STAT_COUNT]; /* faults.<tag>.*; -1: not registered */
};

/* The state of a sync crash. */
enum { FL_SYNC_ARMED = 0, FL_SYNC_TRIGGERED, FL_SYNC_EXPIRED };

/* apply.c: the action of entry i (arg), and marking an entry reached without a step. */
void fl_faults_act(fl_world *w, void *ctx, uint64_t arg);
void fl_faults_mark_reached(fl_faults *f, size_t i);

/* aim.c */
/* Look at the roles (remembering the last leader) when a "last-leader" selector needs it. */
void fl_aim_look(fl_faults *f);
/* Entry i's target now: its node, or its selector's choice; 0 when it finds none. */
int fl_aim_resolve(fl_faults *f, size_t i, const fl_fault *e);
/* The partition isolate entry i puts in place around target, or NULL (out of memory). */
fl_partition *fl_aim_build_partition(fl_faults *f, size_t i, const fl_fault *e, int target);
/* Arm the schedule's sync crashes (the world's sync hook); 0 or an FL_E code. */
int fl_aim_attach_syncs(fl_faults *f);

/* policy.c */
void fl_faults_policy_install(fl_faults *f);
/* Mark the partition of schedule entry i as having cut a message. */
void fl_faults_mark_cut(fl_faults *f, size_t i);
/* Count one per-message fault of `kind` that happened to m: scheduled, reached and
 * effective at once, and kept for the faults rows (extra_ns: a delay's). */
void fl_faults_count_message(fl_faults *f, const fl_msg *m, int kind, int64_t extra_ns);

#endif /* FL_FAULTS_APPLY_INT_H */
