/*
 * world_impl.h -- the world's internals, shared by the files of core/ that implement
 * it (world.c: stepping and actions; node.c: the services protocols call; soup.c:
 * messages).  Nothing outside core/ includes this.
 */
#ifndef FL_CORE_WORLD_IMPL_H
#define FL_CORE_WORLD_IMPL_H

#include "core/disk.h"
#include "core/evq.h"
#include "core/world.h"

/* Event kinds in the queue (not step kinds: an action event becomes the step kind it
 * was scheduled with).  A queue tag is kind << EV_INDEX_BITS | index, where the index
 * is a node id (start, synced), node * FL_MAX_TIMERS + timer (timer), a message slot
 * (deliver) or an action slot (action). */
enum ev_kind { EV_START = 1, EV_DELIVER, EV_TIMER, EV_SYNCED, EV_ACTION };
#define EV_INDEX_BITS 25
#define EV_INDEX_MAX ((UINT32_C(1) << EV_INDEX_BITS) - 1)
#define EV_TAG(kind, index) ((uint32_t)(kind) << EV_INDEX_BITS | (uint32_t)(index))

/* timer_seq values that are not a pending event's seq */
#define TIMER_UNARMED UINT64_MAX
#define TIMER_ARMED_HELD (UINT64_MAX - 1) /* armed with no deadline (driver's timer_due) */

/* One directed link's count of original sends, keyed by (src << 32 | dst); looked up
 * by key only, never iterated, so the table's layout cannot show in a run. */
typedef struct fl_link_seq {
    uint64_t key; /* 0: empty (ids start at 1) */
    uint64_t sent;
} fl_link_seq;

struct fl_node {
    fl_world *w;
    int id;
    uint8_t up;
    int32_t drift_ppm;
    /* The local clock (fl_local_now): it read clock_base_ns at virtual time
     * clock_base_at_ns, and runs at the rate drift_ppm gives since then. */
    int64_t clock_base_ns, clock_base_at_ns;
    void *state;
    /* The seq of each armed timer's queue event: a timer event whose seq is not here
     * was cancelled or re-armed, and is skipped.  No cancellation in the queue. */
    uint64_t timer_seq[FL_MAX_TIMERS];
    int64_t last_sync_done_ns; /* syncs of a node complete in order, across crashes */
    uint32_t queued_syncs;     /* synced events in the queue for this node */
    uint32_t stale_syncs;      /* of which for syncs a crash discarded (the oldest ones) */
    fl_rng rng;
    uint64_t reads; /* fl_disk_read calls so far: the key of a read's corruption draw */
    fl_disk disk;
    /* Messages held until a sync of this node completes (fl_send_after_sync), in call
     * order; discarded at a crash. */
    struct held_msg *held;
    uint32_t nheld, held_cap;
};

typedef struct held_msg {
    uint64_t sync_id;
    int to;
    size_t len;
    void *body;
} held_msg;

struct fl_cluster {
    fl_world *w;
};

typedef struct action {
    fl_action_fn fn;
    fl_action_skip_fn skip; /* may be NULL */
    void *ctx;
    uint64_t arg;
    int kind, node;
    uint32_t next_free;
} action;

typedef struct metric {
    char *name;
    int64_t value;
} metric;

/* The world's own counters, interned as metrics at creation and set at the run's end. */
enum { WM_SENT, WM_DELIVERED, WM_DROPPED, WM_CRASHES, WM_RESTARTS, WM_LOST, WM_CORRUPT, WM_COUNT };

/* Size classes for message bodies: 16 B << k, recycled through free lists so that a
 * steady stream of messages does not call malloc. */
#define SOUP_CLASSES 13

struct fl_world {
    fl_world_config cfg;
    fl_link *links; /* sorted by (from, to) */
    fl_node *nodes; /* nodes[0] unused, ids 1..N */
    fl_cluster cluster;
    void *observer;
    fl_evq *q;
    /* Every random decision of the world is keyed (fl_rng_keyed): a message's latency by
     * its identity (src, dst, nth, copy), a sync's by (node, sync id), a crash's torn
     * fraction by (node, time), a read's corruption by (node, read index).  No shared
     * stream whose position a fault could move. */
    fl_link_seq *link_seq; /* per directed link: original sends so far (open addressing) */
    size_t link_seq_len, link_seq_cap; /* cap is a power of two */
    fl_netpolicy policy;
    fl_world_driver drv;
    fl_stream stream;
    struct fl_statediff **last_state; /* per node: its last state, when a sink wants states */

