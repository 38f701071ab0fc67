/*
 * test_query.c -- `faultline query` output: the aligned table, RFC 4180 CSV, and JSON
 * that keeps SQLite's types and parses back; and underneath, fl_db_query and cursors,
 * which run one read-only statement and nothing else.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "results/query.h"
#include "storage/db.h"
#include "storage/recorder.h"
#include "tests/unit/rec_fixture.h"
#include "check_main.h"

static char dir[64];
static char path[128];
static char err[512];
static fl_db *db;

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/fl_test_query_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/q.db", dir);
    err[0] = '\0';
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err), 0);
}

static void teardown(void)
{
    fl_db_close(db);
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

/* Print sql in format into a string (malloc'd); *rc gets fl_query_print's result. */
static char *print(const char *sql, int format, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    *rc = fl_query_print(db, sql, format, out, err, sizeof err);
    fclose(out);
    return buf;
}

static void expect(const char *sql, int format, const char *want)
{
    int rc;
    char *got = print(sql, format, &rc);
    ck_assert_msg(rc == 0, "%s: %s", sql, err);
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- got ---\n%s--- want ---\n%s", sql, got, want);
    free(got);
}

/* ---- fl_db_query and cursors: read-only, typed ---- */

static int count_rows(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names, (void)v;
    ++*(int *)ctx;
    return 0;
}

