/* test_wire.c -- the binary encoding of records for pipes (sim/run/wire.h): every kind
 * survives a round trip field by field, a truncated frame is "not yet", and a damaged
 * or foreign one is an error -- never a crash, whatever the bytes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "core/world.h"
#include "sim/run/wire.h"
#include "check_main.h"

static fl_run_result sample_result(void)
{
    fl_run_result r = {.outcome = FL_OUTCOME_VIOLATION,
                       .check = "election_safety",
                       .detail = "two leaders in term 7",
                       .fail_step = 1234,
                       .fail_time_ns = -1,
                       .steps = 5000,
                       .sim_time_ns = 30000000000,
                       .msgs_sent = 10,
                       .msgs_delivered = 8,
                       .msgs_dropped = 1,
                       .faults = 3,
                       .wall_us = 77,
                       .digest = "0123456789abcdef",
                       .faults_text = "crash 1/2"};
    return r;
}

/* One record of every kind, with every field set. */
static size_t samples(fl_record *out, fl_run_result *res)
{
    static const unsigned char body[] = {0, 1, 2, 255, 'x'};
    size_t n = 0;
    *res = sample_result();
    out[n] = (fl_record){.kind = FL_REC_RUN_BEGIN};
    out[n++].u.begin = (fl_rec_run_begin){UINT64_MAX, 5, "raft", "[{\"at_ns\":1}]"};
    out[n] = (fl_record){.kind = FL_REC_STEP_BEGIN};
    out[n++].u.step = (fl_rec_step){42, 151203000, FL_STEP_DELIVER, 2, 1, 17, "delivered x", 9};
    out[n] = (fl_record){.kind = FL_REC_STEP_END};
    out[n++].u.step = (fl_rec_step){42, 151203000, FL_STEP_TIMER, 3, 0, 0, "", UINT64_MAX - 1};
    out[n] = (fl_record){.kind = FL_REC_SEND};
    out[n++].u.msg =
        (fl_rec_msg){17, 1, 2, 40, 100, 200, FL_FATE_IN_FLIGHT, 40, body, 5, "MsgVote t=1"};
    out[n] = (fl_record){.kind = FL_REC_FATE};
    out[n++].u.msg = (fl_rec_msg){18, 3, 1, 41, 101, -1, FL_FATE_DROPPED_DOWN, 50, NULL, 0, NULL};
    out[n] = (fl_record){.kind = FL_REC_LOG};
    out[n++].u.log = (fl_rec_log){7, 99, 2, FL_LOG_WARN, "became leader at term 3"};
    out[n] = (fl_record){.kind = FL_REC_STATE};
    out[n++].u.state = (fl_rec_state){7,
                                      99,
                                      2,
                                      "{\"role\":\"leader\",\"log\":[1]}",
                                      "{\"role\":\"leader\"}",
                                      "[[1,\"log\",1,1,\"1\"]]",
                                      0};
    out[n] = (fl_record){.kind = FL_REC_FAULT};
    out[n++].u.fault = (fl_rec_fault){4, 1000, "crash", NULL, 1, 0};
    out[n] = (fl_record){.kind = FL_REC_METRIC};
    out[n++].u.metric = (fl_rec_metric){"raft.elections", -5};
    out[n] = (fl_record){.kind = FL_REC_CLIENT};
    out[n++].u.client = (fl_rec_client){.op_id = 97,
                                        .process = 2,
                                        .type = FL_CEV_OK,
                                        .f = "get",
                                        .key = "k2",
                                        .value = "null",
                                        .result = "\"2.17 \"",
                                        .node = 2,
                                        .invoke_step = 1396,
                                        .invoke_ns = 3013254000,
                                        .complete_step = 1407,
                                        .complete_ns = 3022447000};
    out[n] = (fl_record){.kind = FL_REC_RUN_END};
    out[n++].u.end = res;
    return n;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void assert_same(const fl_record *a, const fl_record *b)
{
    ck_assert_int_eq(a->kind, b->kind);
    switch (a->kind) {
    case FL_REC_RUN_BEGIN:
        ck_assert(a->u.begin.seed == b->u.begin.seed && a->u.begin.nodes == b->u.begin.nodes);
        ck_assert(same_str(a->u.begin.protocol, b->u.begin.protocol));
        ck_assert(same_str(a->u.begin.schedule_json, b->u.begin.schedule_json));
        break;
    case FL_REC_STEP_BEGIN:
    case FL_REC_STEP_END:
        ck_assert(a->u.step.step == b->u.step.step && a->u.step.time_ns == b->u.step.time_ns);
        ck_assert(a->u.step.kind == b->u.step.kind && a->u.step.node == b->u.step.node);
        ck_assert(a->u.step.peer == b->u.step.peer && a->u.step.msg_id == b->u.step.msg_id);
        ck_assert(a->u.step.chain == b->u.step.chain);
        ck_assert_str_eq(a->u.step.detail, b->u.step.detail);
        break;
    case FL_REC_SEND:
    case FL_REC_FATE:
        ck_assert(a->u.msg.id == b->u.msg.id && a->u.msg.src == b->u.msg.src);
        ck_assert(a->u.msg.dst == b->u.msg.dst && a->u.msg.sent_step == b->u.msg.sent_step);
        ck_assert(a->u.msg.sent_ns == b->u.msg.sent_ns &&
                  a->u.msg.deliver_ns == b->u.msg.deliver_ns);
        ck_assert(a->u.msg.fate == b->u.msg.fate && a->u.msg.fate_step == b->u.msg.fate_step);
        ck_assert(a->u.msg.len == b->u.msg.len);
        ck_assert(a->u.msg.len == 0 || memcmp(a->u.msg.body, b->u.msg.body, a->u.msg.len) == 0);
        ck_assert(same_str(a->u.msg.desc, b->u.msg.desc));
        break;
    case FL_REC_LOG:
        ck_assert(a->u.log.step == b->u.log.step && a->u.log.time_ns == b->u.log.time_ns);
        ck_assert(a->u.log.node == b->u.log.node && a->u.log.level == b->u.log.level);
        ck_assert_str_eq(a->u.log.text, b->u.log.text);
        break;
    case FL_REC_STATE:
        ck_assert(a->u.state.step == b->u.state.step && a->u.state.node == b->u.state.node);
        ck_assert_str_eq(a->u.state.json, b->u.state.json);
        ck_assert_str_eq(a->u.state.scalars, b->u.state.scalars);
        ck_assert_str_eq(a->u.state.parts, b->u.state.parts);
        ck_assert_int_eq(a->u.state.keyframe, b->u.state.keyframe);
        break;
    case FL_REC_FAULT:
        ck_assert(a->u.fault.seq == b->u.fault.seq && a->u.fault.at_ns == b->u.fault.at_ns);
        ck_assert(a->u.fault.took_effect == b->u.fault.took_effect);
        ck_assert(a->u.fault.reached == b->u.fault.reached);
        ck_assert(same_str(a->u.fault.kind, b->u.fault.kind));
        ck_assert(same_str(a->u.fault.spec, b->u.fault.spec));
        break;
    case FL_REC_METRIC:
        ck_assert_str_eq(a->u.metric.name, b->u.metric.name);
        ck_assert(a->u.metric.value == b->u.metric.value);
        break;
    case FL_REC_CLIENT:
        ck_assert(a->u.client.op_id == b->u.client.op_id &&
                  a->u.client.process == b->u.client.process);
        ck_assert(a->u.client.type == b->u.client.type && a->u.client.node == b->u.client.node);
        ck_assert(a->u.client.invoke_step == b->u.client.invoke_step &&
                  a->u.client.invoke_ns == b->u.client.invoke_ns);
        ck_assert(a->u.client.complete_step == b->u.client.complete_step &&
                  a->u.client.complete_ns == b->u.client.complete_ns);
        ck_assert(same_str(a->u.client.f, b->u.client.f) &&
                  same_str(a->u.client.key, b->u.client.key));
        ck_assert(same_str(a->u.client.value, b->u.client.value) &&
                  same_str(a->u.client.result, b->u.client.result));
        break;
    default:
        ck_assert(memcmp(a->u.end, b->u.end, sizeof *a->u.end) == 0 ||
                  (strcmp(a->u.end->detail, b->u.end->detail) == 0 &&
                   strcmp(a->u.end->digest, b->u.end->digest) == 0 &&
                   a->u.end->steps == b->u.end->steps &&
                   a->u.end->fail_step == b->u.end->fail_step));
    }
}

START_TEST(test_wire_every_kind_round_trips)
{
    fl_record in[FL_REC_KIND_COUNT];
    fl_run_result res;
    size_t n = samples(in, &res);
    ck_assert_uint_eq(n, FL_REC_KIND_COUNT);
    fl_wire_buf b = {0};
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(fl_wire_put(&b, &in[i]), 0);
    size_t off = 0;
    fl_wire_scratch sc;
    for (size_t i = 0; i < n; i++) {
        fl_record out;
        long got = fl_wire_get(b.p + off, b.len - off, &out, &sc);
        ck_assert_int_gt(got, 0);
        assert_same(&in[i], &out);
        /* and it encodes back to the same bytes */
        fl_wire_buf again = {0};
        ck_assert_int_eq(fl_wire_put(&again, &out), 0);
        ck_assert_uint_eq(again.len, (size_t)got);
        ck_assert(memcmp(again.p, b.p + off, again.len) == 0);
        fl_wire_buf_close(&again);
        off += (size_t)got;
    }
    ck_assert_uint_eq(off, b.len);
    fl_wire_buf_close(&b);
}
END_TEST

START_TEST(test_wire_a_truncated_frame_is_not_yet_complete)
{
    fl_record in[FL_REC_KIND_COUNT];
    fl_run_result res;
    samples(in, &res);
    fl_wire_buf b = {0};
    ck_assert_int_eq(fl_wire_put(&b, &in[3]), 0); /* a send with a body */
    fl_record out;
    fl_wire_scratch sc;
    for (size_t cut = 0; cut < b.len; cut++)
        ck_assert_int_eq(fl_wire_get(b.p, cut, &out, &sc), 0);
    ck_assert_int_eq(fl_wire_get(b.p, b.len, &out, &sc), (long)b.len);
    fl_wire_buf_close(&b);
}
END_TEST

START_TEST(test_wire_damaged_frames_are_errors)
{
    fl_record in[FL_REC_KIND_COUNT];
    fl_run_result res;
    samples(in, &res);
    fl_wire_buf b = {0};
    ck_assert_int_eq(fl_wire_put(&b, &in[5]), 0); /* a log line */
    fl_record out;
    fl_wire_scratch sc;
    b.p[0] = FL_WIRE_VERSION + 1;
    ck_assert_int_eq(fl_wire_get(b.p, b.len, &out, &sc), FL_EPARSE);
    b.p[0] = FL_WIRE_VERSION;
    b.p[1] = FL_REC_KIND_COUNT;
    ck_assert_int_eq(fl_wire_get(b.p, b.len, &out, &sc), FL_EPARSE);
    b.p[1] = FL_REC_LOG;
    b.p[b.len - 1] = 'x'; /* the text's NUL */
    ck_assert_int_eq(fl_wire_get(b.p, b.len, &out, &sc), FL_EPARSE);
    b.p[b.len - 1] = '\0';
    uint32_t n;
    memcpy(&n, b.p + 4, sizeof n);
    n += 1; /* a length that runs past the fields: trailing garbage inside the frame */
    memcpy(b.p + 4, &n, sizeof n);
    ck_assert_int_eq(fl_wire_put(&b, &in[5]), 0);
    ck_assert_int_eq(fl_wire_get(b.p, b.len, &out, &sc), FL_EPARSE);
    fl_wire_buf_close(&b);
}
END_TEST

/* Random damage to a valid stream: every answer is a frame, "not yet" or an error. */
START_TEST(test_wire_random_damage_never_crashes)
{
    fl_record in[FL_REC_KIND_COUNT];
    fl_run_result res;
    size_t n = samples(in, &res);
    fl_wire_buf b = {0};
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(fl_wire_put(&b, &in[i]), 0);
    uint8_t *copy = malloc(b.len);
    fl_rng r;
    fl_rng_fork(&r, 1, "test-wire", 0);
    int errors = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(copy, b.p, b.len);
        for (int k = 0; k < 1 + round % 4; k++)
            copy[fl_rng_below(&r, b.len)] = (uint8_t)fl_rng_u64(&r);
        size_t off = 0;
        fl_wire_scratch sc;
        for (;;) {
            fl_record out;
            long got = fl_wire_get(copy + off, b.len - off, &out, &sc);
            if (got < 0)
                errors++;
            if (got <= 0)
                break;
            off += (size_t)got;
        }
    }
    ck_assert_int_gt(errors, 1000); /* most damage is noticed */
    free(copy);
    fl_wire_buf_close(&b);
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("frames");
    tcase_add_test(tc, test_wire_every_kind_round_trips);
    tcase_add_test(tc, test_wire_a_truncated_frame_is_not_yet_complete);
    tcase_add_test(tc, test_wire_damaged_frames_are_errors);
    tcase_add_test(tc, test_wire_random_damage_never_crashes);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(wire_suite)
