/* v99proto.c -- a plugin from a faultline newer than this one (API version 99): loading
 * it must fail with a message that names both versions. */
#include "faultline.h"

static void v99_start(fl_node *n, const cJSON *params)
{
    (void)n, (void)params;
}
static void v99_timer(fl_node *n, int t)
{
    (void)n, (void)t;
}
static void v99_msg(fl_node *n, int from, const void *m, size_t len)
{
    (void)n, (void)from, (void)m, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = 99,
    .name = "v99proto",
    .start = v99_start,
    .on_timer = v99_timer,
    .on_message = v99_msg,
};
