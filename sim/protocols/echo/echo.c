/*
 * echo.c -- the smallest protocol: every node pings its peers round-robin on each tick
 * of its timer and answers the pings it receives.
 *
 * It exists for the tutorial and to measure the engine: a node's work per step is
 * constant whatever the cluster size, and so is the check (a node never receives more
 * pongs than it sent pings), which looks only at the node that acted.
 *
 * params: period (duration, default "10ms"): the tick; bugs: ["pong_without_ping"]
 * makes every node also send an unsolicited pong on each tick, which the check catches.
 */
#include <stdio.h>
#include <string.h>

#include "core/faultline.h"

enum { ECHO_PING = 1, ECHO_PONG = 2 };
enum { TIMER_TICK = 0 };

typedef struct echo_msg {
    uint8_t type;
    uint8_t pad[3];
    uint32_t seq;
} echo_msg;

typedef struct echo_state {
    int64_t period_ns;
    int next_peer;
    int bug_pong;
    uint32_t seq;
    uint64_t pings_sent, pongs_received, pings_answered;
} echo_state;

static const char *const echo_timers[] = {"tick", NULL};
static const char *const echo_bugs[] = {"pong_without_ping", NULL};

static int read_params(const cJSON *params, int64_t *period, int *bug, char *err, size_t cap)
{
    *period = 10 * FL_MS;
    *bug = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, params)
    {
        if (strcmp(it->string, "period") == 0) {
            if (!cJSON_IsString(it) || fl_parse_duration(it->valuestring, period) || *period <= 0) {
                char *text = cJSON_PrintUnformatted(it);
                snprintf(err, cap,
                         "params.period: expected a positive duration such as \"10ms\", got %.40s",
                         text ? text : "?");
                cJSON_free(text);
                return -1;
            }
        } else if (strcmp(it->string, "bugs") == 0) {
            const cJSON *b;
            int i = 0;
            if (!cJSON_IsArray(it)) {
                snprintf(err, cap, "params.bugs: expected an array of bug names");
                return -1;
            }
            cJSON_ArrayForEach(b, it)
            {
                if (!cJSON_IsString(b) || strcmp(b->valuestring, "pong_without_ping") != 0) {
                    snprintf(err, cap,
                             "params.bugs[%d]: unknown bug (expected \"pong_without_ping\")", i);
                    return -1;
                }
                *bug = 1;
                i++;
            }
        } else {
            snprintf(err, cap, "params.%s: unknown key (expected period or bugs)", it->string);
            return -1;
        }
    }
    return 0;
}

static int echo_configure(const cJSON *params, char *err, size_t cap)
{
    int64_t period;
    int bug;
    return read_params(params, &period, &bug, err, cap);
}

static void echo_start(fl_node *n, const cJSON *params)
{
    echo_state *s = fl_state(n);
    char err[8];
    read_params(params, &s->period_ns, &s->bug_pong, err, sizeof err);
    s->next_peer = fl_node_id(n) % fl_cluster_size(n) + 1;
    /* Spread the first ticks so that nodes do not all fire at the same instant. */
    fl_timer_set(n, TIMER_TICK, fl_rand_range(n, 1, s->period_ns));
}

static void send_msg(fl_node *n, int to, uint8_t type, uint32_t seq)
{
    echo_msg m = {.type = type, .seq = seq};
    fl_send(n, to, &m, sizeof m);
}

static void echo_on_timer(fl_node *n, int timer)
{
    echo_state *s = fl_state(n);
    int me = fl_node_id(n), size = fl_cluster_size(n);
    if (size > 1) {
        send_msg(n, s->next_peer, ECHO_PING, ++s->seq);
        s->pings_sent++;
        if (s->bug_pong)
            send_msg(n, s->next_peer, ECHO_PONG, 0);
        s->next_peer = s->next_peer % size + 1;
        if (s->next_peer == me)
            s->next_peer = s->next_peer % size + 1;
    }
    fl_timer_set(n, TIMER_TICK, s->period_ns);
}

static void echo_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    echo_state *s = fl_state(n);
    echo_msg m;
    if (len != sizeof m)
        return;
    memcpy(&m, msg, sizeof m);
    if (m.type == ECHO_PING) {
        send_msg(n, from, ECHO_PONG, m.seq);
        s->pings_answered++;
    } else if (m.type == ECHO_PONG) {
        s->pongs_received++;
    }
}

static cJSON *echo_snapshot(const fl_node *n)
{
    const echo_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "pings", (double)s->pings_sent);
    cJSON_AddNumberToObject(j, "pongs", (double)s->pongs_received);
    cJSON_AddNumberToObject(j, "answered", (double)s->pings_answered);
    return j;
}

static const char *echo_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    echo_msg m;
    if (len != sizeof m) {
        snprintf(buf, cap, "Garbage len=%zu", len);
        return buf;
    }
    memcpy(&m, msg, sizeof m);
    snprintf(buf, cap, "%s seq=%u", m.type == ECHO_PING ? "Ping" : "Pong", m.seq);
    return buf;
}

/* A node that received more pongs than it sent pings was answered without asking.
 * Only the acting node can have changed, so only it is checked: O(1) per step. */
static int echo_check(const fl_cluster *c, void *observer, int node, fl_violation *v)
{
    const echo_state *s = node ? fl_cluster_state(c, node) : NULL;
    if (!s || s->pongs_received <= s->pings_sent)
        return 0;
    snprintf(v->check, sizeof v->check, "pong_without_ping");
    snprintf(v->detail, sizeof v->detail, "node %d received %llu pongs for %llu pings", node,
             (unsigned long long)s->pongs_received, (unsigned long long)s->pings_sent);
    return 1;
}

const struct fl_protocol fl_proto_echo = {
    .api_version = FL_API_VERSION,
    .name = "echo",
    .timers = echo_timers,
    .bugs = echo_bugs,
    .params_doc = "period: time between a node's pings (\"10ms\")\n"
                  "bugs: known bugs to switch on, e.g. [\"pong_without_ping\"] ([])\n"
                  "bugs.pong_without_ping: a node sends a pong nobody pinged for, which the "
                  "observer catches\n",
    .state_size = sizeof(echo_state),
    .configure = echo_configure,
    .start = echo_start,
    .on_message = echo_on_message,
    .on_timer = echo_on_timer,
    .snapshot = echo_snapshot,
    .describe = echo_describe,
    .check = echo_check,
};
