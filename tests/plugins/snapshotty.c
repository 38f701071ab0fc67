/*
 * snapshotty.c -- a plugin whose snapshot() is the dangerous part: on some seeds it
 * segfaults, on others it loops forever, and only when a run is recorded in full (a
 * sweep's bare runs never call it).  As in crashy.c, the seed's choice is node 1's first
 * draw v at start: snapshot crashes when v % 5 == 1, hangs when v % 5 == 2.
 */
#include <stdint.h>

#include "faultline.h"

enum { FATE_OK = 0, FATE_CRASH, FATE_HANG };

typedef struct sn_state {
    int fate;
    int *nowhere; /* always NULL */
} sn_state;

static const char *const sn_timers[] = {"tick", NULL};

static void sn_start(fl_node *n, const cJSON *params)
{
    sn_state *s = fl_state(n);
    (void)params;
    if (fl_node_id(n) == 1) {
        uint64_t v = fl_rand_u64(n);
        s->fate = v % 5 == 1 ? FATE_CRASH : v % 5 == 2 ? FATE_HANG : FATE_OK;
    }
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void sn_on_timer(fl_node *n, int timer)
{
    (void)timer;
    fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, "s", 1);
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void sn_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

__attribute__((noinline, no_sanitize("undefined"))) static void write_through(int *p)
{
    *p = 1;
}

static cJSON *sn_snapshot(const fl_node *n)
{
    const sn_state *s = fl_state_const(n);
    if (s->fate == FATE_CRASH)
        write_through(s->nowhere); /* SIGSEGV */
    if (s->fate == FATE_HANG)
        for (volatile uint64_t i = 0;; i++)
            ;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "fate", s->fate);
    return j;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "snapshotty",
    .timers = sn_timers,
    .state_size = sizeof(sn_state),
    .start = sn_start,
    .on_timer = sn_on_timer,
    .on_message = sn_on_message,
    .snapshot = sn_snapshot,
};
