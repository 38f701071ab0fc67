/*
 * misuse.c -- a plugin that misuses one service, chosen by params.misuse, at node 2's
 * second tick: "negative_delay", "end_of_time" (INT64_MAX), "undeclared_timer" (-1),
 * "disk_file" (a sync of file 9), "snapshot" (a snapshot that is a JSON number).  Each
 * must end the run as outcome crash, check protocol_error, naming the call.
 */
#include <stdint.h>
#include <string.h>

#include "faultline.h"

enum { M_NONE, M_NEGATIVE, M_END_OF_TIME, M_TIMER, M_DISK, M_SNAPSHOT };

typedef struct ms_state {
    int ticks, mode;
} ms_state;

static const char *const ms_timers[] = {"tick", NULL};

static int mode_of(const cJSON *params)
{
    static const char *const names[] = {
        "", "negative_delay", "end_of_time", "undeclared_timer", "disk_file", "snapshot"};
    const cJSON *m = params ? cJSON_GetObjectItemCaseSensitive(params, "misuse") : NULL;
    for (int i = 1; cJSON_IsString(m) && i <= M_SNAPSHOT; i++)
        if (strcmp(m->valuestring, names[i]) == 0)
            return i;
    return M_NONE;
}

static void ms_start(fl_node *n, const cJSON *params)
{
    ms_state *s = fl_state(n);
    s->mode = mode_of(params);
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void ms_on_timer(fl_node *n, int timer)
{
    ms_state *s = fl_state(n);
    (void)timer;
    if (++s->ticks == 2 && fl_node_id(n) == 2) {
        if (s->mode == M_NEGATIVE)
            fl_timer_set(n, 0, -5);
        else if (s->mode == M_END_OF_TIME)
            fl_timer_set(n, 0, INT64_MAX);
        else if (s->mode == M_TIMER)
            fl_timer_set(n, -1, FL_MS);
        else if (s->mode == M_DISK)
            fl_disk_sync(n, 9);
    }
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void ms_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

static cJSON *ms_snapshot(const fl_node *n)
{
    const ms_state *s = fl_state_const(n);
    if (s->mode == M_SNAPSHOT && s->ticks >= 2)
        return cJSON_CreateNumber(7);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "ticks", s->ticks);
    return j;
}

const struct fl_protocol faultline_protocol = {
    .api_version = FL_API_VERSION,
    .name = "misuse",
    .timers = ms_timers,
    .state_size = sizeof(ms_state),
    .start = ms_start,
    .on_timer = ms_on_timer,
    .on_message = ms_on_message,
    .snapshot = ms_snapshot,
};
