/*
 * test_storage.c -- the database and the recorder: a faultline file is created and
 * migrated, foreign files are refused without being touched, a run recorded through
 * the hooks lands whole (or not at all), and reads are read-only.
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
#include "check_main.h"

static char dir[64];
static char path[128];
static char err[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/fl_test_storage_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/x.db", dir);
    err[0] = '\0';
}

/* The tests make only x.db and SQLite's companions of it. */
static void teardown(void)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[256];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
    ck_assert_int_eq(rmdir(dir), 0);
}

static int exists(const char *suffix)
{
    char p[256];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    return access(p, F_OK) == 0;
}

/* A hash of the file's bytes (and so of its length), to see that nothing changed. */
static uint64_t file_hash(void)
{
    char buf[4096];
    size_t n;
    uint64_t h = FL_DIGEST_INIT;
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fl_digest_bytes(h, buf, n);
    fclose(f);
    return h;
}

static int first_value(void *ctx, int ncols, const char *const *names, const char *const *v)
{
    (void)ncols, (void)names;
    snprintf(ctx, 128, "%s", v[0] != NULL ? v[0] : "NULL");
    return 0;
}

/* The first column of sql's row (of its last row: the queries here return one). */
static const char *text(fl_db *db, const char *sql)
{
    static char v[128];
    v[0] = '\0';
    int rc = fl_db_query(db, sql, first_value, v, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", sql, err);
    return v;
}

static int64_t scalar(fl_db *db, const char *sql)
{
    return strtoll(text(db, sql), NULL, 10);
}

/* Behind faultline's back, with plain SQLite: the first column of the first row. */
static const char *raw(const char *sql)
{
    static char v[128];
    sqlite3 *h;
    sqlite3_stmt *st;
    v[0] = '\0';
    ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(v, sizeof v, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static fl_db *create_db(void)
{
    fl_db *db;
    int rc = fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err);
    ck_assert_msg(rc == 0, "open: %s", err);
    return db;
}

static int64_t scenario(fl_db *db)
{
    int64_t id = 0;
    ck_assert_int_eq(fl_db_scenario_id(db, "s", "{\"nodes\":3}", &id, err, sizeof err), 0);
    return id;
}

/* A synthetic run: every step sends one message, which is delivered two steps later;
 * every step logs a line and changes one node's state (node 1 is leader from step 5).
 * The last two messages are still in flight at the end. */
static void fake_run(const fx_hooks *h, uint64_t steps)
{
    char desc[64], state[128];
    for (uint64_t s = 0; s < steps; s++) {
        int node = (int)(s % 3) + 1;
        int64_t t = (int64_t)s * 1000;
        fl_msg m = {.id = s + 1, .src = node, .dst = node % 3 + 1, .sent_ns = t, .sent_step = s};
        snprintf(desc, sizeof desc, "MsgApp term=%llu index=%llu", (unsigned long long)s / 10,
                 (unsigned long long)s);
        h->on_send(h->ctx, &m, desc);
        if (s >= 2) {
            fl_msg d = {.id = s - 1, .src = 1, .dst = 2, .fate = FL_FATE_DELIVERED};
            h->on_fate(h->ctx, &d, s);
        }
        h->on_log(h->ctx, s, t, node, FL_LOG_INFO, "tick");
        snprintf(state, sizeof state, "{\"role\":\"%s\",\"term\":%llu}",
                 node == 1 && s >= 5 ? "leader" : "follower", (unsigned long long)s / 10);
        h->on_state(h->ctx, s, t, node, state);
        fl_rec_step info = {.step = s, .time_ns = t, .kind = FL_STEP_DELIVER, .node = node};
        info.msg_id = s;
        info.detail = "";
        info.chain = s * 7;
        h->on_step_end(h->ctx, &info);
    }
    for (uint64_t id = steps - 1; id <= steps; id++) {
        fl_msg m = {.id = id, .src = 1, .dst = 2, .fate = FL_FATE_IN_FLIGHT};
        h->on_fate(h->ctx, &m, steps - 1);
    }
}

/* A failing result fails at step 7 on election_safety. */
static fl_run_result result(int outcome, uint64_t steps)
{
    int ok = outcome == FL_OUTCOME_OK;
    fl_run_result res = {.outcome = outcome, .fail_step = ok ? -1 : 7, .fail_time_ns = -1};
    snprintf(res.check, sizeof res.check, "%s", ok ? "" : "election_safety");
    res.steps = res.msgs_sent = steps;
    res.msgs_delivered = steps - 2;
    res.sim_time_ns = (int64_t)steps * 1000;
    snprintf(res.digest, sizeof res.digest, "%016llx", (unsigned long long)steps);
    return res;
}

/* Record one synthetic run of `steps` steps at `level`; returns its id. */
static int64_t record(fl_db *db, int level, int outcome, uint64_t seed, uint64_t steps)
{
    fl_recorder *r;
    fx_hooks h;
    fx_run_meta meta = {.scenario_id = scenario(db), .seed = seed, .schedule_json = "[]"};
    int rc = fx_rec_begin(db, &meta, level, &r, err, sizeof err);
    ck_assert_msg(rc == 0, "begin: %s", err);
    fx_rec_hooks(r, &h);
    if (level == FL_RECORD_ALL)
        fake_run(&h, steps);
    fx_rec_fault(r, 1, 1000, "crash", "{\"node\":2}", 1);
    fx_rec_metric(r, "elections", 2);
    fl_run_result res = result(outcome, steps);
    int64_t id = 0;
    rc = fx_rec_end(r, &res, &id, err, sizeof err);
    ck_assert_msg(rc == 0, "end: %s", err);
    fl_recorder_free(r);
    return id;
}

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
    tcase_add_test(tc, test_rec_all_writes_one_event_per_step);
    tcase_add_test(tc, test_rec_every_message_has_a_fate);
    tcase_add_test(tc, test_rec_runs_row_maps_none_to_null);
    tcase_add_test(tc, test_rec_none_writes_runs_faults_metrics_only);
    tcase_add_test(tc, test_rec_free_before_end_rolls_back);
    tcase_add_test(tc, test_rec_batches_keep_every_row);
    tcase_add_test(tc, test_rec_batch_error_rolls_back);
    tcase_add_test(tc, test_rec_insert_error_reported_at_end_and_rolled_back);
    tcase_add_test(tc, test_rec_run_ids_follow_each_other);
    tcase_add_test(tc, test_views_work_after_reopen_readonly);
    tcase_add_test(tc, test_rec_concurrent_processes_share_one_file);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(storage_suite)
