/*
 * clients.h -- simulated client processes (workload.model register or kv) and the
 * history of what they saw, checked for linearizability at the end of the run.
 *
 * Jepsen's model: `workload.clients` processes, each with one operation outstanding.
 * A process thinks (exponential, mean workload.every), invokes an operation of the
 * model at a node chosen by workload.policy, and the request reaches that node after a
 * latency drawn from the network's default link.  It is lost if the node is down when
 * it arrives.  The node answers with fl_client_reply; without an answer within
 * workload.timeout the operation completes as info and the process moves on.
 *
 * Every decision about a process's k-th operation (think time, function, values,
 * node, latency) is drawn from its own keyed stream fork(seed, "clients", process << 32
 * | k), so an operation's draws do not depend on how the others went, and the world's,
 * the faults' and the old workload's streams are never touched.
 *
 * Steps: an invocation is a `client` step at the client (node = the node asked), the
 * arrival a `client` step at the node, a timeout a `client` step; an answer completes
 * the operation inside the node's step.  Invocations and completions are CLIENT
 * records (core/record.h) and are folded into the digest.
 */
#ifndef FL_SIM_RUN_CLIENTS_H
#define FL_SIM_RUN_CLIENTS_H

#include <stdint.h>

#include "core/record.h"
#include "core/world.h"
#include "faults/apply.h"
#include "results/history.h"
#include "sim/run/scenario.h"

typedef struct fl_clients fl_clients;

/* Set up the clients of sc->clients on world w (which has run no step) and, unless
 * scripted, schedule each process's first operation.  faults (borrowed; NULL in
 * scripted mode) tells which partition is in place: one with a clients map cuts
 * clients off.  Returns NULL when out of memory.  Free with fl_clients_free (after the
 * world's last step). */
fl_clients *fl_clients_new(const fl_scenario *sc, fl_world *w, uint64_t seed, int scripted,
                           const fl_faults *faults);
void fl_clients_free(fl_clients *cl);

/* Whether fl_clients_script_invoke would accept the operation now (cl may be NULL:
 * the scenario has no clients): 0, or FL_EINVAL with the reason in err. */
int fl_clients_script_check(const fl_clients *cl, const fl_world *w, int node, int process,
                            const fl_client_op *op, char *err, size_t cap);
/* Scripted mode: process invokes op (f and values as in fl_client_op) at node now,
 * inside the current step; the request arrives in the same step.  FL_EINVAL with a
 * message in err when the process is busy, the node is down, or the model has no
 * such f. */
int fl_clients_script_invoke(fl_clients *cl, fl_world *w, int node, int process,
                             const fl_client_op *op, char *err, size_t cap);
/* The latest completion of process (as a CLIENT record, strings valid until the next
 * call), or NULL when it has none. */
const fl_rec_client *fl_clients_last_reply(fl_clients *cl, int process);

/* At the end of the run: metrics, and the linearizability check when the scenario asks
 * for it, which may turn an ok result into a violation (check linearizability,
 * fail_step the completion step of the operation that cannot be linearized) or add a
 * note (unknown within the budget). */
void fl_clients_finish(fl_clients *cl, fl_world *w, fl_run_result *res);

/* The history so far (borrowed). */
const fl_history *fl_clients_history(const fl_clients *cl);

#endif /* FL_SIM_RUN_CLIENTS_H */
