/*
 * test_state.c -- state changes (core/statediff.c) and the state reader (results/state.c):
 * what the reader rebuilds is, byte for byte, what the protocol's snapshot printed.
 *
 * - 20 chaotic Raft runs (sim/scenarios/raft-chaos.json, seeds 1..20) are recorded while
 *   a second sink keeps every state's whole text; then every change read back in order,
 *   the state of every node at every 20th step read forwards, and at every 97th step
 *   read backwards (from keyframes), equal the kept texts.
 * - Hand-made states of other shapes (nested objects, arrays that shrink, keys that need
 *   escapes, members that appear or change kind, a node going down) go through the
 *   same path.
 * - The keyframe rules, and a row that does not apply is an error, not a wrong state.
 * - Versioned texts (fl_snapshot_text) and numbers are compared without printing.
 */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/statediff.h"
#include "results/state.h"
#include "sim/protocols/registry.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "storage/recorder.h"

/* ---- the whole texts, kept by a sink ---- */

typedef struct kept {
    int64_t step;
    int node;
    char *json;
} kept;

typedef struct keeper {
    kept *k;
    size_t n, cap;
} keeper;

static int keep(void *ctx, const fl_record *r)
{
    keeper *kp = ctx;
    if (kp->n == kp->cap) {
        kp->cap = kp->cap ? kp->cap * 2 : 1024;
        kp->k = realloc(kp->k, kp->cap * sizeof *kp->k);
        ck_assert_ptr_nonnull(kp->k);
    }
    ck_assert_ptr_nonnull(r->u.state.json);
    kp->k[kp->n++] = (kept){(int64_t)r->u.state.step, r->u.state.node, strdup(r->u.state.json)};
    return 0;
}

static void keeper_free(keeper *kp)
{
    for (size_t i = 0; i < kp->n; i++)
        free(kp->k[i].json);
    free(kp->k);
    memset(kp, 0, sizeof *kp);
}

/* The kept state of node after step (its last change at or before), or NULL. */
static const kept *kept_at(const keeper *kp, int node, int64_t step)
{
    const kept *best = NULL;
    for (size_t i = 0; i < kp->n && kp->k[i].step <= step; i++)
        if (kp->k[i].node == node)
            best = &kp->k[i];
    return best;
}

static fl_db *fresh_db(const char *path)
{
    char err[512];
    fl_db *db;
    unlink(path);
    ck_assert_msg(fl_db_open(&db, path, FL_DB_CREATE, err, sizeof err) == 0, "%s", err);
    return db;
}

static const char *chaos_path(void)
{
    static char p[1024];
    const char *here = __FILE__, *cut = strstr(here, "tests/unit/");
    const char *root = getenv("FL_SOURCE_DIR");
    ck_assert_ptr_nonnull(cut);
    if (root)
        snprintf(p, sizeof p, "%s/sim/scenarios/raft-chaos.json", root);
    else
        snprintf(p, sizeof p, "%.*ssim/scenarios/raft-chaos.json", (int)(cut - here), here);
    return p;
}

