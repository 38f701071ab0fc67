/* workload.c -- client requests at random times and nodes (see workload.h). */
#include "sim/run/workload.h"

#include <stdio.h>

static void client_request(fl_world *w, void *ctx, uint64_t node);

static int schedule_next(fl_workload *wl, fl_world *w)
{
    if (wl->ops_max && wl->ops_sent >= wl->ops_max)
        return 0;
    /* Op i's interval and node are keyed by i, not drawn from a shared stream. */
    fl_rng r;
    fl_rng_keyed(&r, wl->seed, "workload", (uint64_t)wl->ops_sent + 1, 0, 0);
    int64_t at = fl_world_now(w) + fl_rng_exp(&r, wl->every_ns);
    int node = 1 + (int)fl_rng_below(&r, (uint64_t)wl->nodes);
    return fl_world_at(w, at, FL_STEP_CLIENT, node, client_request, wl, (uint64_t)node);
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
                        int64_t ops_max)
{
    wl->seed = seed;
    wl->every_ns = every_ns;
    wl->ops_max = ops_max;
    wl->ops_sent = 0;
    wl->nodes = fl_world_nodes(w);
    if (every_ns <= 0 || !fl_world_protocol(w)->on_client)
        return 0;
    return schedule_next(wl, w);
}
