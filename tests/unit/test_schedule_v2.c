/* test_schedule_v2.c -- schedule format 2 (faults/schedule.h): the object form with
 * message entries, "messages": "seed" | "only", every error naming the entry and the
 * field, results refused as inputs, the lookup by message identity, and writing back. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "schedule_fixture.h"

static int parse3(const char *text, fl_schedule **s, char *err, size_t cap)
{
    *s = NULL;
    return fl_schedule_parse(text, strlen(text), 3, 30 * SEC, s, err, cap);
}

#define ASSERT_V2_ERROR(text, message)                                                             \
    do {                                                                                           \
        char err_[320] = "";                                                                       \
        fl_schedule *s_;                                                                           \
        ck_assert_int_eq(parse3(text, &s_, err_, sizeof err_), FL_EINVAL);                         \
        ck_assert_ptr_null(s_);                                                                    \
        ck_assert_str_eq(err_, message);                                                           \
    } while (0)

static const char v2_text[] = "{\"version\": 2, \"messages\": \"only\", \"entries\": ["
                              "{\"kind\": \"delay\", \"from\": 2, \"to\": 1, \"nth\": 4, "
                              "\"extra_ns\": 7000000},"
                              "{\"at\": \"1s\", \"kind\": \"crash\", \"node\": 2},"
                              "{\"kind\": \"drop\", \"from\": 1, \"to\": 2, \"nth\": 37},"
                              "{\"kind\": \"duplicate\", \"from\": 2, \"to\": 1, \"nth\": 4},"
                              "{\"at\": \"2s\", \"kind\": \"restart\", \"node\": 2}]}";

START_TEST(test_schedule_v2_message_entries_are_found_by_identity)
{
    fl_schedule *s;
    char err[256];
    ck_assert_int_eq(parse3(v2_text, &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_format(s), 2);
    ck_assert_int_eq(fl_schedule_messages_only(s), 1);
    ck_assert_uint_eq(fl_schedule_len(s), 2); /* the timed entries */
    ck_assert_uint_eq(fl_schedule_msg_len(s), 3);
    fl_msg_decision d;
    ck_assert_int_eq(fl_schedule_msg_decision(s, 1, 2, 37, &d), 1);
    ck_assert(d.drop && !d.duplicate && !d.delay);
    ck_assert_int_eq(fl_schedule_msg_decision(s, 2, 1, 4, &d), 1);
    ck_assert(!d.drop && d.duplicate && d.delay && d.extra_ns == 7000000);
    ck_assert_int_eq(fl_schedule_msg_decision(s, 2, 1, 5, &d), 0);
    ck_assert_int_eq(fl_schedule_msg_decision(s, 1, 2, 36, &d), 0);
    ck_assert_int_eq(fl_schedule_msg_decision(s, 2, 3, 4, &d), 0);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_v2_writes_back_what_it_read)
{
    fl_schedule *s, *again;
    char err[256];
    ck_assert_int_eq(parse3(v2_text, &s, err, sizeof err), 0);
    char *text = fl_schedule_to_text(s);
    ck_assert_str_eq(text,
                     "{\"version\":2,\"messages\":\"only\",\"entries\":[\n"
                     "{\"at_ns\":1000000000,\"kind\":\"crash\",\"node\":2},\n"
                     "{\"at_ns\":2000000000,\"kind\":\"restart\",\"node\":2},\n"
                     "{\"kind\":\"delay\",\"from\":2,\"to\":1,\"nth\":4,\"extra_ns\":7000000},\n"
                     "{\"kind\":\"drop\",\"from\":1,\"to\":2,\"nth\":37},\n"
                     "{\"kind\":\"duplicate\",\"from\":2,\"to\":1,\"nth\":4}\n"
                     "]}\n");
    ck_assert_int_eq(parse3(text, &again, err, sizeof err), 0);
    char *text2 = fl_schedule_to_text(again);
    ck_assert_str_eq(text, text2);
    free(text);
    free(text2);
    fl_schedule_free(s);
    fl_schedule_free(again);
    /* "messages" defaults to "seed"; a format-1 array stays format 1 */
    ck_assert_int_eq(parse3("{\"version\":2,\"entries\":[]}", &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_messages_only(s), 0);
    text = fl_schedule_to_text(s);
    ck_assert_str_eq(text, "{\"version\":2,\"messages\":\"seed\",\"entries\":[]}\n");
    free(text);
    fl_schedule_free(s);
    ck_assert_int_eq(parse3("[]", &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_format(s), 1);
    text = fl_schedule_to_text(s);
    ck_assert_str_eq(text, "[]\n");
    free(text);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_v2_header_errors)
{
    ASSERT_V2_ERROR("{\"entries\": []}", "schedule.version: missing (an object schedule is format "
                                         "2: \"version\": 2; a bare array is format 1)");
    ASSERT_V2_ERROR("{\"version\": 3, \"entries\": []}", "schedule.version: expected 2, got 3");
    ASSERT_V2_ERROR("{\"version\": 2}",
                    "schedule.entries: expected an array of fault entries, got nothing");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [], \"messages\": \"all\"}",
                    "schedule.messages: expected \"seed\" or \"only\", got \"all\"");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [], \"extra\\n\": 1}",
                    "schedule: unknown key \"extra\\n\" (expected version, entries, messages, ops)");
}
END_TEST

