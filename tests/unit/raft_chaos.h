/* raft_chaos.h -- a small nemesis of the Raft tests' own, for random runs: drops,
 * duplicates, delays, partitions, crashes with lost or torn unsynced writes and forced
 * election timeouts inside a fault window, then a liveness phase with everything healed.
 * It is self-contained so that the Raft tests do not depend on faults/.
 *
 * run_chaos() runs one seed to its end and reports the outcome and the run's digest; all
 * of its state (the nemesis' own stream is forked from the seed) lives in the run. */
#ifndef FL_TESTS_UNIT_RAFT_CHAOS_H
#define FL_TESTS_UNIT_RAFT_CHAOS_H

#include "core/rng.h"
#include "sim/run/workload.h"

#include "raft_fixture.h"

/* Each test file uses some of these helpers; the others are not an error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

#define CHAOS_MAX_NODES 9

typedef struct chaos {
    fl_rng rng;
    int n;
    int heavy;              /* frequent short crashes and forced timeouts */
    int64_t from_ns, to_ns; /* the fault window; then the liveness phase */
    double drop, dup, delay;
    int partitioned;
    int group[CHAOS_MAX_NODES + 1];
    fl_workload wl;
} chaos;

static int chaos_cut(const chaos *c, int a, int b)
{
    return c->partitioned && c->group[a] != c->group[b];
}

static void chaos_send(void *ctx, fl_world *w, const fl_msg *m, fl_net_verdict *v)
{
    chaos *c = ctx;
    double r = fl_rng_unit(&c->rng);
    int64_t now = fl_world_now(w);
    if (now < c->from_ns || now >= c->to_ns)
        return;
    if (chaos_cut(c, m->src, m->dst))
        v->drop = FL_FATE_DROPPED_PARTITION;
    else if (r < c->drop)
        v->drop = FL_FATE_DROPPED_LOSS;
    else if (r < c->drop + c->dup)
        v->duplicates = 1;
    else if (r < c->drop + c->dup + c->delay)
        v->extra_delay_ns = fl_rng_range(&c->rng, 5 * FL_MS, 300 * FL_MS);
}

static int chaos_deliver(void *ctx, fl_world *w, const fl_msg *m)
{
    return chaos_cut(ctx, m->src, m->dst);
}

static void act_c_crash(fl_world *w, void *ctx, uint64_t node)
{
    if (fl_world_node_up(w, (int)node))
        fl_world_crash(w, (int)node);
}

static void act_c_restart(fl_world *w, void *ctx, uint64_t node)
{
    if (!fl_world_node_up(w, (int)node))
        fl_world_restart(w, (int)node);
}

static void act_c_timeout(fl_world *w, void *ctx, uint64_t node)
{
    if (fl_world_node_up(w, (int)node))
        fl_world_fire_timer(w, (int)node, FR_TIMER_ELECTION);
}

static void act_c_partition(fl_world *w, void *ctx, uint64_t arg)
{
    chaos *c = ctx;
    c->partitioned = 1;
    for (int i = 1; i <= c->n; i++)
        c->group[i] = (int)fl_rng_below(&c->rng, 2);
}

static void act_c_heal(fl_world *w, void *ctx, uint64_t arg)
{
    ((chaos *)ctx)->partitioned = 0;
}

/* Crashes (one at a time per node), partitions and forced election timeouts at
 * exponential intervals inside [from, to); at `to` everything heals and restarts. */
static void chaos_schedule(chaos *c, fl_world *w)
{
    int64_t down_until[CHAOS_MAX_NODES + 1] = {0};
    int64_t every = c->heavy ? 60 * FL_MS : 200 * FL_MS;
    for (int64_t t = c->from_ns + fl_rng_exp(&c->rng, every); t < c->to_ns;
         t += fl_rng_exp(&c->rng, every)) {
        int node = 1 + (int)fl_rng_below(&c->rng, (uint64_t)c->n);
        int64_t d = c->heavy ? fl_rng_range(&c->rng, 5 * FL_MS, 120 * FL_MS)
                             : fl_rng_range(&c->rng, 50 * FL_MS, 800 * FL_MS);
        switch (fl_rng_below(&c->rng, 3)) {
        case 0:
            if (down_until[node] >= t || t + d >= c->to_ns)
                break;
            down_until[node] = t + d;
            fl_world_at(w, t, FL_STEP_CRASH, node, act_c_crash, c, (uint64_t)node);
            fl_world_at(w, t + d, FL_STEP_START, node, act_c_restart, c, (uint64_t)node);
            break;
        case 1:
            fl_world_at(w, t, FL_STEP_PARTITION, 0, act_c_partition, c, 0);
            fl_world_at(w, t + d < c->to_ns ? t + d : c->to_ns, FL_STEP_HEAL, 0, act_c_heal, c, 0);
            break;
        default:
            fl_world_at(w, t, FL_STEP_TIMEOUT, node, act_c_timeout, c, (uint64_t)node);
        }
    }
    fl_world_at(w, c->to_ns, FL_STEP_HEAL, 0, act_c_heal, c, 0);
    for (int i = 1; i <= c->n; i++)
        fl_world_at(w, c->to_ns, FL_STEP_START, i, act_c_restart, c, (uint64_t)i);
    fl_world_set_quiet_since(w, c->to_ns);
}

typedef struct chaos_result {
    int outcome;
    uint64_t digest;
    char check[64], detail[448];
} chaos_result;

/* faults: 0 none, 1 the nemesis, 2 the nemesis with frequent short crashes. */
static void run_chaos(uint64_t seed, int nodes, const char *params, int faults, const opts *base,
                      chaos_result *res)
{
    opts o = base ? *base : (opts){0};
    o.nodes = nodes;
    o.params = params;
    o.unsynced = seed % 2 ? FL_UNSYNCED_LOSE : FL_UNSYNCED_TEAR;
    o.until_ns = 8 * FL_S;
    fl_world *w = make_world(seed, &o);
    chaos *c = calloc(1, sizeof *c);
    ck_assert(c != NULL && nodes <= CHAOS_MAX_NODES);
    fl_rng_fork(&c->rng, seed, "test-chaos", 0);
    c->n = nodes;
    c->from_ns = 300 * FL_MS;
    c->to_ns = 5 * FL_S;
    c->heavy = faults == 2;
    if (faults) {
        c->drop = 0.05, c->dup = 0.02, c->delay = 0.05;
        fl_netpolicy p = {.ctx = c, .on_send = chaos_send, .on_deliver = chaos_deliver};
        fl_world_set_policy(w, &p);
        chaos_schedule(c, w);
    }
    ck_assert_int_eq(fl_workload_install(&c->wl, w, seed, 50 * FL_MS, 0, NULL, 0), 0);
    res->outcome = fl_world_run(w);
    res->digest = fl_world_digest(w);
    snprintf(res->check, sizeof res->check, "%s", fl_world_violation(w)->check);
    snprintf(res->detail, sizeof res->detail, "%s", fl_world_violation(w)->detail);
    free_world(w);
    free(c);
}

#pragma GCC diagnostic pop

#endif
