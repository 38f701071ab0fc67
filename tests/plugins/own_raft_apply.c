/*
 * own_raft_apply.c -- a plugin with functions named like canonical/raft's API
 * (raft_apply, raft_step), as a plugin linked against libraft would have.  A dlopen'ed
 * object's calls to its own global functions go through the PLT and are resolved in
 * the global scope first, the executable included: if faultline exported functions of
 * these names (its Raft once used the raft_ prefix), they would run instead of these.
 * Each node logs what its calls returned; tests/cli/cli_exports.sh checks the values,
 * which only these definitions produce.
 */
#include "faultline.h"

/* Global and not static on purpose: that is what makes them interposable. */
int raft_apply(int id);
int raft_step(int id, int tick);

int raft_apply(int id)
{
    return 4242000 + id;
}

int raft_step(int id, int tick)
{
    return 1000 * id + tick;
}

typedef struct own_state {
    int ticks;
} own_state;

static const char *const own_timers[] = {"tick", NULL};

static void own_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void own_on_timer(fl_node *n, int timer)
{
    own_state *s = fl_state(n);
    (void)timer;
    if (++s->ticks > 3)
        return;
    int id = fl_node_id(n);
    fl_log(n, FL_LOG_INFO, "own raft_apply(%d) = %d, raft_step = %d", id, raft_apply(id),
           raft_step(id, s->ticks));
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void own_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "own_raft_apply",
    .timers = own_timers,
    .state_size = sizeof(own_state),
    .start = own_start,
    .on_timer = own_on_timer,
    .on_message = own_on_message,
};
