/*
 * stepper.c -- a test plugin for replay and recheck (built by the CLI tests, not by
 * CMake): every node ticks each millisecond, and the check fails once more steps than
 * stepper_limit(which) have run, as check stepper_check(which).  Both come from a
 * library the plugin loads, libstephelp.so, so that changing that library changes the
 * run: the non-system libraries a plugin loads are part of its identity.  `which` is
 * params.which (default 1).
 */
#include <stdio.h>

#include "faultline.h"

int stepper_limit(int which);
const char *stepper_check(int which);

typedef struct st_obs {
    int steps;
} st_obs;

static const char *const st_timers[] = {"tick", NULL};
static int which = 1; /* params.which: configure runs once per process, before any run */

static int st_configure(const cJSON *params, char *err, size_t cap)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(params, "which");
    if (w && !cJSON_IsNumber(w)) {
        snprintf(err, cap, "params.which: expected a number");
        return -1;
    }
    which = w ? w->valueint : 1;
    return 0;
}

static void st_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_timer_set(n, 0, 1 * FL_MS);
}

static void st_on_timer(fl_node *n, int timer)
{
    (void)timer;
    fl_timer_set(n, 0, 1 * FL_MS);
}

static void st_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

static int st_check(const fl_cluster *c, void *observer, int node, fl_violation *v)
{
    st_obs *o = observer;
    (void)c, (void)node;
    if (++o->steps <= stepper_limit(which))
        return 0;
    snprintf(v->check, sizeof v->check, "%s", stepper_check(which));
    snprintf(v->detail, sizeof v->detail, "more than %d steps", stepper_limit(which));
    return 1;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "stepper",
    .timers = st_timers,
    .observer_size = sizeof(st_obs),
    .configure = st_configure,
    .start = st_start,
    .on_timer = st_on_timer,
    .on_message = st_on_message,
    .check = st_check,
};
