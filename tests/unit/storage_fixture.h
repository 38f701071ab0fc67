/* storage_fixture.h -- a fresh directory and database per test, and synthetic runs
 * recorded through the hooks (tests/unit/rec_fixture.h), for test_storage.c and
 * test_recorder.c. */
#ifndef FL_TESTS_STORAGE_FIXTURE_H
#define FL_TESTS_STORAGE_FIXTURE_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/world.h"
#include "storage/db.h"
#include "storage/recorder.h"
#include "tests/unit/rec_fixture.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

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

#pragma GCC diagnostic pop

#endif /* FL_TESTS_STORAGE_FIXTURE_H */