START_TEST(test_query_refuses_write_sql)
{
    static const char *const bad[] = {
        "INSERT INTO scenarios(hash, name, json) VALUES ('h', 'n', '{}')",
        "DELETE FROM runs",
        "UPDATE meta SET value = 'x'",
        "CREATE TABLE t(x)",
        "DROP VIEW leaders",
        "ATTACH DATABASE 'other.db' AS o",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA user_version = 7",
        "BEGIN",
        "SELECT 1; DELETE FROM runs",
        "VACUUM",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = 0;
        int rc = fl_db_query(db, bad[i], count_rows, &n, err, sizeof err);
        ck_assert_msg(rc == FL_EINVAL, "%s: rc %d", bad[i], rc);
        ck_assert_msg(strncmp(err, "query: ", 7) == 0, "%s: %s", bad[i], err);
    }
    int n = 0;
    ck_assert_int_eq(fl_db_query(db, "DELETE FROM runs", count_rows, &n, err, sizeof err),
                     FL_EINVAL);
    ck_assert_str_eq(err, "query: only read-only SQL is allowed");
    n = 0;
    ck_assert_int_eq(fl_db_query(db, "SELECT * FROM meta", count_rows, &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 3); /* nothing was deleted */
    struct stat st;
    ck_assert_int_ne(stat("other.db", &st), 0);
}
END_TEST

/* serve (issue 18): what the web UI's SQL box relies on. */
START_TEST(test_query_time_limit_stops_a_runaway_cte)
{
    static const char runaway[] = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
                                  " SELECT count(*) FROM c";
    fl_db_set_time_limit(db, 100);
    ck_assert_int_eq(fl_db_time_limit(db), 100);
    int n = 0;
    ck_assert_int_eq(fl_db_query(db, runaway, count_rows, &n, err, sizeof err), FL_ELIMIT);
    ck_assert_str_eq(err, "query: stopped after the time limit of 100 ms");
    /* the connection is fine afterwards, and a short statement is not stopped */
    ck_assert_int_eq(fl_db_query(db, "SELECT count(*) FROM meta", count_rows, &n, err, sizeof err),
                     0);
    ck_assert_int_eq(n, 1);
    fl_db_set_time_limit(db, 0);
    ck_assert_int_eq(fl_db_time_limit(db), 0);
}
END_TEST

START_TEST(test_query_authorizer_denies_loading_code_and_temp_writes)
{
    static const char *const bad[] = {
        "SELECT load_extension('/tmp/nothing.so')",
        "CREATE TEMP TABLE t(x)",
        "CREATE TEMP VIEW v AS SELECT 1",
        "PRAGMA writable_schema = 1",
        "PRAGMA query_only = 0",
        "REINDEX",
        "ANALYZE",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int n = 0;
        int rc = fl_db_query(db, bad[i], count_rows, &n, err, sizeof err);
        ck_assert_msg(rc == FL_EINVAL, "%s: rc %d", bad[i], rc);
        ck_assert_msg(strcmp(err, "query: only read-only SQL is allowed") == 0, "%s: %s", bad[i],
                      err);
    }
    /* a table-valued function sets itself up with what looks like a schema update */
    int n = 0;
    ck_assert_int_eq(
        fl_db_query(db, "SELECT value FROM json_each('[1,2,3]')", count_rows, &n, err, sizeof err),
        0);
    ck_assert_int_eq(n, 3);
}
END_TEST

START_TEST(test_query_allows_reading_pragmas_and_trailing_semicolon)
{
    int n = 0;
    ck_assert_int_eq(fl_db_query(db, "PRAGMA table_info(runs)", count_rows, &n, err, sizeof err),
                     0);
    ck_assert_int_eq(n, 24); /* v2: origin, parent_run; v3: recorded_at, digest_epoch */
    n = 0;
    ck_assert_int_eq(fl_db_query(db, "SELECT 1; -- done\n", count_rows, &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(fl_db_query(db, "SELEC 1", count_rows, &n, err, sizeof err), FL_EINVAL);
    ck_assert_msg(strstr(err, "syntax error") != NULL, "%s", err);
}
END_TEST

static int stop_at_two(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names, (void)v;
    return ++*(int *)ctx == 2 ? 7 : 0;
}

START_TEST(test_query_callback_can_stop)
{
    int n = 0;
    ck_assert_int_eq(fl_db_query(db,
                                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1"
                                 " FROM c WHERE x < 10) SELECT x FROM c",
                                 stop_at_two, &n, err, sizeof err),
                     7);
    ck_assert_int_eq(n, 2);
}
END_TEST

START_TEST(test_cursor_gives_typed_values_and_binds)
{
    fl_db_cursor *c;
    ck_assert_int_eq(
        fl_db_cursor_open(db, "SELECT ?1 AS i, 2.5 AS r, ?2 AS t, NULL AS n", &c, err, sizeof err),
        0);
    ck_assert_int_eq(fl_db_cursor_bind_int(c, 1, INT64_C(9007199254740993)), 0);
    ck_assert_int_eq(fl_db_cursor_bind_text(c, 2, "hi"), 0);
    ck_assert_int_eq(fl_db_cursor_ncols(c), 4);
    ck_assert_str_eq(fl_db_cursor_name(c, 2), "t");
    ck_assert_int_eq(fl_db_cursor_next(c, err, sizeof err), 1);
    ck_assert_int_eq(fl_db_cursor_type(c, 0), FL_DB_INTEGER);
    ck_assert(fl_db_cursor_int(c, 0) == INT64_C(9007199254740993));
    ck_assert_int_eq(fl_db_cursor_type(c, 1), FL_DB_REAL);
    ck_assert(fl_db_cursor_real(c, 1) == 2.5);
    ck_assert_int_eq(fl_db_cursor_type(c, 2), FL_DB_TEXT);
    ck_assert_str_eq(fl_db_cursor_text(c, 2), "hi");
    ck_assert_int_eq(fl_db_cursor_type(c, 3), FL_DB_NULL);
    ck_assert_ptr_null(fl_db_cursor_text(c, 3));
    ck_assert_int_eq(fl_db_cursor_next(c, err, sizeof err), 0);
    ck_assert_int_eq(fl_db_cursor_next(c, err, sizeof err), 0);
    fl_db_cursor_close(c);
}
END_TEST

/* ---- printing ---- */

START_TEST(test_query_table_aligns_columns)
{
    expect("SELECT 1 AS id, 'ab' AS name, NULL AS x UNION ALL SELECT 100, 'c,d', 2.5", FL_FMT_TABLE,
           " id  name    x\n"
           "---  ----  ---\n"
           "  1  ab\n"
           "100  c,d   2.5\n"
           "(2 rows)\n");
}
END_TEST

START_TEST(test_query_table_counts_one_and_zero_rows)
{
    expect("SELECT 'only' AS word", FL_FMT_TABLE, "word\n----\nonly\n(1 row)\n");
    expect("SELECT outcome, n FROM outcome_counts", FL_FMT_TABLE,
           "outcome  n\n-------  -\n(0 rows)\n");
}
END_TEST

START_TEST(test_query_table_keeps_rows_on_one_line)
{
    expect("SELECT 'a' || char(10) || 'b' || char(9) || 'c' AS v, 'é' AS w, 'x' AS y", FL_FMT_TABLE,
           "v        w  y\n-------  -  -\na\\nb\\tc  é  x\n(1 row)\n");
}
END_TEST

START_TEST(test_query_csv_quotes_rfc4180)
{
    expect("SELECT 1 AS n, 'plain' AS a, 'x,y' AS b, 'say \"hi\"' AS c,"
           " 'two' || char(10) || 'lines' AS d, '' AS e, NULL AS f, 0.5 AS g",
           FL_FMT_CSV,
           "n,a,b,c,d,e,f,g\n"
           "1,plain,\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"\",,0.5\n");
}
END_TEST

START_TEST(test_query_csv_quotes_header_names)
{
    expect("SELECT 1 AS \"a,b\"", FL_FMT_CSV, "\"a,b\"\n1\n");
}
END_TEST

START_TEST(test_query_json_parses_back_with_types)
{
    int rc;
    char *text = print("SELECT 9007199254740993 AS big, -2 AS neg, 2.5 AS r,"
                       " 'say \"hi\"' AS s, NULL AS z, x'00ff' AS b"
                       " UNION ALL SELECT 1, 2, 3.0, '', NULL, NULL",
                       FL_FMT_JSON, &rc);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_ptr_nonnull(strstr(text, "\"big\":9007199254740993"));
    cJSON *arr = cJSON_Parse(text);
    ck_assert_ptr_nonnull(arr);
    ck_assert(cJSON_IsArray(arr));
    ck_assert_int_eq(cJSON_GetArraySize(arr), 2);
    cJSON *row = cJSON_GetArrayItem(arr, 0);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row, "big")));
    ck_assert(cJSON_GetObjectItemCaseSensitive(row, "neg")->valuedouble == -2);
    ck_assert(cJSON_GetObjectItemCaseSensitive(row, "r")->valuedouble == 2.5);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(row, "s")->valuestring, "say \"hi\"");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "z")));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(row, "b")->valuestring, "00ff");
    row = cJSON_GetArrayItem(arr, 1);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(row, "s")->valuestring, "");
    cJSON_Delete(arr);
    free(text);
}
END_TEST

