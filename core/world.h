/*
 * world.h -- the simulated world: nodes, links, the message soup, timers, disks, the
 * clock and the event queue, stepped one event at a time.
 *
 * A step pops the earliest event (time, seq) and executes it; everything its handler
 * does (log lines, sends, state change) belongs to that step.  Steps are numbered from
 * 0.  After each step the protocol's observer runs, and the step's records go to the
 * run's stream (core/record.h).  The world knows nothing of SQLite, the command line or
 * the fault schedule: faults come in as a network policy (called for every message)
 * and as actions scheduled with fl_world_at(); a driver (fl_world_driver) may take over
 * when messages, timers and syncs happen.
 *
 * Everything random is drawn from streams forked from the seed: "network" (latency and
 * the network policy), one per node (the protocol's fl_rand_u64), "disk" (sync
 * latency and torn writes) and "corrupt" (flipped bits of the corruption fault).  Other components
 * fork their own streams from fl_world_seed().
 */
#ifndef FL_CORE_WORLD_H
#define FL_CORE_WORLD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/faultline.h"
#include "core/record.h"
#include "core/rng.h"

#define FL_MAX_NODES 10000

typedef struct fl_world fl_world;

/* Step kinds: the `events.kind` column.  Keep fl_step_kind_name() in step with it. */
enum fl_step_kind {
    FL_STEP_START = 0, /* a node boots or restarts */
    FL_STEP_DELIVER,
    FL_STEP_TIMER,
    FL_STEP_TIMEOUT, /* a forced timeout */
    FL_STEP_CLIENT,
    FL_STEP_SYNCED,
    FL_STEP_CRASH,
    FL_STEP_PARTITION,
    FL_STEP_HEAL,
    FL_STEP_SCRIPT,  /* an action that is none of the above (e.g. a clock fault) */
    FL_STEP_IGNORED, /* a script entry naming a self-send: skipped, as in the seed */
    FL_STEP_KIND_COUNT
};
const char *fl_step_kind_name(int kind);
int fl_step_kind_parse(const char *name); /* -1 if unknown */

/* Message fates: the `messages.fate` column. */
enum fl_fate {
    FL_FATE_IN_FLIGHT = 0,
    FL_FATE_DELIVERED,
    FL_FATE_DROPPED_LOSS,
    FL_FATE_DROPPED_PARTITION,
    FL_FATE_DROPPED_DOWN,
    FL_FATE_DROPPED_SCRIPT, /* a script's {"drop": ...} */
    FL_FATE_COUNT
};
const char *fl_fate_name(int fate); /* "delivered", "dropped:loss", ... */

/* How a run ended: the `runs.outcome` column (crash, hang and error are decided
 * outside the world, by the sweep runner). */
enum fl_outcome {
    FL_OUTCOME_RUNNING = 0,
    FL_OUTCOME_OK,
    FL_OUTCOME_VIOLATION,
    FL_OUTCOME_LIVENESS,
    FL_OUTCOME_DIVERGENCE,
    FL_OUTCOME_LIMIT,
    FL_OUTCOME_CRASH,
    FL_OUTCOME_HANG,
    FL_OUTCOME_ERROR,
    FL_OUTCOME_COUNT
};
const char *fl_outcome_name(int outcome);
int fl_outcome_parse(const char *name); /* -1 if unknown */

/* What happens to a node's unsynced disk writes when it crashes. */
enum fl_unsynced { FL_UNSYNCED_KEEP = 0, FL_UNSYNCED_LOSE, FL_UNSYNCED_TEAR };

typedef struct fl_latency {
    int64_t min_ns, max_ns;
} fl_latency;

/* A per-pair override of the default link.  Pairs are directed. */
typedef struct fl_link {
    int from, to;
    fl_latency latency;
} fl_link;

/* A message in the soup.  body/len belong to the world. */
typedef struct fl_msg {
    uint64_t id; /* 1, 2, ... in send order */
    int32_t src, dst;
    int64_t sent_ns, deliver_ns;
    uint64_t sent_step;
    void *body;
    /* Bit fields keep a message at 56 bytes + its free link (issue 2's 64 per message):
     * len is at most FL_MAX_MSG_BYTES (2^20), fates are fewer than 32. */
    uint32_t len : 24;
    uint32_t fate : 5;
    uint32_t held : 1; /* held by the driver: no delivery event, waits to be named */
    uint32_t copy : 2; /* 0: an original send; k: the k-th copy a duplicating network made */
    /* The message's identity for keyed decisions: its index (1, 2, ...) among the
     * original sends on its directed link (src, dst); a copy carries its original's. */
    uint32_t nth;
} fl_msg;