START_TEST(test_schedule_v2_message_entry_errors)
{
    ASSERT_V2_ERROR("[{\"kind\": \"drop\", \"from\": 1, \"to\": 2, \"nth\": 3}]",
                    "schedule[1].kind: a drop entry needs a format-2 schedule ({\"version\": 2, "
                    "\"entries\": [...]})");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"kind\": \"drop\", \"from\": 4, \"to\": 2, "
                    "\"nth\": 3}]}",
                    "schedule[1].from: expected a node id in [1,3], got 4");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"kind\": \"drop\", \"from\": 1, \"to\": 1, "
                    "\"nth\": 3}]}",
                    "schedule[1].to: a self-send (1 to 1) is never faulted");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"kind\": \"duplicate\", \"from\": 1, \"to\": "
                    "2, \"nth\": 0}]}",
                    "schedule[1].nth: expected the message's index among the sends on the link, "
                    "an integer in [1,4294967295], got 0");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"kind\": \"delay\", \"from\": 1, \"to\": 2, "
                    "\"nth\": 3, \"extra_ns\": -1}]}",
                    "schedule[1].extra_ns: expected an extra delay in [0,2^53] ns, got -1");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"kind\": \"drop\", \"from\": 1, \"to\": 2, "
                    "\"nth\": 3, \"extra_ns\": 5}]}",
                    "schedule[1].extra_ns: unknown key for a drop entry");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"at\": \"1s\", \"kind\": \"heal\"}, "
                    "{\"kind\": \"delay\", \"from\": 1, \"to\": 2, \"nth\": 3, \"extra_ns\": 5}, "
                    "{\"kind\": \"drop\", \"from\": 1, \"to\": 2, \"nth\": 3}]}",
                    "schedule[3].kind: message 1->2 #3 already has a delay entry (schedule[2]); a "
                    "message has at most one entry of each kind, and a dropped one no other");
    ASSERT_V2_ERROR(
        "{\"version\": 2, \"entries\": [{\"kind\": \"duplicate\", \"from\": 1, \"to\": "
        "2, \"nth\": 3}, {\"kind\": \"duplicate\", \"from\": 1, \"to\": 2, \"nth\": 3}]}",
        "schedule[2].kind: message 1->2 #3 already has a duplicate entry "
        "(schedule[1]); a message has at most one entry of each kind, and a dropped "
        "one no other");
}
END_TEST

START_TEST(test_schedule_v2_results_are_not_inputs)
{
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"at\": \"1s\", \"kind\": \"heal\", "
                    "\"reached\": 1}]}",
                    "schedule[1].reached: a result of a run, never an input (the faults table "
                    "records it): remove it");
    ASSERT_V2_ERROR("[{\"at\": \"1s\", \"kind\": \"crash\", \"node\": 1, \"took_effect\": 1}]",
                    "schedule[1].took_effect: a result of a run, never an input (the faults "
                    "table records it): remove it");
    ASSERT_V2_ERROR("{\"version\": 2, \"entries\": [{\"kind\": \"drop\", \"from\": 1, \"to\": 2, "
                    "\"nth\": 3, \"took_effect\": 1}]}",
                    "schedule[1].took_effect: a result of a run, never an input (the faults "
                    "table records it): remove it");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule_v2");
    TCase *tc = tcase_create("format2");
    tcase_add_test(tc, test_schedule_v2_message_entries_are_found_by_identity);
    tcase_add_test(tc, test_schedule_v2_writes_back_what_it_read);
    tcase_add_test(tc, test_schedule_v2_header_errors);
    tcase_add_test(tc, test_schedule_v2_message_entry_errors);
    tcase_add_test(tc, test_schedule_v2_results_are_not_inputs);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
