/*
 * crashy.c -- a deliberately dangerous protocol plugin, for the containment tests of
 * `faultline sweep`: on some seeds it segfaults, on others it loops forever inside a
 * callback, and on the rest it is a harmless ring of pings.
 *
 * A protocol cannot see the seed, and a scenario's params are the same for every seed,
 * so the choice comes from the seed the only way protocol code can see it: node 1's
 * first draw from its random stream at start.  With v that draw, the run crashes when
 * v % 7 == 3 and hangs when v % 11 == 5 (and it did not crash) -- about one seed in
 * seven and one in twelve.  Which seeds those are is found by running each seed alone
 * (tests/cli/cli_sweep_containment.sh), and must be exactly the sweep's crash and hang
 * rows.  Both happen at node 1's first tick, so that the run has taken a few steps.
 */
#include <stdint.h>

#include "faultline.h"

enum { FATE_OK = 0, FATE_CRASH, FATE_HANG };

typedef struct cr_state {
    int fate;
    int ticks;
    int *nowhere; /* always NULL: the crash writes through it */
} cr_state;

static const char *const cr_timers[] = {"tick", NULL};

static void cr_start(fl_node *n, const cJSON *params)
{
    cr_state *s = fl_state(n);
    (void)params;
    if (fl_node_id(n) == 1) {
        uint64_t v = fl_rand_u64(n);
        s->fate = v % 7 == 3 ? FATE_CRASH : v % 11 == 5 ? FATE_HANG : FATE_OK;
    }
    fl_timer_set(n, 0, 10 * FL_MS);
}

/* The crash: a store through a NULL pointer the compiler cannot see is NULL.  Exempt from
 * UBSan, whose null check would otherwise end the process with exit status 1 in the
 * sanitizer build instead of the SIGSEGV this plugin exists to produce. */
__attribute__((noinline, no_sanitize("undefined"))) static void write_through(int *p, int v)
{
    *p = v;
}

/* Spin until killed; the volatile counter keeps the compiler from reasoning it away. */
static void spin(void)
{
    volatile uint64_t i = 0;
    for (;;)
        i++;
}

static void cr_on_timer(fl_node *n, int timer)
{
    cr_state *s = fl_state(n);
    (void)timer;
    s->ticks++;
    if (s->fate == FATE_CRASH)
        write_through(s->nowhere, s->ticks); /* SIGSEGV */
    if (s->fate == FATE_HANG)
        spin();
    int to = fl_node_id(n) % fl_cluster_size(n) + 1;
    fl_send(n, to, &s->ticks, sizeof s->ticks);
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void cr_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "crashy",
    .timers = cr_timers,
    .state_size = sizeof(cr_state),
    .start = cr_start,
    .on_timer = cr_on_timer,
    .on_message = cr_on_message,
};
