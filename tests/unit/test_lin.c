/* test_lin.c -- the linearizability checker on hand-written histories: stale reads, lost
 * writes, cas (ok and fail), ops of unknown outcome, kv keys checked alone, appends, the
 * violation report, budgets; and the history reader's errors, each with its line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "results/history.h"
#include "results/lin.h"
#include "check_main.h"

/* One JSON line per string: {process, type, f, value[, key]} in a compact notation. */
static fl_history *parse(const char *text)
{
    fl_history *h = fl_history_new();
    char err[256];
    int rc = fl_history_parse_jsonl(h, text, strlen(text), "t", err, sizeof err);
    ck_assert_msg(rc == 0, "parse: %s", err);
    return h;
}

static int verdict(const char *text, int model)
{
    fl_history *h = parse(text);
    fl_lin_result r;
    ck_assert_int_eq(fl_lin_check(h, model, NULL, &r), 0);
    int v = r.verdict;
    if (model == FL_LIN_KV) { /* per key and as one object agree */
        fl_lin_result w;
        ck_assert_int_eq(fl_lin_check(h, FL_LIN_KV_WHOLE, NULL, &w), 0);
        ck_assert_int_eq(w.verdict, v);
        fl_lin_result_close(&w);
    }
    fl_lin_result_close(&r);
    fl_history_free(h);
    return v;
}

#define INV(p, f, v) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"" f "\",\"value\":" v "}\n"
#define DONE(p, t, f, v) "{\"process\":" #p ",\"type\":\"" t "\",\"f\":\"" f "\",\"value\":" v "}\n"
#define KINV(p, f, k, v)                                                                           \
    "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"" f "\",\"key\":\"" k "\",\"value\":" v "}\n"
#define KDONE(p, t, f, k, v)                                                                       \
    "{\"process\":" #p ",\"type\":\"" t "\",\"f\":\"" f "\",\"key\":\"" k "\",\"value\":" v "}\n"
#define W(p, v) INV(p, "write", #v) DONE(p, "ok", "write", #v)
#define R(p, v) INV(p, "read", "null") DONE(p, "ok", "read", #v)

START_TEST(test_lin_sequential_register_is_linearizable)
{
    ck_assert_int_eq(verdict(R(0, null) W(0, 1) R(1, 1) W(1, 2) R(0, 2), FL_LIN_REGISTER),
                     FL_LIN_OK);
}
END_TEST