    int64_t now_ns;
    uint64_t step; /* number of the step running, or of the next one */
    int in_step;
    int step_begun; /* the sinks have heard this step's beginning */
    int emit_ready; /* fl_world_emit_init has run */
    int cur_kind, cur_node, cur_peer;
    uint64_t cur_msg_id;
    char detail[512];
    uint64_t chain;
    int64_t quiet_since_ns;

    /* soup */
    fl_msg *msgs;
    uint32_t nmsgs, msgs_cap, msg_free;
    uint32_t *msg_next_free;
    char **msg_desc; /* by slot, only when a sink wants descriptions (emit.c) */
    void *body_free[SOUP_CLASSES];
    uint64_t next_msg_id;
    fl_world_counts counts;

    action *actions;
    uint32_t nactions, actions_cap, action_free;

    metric *metrics;   /* by id, in interning order */
    uint32_t *by_name; /* ids sorted by name */
    size_t nmetrics, metrics_cap;
    int wm[WM_COUNT]; /* ids of the world's own counters */

    int outcome;
    int finished;
    fl_violation violation;
    uint64_t fail_step;
    int64_t fail_time_ns;
    char log_buf[1024];
    /* the protocol's first misuse of a service: the run ends at this step's end, as
     * outcome crash, check protocol_error (fl_world_misuse) */
    int misused;
    char misuse[448];
    int ntimers; /* the timers the protocol declares (counted once, at creation) */

    /* clients: where fl_client_reply goes (fl_world_set_client_hook) */
    fl_client_reply_fn client_reply;
    void *client_ctx;

    /* syncs: told of every sync the automatic path schedules (fl_world_set_sync_hook) */
    fl_sync_hook_fn sync_hook;
    void *sync_ctx;
};

/* soup.c */
int fl_soup_new_msg(fl_world *w, int src, int dst, const void *body, size_t len, uint32_t *slot);
void fl_soup_free_msg(fl_world *w, uint32_t slot);
void fl_soup_set_fate(fl_world *w, fl_msg *m, int fate);
void fl_soup_close(fl_world *w);
/* The next index among original sends on (src, dst): 1, 2, ... */
uint32_t fl_soup_next_nth(fl_world *w, int src, int dst);
/* In-flight messages sorted by id; caller frees the array (not the messages). */
size_t fl_soup_in_flight_sorted(fl_world *w, fl_msg ***out);
uint32_t fl_soup_slot_of(const fl_world *w, const fl_msg *m);
void fl_world_emit_fate(fl_world *w, const fl_msg *m);

/* node.c */
void fl_node_boot(fl_node *n);
void fl_node_halt(fl_node *n); /* stop the protocol and discard memory and timers */
/* Send the messages held for syncs up to sync_id (it just completed). */
void fl_node_release_held(fl_node *n, uint64_t sync_id);
/* The node's local clock now (fl_local_now without the const). */
int64_t fl_node_local_now(const fl_node *n);

/* emit.c: records into the world's stream */
void fl_world_emit_log(fl_world *w, int node, int level, const char *text);
void fl_world_emit_begin(fl_world *w);
void fl_world_emit_state(fl_world *w, int node);
void fl_world_emit_send(fl_world *w, fl_msg *m);
void fl_world_emit_step_end(fl_world *w);
int fl_world_emit_init(fl_world *w); /* before the first step: per-node state memory */
void fl_world_emit_close(fl_world *w);

/* metrics.c */
int fl_world_metrics_init(fl_world *w);
void fl_world_metrics_final(fl_world *w); /* the world's counters, at run end */
void fl_world_metrics_close(fl_world *w);

/* step.c: a service was called with bad arguments; the first is kept, the call is
 * ignored, and the run ends when the step does. */
void fl_world_misuse(fl_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* world.c */
int fl_world_schedule_delivery(fl_world *w, uint32_t slot);

#endif /* FL_CORE_WORLD_IMPL_H */