/* What the network policy decides about a message at send time. */
typedef struct fl_net_verdict {
    int drop;               /* 0, or an FL_FATE_DROPPED_* fate */
    int64_t extra_delay_ns; /* added to the link latency */
    int duplicates;         /* extra copies to send (each gets its own id and latency) */
} fl_net_verdict;

/* The network policy: faults/ implements it; NULL callbacks mean "no fault". */
typedef struct fl_netpolicy {
    void *ctx;
    /* At send, for every message except self-sends.  v is zeroed before the call. */
    void (*on_send)(void *ctx, fl_world *w, const fl_msg *m, fl_net_verdict *v);
    /* At delivery time, before the receiver sees it: 0 to deliver, or a drop fate
     * (FL_FATE_DROPPED_PARTITION when a partition now cuts the pair). */
    int (*on_deliver)(void *ctx, fl_world *w, const fl_msg *m);
} fl_netpolicy;

/* A driver decides when things happen; the world only steps.  The world's defaults
 * (every callback NULL) are the automatic driver's: a message is delivered after a
 * latency drawn from the link model (and the network policy), a timer fires after its
 * delay (with the node's clock drift), a sync completes after a drawn disk latency.  The
 * script driver (sim/run/) overrides them to hold messages, timers and syncs until its
 * script names them.  Callbacks must not run protocol code themselves: they only
 * decide, or remember, for later. */
typedef struct fl_world_driver {
    void *ctx;
    /* A message was sent to another node: nonzero holds it in the soup with no
     * delivery time, until fl_world_deliver() or fl_world_drop() names it. */
    int (*hold_send)(void *ctx, fl_world *w, const fl_msg *m);
    /* A timer was armed to fire after after_ns: FL_TIME_NEVER keeps it armed with no
     * deadline (it fires only when forced); anything else is the virtual due time. */
    int64_t (*timer_due)(void *ctx, const fl_world *w, int node, int64_t after_ns);
    /* A sync was requested: nonzero means the driver completes it itself, with
     * fl_world_complete_sync() (at the end of this step, or when a script says). */
    int (*take_sync)(void *ctx, fl_world *w, int node, uint64_t sync_id);
    /* The step's actions are done, before the digest, the state records and the
     * observer. */
    void (*on_step_end)(void *ctx, fl_world *w);
} fl_world_driver;

#define FL_TIME_NEVER INT64_MAX

typedef struct fl_world_config {
    uint64_t seed;
    int nodes;                          /* 1..FL_MAX_NODES */
    const struct fl_protocol *protocol; /* borrowed for the world's life */
    const cJSON *params;                /* borrowed for the world's life; may be NULL */
    fl_latency latency;                 /* the default link */
    const fl_link *links;               /* overrides, copied; may be NULL */
    size_t nlinks;
    fl_latency disk_sync;
    int unsynced; /* enum fl_unsynced */
    /* Probability that a disk read returns one flipped bit in bytes that were synced,
     * while virtual time is in [corrupt_from_ns, corrupt_to_ns) (to 0: always). */
    double corrupt;
    int64_t corrupt_from_ns, corrupt_to_ns;
    int64_t until_ns;
    uint64_t max_steps;
} fl_world_config;

/* A new world with every node's start step scheduled at time 0 (in id order).
 * Returns NULL with a message in err on bad configuration or out of memory.  Free
 * with fl_world_free(). */
fl_world *fl_world_new(const fl_world_config *cfg, char *err, size_t cap);
void fl_world_free(fl_world *w);

void fl_world_set_policy(fl_world *w, const fl_netpolicy *p);    /* copied */
void fl_world_set_driver(fl_world *w, const fl_world_driver *d); /* copied */
/* The run's record stream: add sinks before the first step.  The world emits the
 * per-step records into it; the run layer adds run-level ones (record.h). */
fl_stream *fl_world_stream(fl_world *w);

/* Execute the next step.  Returns 1 if a step ran, 0 if the run has ended (outcome
 * decided: see fl_world_outcome). */