START_TEST(test_lin_stale_read_is_a_violation)
{
    ck_assert_int_eq(verdict(W(0, 1) W(1, 2) R(2, 1), FL_LIN_REGISTER), FL_LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_concurrent_read_may_see_either_value)
{
    const char *old = W(0, 1) INV(1, "write", "2") R(2, 1) DONE(1, "ok", "write", "2");
    const char *neu = W(0, 1) INV(1, "write", "2") R(2, 2) DONE(1, "ok", "write", "2");
    ck_assert_int_eq(verdict(old, FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(neu, FL_LIN_REGISTER), FL_LIN_OK);
    /* but once a read saw the new value, a later read cannot see the old one */
    ck_assert_int_eq(verdict(W(0, 1) INV(1, "write", "2") R(2, 2) R(3, 1)
                                 DONE(1, "ok", "write", "2"),
                             FL_LIN_REGISTER),
                     FL_LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_lost_write_is_a_violation)
{
    ck_assert_int_eq(verdict(W(0, 3) R(1, null), FL_LIN_REGISTER), FL_LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_failed_write_did_not_happen)
{
    const char *h = INV(0, "write", "5") DONE(0, "fail", "write", "5") R(1, 5);
    ck_assert_int_eq(verdict(h, FL_LIN_REGISTER), FL_LIN_VIOLATION);
    ck_assert_int_eq(
        verdict(INV(0, "write", "5") DONE(0, "fail", "write", "5") R(1, null), FL_LIN_REGISTER),
        FL_LIN_OK);
}
END_TEST

START_TEST(test_lin_cas_ok_needs_the_expected_value)
{
    const char *good = W(0, 1) INV(1, "cas", "[1,2]") DONE(1, "ok", "cas", "[1,2]") R(0, 2);
    const char *bad = W(0, 3) INV(1, "cas", "[1,2]") DONE(1, "ok", "cas", "[1,2]");
    ck_assert_int_eq(verdict(good, FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(bad, FL_LIN_REGISTER), FL_LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_cas_fail_is_a_definite_answer)
{
    /* the register held 1 throughout: a failed cas(1, 2) is impossible */
    const char *bad = W(0, 1) INV(1, "cas", "[1,2]") DONE(1, "fail", "cas", "[1,2]");
    /* failing against another value is fine, and changes nothing */
    const char *good = W(0, 1) INV(1, "cas", "[3,2]") DONE(1, "fail", "cas", "[3,2]") R(0, 1);
    /* concurrent with a write of 1, the cas may fail before it */
    const char *conc = INV(0, "write", "1") INV(1, "cas", "[1,2]") DONE(1, "fail", "cas", "[1,2]")
        DONE(0, "ok", "write", "1") R(0, 1);
    ck_assert_int_eq(verdict(bad, FL_LIN_REGISTER), FL_LIN_VIOLATION);
    ck_assert_int_eq(verdict(good, FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(conc, FL_LIN_REGISTER), FL_LIN_OK);
}
END_TEST

START_TEST(test_lin_info_write_may_or_may_not_take_effect)
{
    const char *took = INV(0, "write", "7") DONE(0, "info", "write", "7") R(1, 7);
    const char *never = INV(0, "write", "7") DONE(0, "info", "write", "7") R(1, null);
    const char *late = INV(0, "write", "7") DONE(0, "info", "write", "7") R(1, null) R(1, 7);
    const char *undo = INV(0, "write", "7") DONE(0, "info", "write", "7") R(1, 7) R(1, null);
    const char *early = R(1, 7) INV(0, "write", "7") DONE(0, "info", "write", "7");
    ck_assert_int_eq(verdict(took, FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(never, FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(late, FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(undo, FL_LIN_REGISTER), FL_LIN_VIOLATION);
    ck_assert_int_eq(verdict(early, FL_LIN_REGISTER), FL_LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_never_completed_is_like_info)
{
    ck_assert_int_eq(verdict(INV(0, "write", "7") R(1, 7) R(1, 7), FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(INV(0, "write", "7") R(1, null) R(1, 7), FL_LIN_REGISTER), FL_LIN_OK);
    ck_assert_int_eq(verdict(INV(0, "write", "7") R(1, 7) R(1, null), FL_LIN_REGISTER),
                     FL_LIN_VIOLATION);
    /* an info cas applies only if the register held the expected value */
    ck_assert_int_eq(verdict(W(0, 1) INV(1, "cas", "[2,3]") R(0, 3), FL_LIN_REGISTER),
                     FL_LIN_VIOLATION);
    ck_assert_int_eq(verdict(W(0, 1) INV(1, "cas", "[1,3]") R(0, 3), FL_LIN_REGISTER), FL_LIN_OK);
}
END_TEST

START_TEST(test_lin_info_read_constrains_nothing)
{
    ck_assert_int_eq(
        verdict(W(0, 1) INV(1, "read", "null") DONE(1, "info", "read", "9"), FL_LIN_REGISTER),
        FL_LIN_OK);
}
END_TEST

#define PUT(p, k, v) KINV(p, "put", k, "\"" v "\"") KDONE(p, "ok", "put", k, "\"" v "\"")
#define APP(p, k, v) KINV(p, "append", k, "\"" v "\"") KDONE(p, "ok", "append", k, "\"" v "\"")
#define GET(p, k, v) KINV(p, "get", k, "null") KDONE(p, "ok", "get", k, "\"" v "\"")

START_TEST(test_lin_kv_keys_are_independent)
{
    ck_assert_int_eq(verdict(GET(0, "x", "") PUT(0, "x", "a") PUT(1, "y", "b") GET(2, "x", "a")
                                 GET(2, "y", "b"),
                             FL_LIN_KV),
                     FL_LIN_OK);
    ck_assert_int_eq(verdict(PUT(0, "x", "a") PUT(1, "y", "b") GET(2, "y", "a"), FL_LIN_KV),
                     FL_LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_kv_violation_names_the_key)
{
    fl_history *h = parse(PUT(0, "x", "a") GET(0, "x", "a") PUT(1, "y", "b") GET(2, "y", ""));
    fl_lin_result r;
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_KV, NULL, &r), 0);
    ck_assert_int_eq(r.verdict, FL_LIN_VIOLATION);
    size_t len;
    const char *k = fl_history_str(h, (uint32_t)r.key, &len);
    ck_assert_int_eq((int)len, 1);
    ck_assert_int_eq(k[0], 'y');
    ck_assert_int_eq(r.checked, 1); /* x was fine */
    ck_assert_int_eq(r.culprit, 3);
    ck_assert_ptr_nonnull(strstr(r.detail, "key \"y\""));
    fl_lin_result_close(&r);
    fl_history_free(h);
}
END_TEST

START_TEST(test_lin_kv_appends_concatenate)
{
    const char *both = KINV(0, "append", "x", "\"a\"") KINV(1, "append", "x", "\"b\"")
        KDONE(0, "ok", "append", "x", "\"a\"") KDONE(1, "ok", "append", "x", "\"b\"");
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", both, GET(2, "x", "ba"));
    ck_assert_int_eq(verdict(buf, FL_LIN_KV), FL_LIN_OK);
    snprintf(buf, sizeof buf, "%s%s", both, GET(2, "x", "ab"));
    ck_assert_int_eq(verdict(buf, FL_LIN_KV), FL_LIN_OK);
    snprintf(buf, sizeof buf, "%s%s", both, GET(2, "x", "a"));
    ck_assert_int_eq(verdict(buf, FL_LIN_KV), FL_LIN_VIOLATION);
    ck_assert_int_eq(verdict(PUT(0, "x", "p") APP(0, "x", "q") GET(1, "x", "pq"), FL_LIN_KV),
                     FL_LIN_OK);
    ck_assert_int_eq(verdict(APP(0, "x", "q") PUT(0, "x", "p") GET(1, "x", "pq"), FL_LIN_KV),
                     FL_LIN_VIOLATION);
    /* an info append may have happened */
    ck_assert_int_eq(verdict(KINV(0, "append", "x", "\"q\"")
                                 KDONE(0, "info", "append", "x", "\"q\"") GET(1, "x", "q")
                                     GET(1, "x", "q"),
                             FL_LIN_KV),
                     FL_LIN_OK);
}
END_TEST

START_TEST(test_lin_report_names_prefix_and_culprit)
{
    /* ops: 0 write 1, 1 write 2, 2 read -> 1 (stale: completes at event 5) */
    fl_history *h = parse(W(0, 1) W(1, 2) R(2, 1));
    fl_lin_result r;
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, NULL, &r), 0);
    ck_assert_int_eq(r.verdict, FL_LIN_VIOLATION);
    ck_assert_int_eq(r.key, -1);
    ck_assert_int_eq(r.culprit, 2);
    ck_assert_int_eq(r.culprit_complete_index, 5);
    ck_assert_int_eq((int)r.prefix_len, 2);
    ck_assert_int_eq((int)r.prefix[0], 0);
    ck_assert_int_eq((int)r.prefix[1], 1);
    ck_assert_int_eq((int)r.concurrent_len, 0);
    ck_assert_ptr_nonnull(strstr(r.detail, "op 2 (process 2: read -> 1"));
    fl_lin_result_close(&r);
    fl_history_free(h);
}
END_TEST

/* Many concurrent writes and reads of distinct values: lots of orders to try. */
static fl_history *wide_history(int procs, int rounds, int stale)
{
    fl_history *h = fl_history_new();
    size_t op[16];
    for (int r = 0; r < rounds; r++) {
        for (int p = 0; p < procs; p++)
            ck_assert_int_eq(fl_history_invoke_reg(h, p, p % 2 ? FL_F_READ : FL_F_WRITE,
                                                   r * procs + p, 0, &op[p]),
                             0);
        for (int p = 0; p < procs; p++)
            ck_assert_int_eq(fl_history_complete_reg(h, op[p], FL_DONE_OK, 0,
                                                     p % 2 ? r * procs + (p + 1) % procs : 0),
                             0);
    }
    size_t x;
    ck_assert_int_eq(fl_history_invoke_reg(h, 0, FL_F_READ, 0, 0, &x), 0);
    ck_assert_int_eq(fl_history_complete_reg(h, x, FL_DONE_OK, 0, stale ? -5 : rounds * procs - 2),
                     0);
    return h;
}

START_TEST(test_lin_budget_gives_unknown_deterministically)
{
    fl_history *h = wide_history(8, 40, 1);
    fl_lin_budget b = {.max_states = 50};
    fl_lin_result r1, r2;
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, &b, &r1), 0);
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, &b, &r2), 0);
    ck_assert_int_eq(r1.verdict, FL_LIN_UNKNOWN);
    ck_assert_int_eq(r2.verdict, FL_LIN_UNKNOWN);
    ck_assert_uint_eq(r1.states, r2.states);
    ck_assert_str_eq(r1.detail, r2.detail);
    ck_assert_ptr_nonnull(strstr(r1.detail, "budget of search states"));
    fl_lin_result_close(&r1);
    fl_lin_result_close(&r2);
    /* with the default budget the same history gets a verdict, twice the same */
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, NULL, &r1), 0);
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, NULL, &r2), 0);
    ck_assert_int_eq(r1.verdict, FL_LIN_VIOLATION);
    ck_assert_uint_eq(r1.states, r2.states);
    ck_assert_int_eq((int)r1.prefix_len, (int)r2.prefix_len);
    ck_assert_int_eq(memcmp(r1.prefix, r2.prefix, r1.prefix_len * sizeof *r1.prefix), 0);
    fl_lin_result_close(&r1);
    fl_lin_result_close(&r2);
    fl_history_free(h);
}
END_TEST

START_TEST(test_lin_memory_limit_gives_unknown)
{
    fl_history *h = wide_history(8, 40, 0);
    fl_lin_budget b = {.max_bytes = 4096};
    fl_lin_result r;
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, &b, &r), 0);
    ck_assert_int_eq(r.verdict, FL_LIN_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(r.detail, "memory"));
    fl_lin_result_close(&r);
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, NULL, &r), 0);
    ck_assert_int_eq(r.verdict, FL_LIN_OK);
    fl_lin_result_close(&r);
    fl_history_free(h);
}
END_TEST