/* Record seed of sc into db (run id = seed) with kp keeping the whole states. */
static void record_seed(fl_db *db, const fl_scenario *sc, uint64_t seed, keeper *kp)
{
    char err[512];
    int64_t sid;
    ck_assert(fl_db_scenario_id(db, "chaos", "{\"chaos\":1}", &sid, err, sizeof err) == 0);
    fl_run_meta meta = {.scenario_id = sid, .origin = FL_ORIGIN_RUN};
    fl_recorder *rec;
    ck_assert_msg(fl_recorder_begin(db, &meta, FL_RECORD_ALL, &rec, err, sizeof err) == 0, "%s",
                  err);
    fl_sink sinks[2];
    fl_recorder_sink(rec, &sinks[0]);
    sinks[1] = (fl_sink){.name = "keeper",
                         .wants = FL_REC_BIT(FL_REC_STATE) | FL_REC_WANT_STATE_TEXT,
                         .ctx = kp,
                         .consume = keep};
    fl_run_job job = {
        .sc = sc, .protocol = fl_registry_find("raft"), .seed = seed, .sinks = sinks, .nsinks = 2};
    fl_run_result res;
    ck_assert_msg(fl_run(&job, &res, err, sizeof err) == 0, "seed %llu: %s",
                  (unsigned long long)seed, err);
    int64_t run_id;
    ck_assert_msg(fl_recorder_end(rec, &run_id, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(run_id, (int64_t)seed);
    fl_recorder_free(rec);
}

/* Every change, in order, and the state of every node at sampled steps. */
static void check_run(fl_db *db, int64_t run, const keeper *kp, int64_t steps, int want_nodes)
{
    char err[512];
    fl_state_reader *r;
    ck_assert(fl_state_reader_open(db, run, &r, err, sizeof err) == 0);
    size_t i = 0;
    int64_t step;
    int node, rc;
    const char *json;
    while ((rc = fl_state_next(r, INT64_MAX, &step, &node, &json, err, sizeof err)) == 1) {
        ck_assert_msg(i < kp->n, "run %lld: more changes than states", (long long)run);
        ck_assert_msg(step == kp->k[i].step && node == kp->k[i].node &&
                          strcmp(json, kp->k[i].json) == 0,
                      "run %lld: change %zu (step %lld node %d) differs", (long long)run, i,
                      (long long)step, node);
        i++;
    }
    ck_assert_msg(rc == 0, "run %lld: %s", (long long)run, err);
    ck_assert_uint_eq(i, kp->n);
    const int *nodes;
    int nn = fl_state_nodes(r, &nodes, err, sizeof err);
    ck_assert_int_eq(nn, want_nodes);
    for (int pass = 0; pass < 2; pass++) /* forwards, then backwards from keyframes */
        for (int64_t s0 = 0; s0 < steps; s0 += pass == 0 ? 20 : 97) {
            int64_t s = pass == 0 ? s0 : steps - 1 - s0, since;
            for (int k = 0; k < nn; k++) {
                const kept *want = kept_at(kp, nodes[k], s);
                rc = fl_state_at(r, nodes[k], s, &json, &since, err, sizeof err);
                ck_assert_msg(rc == (want != NULL), "run %lld node %d step %lld: %d %s",
                              (long long)run, nodes[k], (long long)s, rc, err);
                if (want)
                    ck_assert_msg(since == want->step && strcmp(json, want->json) == 0,
                                  "run %lld node %d step %lld differs", (long long)run, nodes[k],
                                  (long long)s);
            }
        }
    fl_state_reader_close(r);
}

START_TEST(test_state_chaotic_raft_runs_read_back_exactly)
{
    char err[512];
    fl_scenario sc;
    ck_assert_msg(fl_scenario_load(&sc, chaos_path(), NULL, 0, err, sizeof err) == 0, "%s", err);
    fl_db *db = fresh_db("test_state_raft.db");
    for (uint64_t seed = 1; seed <= 20; seed++) {
        keeper kp = {0};
        record_seed(db, &sc, seed, &kp);
        ck_assert_msg(kp.n > 100, "seed %llu: only %zu changes", (unsigned long long)seed, kp.n);
        fl_db_cursor *c;
        ck_assert(fl_db_cursor_open(db, "SELECT steps FROM runs WHERE id = ?1", &c, err,
                                    sizeof err) == 0);
        fl_db_cursor_bind_int(c, 1, (int64_t)seed);
        ck_assert_int_eq(fl_db_cursor_next(c, err, sizeof err), 1);
        int64_t steps = fl_db_cursor_int(c, 0);
        fl_db_cursor_close(c);
        check_run(db, (int64_t)seed, &kp, steps, 3);
        keeper_free(&kp);
    }
    fl_db_close(db);
    fl_scenario_close(&sc);
}
END_TEST

/* ---- hand-made states ---- */

static const char *const shapes[] = {
    "{\"a\":1,\"list\":[1,2,3],\"m\":{\"x\":1,\"y\":[1]}}",
    "{\"a\":2,\"list\":[1,2,3,4],\"m\":{\"x\":1,\"y\":[1]}}",           /* append, scalar */
    "{\"a\":2,\"list\":[1,2],\"m\":{\"x\":1,\"y\":[1,2]}}",             /* cut; nested change */
    "{\"a\":2,\"list\":[1,9,2],\"m\":{\"x\":1,\"y\":[1,2]}}",           /* middle insert */
    "{\"a\":2,\"list\":[1,9,2],\"m\":{\"x\":\"q\\\"\\\\\\n\\u0001\"}}", /* escapes */
    "{\"a\":2,\"list\":[1,9,2],\"m\":7}",                               /* an object turns scalar */
    "{\"b\\\"k\":null,\"a\":2,\"list\":[]}",                            /* keys change */
    NULL,                                                               /* down */
    "{\"a\":3,\"list\":[\"\\u00e9\",\"é\"],\"t\":true}",                /* back up */
    "{\"a\":3,\"list\":[\"\\u00e9\",\"é\"],\"t\":false}",
    "{\"a\":3,\"list\":[\"\\u00e9\",\"è\"],\"t\":false}", /* one UTF-8 byte differs */
    "{}",
    NULL, /* down with no members */
    "{}",
    "{\"list\":[{\"deep\":[[[]]]}],\"a\":1.5}",
    NULL,
    "{\"list\":[{\"deep\":[[[1]]]}],\"a\":1.5}", /* back: a change, not a keyframe */
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

START_TEST(test_state_any_shape_reads_back_exactly)
{
    char err[512];
    fl_db *db = fresh_db("test_state_shapes.db");
    int64_t sid;
    ck_assert(fl_db_scenario_id(db, "shapes", "{\"shapes\":1}", &sid, err, sizeof err) == 0);
    fl_run_meta meta = {.scenario_id = sid};
    fl_recorder *rec;
    ck_assert(fl_recorder_begin(db, &meta, FL_RECORD_ALL, &rec, err, sizeof err) == 0);
    fl_sink k;
    fl_recorder_sink(rec, &k);
    fl_statediff d = {0};
    keeper kp = {0};
    for (size_t i = 0; i < NSHAPES; i++) {
        cJSON *j = shapes[i] ? cJSON_Parse(shapes[i]) : NULL;
        ck_assert(shapes[i] == NULL || j != NULL);
        fl_state_change ch;
        ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
        ck_assert(i > 0 || ch.keyframe);
        /* an edit never cuts a UTF-8 character: its text starts and ends whole */
        for (const char *p = ch.parts; p && *p; p++)
            ck_assert(!(p[0] == '"' && ((unsigned char)p[1] & 0xc0) == 0x80));
        fl_record x = {.kind = FL_REC_STATE};
        x.u.state = (fl_rec_state){.step = i,
                                   .node = 1,
                                   .json = ch.json,
                                   .scalars = ch.scalars,
                                   .parts = ch.parts,
                                   .keyframe = ch.keyframe};
        ck_assert_int_eq(k.consume(k.ctx, &x), 0);
        keep(&kp, &x);
        /* the same state again is no change */
        ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 0);
        cJSON_Delete(j);
    }
    fl_record end = {.kind = FL_REC_RUN_END};
    fl_run_result res = {.outcome = FL_OUTCOME_OK, .fail_step = -1, .steps = NSHAPES};
    end.u.end = &res;
    ck_assert_int_eq(k.consume(k.ctx, &end), 0);
    int64_t run;
    ck_assert_msg(fl_recorder_end(rec, &run, err, sizeof err) == 0, "%s", err);
    fl_recorder_free(rec);
    fl_statediff_close(&d);
    check_run(db, run, &kp, (int64_t)NSHAPES, 1);
    keeper_free(&kp);
    fl_db_close(db);
}
END_TEST

/* A small state with a list of n items. */
static cJSON *list_state(int term, int n)
{
    cJSON *o = cJSON_CreateObject(), *l = cJSON_AddArrayToObject(o, "log");
    cJSON_AddNumberToObject(o, "term", term);
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(l, cJSON_CreateString("an entry of about forty bytes, say"));
    return o;
}

START_TEST(test_state_keyframes_come_first_after_down_and_when_edits_add_up)
{
    fl_statediff d = {0};
    fl_state_change ch;
    cJSON *j = list_state(1, 1);
    ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
    ck_assert_int_eq(ch.keyframe, 1); /* the first */
    ck_assert_str_eq(ch.scalars, "{\"term\":1}");
    cJSON_Delete(j);
    j = list_state(2, 1);
    ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
    ck_assert_int_eq(ch.keyframe, 0);
    ck_assert_ptr_null(ch.parts); /* only a scalar changed */
    cJSON_Delete(j);
    /* appends: small edits of a growing list, never more than it holds: no keyframe */
    int keyframes = 0;
    for (int n = 2; n < 200; n++) {
        j = list_state(2, n);
        ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
        ck_assert_ptr_nonnull(ch.parts);
        keyframes += ch.keyframe;
        cJSON_Delete(j);
    }
    ck_assert_int_eq(keyframes, 0);
    /* rewriting the whole list each time: a keyframe once the edits hold more bytes than
     * the list (every second change) */
    for (int t = 0; t < 10; t++) {
        j = cJSON_CreateObject();
        cJSON *l = cJSON_AddArrayToObject(j, "log");
        cJSON_AddNumberToObject(j, "term", 2);
        for (int i = 0; i < 150; i++) {
            char item[64];
            snprintf(item, sizeof item, "%d: rewritten at %d", i, t);
            cJSON_AddItemToArray(l, cJSON_CreateString(item));
        }
        ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
        keyframes += ch.keyframe;
        cJSON_Delete(j);
    }
    ck_assert_int_ge(keyframes, 4);
    ck_assert_int_le(keyframes, 6);
    ck_assert_int_eq(fl_statediff_update(&d, NULL, &ch), 1); /* down */
    ck_assert_int_eq(ch.keyframe, 0);
    ck_assert_str_eq(ch.scalars, "null");
    ck_assert_str_eq(ch.json, "null");
    ck_assert_int_eq(fl_statediff_update(&d, NULL, &ch), 0);
    j = list_state(2, 3);
    ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
    ck_assert_int_eq(ch.keyframe, 0); /* up again: a change against the state before */
    ck_assert_ptr_nonnull(ch.parts);
    cJSON_Delete(j);
    fl_statediff e = {0}; /* a node whose first state is "null" */
    ck_assert_int_eq(fl_statediff_update(&e, NULL, &ch), 1);
    ck_assert_int_eq(ch.keyframe, 1);
    j = list_state(1, 1);
    ck_assert_int_eq(fl_statediff_update(&e, j, &ch), 1);
    ck_assert_int_eq(ch.keyframe, 1);
    cJSON_Delete(j);
    fl_statediff_close(&e);
    /* many small changes: a keyframe at least every FL_STATEDIFF_MAX_EDITS */
    keyframes = 0;
    for (int t = 3; t < 3 + 2 * FL_STATEDIFF_MAX_EDITS; t++) {
        j = list_state(t, 3);
        ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
        keyframes += ch.keyframe;
        cJSON_Delete(j);
    }
    ck_assert_int_eq(keyframes, 2);
    fl_statediff_close(&d);
}
END_TEST

START_TEST(test_state_a_row_that_does_not_apply_is_an_error)
{
    char err[512];
    fl_scenario sc;
    const char *const sets[] = {"run.until=3s", "faults.window=[\"100ms\",\"1s\"]",
                                "run.liveness=1s"};
    ck_assert_msg(fl_scenario_load(&sc, chaos_path(), sets, 3, err, sizeof err) == 0, "%s", err);
    fl_db *db = fresh_db("test_state_bad.db");
    keeper kp = {0};
    record_seed(db, &sc, 1, &kp);
    fl_db_close(db);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open("test_state_bad.db", &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h,
                                  "UPDATE snapshots SET parts = '[[8,\"log\",999999,0,\"x\"]]'"
                                  " WHERE rowid = (SELECT min(rowid) FROM snapshots"
                                  " WHERE keyframe = 0 AND node = 2)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_changes(h), 1);
    sqlite3_close(h);
    ck_assert(fl_db_open(&db, "test_state_bad.db", FL_DB_READONLY, err, sizeof err) == 0);
    fl_state_reader *r;
    ck_assert(fl_state_reader_open(db, 1, &r, err, sizeof err) == 0);
    const char *json;
    int64_t since, step;
    int node, rc;
    ck_assert_int_eq(fl_state_at(r, 2, kp.k[kp.n - 1].step, &json, &since, err, sizeof err),
                     FL_EPARSE);
    ck_assert_msg(strstr(err, "snapshots: the row of node 2 at step") != NULL, "%s", err);
    while ((rc = fl_state_next(r, INT64_MAX, &step, &node, &json, err, sizeof err)) == 1)
        ;
    ck_assert_int_eq(rc, FL_EPARSE);
    fl_state_reader_close(r);
    fl_db_close(db);
    keeper_free(&kp);
    fl_scenario_close(&sc);
}
END_TEST

/* {"term":term,"log":<text, version>} */
static cJSON *versioned_state(int term, const char *text, uint64_t version)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "term", term);
    cJSON *t = fl_snapshot_text(text, version);
    ck_assert_ptr_nonnull(t);
    cJSON_AddItemToObject(o, "log", t);
    return o;
}

/* Versioned texts are compared by version while the node stays up, by text after a
 * (re)start or a down; numbers by value; a plain raw item is not versioned. */
START_TEST(test_state_versioned_texts_and_numbers_are_compared_without_printing)
{
    static const struct {
        int term;
        const char *text;
        uint64_t version;
        int boot, changed;
        const char *parts; /* of the change, or NULL */
    } steps[] = {
        {1, "[1]", 1, 0, 1, "[[1,\"log\",0,0,\"[1]\"]]"}, /* the keyframe */
        {1, "[1]", 1, 0, 0, NULL},
        {1, "[1,2]", 1, 0, 0, NULL}, /* the version did not move: not compared */
        {1, "[1,2]", 2, 0, 1, "[[1,\"log\",2,1,\",2\"]]"},
        {1, "[1,2]", 3, 0, 0, NULL},   /* it moved, the text did not: no change */
        {2, "[1,2,3]", 3, 0, 1, NULL}, /* a scalar changed; the log is not compared */
        {2, "[9]", 3, 1, 1, "[[1,\"log\",1,1,\"9\"]]"}, /* restarted: by text */
        {2, "[9]", 3, 0, 0, NULL},
    };
    fl_statediff d = {0};
    fl_state_change ch;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i].boot)
            fl_statediff_booted(&d);
        cJSON *j = versioned_state(steps[i].term, steps[i].text, steps[i].version);
        int rc = fl_statediff_update(&d, j, &ch);
        ck_assert_msg(rc == steps[i].changed, "step %zu: %d", i, rc);
        if (rc == 1 && steps[i].parts)
            ck_assert_str_eq(ch.parts, steps[i].parts);
        else if (rc == 1)
            ck_assert_msg(ch.parts == NULL, "step %zu: %s", i, ch.parts);
        cJSON_Delete(j); /* a reference: the literal text is not freed */
    }
    /* down, then up with the same version and another text: compared by text */
    ck_assert_int_eq(fl_statediff_update(&d, NULL, &ch), 1);
    cJSON *j = versioned_state(2, "[7]", 3);
    ck_assert_int_eq(fl_statediff_update(&d, j, &ch), 1);
    ck_assert_str_eq(ch.parts, "[[1,\"log\",1,1,\"7\"]]");
    ck_assert_str_eq(ch.json, "{\"term\":2,\"log\":[7]}");
    uint64_t v = 0;
    ck_assert(fl_snapshot_text_version(cJSON_GetObjectItem(j, "log"), &v) && v == 3);
    cJSON *copy = cJSON_Duplicate(j, 1); /* cJSON copies and frees it as any raw item */
    ck_assert_ptr_nonnull(copy);
    char *printed = cJSON_PrintUnformatted(copy);
    ck_assert_str_eq(printed, "{\"term\":2,\"log\":[7]}");
    free(printed);
    cJSON_Delete(copy);
    cJSON_Delete(j);
    /* numbers: 1 and 1.0 are one value; NaN prints null and is compared as text */
    double nums[] = {1, 1.0, 2, NAN, NAN};
    int changed[] = {1, 0, 1, 1, 0};
    fl_statediff e = {0};
    for (size_t i = 0; i < 5; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "a", nums[i]);
        cJSON_AddRawToObject(o, "raw", "[1]");
        ck_assert_int_eq(fl_snapshot_text_version(cJSON_GetObjectItem(o, "raw"), &v), 0);
        ck_assert_msg(fl_statediff_update(&e, o, &ch) == changed[i], "number %zu", i);
        cJSON_Delete(o);
    }
    fl_statediff_close(&e);
    fl_statediff_close(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("state");
    tcase_set_timeout(tc, 280);
    tcase_add_test(tc, test_state_chaotic_raft_runs_read_back_exactly);
    tcase_add_test(tc, test_state_any_shape_reads_back_exactly);
    tcase_add_test(tc, test_state_keyframes_come_first_after_down_and_when_edits_add_up);
    tcase_add_test(tc, test_state_a_row_that_does_not_apply_is_an_error);
    tcase_add_test(tc, test_state_versioned_texts_and_numbers_are_compared_without_printing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
