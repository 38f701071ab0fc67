/*
 * test_recorder.c -- the recorder: a run recorded through the hooks lands whole (one
 * event per step, every message with its fate, rows batched without losing any) or
 * not at all (an insert error or a recorder freed before its end rolls back), and
 * run ids follow each other.  Runs are synthetic: the tests call the hook functions
 * directly with made-up steps and messages, so no world is needed.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "storage/db.h"
#include "storage/recorder.h"
#include "tests/unit/rec_fixture.h"
#include "tests/unit/storage_fixture.h"
#include "check_main.h"

/* ---- the recorder ---- */

START_TEST(test_rec_all_writes_one_event_per_step)
{
    fl_db *db = create_db();
    int64_t id = record(db, FL_RECORD_ALL, FL_OUTCOME_OK, 42, 100);
    ck_assert_int_eq(id, 1);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM events WHERE run_id = 1"), 100);
    ck_assert_int_eq(scalar(db, "SELECT max(step) - min(step) + 1 FROM events"), 100);
    ck_assert_int_eq(scalar(db, "SELECT steps FROM runs WHERE id = 1"), 100);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM events WHERE kind <> 'deliver'"
                                " OR detail IS NOT NULL OR peer IS NOT NULL"),
                     0);
    ck_assert_str_eq(text(db, "SELECT printf('%016x', chain) FROM events WHERE step = 3"),
                     "0000000000000015");
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM snapshots"), 100);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM logs WHERE level = 'info'"), 100);
    fl_db_close(db);
}
END_TEST

START_TEST(test_rec_every_message_has_a_fate)
{
    fl_db *db = create_db();
    record(db, FL_RECORD_ALL, FL_OUTCOME_OK, 1, 50);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM messages"), 50);
    ck_assert_str_eq(text(db, "SELECT group_concat(fate || '=' || n) FROM (SELECT fate,"
                              " count(*) AS n FROM messages GROUP BY fate ORDER BY fate)"),
                     "delivered=48,in_flight=2");
    ck_assert_str_eq(text(db, "SELECT type || '|' || body || '|' || fate_step FROM messages"
                              " WHERE msg_id = 12"),
                     "MsgApp|MsgApp term=1 index=11|13");
    fl_db_close(db);
}
END_TEST

START_TEST(test_rec_runs_row_maps_none_to_null)
{
    fl_db *db = create_db();
    record(db, FL_RECORD_ALL, FL_OUTCOME_OK, UINT64_C(0xffffffffffffffff), 10);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM runs WHERE sweep_id IS NULL AND fail_step"
                                " IS NULL AND fail_time_ns IS NULL AND check_name IS NULL AND"
                                " detail IS NULL"),
                     1);
    ck_assert_int_eq(scalar(db, "SELECT seed FROM runs"), -1); /* the bit pattern is kept */
    ck_assert_str_eq(text(db, "SELECT outcome || ' ' || recorded || ' ' || digest FROM runs"),
                     "ok all 000000000000000a");
    ck_assert_str_eq(text(db, "SELECT schedule_json FROM runs"), "[]");
    ck_assert_str_eq(text(db, "SELECT version FROM runs"), FL_VERSION);
    fl_db_close(db);
}
END_TEST

START_TEST(test_rec_none_writes_runs_faults_metrics_only)
{
    fl_db *db = create_db();
    fl_recorder *r;
    fx_hooks h;
    fx_run_meta meta = {.scenario_id = scenario(db), .seed = 9};
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_NONE, &r, err, sizeof err), 0);
    fx_rec_hooks(r, &h);
    ck_assert(h.on_step_end == NULL && h.on_fate == NULL && h.want_states == 0);
    fx_rec_fault(r, 1, 5, "partition", NULL, 0);
    fx_rec_metric(r, "elections", 5); /* a run's registry gives each name once */
    fl_run_result res = result(FL_OUTCOME_VIOLATION, 10);
    int64_t id;
    ck_assert_int_eq(fx_rec_end(r, &res, &id, err, sizeof err), 0);
    fl_recorder_free(r);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM events"), 0);
    ck_assert_int_eq(scalar(db, "SELECT value FROM metrics WHERE name = 'elections'"), 5);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM faults WHERE spec IS NULL"), 1);
    ck_assert_str_eq(text(db, "SELECT recorded FROM runs"), "none");
    ck_assert_int_eq(scalar(db, "SELECT fail_step FROM failing_runs"), 7);
    fl_db_close(db);
}
END_TEST

START_TEST(test_rec_free_before_end_rolls_back)
{
    fl_db *db = create_db();
    fl_recorder *r;
    fx_hooks h;
    fx_run_meta meta = {.scenario_id = scenario(db), .seed = 3};
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err), 0);
    fx_rec_hooks(r, &h);
    fake_run(&h, 20);
    ck_assert_uint_eq(fl_recorder_rows(r), 80);
    fl_recorder_free(r);
    ck_assert_int_eq(scalar(db, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM"
                                " events) + (SELECT count(*) FROM messages)"),
                     0);
    /* The connection is usable again: the next run gets id 1. */
    ck_assert_int_eq(record(db, FL_RECORD_ALL, FL_OUTCOME_OK, 3, 5), 1);
    fl_db_close(db);
}
END_TEST

/* Rows go to the database REC_BATCH_ROWS (32) at a time, the rest at the end: every
 * count around a batch's edge keeps every row, its own text and its order. */
