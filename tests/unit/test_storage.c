/*
 * test_storage.c -- the database: a faultline file is created and migrated, foreign
 * files are refused without being touched, sweeps resume, views and reads work
 * read-only, and processes share one file.  The recorder's own tests are
 * test_recorder.c.
 *
 * Runs are synthetic: the tests call the hook functions directly with made-up steps
 * and messages, so no world is needed.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/world.h"
#include "storage/db.h"
#include "storage/recorder.h"
#include "tests/unit/rec_fixture.h"
#include "tests/unit/storage_fixture.h"
#include "check_main.h"

/* ---- opening ---- */

START_TEST(test_db_create_makes_the_current_schema)
{
    fl_db *db = create_db();
    ck_assert_str_eq(text(db, "SELECT group_concat(key || '=' || value, ' ') FROM"
                              " (SELECT * FROM meta ORDER BY key)"),
                     "app=faultline faultline_version=" FL_VERSION " schema_version=4");
    /* journal_mode is not a read-only pragma (it may switch): ask SQLite directly. */
    ck_assert_str_eq(raw("PRAGMA journal_mode"), "wal");
    ck_assert_int_eq(scalar(db, "PRAGMA application_id"), FL_DB_APP_ID);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
                                " name IN ('scenarios', 'sweeps', 'runs', 'events', 'messages',"
                                " 'snapshots', 'faults', 'logs', 'metrics', 'meta')"),
                     10);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view'"), 3);
    fl_db_close(db);
}
END_TEST

START_TEST(test_db_empty_file_becomes_database)
{
    fclose(fopen(path, "wb"));
    fl_db *db = create_db();
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs"), 0);
    fl_db_close(db);
}
END_TEST

START_TEST(test_db_readonly_missing_is_enotfound)
{
    fl_db *db = (fl_db *)1;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), FL_ENOTFOUND);
    ck_assert(db == NULL && strstr(err, "x.db") != NULL && !exists(""));
}
END_TEST

START_TEST(test_db_non_sqlite_file_refused_untouched)
{
    static const int flags[] = {FL_DB_CREATE, FL_DB_READONLY};
    FILE *f = fopen(path, "wb");
    fputs("hello", f);
    fclose(f);
    uint64_t before = file_hash();
    for (int i = 0; i < 2; i++) {
        fl_db *db;
        ck_assert_int_eq(fl_db_open(&db, path, flags[i], err, sizeof err), FL_ESCHEMA);
        ck_assert_msg(strstr(err, "x.db: not a faultline database") != NULL, "%s", err);
        ck_assert(file_hash() == before);
        ck_assert(!exists("-wal") && !exists("-shm") && !exists("-journal"));
    }
}
END_TEST

START_TEST(test_db_foreign_sqlite_refused_untouched)
{
    raw("CREATE TABLE t(x)");
    raw("CREATE TABLE meta(key, value)");
    uint64_t before = file_hash();
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err), FL_ESCHEMA);
    ck_assert_msg(strstr(err, "not a faultline database") != NULL, "%s", err);
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), FL_ESCHEMA);
    ck_assert(file_hash() == before);
    ck_assert(!exists("-wal") && !exists("-shm"));
}
END_TEST

START_TEST(test_db_newer_schema_refused)
{
    fl_db_close(create_db());
    raw("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err), FL_ESCHEMA);
    ck_assert_msg(strstr(err, "schema version 99 is newer") != NULL, "%s", err);
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), FL_ESCHEMA);
}
END_TEST

START_TEST(test_db_readonly_close_leaves_no_wal)
{
    fl_db_close(create_db());
    fl_db *db;
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), 0);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs"), 0);
    fl_db_close(db);
    ck_assert(!exists("-wal") && !exists("-shm"));
}
END_TEST

/* ---- scenarios and sweeps ---- */

START_TEST(test_scenario_id_dedups_by_json)
{
    fl_db *db = create_db();
    int64_t a, b, c;
    ck_assert_int_eq(fl_db_scenario_id(db, "a", "{\"nodes\":3}", &a, err, sizeof err), 0);
    ck_assert_int_eq(fl_db_scenario_id(db, "a", "{\"nodes\":3}", &b, err, sizeof err), 0);
    ck_assert_int_eq(fl_db_scenario_id(db, "a", "{\"nodes\":5}", &c, err, sizeof err), 0);
    ck_assert_int_eq(a, b);
    ck_assert_int_ne(a, c);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM scenarios WHERE length(hash) = 16"), 2);
    fl_db_close(db);
}
END_TEST

/* Seeds as decimal digits, in the order they come: 2, 3 -> 23. */
static void collect_seed(void *ctx, uint64_t seed)
{
    *(uint64_t *)ctx = *(uint64_t *)ctx * 10 + seed;
}