int fl_world_step(fl_world *w);
/* Step until the run ends; returns the outcome. */
int fl_world_run(fl_world *w);
/* End the run now with the given outcome (used by script drivers and on errors); the
 * in-flight messages get their final fate.  Idempotent.  A step whose check fails
 * ends the run itself: no caller needs to. */
void fl_world_finish(fl_world *w, int outcome, const char *detail);

/* ---- actions: things outside the protocol that happen at a time, as one step ---- */

typedef void (*fl_action_fn)(fl_world *w, void *ctx, uint64_t arg);
/* At virtual time t, run fn(w, ctx, arg) as one step of `kind` acting on `node` (0:
 * none).  Returns 0 or a negative FL_E code. */
int fl_world_at(fl_world *w, int64_t t, int kind, int node, fl_action_fn fn, void *ctx,
                uint64_t arg);
/* The same, for an action that may no longer apply when its time comes (a client's
 * timeout after the answer came): when skip(ctx, arg) returns nonzero at that time, the
 * action is dropped without a step, like a cancelled timer. */
typedef int (*fl_action_skip_fn)(void *ctx, uint64_t arg);
int fl_world_at_unless(fl_world *w, int64_t t, int kind, int node, fl_action_fn fn,
                       fl_action_skip_fn skip, void *ctx, uint64_t arg);

/* Primitives an action may call (they act within the current step).  Each returns 0,
 * or a negative FL_E code when it does not apply (node out of range, already down...). */
int fl_world_crash(fl_world *w, int node);
int fl_world_restart(fl_world *w, int node);
int fl_world_fire_timer(fl_world *w, int node, int timer);
int fl_world_client(fl_world *w, int node, const void *op, size_t len);
/* A client operation (API version 3) reaches node: its protocol's on_client_op.
 * FL_EINVAL when the node is down or the protocol has no on_client_op. */
int fl_world_client_op(fl_world *w, int node, uint64_t op_id, const void *op, size_t len);
/* Where a protocol's fl_client_reply goes: fn returns 0 when the answer completed an
 * operation, else nonzero (the service returns -1).  Without a hook every reply is
 * dropped. */
typedef int (*fl_client_reply_fn)(void *ctx, fl_world *w, int node, uint64_t op_id,
                                  const void *result, size_t len);
void fl_world_set_client_hook(fl_world *w, fl_client_reply_fn fn, void *ctx);
/* Told of every sync a node requests whose completion the world schedules itself (not
 * one a driver took), after its completion event is queued: sync sync_id of node
 * completes as a `synced` step at done_ns.  An action the hook schedules at done_ns
 * runs just after that step (it is queued later); one at done_ns - 1 just before it,
 * while the sync is still pending.  The fault layer's sync crashes use it. */
typedef void (*fl_sync_hook_fn)(void *ctx, fl_world *w, int node, uint64_t sync_id,
                                int64_t done_ns);
void fl_world_set_sync_hook(fl_world *w, fl_sync_hook_fn fn, void *ctx);
/* Emit a record of the run layer inside the current step (after the step's beginning
 * was heard) or, outside a step, as it is. */
void fl_world_emit(fl_world *w, const fl_record *r);
/* Fold v into the digest chain (a client's completion, so that replay compares them). */
void fl_world_fold(fl_world *w, uint64_t v);
/* Timer drift of a node in parts per million (+10000: timers take 1% longer). */
int fl_world_set_drift(fl_world *w, int node, int32_t ppm);
/* Mark the start of the liveness phase (every fault healed, every node up). */
void fl_world_set_quiet_since(fl_world *w, int64_t t);
/* Within an action, before it does anything else: the node the step acts on, when the
 * action only learns it as it runs (a fault aimed by a selector at the leader). */
