/*
 * v1proto.c -- a plugin as API version 1 built it: its struct fl_protocol ends after
 * observer_free, with nothing behind it.  The layout is spelled out here, as an old
 * header had it, so that a loader that read a version-2 member would read past the
 * plugin's object (ASan's global-buffer-overflow in the sanitizer tree).
 */
#include "faultline.h"

struct fl_protocol_v1 {
    int api_version;
    const char *name;
    const char *const *timers;
    const char *const *bugs;
    const char *params_doc;
    size_t state_size;
    size_t observer_size;
    int (*configure)(const cJSON *params, char *err, size_t cap);
    void (*start)(fl_node *n, const cJSON *params);
    void (*stop)(fl_node *n);
    void (*on_message)(fl_node *n, int from, const void *msg, size_t len);
    void (*on_timer)(fl_node *n, int timer);
    void (*on_synced)(fl_node *n, uint64_t sync_id);
    void (*on_client)(fl_node *n, const void *op, size_t len);
    cJSON *(*snapshot)(const fl_node *n);
    const char *(*describe)(const void *msg, size_t len, char *buf, size_t cap);
    int (*check)(const fl_cluster *c, void *observer, int node, fl_violation *v);
    int (*check_end)(const fl_cluster *c, void *observer, fl_violation *v);
    void (*report)(const fl_cluster *c, void *observer);
    void (*observer_free)(void *observer);
};

_Static_assert(sizeof(struct fl_protocol_v1) == FL_PROTOCOL_SIZE_V1,
               "the version-1 layout is the prefix of today's struct");

static const char *const v1_timers[] = {"tick", NULL};

static void v1_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_log(n, FL_LOG_INFO, "version 1 plugin up");
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void v1_on_timer(fl_node *n, int timer)
{
    (void)timer;
    fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, "hi", 2);
    fl_timer_set(n, 0, 10 * FL_MS);
}

static void v1_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol_v1 faultline_protocol = {
    .api_version = 1,
    .name = "v1proto",
    .timers = v1_timers,
    .start = v1_start,
    .on_timer = v1_on_timer,
    .on_message = v1_on_message,
};