START_TEST(test_lin_model_must_match_history)
{
    fl_history *h = parse(W(0, 1));
    fl_lin_result r;
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_KV, NULL, &r), FL_EINVAL);
    ck_assert_ptr_nonnull(strstr(r.detail, "register"));
    ck_assert_int_eq(fl_lin_check(h, 17, NULL, &r), FL_EINVAL);
    fl_history_free(h);
    h = fl_history_new();
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_REGISTER, NULL, &r), 0); /* empty: trivially */
    ck_assert_int_eq(r.verdict, FL_LIN_OK);
    fl_history_free(h);
}
END_TEST

START_TEST(test_lin_builder_enforces_one_op_per_process)
{
    fl_history *h = fl_history_new();
    size_t a, b;
    ck_assert_int_eq(fl_history_invoke_kv(h, 1, FL_F_PUT, "k", 1, "v", 1, &a), 0);
    ck_assert_int_eq(fl_history_invoke_kv(h, 1, FL_F_GET, "k", 1, NULL, 0, &b), FL_EINVAL);
    ck_assert_int_eq(fl_history_invoke_reg(h, 2, FL_F_READ, 0, 0, &b), FL_EINVAL); /* kv only */
    ck_assert_int_eq(fl_history_complete_kv(h, a, FL_DONE_OK, NULL, 0), 0);
    ck_assert_int_eq(fl_history_complete_kv(h, a, FL_DONE_OK, NULL, 0), FL_EINVAL); /* twice */
    ck_assert_int_eq(fl_history_invoke_kv(h, 1, FL_F_GET, "k", 1, NULL, 0, &b), 0);
    ck_assert_int_eq(fl_history_complete_kv(h, b, FL_DONE_OK, "v", 1), 0);
    ck_assert_int_eq((int)fl_history_op(h, 1)->invoke_index, 2);
    ck_assert_int_eq((int)fl_history_op(h, 1)->complete_index, 3);
    fl_lin_result r;
    ck_assert_int_eq(fl_lin_check(h, FL_LIN_KV, NULL, &r), 0);
    ck_assert_int_eq(r.verdict, FL_LIN_OK);
    fl_history_free(h);
}
END_TEST