void fl_world_set_step_node(fl_world *w, int node);
/* Set the current step's events.detail text. */
void fl_world_set_detail(fl_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Metrics for the `metrics` table: one registry per run.  A name is interned once
 * (copied) to an id; the hot path adds by id and never compares strings. */
int fl_world_metric_id(fl_world *w, const char *name);
void fl_world_metric_add_id(fl_world *w, int id, int64_t delta);
void fl_world_metric_set_id(fl_world *w, int id, int64_t value);
int64_t fl_world_metric_value(const fl_world *w, int id);
void fl_world_metric_add(fl_world *w, const char *name, int64_t delta); /* by name */

/* ---- driving steps directly (the script driver) ---- */

/* Advance the clock to t (>= now) without running anything. */
void fl_world_advance(fl_world *w, int64_t t);
/* Run fn as one step now.  Events that are due at the current time afterwards
 * (self-sends) run as their own steps before this returns. */
int fl_world_exec(fl_world *w, int kind, int node, int peer, fl_action_fn fn, void *ctx,
                  uint64_t arg);
/* The oldest in-flight message matching src/dst (0: any) and type (the first word of
 * its description; NULL: any), or NULL. */
const fl_msg *fl_world_find_msg(fl_world *w, int src, int dst, const char *type);
/* The same, narrowed to one message identity (fl_msg.nth, fl_msg.copy): nth 0 means any
 * nth, copy -1 any copy.  Scripts converted from automatic runs name their messages this
 * way, because there "the oldest matching message" need not be the one delivered. */
const fl_msg *fl_world_find_msg_nth(fl_world *w, int src, int dst, const char *type, uint32_t nth,
                                    int copy);
/* Within an action: a copy of the in-flight message msg_id, held like its original, with
 * the original's nth and copy index `copy` (1..3), as a duplicating network makes one;
 * its id is the next message id.  FL_ENOTFOUND when no such message is in flight. */
int fl_world_duplicate(fl_world *w, uint64_t msg_id, int copy);
/* Within an action: deliver / drop a held message of the soup (by id). */
int fl_world_deliver(fl_world *w, uint64_t msg_id);
int fl_world_drop(fl_world *w, uint64_t msg_id, int fate);
/* Within a step: complete sync sync_id of node (taken by the driver) now, calling the
 * protocol's on_synced.  Does nothing when the node is down (a crash discarded it). */
void fl_world_complete_sync(fl_world *w, int node, uint64_t sync_id);
/* The oldest sync of node still pending, or 0. */
uint64_t fl_world_oldest_sync(const fl_world *w, int node);
/* In-flight message count. */
size_t fl_world_in_flight(const fl_world *w);

/* ---- accessors ---- */

uint64_t fl_world_seed(const fl_world *w);
int64_t fl_world_now(const fl_world *w);
uint64_t fl_world_steps(const fl_world *w); /* steps executed so far */
int fl_world_nodes(const fl_world *w);
int fl_world_node_up(const fl_world *w, int node);
int fl_world_outcome(const fl_world *w);
const fl_violation *fl_world_violation(const fl_world *w); /* check name + detail */
uint64_t fl_world_fail_step(const fl_world *w);
int64_t fl_world_fail_time(const fl_world *w);
uint64_t fl_world_digest(const fl_world *w);
const struct fl_protocol *fl_world_protocol(const fl_world *w);
const fl_cluster *fl_world_cluster(const fl_world *w);
/* The node's snapshot JSON (caller frees with cJSON_Delete), or NULL when it is down
 * or the protocol has no snapshot. */
cJSON *fl_world_snapshot(const fl_world *w, int node);
/* The same, but raw items the protocol pre-printed stay raw (for printing only). */
cJSON *fl_world_snapshot_raw(const fl_world *w, int node);
/* The description computed at the message's send when a sink wants descriptions
 * (FL_REC_WANT_DESC), or NULL. */
const char *fl_world_msg_desc(const fl_world *w, const fl_msg *m);
/* Describe a message with the protocol's describe (or "msg <len> bytes"). */
const char *fl_world_describe(const fl_world *w, const fl_msg *m, char *buf, size_t cap);
/* The timer index named `name`, or -1. */
int fl_world_timer_index(const fl_world *w, const char *name);

typedef struct fl_world_counts {
    uint64_t sent, delivered, dropped, in_flight;
    uint64_t fates[FL_FATE_COUNT];
    uint64_t crashes, restarts, unsynced_bytes_lost;
    uint64_t corrupt_reads; /* reads that returned a flipped bit */
} fl_world_counts;
void fl_world_counts_get(const fl_world *w, fl_world_counts *c);

/* Metrics in name order: calls fn for each.  After the run has ended this includes
 * the world's own counters (msgs.*, node.*, disk.*). */
void fl_world_metrics_each(const fl_world *w, void (*fn)(void *ctx, const char *name, int64_t v),
                           void *ctx);

#endif /* FL_CORE_WORLD_H */
