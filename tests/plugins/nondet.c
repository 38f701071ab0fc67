/*
 * nondet.c -- a deliberately broken protocol plugin: after its first few ticks it
 * reads the process id, which differs between executions, so a replay diverges there.
 * `faultline replay` must notice and name the first divergent step.
 */
#include <unistd.h>

#include "faultline.h"

typedef struct nd_state {
    int ticks;
} nd_state;

static const char *const nd_timers[] = {"tick", NULL};

static void nd_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_timer_set(n, 0, 5 * FL_MS);
}

static void nd_on_timer(fl_node *n, int timer)
{
    nd_state *s = fl_state(n);
    (void)timer;
    int size = fl_cluster_size(n);
    /* the bug: behaviour that depends on the process, not on the seed */
    int to = ++s->ticks > 3 ? (int)(getpid() % size) + 1 : fl_node_id(n) % size + 1;
    fl_send(n, to, &s->ticks, sizeof s->ticks);
    fl_timer_set(n, 0, 5 * FL_MS);
}

static void nd_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "nondet",
    .timers = nd_timers,
    .state_size = sizeof(nd_state),
    .start = nd_start,
    .on_timer = nd_on_timer,
    .on_message = nd_on_message,
};
