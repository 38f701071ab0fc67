/* test_jsonout.c -- the fast JSON printer agrees with cJSON where it matters. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonout.h"
#include "check_main.h"

/* Print with both printers and compare the texts. */
static void same_as_cjson(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    ck_assert_ptr_nonnull(j);
    char *ours = fl_json_print(j), *theirs = cJSON_PrintUnformatted(j);
    ck_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    cJSON_Delete(j);
}

START_TEST(test_jsonout_matches_cjson_on_integers_strings_and_nesting)
{
    same_as_cjson("{\"role\":\"leader\",\"term\":10,\"vote\":-1,\"log\":[{\"term\":1,\"index\":1,"
                  "\"type\":\"conf\",\"data\":\"\"}],\"ok\":true,\"no\":false,\"none\":null}");
    same_as_cjson("[0,1,-12345,123456789012,[],{}]");
    same_as_cjson("{\"s\":\"quote \\\" backslash \\\\ newline \\n tab \\t ctl \\u0001\"}");
}
END_TEST

START_TEST(test_jsonout_prints_large_integers_exactly)
{
    /* cJSON itself prints these as 9.00719925474099e+15, losing digits */
    cJSON *j = cJSON_Parse("[9007199254740991,-9007199254740991,-0]");
    char *text = fl_json_print(j);
    ck_assert_str_eq(text, "[9007199254740991,-9007199254740991,0]");
    free(text);
    cJSON_Delete(j);
}
END_TEST

START_TEST(test_jsonout_fractions_round_trip)
{
    cJSON *j = cJSON_Parse("[0.1,1.5,-2.25,1e300,3.141592653589793]");
    char *text = fl_json_print(j);
    cJSON *back = cJSON_Parse(text);
    ck_assert_ptr_nonnull(back);
    for (int i = 0; i < cJSON_GetArraySize(j); i++)
        ck_assert(cJSON_GetArrayItem(j, i)->valuedouble ==
                  cJSON_GetArrayItem(back, i)->valuedouble);
    free(text);
    cJSON_Delete(j);
    cJSON_Delete(back);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsonout");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_jsonout_matches_cjson_on_integers_strings_and_nesting);
    tcase_add_test(tc, test_jsonout_prints_large_integers_exactly);
    tcase_add_test(tc, test_jsonout_fractions_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
