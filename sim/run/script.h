/*
 * script.h -- the scripted-mode driver (DESIGN.md "Scripted"): a JSON array of entries
 * says, step by step, what the network and the outside world do, as the seed
 * document's harness does.
 *
 * Entries (exactly one action each; "comment": "..." may accompany any of them):
 *   {"timeout": 1}                       fire node 1's first timer now
 *   {"timeout": 1, "timer": "heartbeat"} fire a named timer
 *   {"deliver": {"from": 1, "to": 2, "type": "MsgVote"}}  oldest matching message;
 *                                        every matcher is optional
 *                                        "nth": 5 (with from and to) names the 5th
 *                                        original send on the link, "copy": 1 its first
 *                                        copy (0: the original)
 *   {"drop": {...same matchers...}}      drop it (fate dropped:script)
 *   {"duplicate": {...same matchers...}} copy it, as a duplicating network would; the
 *                                        copy is the next copy number of that message
 *                                        (one more than its copies in flight)
 *   {"crash": 2}  {"restart": 2}
 *   {"client": 1, "op": "set x 1"}      a client request to node 1
 *   {"stabilize": true}                  deliver everything, oldest first, until the
 *                                        soup is empty (at most 100000 deliveries)
 *   {"expect": {"node": 2, "role": "leader", "term": 11}}  every key but node must
 *                                        equal the same key of node 2's snapshot
 *                                        (numbers and strings exactly)
 *   {"syncs": "hold"}                    from here on, disk syncs wait until a script
 *                                        entry completes them (no step); "immediate"
 *                                        (the default) completes each within the step
 *                                        that asked
 *   {"syncs": "hold", "from": "boot"}    as the first entry only: the boot's syncs are
 *                                        held too (a script converted from a run)
 *   {"sync": 2}                          node 2's oldest held sync completes, as a step
 *                                        of kind synced
 *   {"clock": 2, "ppm": -13065}          node 2's clock drifts from now on (a step of
 *                                        kind script, as a clock fault is)
 *
 * Each acting entry is one step run with fl_world_exec(), after which virtual time
 * advances by 1 ms (an entry with "at_ns": T runs at time T instead, and no 1 ms
 * passes); a stabilize is one such step per delivery; an expect is no step.
 * An entry naming a self-send (from == to, or whose oldest match is one) is a step of
 * kind `ignored`: self-sends are delivered automatically, as in the seed's harness.
 * An entry that cannot be followed (no matching message, unknown timer, a down node,
 * an up node to restart) or an expect that does not hold ends the run with outcome
 * divergence and a detail naming the entry: "script[7]: expect node 2 role: expected
 * \"leader\", got \"follower\""; the world records the step (fl_world_fail_step).
 */
#ifndef FL_SIM_RUN_SCRIPT_H
#define FL_SIM_RUN_SCRIPT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/world.h"

typedef struct fl_clients fl_clients; /* sim/run/clients.h */

#define FL_SCRIPT_MAX_STABILIZE 100000 /* deliveries in one stabilize */
#define FL_SCRIPT_STEP_NS 1000000      /* virtual time each acting entry takes */

/* Check the script's shape for a run of `nodes` nodes: an array of objects, each with
 * exactly one known action, only known keys, node ids in [1, nodes].  Timer names and
 * snapshot fields depend on the protocol and are checked when the entry runs.  Returns
 * 0, or FL_EINVAL with a message naming the entry and field in err
 * ("script[3].deliver.from: expected a node id in [1,3], got 7"). */
int fl_script_validate(const cJSON *script, int nodes, char *err, size_t cap);

/* How the script driver completes syncs: at the end of the step that asked (the
 * default, as the seed's harness does), or held until a {"sync": N} entry. */
typedef struct fl_script_syncs {
    int hold;
    struct fl_script_sync {
        int node;
        uint64_t id;
    } * due; /* immediate syncs of the current step */
    size_t ndue, cap;
} fl_script_syncs;

/* Make w a scripted world: messages wait in the soup, timers never fire by themselves,
 * syncs complete as syncs says.  syncs must outlive w's steps; close it after. */
void fl_script_install(fl_world *w, fl_script_syncs *syncs);
void fl_script_syncs_close(fl_script_syncs *syncs);

/* Run the script on w, a world set up with fl_script_install that has run no step
 * yet.  First every node boots (the start steps at time 0), then the entries run in
 * order.  When the script ends with the run still going, the run ends with outcome ok
 * (fl_world_finish).  clients (NULL when workload.model is none) serves the client
 * entries with "f" and expect's "reply".  Borrows all four.  Returns the run's outcome (enum
 * fl_outcome).  A script that fails fl_script_validate ends the run with outcome
 * error. */
int fl_script_run(fl_world *w, const cJSON *script, fl_script_syncs *syncs, fl_clients *clients);

#endif /* FL_SIM_RUN_SCRIPT_H */