START_TEST(test_sweep_open_resumes_same_range)
{
    fl_db *db = create_db();
    int64_t sc = scenario(db), s1, s2, s3;
    int resumed = -1;
    ck_assert_int_eq(fl_db_sweep_open(db, sc, 1, 100, NULL, 4, &s1, &resumed, err, sizeof err), 0);
    ck_assert_int_eq(resumed, 0);
    ck_assert_int_eq(fl_db_sweep_status(db, s1, "interrupted", err, sizeof err), 0);
    ck_assert_int_eq(fl_db_sweep_open(db, sc, 1, 100, NULL, 8, &s2, &resumed, err, sizeof err), 0);
    ck_assert_int_eq(resumed, 1);
    ck_assert_int_eq(s1, s2);
    ck_assert_str_eq(text(db, "SELECT status || '/' || jobs FROM sweeps"), "running/8");
    ck_assert_int_eq(fl_db_sweep_open(db, sc, 1, 100, "1/2", 8, &s3, &resumed, err, sizeof err), 0);
    ck_assert_int_eq(resumed, 0);
    ck_assert_int_eq(fl_db_sweep_status(db, s1, "bogus", err, sizeof err), FL_EINVAL);
    fx_run_meta meta = {.sweep_id = s1, .scenario_id = sc, .origin = FL_ORIGIN_SWEEP};
    fl_run_result res = result(FL_OUTCOME_OK, 3);
    for (uint64_t seed = 3; seed >= 2; seed--) {
        fl_recorder *r;
        meta.seed = seed;
        ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_NONE, &r, err, sizeof err), 0);
        ck_assert_int_eq(fx_rec_end(r, &res, NULL, err, sizeof err), 0);
        fl_recorder_free(r);
    }
    uint64_t seeds = 0;
    ck_assert_int_eq(fl_db_sweep_seeds_done(db, sc, collect_seed, &seeds, err, sizeof err), 0);
    ck_assert_uint_eq(seeds, 23);
    fl_db_close(db);
}
END_TEST

START_TEST(test_views_work_after_reopen_readonly)
{
    fl_db *db = create_db();
    record(db, FL_RECORD_ALL, FL_OUTCOME_OK, 1, 30);
    record(db, FL_RECORD_NONE, FL_OUTCOME_VIOLATION, 2, 30);
    record(db, FL_RECORD_NONE, FL_OUTCOME_LIVENESS, 3, 30);
    record(db, FL_RECORD_NONE, FL_OUTCOME_OK, 4, 30);
    fl_db_close(db);
    ck_assert_int_eq(fl_db_open(&db, path, FL_DB_READONLY, err, sizeof err), 0);
    ck_assert_str_eq(text(db, "SELECT (SELECT count(*) FROM failing_runs) || ' ' ||"
                              " group_concat(outcome || '=' || n, ' ') FROM"
                              " (SELECT * FROM outcome_counts ORDER BY outcome)"),
                     "2 liveness=1 ok=2 violation=1");
    /* Node 1 acts at steps 0, 3, 6, ...; it is leader from step 5: 6, 9, ..., 27. */
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM leaders WHERE run_id = 1 AND node = 1"), 8);
    ck_assert_int_eq(scalar(db, "SELECT max(term) FROM leaders"), 2);
    fl_recorder *r;
    fx_run_meta meta = {.scenario_id = 1, .seed = 5};
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err), FL_EINVAL);
    fl_db_close(db);
}
END_TEST

/* Processes of one sweep open the same new file and record at once: one creates it,
 * every run lands whole. */
START_TEST(test_rec_concurrent_processes_share_one_file)
{
    enum { PROCS = 4, RUNS = 6 };
    for (int i = 0; i < PROCS; i++) {
        if (fork() == 0) {
            fl_db *db;
            int bad = fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err) != 0;
            for (int k = 0; !bad && k < RUNS; k++)
                bad = record(db, k % 2, FL_OUTCOME_OK, (uint64_t)(i * 100 + k), 50) <= 0;
            if (bad)
                fprintf(stderr, "process %d: %s\n", i, err);
            else
                fl_db_close(db);
            _exit(bad);
        }
    }
    int status, failed = 0;
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    ck_assert_int_eq(failed, 0);
    fl_db *db = create_db();
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs"), PROCS * RUNS);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM events"), PROCS * RUNS / 2 * 50);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs r WHERE recorded = 'all' AND"
                                " steps <> (SELECT count(*) FROM events WHERE run_id = r.id)"),
                     0);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM scenarios"), 1);
    fl_db_close(db);
}
END_TEST

static Suite *storage_suite(void)
{
    Suite *s = suite_create("storage");
    TCase *tc = tcase_create("db");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_db_create_makes_the_current_schema);
    tcase_add_test(tc, test_db_empty_file_becomes_database);
    tcase_add_test(tc, test_db_readonly_missing_is_enotfound);
    tcase_add_test(tc, test_db_non_sqlite_file_refused_untouched);
    tcase_add_test(tc, test_db_foreign_sqlite_refused_untouched);
    tcase_add_test(tc, test_db_newer_schema_refused);
    tcase_add_test(tc, test_db_readonly_close_leaves_no_wal);
    tcase_add_test(tc, test_scenario_id_dedups_by_json);
    tcase_add_test(tc, test_sweep_open_resumes_same_range);
    tcase_add_test(tc, test_views_work_after_reopen_readonly);
    tcase_add_test(tc, test_rec_concurrent_processes_share_one_file);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(storage_suite)
