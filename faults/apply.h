/*
 * apply.h -- applying faults to a world: a schedule's entries as steps, the network
 * policy for every message, and the account of which faults took effect.
 *
 * fl_faults_attach() turns each schedule entry into one action step (fl_world_at):
 *   partition -> FL_STEP_PARTITION   heal    -> FL_STEP_HEAL
 *   crash     -> FL_STEP_CRASH       restart -> FL_STEP_START
 *   timeout   -> FL_STEP_TIMEOUT     clock   -> FL_STEP_SCRIPT
 * and installs the network policy (fl_world_set_policy), which decides for every
 * message:
 *   - at send: dropped:partition when the partition in place cuts the pair; otherwise,
 *     inside the fault window only, loss, a duplicate and a latency spike, drawn from
 *     the world's "network" stream in that order (a draw only for kinds that are on);
 *   - at delivery: dropped:partition when a partition in place at any moment of the
 *     flight cut the pair (the link went down under the message).
 * The partition in place is a group per node plus allowed group pairs: checking a
 * message is O(log allow), memory O(N); nothing is O(N^2).
 *
 * Accounting, per kind: how many faults were scheduled, how many the run reached (its
 * time came before the run ended) and how many took effect -- happened:
 *   partition: was put in place               heal:    ended a partition
 *   crash:     took an up node down           restart: brought a down node back
 *   timeout:   fired a timer on an up node    clock:   set a node's drift
 *   drop / duplicate / delay: hit a message (all three figures equal: decided per message)
 * plus whether they bit: partitions that cut at least one message, crashes that lost or
 * tore unsynced writes (and how many bytes).  Exported live as metrics
 * "faults.<kind>.scheduled", ".reached" and ".effective" (every kind gets all three rows,
 * zeros included, so SQL can compare), "faults.partition.with_cut_messages",
 * "faults.crash.with_lost_writes" and "faults.crash.bytes_lost".  fl_faults_each() gives the
 * materialised schedule with reached and took_effect flags per entry, for the
 * recorder's `faults` table.
 *
 * Scripted mode takes no nemesis: do not attach one (sim/script.h drives the world).
 */
#ifndef FL_FAULTS_APPLY_H
#define FL_FAULTS_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "core/world.h"
#include "faults/config.h"
#include "faults/schedule.h"

typedef struct fl_faults fl_faults;

/* Attach schedule s (may be NULL: no scheduled faults) and the per-message faults net
 * (may be NULL: none) to w, before its first step:
 *   - one fl_world_at() action per entry, in schedule order;
 *   - the network policy;
 *   - fl_world_set_quiet_since() with fl_schedule_quiet_since(s, cfg->window_to_ns)
 *     when that is >= 0 (the liveness phase);
 *   - the scheduled counts as metrics.
 * cfg (may be NULL: no window) gives the window of the per-message faults; cfg and net
 * are taken as they are (apply swarm mode to them first, once per run).  Timer names
 * of timeout entries are resolved against the world's protocol here.
 * Borrows w and s: both must outlive the returned object, and the object must outlive
 * every step of w (free it after the run, or after fl_world_free).  Returns NULL with a
 * message in err ("schedule[4].timer: the protocol has no timer \"foo\"") on failure. */
fl_faults *fl_faults_attach(fl_world *w, const fl_schedule *s, const fl_faults_config *cfg,
                            const fl_net_faults *net, char *err, size_t cap);
void fl_faults_free(fl_faults *f); /* NULL is a no-op; does not touch the world */

typedef struct fl_faults_stats {
    uint64_t scheduled[FL_FAULT_STAT_COUNT]; /* index: enum fl_fault_kind */
    uint64_t reached[FL_FAULT_STAT_COUNT];   /* the run got to their time */
    uint64_t effective[FL_FAULT_STAT_COUNT]; /* and they happened */
    uint64_t cut_messages;                   /* partitions that cut at least one message */
    uint64_t lost_writes;                    /* crashes that lost or tore unsynced writes */
    uint64_t bytes_lost;                     /* unsynced bytes lost by scheduled crashes */
} fl_faults_stats;
/* The counts so far (final once the run has ended). */
void fl_faults_stats_get(const fl_faults *f, fl_faults_stats *st);

/* One row of the `faults` table: seq is the 1-based entry number (as in error
 * messages), spec the entry as compact JSON (valid during the call only). */
typedef struct fl_faults_row {
    uint64_t seq;
    int64_t at_ns;
    const char *kind, *spec;
    int reached;     /* the run got to at_ns and executed the entry */
    int took_effect; /* it happened (see the accounting above) */
} fl_faults_row;
typedef void (*fl_faults_each_fn)(void *ctx, const fl_faults_row *row);
/* Call fn for every schedule entry in order.  Returns 0, or FL_ENOMEM (rows before the
 * failure were given). */
int fl_faults_each(const fl_faults *f, fl_faults_each_fn fn, void *ctx);
/* Whether entry i (0-based) was reached / took effect so far. */
int fl_faults_reached(const fl_faults *f, size_t i);
int fl_faults_took_effect(const fl_faults *f, size_t i);
/* The partition in place now (borrowed from the schedule), or NULL when none. */
const fl_partition *fl_faults_partition_now(const fl_faults *f);

#endif /* FL_FAULTS_APPLY_H */
