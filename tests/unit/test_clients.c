/*
 * test_clients.c -- the client operation encoding of core/faultline.h (every protocol
 * decodes the same bytes) and the world's skippable actions that client timeouts use.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/faultline.h"
#include "core/world.h"

START_TEST(test_client_op_round_trip)
{
    unsigned char buf[512];
    fl_client_op in = {
        .f = FL_CLIENT_APPEND, .key = "k1", .key_len = 2, .value = "abc", .value_len = 3};
    size_t len = fl_client_op_encode(&in, buf, sizeof buf);
    ck_assert_uint_eq(len, FL_CLIENT_OP_HEADER + 5);
    ck_assert_uint_eq(buf[0], 0xF1);
    fl_client_op out;
    ck_assert_int_eq(fl_client_op_decode(buf, len, &out), 0);
    ck_assert_int_eq(out.f, FL_CLIENT_APPEND);
    ck_assert_uint_eq(out.key_len, 2);
    ck_assert(memcmp(out.key, "k1", 2) == 0);
    ck_assert(memcmp(out.value, "abc", 3) == 0);
    fl_client_op cas = {.f = FL_CLIENT_CAS, .a = -3, .b = INT64_MAX};
    len = fl_client_op_encode(&cas, buf, sizeof buf);
    ck_assert_int_eq(fl_client_op_decode(buf, len, &out), 0);
    ck_assert(out.a == -3 && out.b == INT64_MAX && out.key_len == 0 && out.value_len == 0);
}
END_TEST

START_TEST(test_client_op_decode_rejects_malformed)
{
    unsigned char buf[64];
    fl_client_op in = {.f = FL_CLIENT_PUT, .key = "k", .key_len = 1, .value = "v", .value_len = 1};
    size_t len = fl_client_op_encode(&in, buf, sizeof buf);
    fl_client_op out;
    ck_assert_int_eq(fl_client_op_decode(buf, len - 1, &out), -1); /* short */
    ck_assert_int_eq(fl_client_op_decode(buf, 10, &out), -1);      /* no header */
    buf[0] = 0xF2;
    ck_assert_int_eq(fl_client_op_decode(buf, len, &out), -1); /* a result, not an op */
    buf[0] = 0xF1;
    buf[1] = 9;
    ck_assert_int_eq(fl_client_op_decode(buf, len, &out), -1); /* unknown f */
    in.key_len = FL_CLIENT_KEY_MAX + 1;
    ck_assert_uint_eq(fl_client_op_encode(&in, buf, sizeof buf), 0); /* too long a key */
    in.key_len = 1;
    ck_assert_uint_eq(fl_client_op_encode(&in, buf, 10), 0); /* does not fit */
}
END_TEST

START_TEST(test_client_result_round_trip)
{
    unsigned char buf[64];
    fl_client_result r = {.type = FL_CLIENT_OK, .str = "a b", .str_len = 3};
    size_t len = fl_client_result_encode(&r, buf, sizeof buf);
    fl_client_result out;
    ck_assert_int_eq(fl_client_result_decode(buf, len, &out), 0);
    ck_assert(out.type == FL_CLIENT_OK && out.str_len == 3 && memcmp(out.str, "a b", 3) == 0);
    fl_client_result nul = {.type = FL_CLIENT_OK, .is_null = 1};
    len = fl_client_result_encode(&nul, buf, sizeof buf);
    ck_assert_int_eq(fl_client_result_decode(buf, len, &out), 0);
    ck_assert(out.is_null == 1 && out.str_len == 0);
    buf[2] = 7; /* the null flag is 0 or 1 */
    ck_assert_int_eq(fl_client_result_decode(buf, len, &out), -1);
    ck_assert_int_eq(fl_client_result_decode(buf, len + 1, &out), -1);
}
END_TEST

/* ---- skippable actions ---- */

static const char *const no_timers[] = {NULL};
static void p_start(fl_node *n, const cJSON *params)
{
    (void)n, (void)params;
}
static void p_msg(fl_node *n, int from, const void *m, size_t len)
{
    (void)n, (void)from, (void)m, (void)len;
}
static void p_timer(fl_node *n, int t)
{
    (void)n, (void)t;
}
static const struct fl_protocol quiet = {.api_version = FL_API_VERSION,
                                         .name = "quiet",
                                         .timers = no_timers,
                                         .start = p_start,
                                         .on_message = p_msg,
                                         .on_timer = p_timer};

static void count(fl_world *w, void *ctx, uint64_t arg)
{
    (void)w, (void)arg;
    (*(int *)ctx)++;
}
static int skip_odd(void *ctx, uint64_t arg)
{
    (void)ctx;
    return (int)(arg & 1);
}

START_TEST(test_skipped_action_takes_no_step)
{
    char err[256];
    fl_world_config cfg = {.seed = 1,
                           .nodes = 1,
                           .protocol = &quiet,
                           .until_ns = FL_S,
                           .max_steps = 100,
                           .latency = {FL_MS, FL_MS}};
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    int ran = 0;
    for (uint64_t i = 0; i < 4; i++)
        ck_assert_int_eq(fl_world_at_unless(w, (int64_t)(i + 1) * FL_MS, FL_STEP_CLIENT, 0, count,
                                            skip_odd, &ran, i),
                         0);
    fl_world_run(w);
    ck_assert_int_eq(ran, 2);
    ck_assert_uint_eq(fl_world_steps(w), 3); /* the boot and the two even actions */
    fl_world_free(w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("clients");
    TCase *tc = tcase_create("clients");
    tcase_add_test(tc, test_client_op_round_trip);
    tcase_add_test(tc, test_client_op_decode_rejects_malformed);
    tcase_add_test(tc, test_client_result_round_trip);
    tcase_add_test(tc, test_skipped_action_takes_no_step);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
