/*
 * teardown.c -- a plugin whose danger is chosen by params.where: "stop" segfaults in
 * stop() (at a crash, and for every node at the run's end), "snapshot" segfaults in
 * snapshot() (only when states are recorded or traced), "abort" calls abort() at node
 * 1's third tick.  A single `run` executes in a worker, so each must end as outcome
 * crash, with its line on stderr and, under --db, in the row.
 */
#include <stdlib.h>
#include <string.h>

#include "faultline.h"

typedef struct td_state {
    int ticks;
    int *nowhere; /* always NULL */
} td_state;

static const char *const td_timers[] = {"tick", NULL};

/* params.where, read by configure and kept in every node's state at start */
static int td_configure(const cJSON *params, char *err, size_t cap)
{
    const cJSON *w = params ? cJSON_GetObjectItemCaseSensitive(params, "where") : NULL;
    if (w && !cJSON_IsString(w)) {
        strncpy(err, "params.where: expected a string", cap - 1);
        err[cap - 1] = '\0';
        return 1;
    }
    return 0;
}

static int mode_is(const cJSON *params, const char *m)
{
    const cJSON *w = params ? cJSON_GetObjectItemCaseSensitive(params, "where") : NULL;
    return cJSON_IsString(w) && strcmp(w->valuestring, m) == 0;
}

typedef struct td_full {
    td_state s;
    int mode; /* 0 none, 1 stop, 2 snapshot, 3 abort */
} td_full;

static void td_start(fl_node *n, const cJSON *params)
{
    td_full *f = fl_state(n);
    f->mode = mode_is(params, "stop")       ? 1
              : mode_is(params, "snapshot") ? 2
              : mode_is(params, "abort")    ? 3
                                            : 0;
    fl_timer_set(n, 0, 10 * FL_MS);
}

__attribute__((noinline, no_sanitize("undefined"))) static void write_through(int *p)
{
    *p = 1;
}

static void td_on_timer(fl_node *n, int timer)
{
    td_full *f = fl_state(n);
    (void)timer;
    if (++f->s.ticks == 3 && f->mode == 3 && fl_node_id(n) == 1)
        abort();
    fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, "t", 1);
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void td_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

static void td_stop(fl_node *n)
{
    td_full *f = fl_state(n);
    if (f->mode == 1)
        write_through(f->s.nowhere);
}

static cJSON *td_snapshot(const fl_node *n)
{
    const td_full *f = fl_state_const(n);
    if (f->mode == 2)
        write_through(f->s.nowhere);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "ticks", f->s.ticks);
    return j;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "teardown",
    .timers = td_timers,
    .state_size = sizeof(td_full),
    .configure = td_configure,
    .start = td_start,
    .stop = td_stop,
    .on_timer = td_on_timer,
    .on_message = td_on_message,
    .snapshot = td_snapshot,
};
