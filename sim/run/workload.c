/* workload.c -- client requests at random times and nodes (see workload.h). */
#include "sim/run/workload.h"

#include <stdio.h>

static void client_request(fl_world *w, void *ctx, uint64_t node);

/* Op i's interval after op i-1 and its node, keyed by i, not drawn from a shared stream. */
static int64_t op_interval(uint64_t seed, int64_t every_ns, int nodes, uint64_t i, int *node)
{
    fl_rng r;
    fl_rng_keyed(&r, seed, "workload", i, 0, 0);
    int64_t dt = fl_rng_exp(&r, every_ns);
    *node = 1 + (int)fl_rng_below(&r, (uint64_t)nodes);
    return dt;
}

/* Whether op i is to be issued: every op without a keep list. */
static int kept(fl_workload *wl, uint64_t i)
{
    if (!wl->keep)
        return 1;
    while (wl->keep_next < wl->nkeep && wl->keep[wl->keep_next] < i)
        wl->keep_next++;
    return wl->keep_next < wl->nkeep && wl->keep[wl->keep_next] == i;
}

static int schedule_next(fl_workload *wl, fl_world *w)
{
    for (;;) {
        if (wl->ops_max && wl->ops_sent >= wl->ops_max)
            return 0;
        if (wl->keep && wl->keep_next >= wl->nkeep)
            return 0; /* every kept op issued */
        int node;
        uint64_t i = (uint64_t)wl->ops_sent + 1;
        wl->last_ns += op_interval(wl->seed, wl->every_ns, wl->nodes, i, &node);
        if (kept(wl, i))
            return fl_world_at(w, wl->last_ns, FL_STEP_CLIENT, node, client_request, wl,
                               (uint64_t)node);
        wl->ops_sent++; /* skipped: no step, its time still counts for the next */
    }
}

static void client_request(fl_world *w, void *ctx, uint64_t node)
{
    fl_workload *wl = ctx;
    char op[64];
    int64_t i = ++wl->ops_sent;
    int len = snprintf(op, sizeof op, "set k%lld v%lld", (long long)(i % 16), (long long)i);
    if (fl_world_client(w, (int)node, op, (size_t)len) != 0)
        fl_world_set_detail(w, "%s (node %d is down: request lost)", op, (int)node);
    schedule_next(wl, w);
}

int fl_workload_install(fl_workload *wl, fl_world *w, uint64_t seed, int64_t every_ns,
                        int64_t ops_max, const uint64_t *keep, size_t nkeep)
{
    wl->seed = seed;
    wl->every_ns = every_ns;
    wl->ops_max = ops_max;
    wl->ops_sent = 0;
    wl->nodes = fl_world_nodes(w);
    wl->keep = keep;
    wl->nkeep = nkeep;
    wl->keep_next = 0;
    wl->last_ns = fl_world_now(w);
    if (every_ns <= 0 || !fl_world_protocol(w)->on_client)
        return 0;
    return schedule_next(wl, w);
}

uint64_t fl_workload_ops_by(uint64_t seed, int64_t every_ns, int64_t ops_max, int nodes,
                            int64_t until_ns)
{
    if (every_ns <= 0)
        return 0;
    int64_t t = 0;
    uint64_t i = 0;
    int node;
    /* bounded: ops_max, or the run's length (each interval is at least 1 ns) */
    while ((!ops_max || (int64_t)i < ops_max) && t <= until_ns) {
        t += op_interval(seed, every_ns, nodes, i + 1, &node);
        if (t > until_ns)
            break;
        i++;
    }
    return i;
}
