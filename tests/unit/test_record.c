/* test_record.c -- the record stream (core/record.h): sinks get only the kinds they
 * want, a failing sink is skipped from its first error while the others go on, a
 * message is described at most once and only when a sink wants it, and a stream that
 * wants nothing per step makes the world call neither describe nor snapshot. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/record.h"
#include "core/world.h"
#include "check_main.h"
#include "tests/unit/script_fixture.h"

#define MS ((int64_t)1000000)

/* ---- a counting protocol: pings around a ring, counts describe/snapshot calls ---- */

typedef struct counters {
    int describes, snapshots;
} counters;
static counters calls; /* the protocol's callbacks cannot reach a test's locals */

static const char *const cp_timers[] = {"tick", NULL};

static void cp_start(fl_node *n, const cJSON *params)
{
    (void)params;
    fl_timer_set(n, 0, 5 * MS);
}

static void cp_on_timer(fl_node *n, int timer)
{
    (void)timer;
    fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, "ping", 4);
    fl_log(n, FL_LOG_INFO, "tick");
    fl_timer_set(n, 0, 5 * MS);
}

static void cp_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

static cJSON *cp_snapshot(const fl_node *n)
{
    calls.snapshots++;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", fl_node_id(n));
    return j;
}

static const char *cp_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    (void)msg;
    calls.describes++;
    snprintf(buf, cap, "Ping len=%zu", len);
    return buf;
}

static const struct fl_protocol cp = {.api_version = FL_API_VERSION,
                                      .name = "counting",
                                      .timers = cp_timers,
                                      .start = cp_start,
                                      .on_timer = cp_on_timer,
                                      .on_message = cp_on_message,
                                      .snapshot = cp_snapshot,
                                      .describe = cp_describe};