/* Each bad input and the message it must give (line number included). */
static const struct {
    const char *text, *err;
} bad_inputs[] = {
    {"", "t: empty file"},
    {"\n  \n", "t: empty file"},
    {"{\"process\":0", "t:1: not JSON"},
    {"hello", "t:1: not JSON"},
    {W(0, 1) "{} x", "t:3: trailing characters after the JSON at column 4"},
    {"[1]", "t:1: expected a JSON object"},
    {INV(0, "frob", "1"), "t:1: unknown f \"frob\""},
    {"{\"process\":0,\"type\":\"done\",\"f\":\"read\",\"value\":null}", "t:1: unknown type"},
    {W(0, 1) DONE(3, "ok", "read", "1"), "t:3: completion without an invocation (process 3)"},
    {INV(0, "read", "null") INV(0, "read", "null"),
     "t:2: second invocation by process 0, which has one outstanding"},
    {INV(0, "read", "null") DONE(0, "ok", "write", "1"), "t:2: completion f \"write\" differs"},
    {INV(0, "write", "\"a\""), "t:1: value: write expects an integer"},
    {INV(0, "write", "1.5"), "t:1: value: write expects an integer"},
    {INV(0, "cas", "[1]"), "t:1: value: cas expects [expected, new]"},
    {INV(0, "write", "1") DONE(0, "ok", "write", "2"), "t:2: value: a write's completion"},
    {"{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}", "t:1: missing key \"value\""},
    {"{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"colour\":1}",
     "t:1: unknown key \"colour\""},
    {"{\"process\":0,\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}",
     "t:1: duplicate key \"process\""},
    {"{\"process\":-1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}", "t:1: process:"},
    {INV(0, "get", "null"), "t:1: missing key \"key\""},
    {KINV(0, "read", "x", "null"), "t:1: key: register operations (read) have no key"},
    {W(0, 1) KINV(1, "get", "x", "null"), "t:3: get operation in a register history"},
    {"{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":[[[[[1]]]]]}",
     "t:1: nested deeper than 4 levels"},
    {"{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"a\tb\",\"value\":\"\"}",
     "t:1: control character 0x09"},
    {"{\"process\":0,\"type\":\"invoke\",\"f\":\"put\",\"key\":\"a\\u0000\",\"value\":\"\"}",
     "t:1: NUL character"},
    {"\x01", "t:1: control character 0x01"},
};

