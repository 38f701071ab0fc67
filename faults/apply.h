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
 * Accounting: per kind, how many faults were scheduled and how many took effect --
 *   partition: cut at least one message        heal:    ended a partition
 *   crash:     lost unsynced bytes             restart: brought a down node back
 *   timeout:   fired a timer on an up node     clock:   set a node's drift
 *   drop / duplicate / delay: hit a message (scheduled == effective: decided per message)
 * exported live as metrics "faults.<kind>.scheduled" and "faults.<kind>.effective"
 * (every kind gets both rows, zeros included, so SQL can compare), plus
 * "faults.crash.bytes_lost".  fl_faults_each() gives the materialised schedule with a
 * took_effect flag per entry, for the recorder's `faults` table.
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
    uint64_t effective[FL_FAULT_STAT_COUNT];
    uint64_t bytes_lost; /* unsynced bytes lost by scheduled crashes */
} fl_faults_stats;
/* The counts so far (final once the run has ended). */
void fl_faults_stats_get(const fl_faults *f, fl_faults_stats *st);

/* One row of the `faults` table: seq is the 1-based entry number (as in error
 * messages), spec the entry as compact JSON (valid during the call only). */
typedef void (*fl_faults_each_fn)(void *ctx, uint64_t seq, int64_t at_ns, const char *kind,
                                  const char *spec, int took_effect);
/* Call fn for every schedule entry in order.  Returns 0, or FL_ENOMEM (rows before the
 * failure were given). */
int fl_faults_each(const fl_faults *f, fl_faults_each_fn fn, void *ctx);
/* Whether entry i (0-based) took effect so far. */
int fl_faults_took_effect(const fl_faults *f, size_t i);
/* The partition in place now (borrowed from the schedule), or NULL when none. */
const fl_partition *fl_faults_partition_now(const fl_faults *f);

#endif /* FL_FAULTS_APPLY_H */