START_TEST(test_query_json_empty_result_is_empty_array)
{
    expect("SELECT * FROM runs", FL_FMT_JSON, "[]\n");
    expect("SELECT 1 AS a UNION ALL SELECT 2", FL_FMT_JSON, "[\n{\"a\":1},\n{\"a\":2}\n]\n");
}
END_TEST

START_TEST(test_query_print_refuses_write_sql)
{
    int rc;
    char *text = print("DELETE FROM meta", FL_FMT_TABLE, &rc);
    ck_assert_int_eq(rc, FL_EINVAL);
    ck_assert_str_eq(err, "query: only read-only SQL is allowed");
    ck_assert_str_eq(text, "");
    free(text);
    text = print("SELECT 1", 7, &rc);
    ck_assert_int_eq(rc, FL_EINVAL);
    free(text);
}
END_TEST

START_TEST(test_query_format_names_parse)
{
    ck_assert_int_eq(fl_query_format_parse("table"), FL_FMT_TABLE);
    ck_assert_int_eq(fl_query_format_parse("csv"), FL_FMT_CSV);
    ck_assert_int_eq(fl_query_format_parse("json"), FL_FMT_JSON);
    ck_assert_int_eq(fl_query_format_parse("xml"), -1);
    ck_assert_int_eq(fl_query_format_parse(NULL), -1);
}
END_TEST

/* ---- docs/sql.md: every cookbook query runs and finds rows ---- */

/* A fully recorded failing run: node 1 leads from step 5; one message per step,
 * delivered two steps later; fails at step 33. */
static void record_failing_run(int64_t scenario_id)
{
    fl_recorder *r;
    fx_hooks h;
    fx_run_meta meta = {.scenario_id = scenario_id, .seed = 3};
    char state[64];
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err), 0);
    fx_rec_hooks(r, &h);
    for (uint64_t s = 0; s < 40; s++) {
        int node = (int)(s % 3) + 1;
        fl_msg m = {.id = s + 1, .src = node, .dst = node % 3 + 1, .sent_step = s};
        h.on_send(h.ctx, &m, s % 2 ? "MsgApp term=1" : "MsgVote term=1");
        if (s >= 2) { /* the message of two steps ago arrives */
            m = (fl_msg){.id = s - 1, .src = 1, .dst = 2, .fate = FL_FATE_DELIVERED};
            h.on_fate(h.ctx, &m, s);
        }
        snprintf(state, sizeof state, "{\"role\":\"%s\",\"term\":%d}",
                 node == 1 && s >= 5 ? "leader" : "follower", (int)(s / 10));
        h.on_state(h.ctx, s, (int64_t)s * 1000, node, state);
        fl_rec_step info = {
            .step = s, .time_ns = (int64_t)s * 1000, .node = node, .msg_id = s, .detail = ""};
        h.on_step_end(h.ctx, &info);
    }
    for (uint64_t id = 39; id <= 40; id++) {
        fl_msg m = {.id = id, .src = 1, .dst = 2, .fate = FL_FATE_IN_FLIGHT};
        h.on_fate(h.ctx, &m, 39);
    }
    /* a client's write and read (the history table) */
    fl_record c = {.kind = FL_REC_CLIENT};
    c.u.client = (fl_rec_client){.op_id = 1,
                                 .process = 0,
                                 .type = FL_CEV_INVOKE,
                                 .f = "write",
                                 .value = "3",
                                 .node = 1,
                                 .invoke_step = 5,
                                 .invoke_ns = 5000,
                                 .complete_step = -1,
                                 .complete_ns = -1};
    fx_give(r, &c);
    c.u.client.type = FL_CEV_OK;
    c.u.client.complete_step = 9;
    c.u.client.complete_ns = 9000;
    fx_give(r, &c);
    fx_rec_metric(r, "raft.first_leader_ns", 5000);
    fl_run_result res = {.outcome = FL_OUTCOME_VIOLATION,
                         .check = "election_safety",
                         .fail_step = 33,
                         .fail_time_ns = 33000,
                         .steps = 40,
                         .digest = "00000000000000aa"};
    ck_assert_int_eq(fx_rec_end(r, &res, NULL, err, sizeof err), 0);
    fl_recorder_free(r);
}