static fl_world *cp_world(void)
{
    fl_world_config cfg = {.seed = 7,
                           .nodes = 3,
                           .protocol = &cp,
                           .latency = {1 * MS, 3 * MS},
                           .disk_sync = {1 * MS, 2 * MS},
                           .until_ns = 200 * MS,
                           .max_steps = 100000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    memset(&calls, 0, sizeof calls);
    return w;
}

/* ---- sinks ---- */

typedef struct tally {
    uint64_t by_kind[FL_REC_KIND_COUNT];
    uint64_t with_desc;
    int fail_after; /* return an error from this record on (0: never) */
    uint64_t seen;
} tally;

static int tally_consume(void *ctx, const fl_record *r)
{
    tally *t = ctx;
    t->seen++;
    t->by_kind[r->kind]++;
    if ((r->kind == FL_REC_SEND || r->kind == FL_REC_FATE) && r->u.msg.desc)
        t->with_desc++;
    return t->fail_after && (int)t->seen >= t->fail_after ? FL_EIO : 0;
}

static void add(fl_world *w, tally *t, uint32_t wants, const char *name)
{
    fl_sink k = {.name = name, .wants = wants, .ctx = t, .consume = tally_consume};
    ck_assert_int_eq(fl_stream_add(fl_world_stream(w), &k), 0);
}

START_TEST(test_record_sinks_get_only_what_they_want)
{
    fl_world *w = cp_world();
    tally steps = {0}, msgs = {0};
    add(w, &steps, FL_REC_BIT(FL_REC_STEP_END), "steps");
    add(w, &msgs, FL_REC_BIT(FL_REC_SEND) | FL_REC_BIT(FL_REC_FATE) | FL_REC_WANT_DESC, "msgs");
    fl_world_run(w);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    ck_assert_uint_eq(steps.by_kind[FL_REC_STEP_END], fl_world_steps(w));
    ck_assert_uint_eq(steps.seen, fl_world_steps(w));
    ck_assert_uint_eq(msgs.by_kind[FL_REC_SEND], c.sent);
    ck_assert_uint_eq(msgs.by_kind[FL_REC_FATE], c.sent); /* every message's fate, once */
    ck_assert_uint_eq(msgs.with_desc, 2 * c.sent);
    ck_assert_uint_eq(msgs.by_kind[FL_REC_LOG] + msgs.by_kind[FL_REC_STATE], 0);
    /* described once per message although two records carry the text */
    ck_assert_int_eq(calls.describes, (int)c.sent);
    fl_world_free(w);
}
END_TEST

START_TEST(test_record_nothing_is_described_or_snapshotted_when_nobody_wants_it)
{
    fl_world *w = cp_world();
    tally t = {0};
    add(w, &t, FL_REC_BIT(FL_REC_STEP_END) | FL_REC_BIT(FL_REC_FATE), "bare");
    fl_world_run(w);
    ck_assert_uint_gt(t.by_kind[FL_REC_FATE], 10);
    ck_assert_uint_eq(t.with_desc, 0);
    ck_assert_int_eq(calls.describes, 0);
    ck_assert_int_eq(calls.snapshots, 0);
    fl_world_free(w);
}
END_TEST

START_TEST(test_record_a_failing_sink_is_skipped_and_the_others_go_on)
{
    fl_world *w = cp_world();
    tally bad = {.fail_after = 5}, good = {0};
    add(w, &bad, FL_REC_BIT(FL_REC_STEP_END), "bad");
    add(w, &good, FL_REC_BIT(FL_REC_STEP_END), "good");
    fl_world_run(w);
    ck_assert_uint_eq(bad.seen, 5); /* nothing after its first error */
    ck_assert_uint_eq(good.seen, fl_world_steps(w));
    const char *name = NULL;
    ck_assert_int_eq(fl_stream_error(fl_world_stream(w), &name), FL_EIO);
    ck_assert_str_eq(name, "bad");
    fl_world_free(w);
}
END_TEST

/* Order: every record of step S between its begin and its end. */
typedef struct order {
    int64_t open; /* the step begun and not ended, or -1 */
    int bad;
    uint64_t states;
} order;

static int order_consume(void *ctx, const fl_record *r)
{
    order *o = ctx;
    switch (r->kind) {
    case FL_REC_STEP_BEGIN:
        o->bad += o->open != -1;
        o->open = (int64_t)r->u.step.step;
        break;
    case FL_REC_STEP_END:
        o->bad += o->open != (int64_t)r->u.step.step;
        o->open = -1;
        break;
    case FL_REC_SEND:
    case FL_REC_LOG:
        o->bad += o->open < 0;
        break;
    case FL_REC_STATE:
        o->bad += o->open != (int64_t)r->u.state.step;
        o->states++;
        break;
    default:
        break;
    }
    return 0;
}

START_TEST(test_record_a_steps_records_come_between_its_begin_and_end)
{
    fl_world *w = cp_world();
    order o = {.open = -1};
    fl_sink k = {.name = "order", .wants = FL_REC_ALL, .ctx = &o, .consume = order_consume};
    ck_assert_int_eq(fl_stream_add(fl_world_stream(w), &k), 0);
    fl_world_run(w);
    ck_assert_int_eq(o.bad, 0);
    ck_assert_int_eq(o.open, -1);
    ck_assert_uint_eq(o.states, 3); /* each node's state changes once: at its start */
    fl_world_free(w);
}
END_TEST

START_TEST(test_record_stream_has_a_limit)
{
    fl_stream s;
    fl_stream_init(&s);
    fl_sink k = {.name = "x", .wants = 1, .consume = tally_consume};
    for (int i = 0; i < FL_STREAM_MAX_SINKS; i++)
        ck_assert_int_eq(fl_stream_add(&s, &k), 0);
    ck_assert_int_eq(fl_stream_add(&s, &k), FL_ELIMIT);
    ck_assert_str_eq(fl_record_kind_name(FL_REC_STEP_END), "step_end");
    ck_assert_str_eq(fl_record_kind_name(99), "?");
}
END_TEST

/* ---- the metrics registry ---- */

typedef struct names {
    char buf[2048];
} names;

static void collect(void *ctx, const char *name, int64_t v)
{
    names *n = ctx;
    size_t len = strlen(n->buf);
    snprintf(n->buf + len, sizeof n->buf - len, "%s=%lld ", name, (long long)v);
}

START_TEST(test_record_metrics_are_interned_once_and_listed_by_name)
{
    fl_world *w = cp_world();
    int b = fl_world_metric_id(w, "zz.b"), a = fl_world_metric_id(w, "aa.a");
    ck_assert_int_ne(a, b);
    ck_assert_int_eq(fl_world_metric_id(w, "zz.b"), b);
    fl_world_metric_add_id(w, b, 3);
    fl_world_metric_add(w, "zz.b", 4);
    fl_world_metric_set_id(w, a, -2);
    ck_assert_int_eq(fl_world_metric_value(w, b), 7);
    fl_world_run(w);
    names n = {""};
    fl_world_metrics_each(w, collect, &n);
    /* name order, the world's own counters included once the run has ended */
    ck_assert_msg(strncmp(n.buf, "aa.a=-2 disk.corrupt_reads=0 ", 29) == 0, "%s", n.buf);
    ck_assert_msg(strstr(n.buf, "msgs.sent=") && strstr(n.buf, "zz.b=7 "), "%s", n.buf);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    char want[64];
    snprintf(want, sizeof want, "msgs.sent=%llu ", (unsigned long long)c.sent);
    ck_assert_msg(strstr(n.buf, want) != NULL, "%s", n.buf);
    fl_world_free(w);
}
END_TEST

static Suite *record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("stream");
    tcase_add_test(tc, test_record_sinks_get_only_what_they_want);
    tcase_add_test(tc, test_record_nothing_is_described_or_snapshotted_when_nobody_wants_it);
    tcase_add_test(tc, test_record_a_failing_sink_is_skipped_and_the_others_go_on);
    tcase_add_test(tc, test_record_a_steps_records_come_between_its_begin_and_end);
    tcase_add_test(tc, test_record_stream_has_a_limit);
    tcase_add_test(tc, test_record_metrics_are_interned_once_and_listed_by_name);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(record_suite)
