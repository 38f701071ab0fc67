/* test_schedule_json.c -- fault schedules as JSON: generated text round-trips, the exact
 * text written for each kind, the empty schedule, and when a schedule leaves the cluster
 * quiet. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "schedule_fixture.h"

START_TEST(test_schedule_text_round_trips)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 10; seed++) {
        char *a = gen_text(&c, 5, seed), err[256];
        fl_schedule *s;
        ck_assert_msg(fl_schedule_parse(a, strlen(a), 5, 30 * SEC, &s, err, sizeof err) == 0, "%s",
                      err);
        char *b = fl_schedule_to_text(s);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_text_shape)
{
    const char *in = "[{\"at\": \"1.2s\", \"kind\": \"crash\", \"node\": 2},\n"
                     " {\"at_ns\": 1500000000, \"kind\": \"restart\", \"node\": 2},\n"
                     " {\"at\": \"2s\", \"kind\": \"partition\", \"name\": \"bridge\",\n"
                     "  \"groups\": [[1,2],[3],[4,5]], \"allow\": [[0,1],[1,0],[2,1],[1,2]]},\n"
                     " {\"at\": \"3s\", \"kind\": \"heal\"},\n"
                     " {\"at\": \"4s\", \"kind\": \"timeout\", \"node\": 1},\n"
                     " {\"at\": \"4s\", \"kind\": \"timeout\", \"node\": 3, \"timer\": \"hb\"},\n"
                     " {\"at\": \"5s\", \"kind\": \"clock\", \"node\": 4, \"ppm\": -2500}]";
    const char *want = "[\n"
                       "{\"at_ns\":1200000000,\"kind\":\"crash\",\"node\":2},\n"
                       "{\"at_ns\":1500000000,\"kind\":\"restart\",\"node\":2},\n"
                       "{\"at_ns\":2000000000,\"kind\":\"partition\",\"name\":\"bridge\","
                       "\"groups\":[[1,2],[3],[4,5]],\"allow\":[[0,1],[1,0],[2,1],[1,2]]},\n"
                       "{\"at_ns\":3000000000,\"kind\":\"heal\"},\n"
                       "{\"at_ns\":4000000000,\"kind\":\"timeout\",\"node\":1},\n"
                       "{\"at_ns\":4000000000,\"kind\":\"timeout\",\"node\":3,\"timer\":\"hb\"},\n"
                       "{\"at_ns\":5000000000,\"kind\":\"clock\",\"node\":4,\"ppm\":-2500}\n"
                       "]\n";
    fl_schedule *s;
    char err[256];
    ck_assert_msg(fl_schedule_parse(in, strlen(in), 5, 30 * SEC, &s, err, sizeof err) == 0, "%s",
                  err);
    char *out = fl_schedule_to_text(s);
    ck_assert_str_eq(out, want);
    free(out);
    out = fl_schedule_entry_text(s, 3);
    ck_assert_str_eq(out, "{\"at_ns\":3000000000,\"kind\":\"heal\"}");
    free(out);
    const fl_partition *p = fl_schedule_entry(s, 2)->part;
    ck_assert(!fl_partition_cuts(p, 1, 3) && !fl_partition_cuts(p, 5, 3));
    ck_assert(fl_partition_cuts(p, 1, 4) && fl_partition_cuts(p, 5, 2));
    ck_assert(!fl_partition_cuts(p, 1, 2));
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_empty_is_valid)
{
    fl_schedule *s;
    char err[64];
    ck_assert_int_eq(fl_schedule_parse(" [ ] \n", 6, 3, SEC, &s, err, sizeof err), 0);
    ck_assert_uint_eq(fl_schedule_len(s), 0);
    char *t = fl_schedule_to_text(s);
    ck_assert_str_eq(t, "[]\n");
    ck_assert_int_eq(fl_schedule_quiet_since(s, 5), 5);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 0), -1);
    free(t);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_quiet_since_needs_everything_healed)
{
    fl_schedule *s;
    char err[64];
    const char *t = "[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1}]";
    ck_assert_int_eq(fl_schedule_parse(t, strlen(t), 3, 30 * SEC, &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 2 * SEC), -1);
    fl_schedule_free(s);
    t = "[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1},{\"at\":\"5s\",\"kind\":\"restart\","
        "\"node\":1}]";
    ck_assert_int_eq(fl_schedule_parse(t, strlen(t), 3, 30 * SEC, &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 2 * SEC), 5 * SEC);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 9 * SEC), 9 * SEC);
    fl_schedule_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule_json");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_schedule_text_round_trips);
    tcase_add_test(tc, test_schedule_text_shape);
    tcase_add_test(tc, test_schedule_empty_is_valid);
    tcase_add_test(tc, test_schedule_quiet_since_needs_everything_healed);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