START_TEST(test_lin_reader_errors_name_the_line)
{
    for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
        fl_history *h = fl_history_new();
        char err[256] = "";
        int rc = fl_history_parse_jsonl(h, bad_inputs[i].text, strlen(bad_inputs[i].text), "t", err,
                                        sizeof err);
        ck_assert_msg(rc == FL_EPARSE, "case %zu: rc %d (%s)", i, rc, err);
        ck_assert_msg(strncmp(err, bad_inputs[i].err, strlen(bad_inputs[i].err)) == 0,
                      "case %zu: got '%s', want '%s...'", i, err, bad_inputs[i].err);
        fl_history_free(h);
    }
}
END_TEST

START_TEST(test_lin_reader_accepts_time_and_blank_lines)
{
    fl_history *h = parse("\n{\"process\":4,\"type\":\"invoke\",\"f\":\"write\",\"value\":2,"
                          "\"time\":100}\r\n\n" DONE(4, "ok", "write", "2"));
    ck_assert_int_eq((int)fl_history_len(h), 1);
    ck_assert_int_eq((int)fl_history_op(h, 0)->invoke_ns, 100);
    ck_assert_int_eq((int)fl_history_op(h, 0)->complete_ns, -1);
    fl_history_free(h);
}
END_TEST

static Suite *lin_suite(void)
{
    Suite *s = suite_create("lin");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lin_sequential_register_is_linearizable);
    tcase_add_test(tc, test_lin_stale_read_is_a_violation);
    tcase_add_test(tc, test_lin_concurrent_read_may_see_either_value);
    tcase_add_test(tc, test_lin_lost_write_is_a_violation);
    tcase_add_test(tc, test_lin_failed_write_did_not_happen);
    tcase_add_test(tc, test_lin_cas_ok_needs_the_expected_value);
    tcase_add_test(tc, test_lin_cas_fail_is_a_definite_answer);
    tcase_add_test(tc, test_lin_info_write_may_or_may_not_take_effect);
    tcase_add_test(tc, test_lin_never_completed_is_like_info);
    tcase_add_test(tc, test_lin_info_read_constrains_nothing);
    tcase_add_test(tc, test_lin_kv_keys_are_independent);
    tcase_add_test(tc, test_lin_kv_violation_names_the_key);
    tcase_add_test(tc, test_lin_kv_appends_concatenate);
    tcase_add_test(tc, test_lin_report_names_prefix_and_culprit);
    tcase_add_test(tc, test_lin_budget_gives_unknown_deterministically);
    tcase_add_test(tc, test_lin_memory_limit_gives_unknown);
    tcase_add_test(tc, test_lin_model_must_match_history);
    tcase_add_test(tc, test_lin_builder_enforces_one_op_per_process);
    tcase_add_test(tc, test_lin_reader_errors_name_the_line);
    tcase_add_test(tc, test_lin_reader_accepts_time_and_blank_lines);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(lin_suite)