START_TEST(test_rec_batches_keep_every_row)
{
    static const uint64_t counts[] = {1, 31, 32, 33, 64, 65, 97};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        fl_db *db = create_db();
        fl_recorder *r;
        fx_hooks h;
        fx_run_meta meta = {.scenario_id = scenario(db), .seed = 3};
        ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err), 0);
        fx_rec_hooks(r, &h);
        uint64_t n = counts[c], chain_sum = 0;
        for (uint64_t i = 0; i < n; i++) {
            char detail[32];
            snprintf(detail, sizeof detail, "t%llu", (unsigned long long)i);
            fl_rec_step s = {.step = i, .kind = FL_STEP_TIMER, .node = 1, .detail = detail};
            s.chain = i * 1000003;
            chain_sum += s.chain;
            h.on_step_end(h.ctx, &s);
            memset(detail, 'x', sizeof detail - 1); /* the sink copied it */
        }
        fl_run_result res = result(FL_OUTCOME_OK, n);
        int64_t id;
        ck_assert_msg(fx_rec_end(r, &res, &id, err, sizeof err) == 0, "%s", err);
        fl_recorder_free(r);
        ck_assert_int_eq(scalar(db, "SELECT count(*) FROM events"), (int64_t)n);
        ck_assert_int_eq(scalar(db, "SELECT sum(chain) FROM events"), (int64_t)chain_sum);
        ck_assert_int_eq(scalar(db, "SELECT count(*) FROM events WHERE detail <> 't' || step"), 0);
        fl_db_close(db);
        teardown(); /* a fresh file for the next count */
        setup();
    }
}
END_TEST

/* A failing insert inside a full batch is reported at the run's end too. */
START_TEST(test_rec_batch_error_rolls_back)
{
    fl_db *db = create_db();
    fl_recorder *r;
    fx_hooks h;
    fx_run_meta meta = {.scenario_id = scenario(db), .seed = 3};
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err), 0);
    fx_rec_hooks(r, &h);
    for (uint64_t i = 0; i < 70; i++) {
        fl_rec_step s = {.step = i == 40 ? 39 : i, .kind = FL_STEP_TIMER, .node = 1, .detail = ""};
        h.on_step_end(h.ctx, &s);
    }
    fl_run_result res = result(FL_OUTCOME_OK, 70);
    int64_t id = -5;
    ck_assert_int_eq(fx_rec_end(r, &res, &id, err, sizeof err), FL_EDB);
    ck_assert_msg(strstr(err, "events: UNIQUE") != NULL, "%s", err);
    fl_recorder_free(r);
    ck_assert_int_eq(scalar(db, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM"
                                " events)"),
                     0);
    fl_db_close(db);
}
END_TEST

START_TEST(test_rec_insert_error_reported_at_end_and_rolled_back)
{
    fl_db *db = create_db();
    fl_recorder *r;
    fx_hooks h;
    fx_run_meta meta = {.scenario_id = scenario(db), .seed = 3};
    ck_assert_int_eq(fx_rec_begin(db, &meta, FL_RECORD_ALL, &r, err, sizeof err), 0);
    fx_rec_hooks(r, &h);
    fl_rec_step s = {.step = 4, .kind = FL_STEP_TIMER, .node = 1, .detail = ""};
    for (int i = 0; i < 3; i++)
        h.on_step_end(h.ctx, &s); /* the same step again: primary key violation */
    fl_run_result res = result(FL_OUTCOME_OK, 1);
    int64_t id = -5;
    ck_assert_int_eq(fx_rec_end(r, &res, &id, err, sizeof err), FL_EDB);
    ck_assert_msg(strstr(err, "x.db: events: UNIQUE") != NULL, "%s", err); /* file named */
    ck_assert_int_eq(id, -5);
    fl_recorder_free(r);
    ck_assert_int_eq(scalar(db, "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM"
                                " events)"),
                     0);
    fl_db_close(db);
}
END_TEST

START_TEST(test_rec_run_ids_follow_each_other)
{
    fl_db *db = create_db();
    ck_assert_int_eq(record(db, FL_RECORD_NONE, FL_OUTCOME_OK, 1, 5), 1);
    ck_assert_int_eq(record(db, FL_RECORD_ALL, FL_OUTCOME_OK, 2, 5), 2);
    ck_assert_int_eq(record(db, FL_RECORD_NONE, FL_OUTCOME_OK, 3, 5), 3);
    ck_assert_int_eq(record(db, FL_RECORD_ALL, FL_OUTCOME_OK, 4, 5), 4);
    ck_assert_int_eq(scalar(db, "SELECT count(DISTINCT run_id) FROM events"), 2);
    ck_assert_int_eq(scalar(db, "SELECT count(*) FROM metrics"), 4);
    fl_db_close(db);
}
END_TEST

static Suite *recorder_suite(void)
{
    Suite *s = suite_create("recorder");
    TCase *tc = tcase_create("recorder");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rec_all_writes_one_event_per_step);
    tcase_add_test(tc, test_rec_every_message_has_a_fate);
    tcase_add_test(tc, test_rec_runs_row_maps_none_to_null);
    tcase_add_test(tc, test_rec_none_writes_runs_faults_metrics_only);
    tcase_add_test(tc, test_rec_free_before_end_rolls_back);
    tcase_add_test(tc, test_rec_batches_keep_every_row);
    tcase_add_test(tc, test_rec_batch_error_rolls_back);
    tcase_add_test(tc, test_rec_insert_error_reported_at_end_and_rolled_back);
    tcase_add_test(tc, test_rec_run_ids_follow_each_other);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(recorder_suite)