/* docs/sql.md: under $FL_SOURCE_DIR if set, else found from this file's path (CMake
 * compiles it by absolute path).  The text lives in a static buffer. */
static char *read_cookbook(void)
{
    static char doc[1 << 16];
    char p[1024];
    const char *here = __FILE__, *cut = strstr(here, "tests/unit/");
    const char *root = getenv("FL_SOURCE_DIR");
    ck_assert_ptr_nonnull(cut);
    if (root != NULL)
        snprintf(p, sizeof p, "%s/docs/sql.md", root);
    else
        snprintf(p, sizeof p, "%.*sdocs/sql.md", (int)(cut - here), here);
    FILE *f = fopen(p, "r");
    ck_assert_msg(f != NULL, "%s: cannot open", p);
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    return doc;
}

START_TEST(test_docs_cookbook_queries_run)
{
    int64_t sc;
    fl_recorder *r;
    fx_run_meta meta = {.seed = 1};
    fl_run_result ok = {.outcome = FL_OUTCOME_OK,
                        .fail_step = -1,
                        .fail_time_ns = -1,
                        .digest = "0000000000000001"};
    ck_assert_int_eq(fl_db_scenario_id(db, "raft-3", "{}", &sc, err, sizeof err), 0);
    meta.scenario_id = sc;
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_NONE, &r, err, sizeof err), 0);
    fx_rec_metric(r, "raft.first_leader_ns", 7000);
    ck_assert_int_eq(fx_rec_end(r, &ok, NULL, err, sizeof err), 0);
    fl_recorder_free(r);
    record_failing_run(sc);
    char *p = read_cookbook();
    int blocks = 0;
    while ((p = strstr(p, "```sql\n")) != NULL) {
        char *end = strstr(p += 7, "```");
        ck_assert_ptr_nonnull(end);
        *end = '\0';
        int n = 0;
        int rc = fl_db_query(db, p, count_rows, &n, err, sizeof err);
        ck_assert_msg(rc == 0, "cookbook query %d: %s\n%s", blocks + 1, err, p);
        ck_assert_msg(n > 0, "cookbook query %d found no rows:\n%s", blocks + 1, p);
        blocks++;
        p = end + 3;
    }
    ck_assert_int_ge(blocks, 5);
}
END_TEST

static Suite *query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("print");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_query_refuses_write_sql);
    tcase_add_test(tc, test_query_time_limit_stops_a_runaway_cte);
    tcase_add_test(tc, test_query_authorizer_denies_loading_code_and_temp_writes);
    tcase_add_test(tc, test_query_allows_reading_pragmas_and_trailing_semicolon);
    tcase_add_test(tc, test_query_callback_can_stop);
    tcase_add_test(tc, test_cursor_gives_typed_values_and_binds);
    tcase_add_test(tc, test_query_table_aligns_columns);
    tcase_add_test(tc, test_query_table_counts_one_and_zero_rows);
    tcase_add_test(tc, test_query_table_keeps_rows_on_one_line);
    tcase_add_test(tc, test_query_csv_quotes_rfc4180);
    tcase_add_test(tc, test_query_csv_quotes_header_names);
    tcase_add_test(tc, test_query_json_parses_back_with_types);
    tcase_add_test(tc, test_query_json_empty_result_is_empty_array);
    tcase_add_test(tc, test_query_print_refuses_write_sql);
    tcase_add_test(tc, test_query_format_names_parse);
    tcase_add_test(tc, test_docs_cookbook_queries_run);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(query_suite)
