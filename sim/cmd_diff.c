/*
 * cmd_diff.c -- `faultline diff DB A B [--json]`: two recorded runs side by side (an
 * original and its shrink or script, a run before and after a fix, same scenario or
 * not).
 *
 * Three answers, each from what the database already holds: the first step at which
 * the runs' digest chains differ (events.chain is the digest after each step, so equal
 * chains mean equal runs up to there), the fault specs one run has and the other has
 * not (a multiset difference of faults.spec), and the node states that differ after the
 * first divergent step (results/state.h).  Exit 0 when the runs are identical, 1 when
 * they differ (as diff(1) does), 2 for bad input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "results/recorded.h"
#include "results/state.h"
#include "sim/cli.h"
#include "storage/db.h"

#define DIFF_MAX_NODES 10000 /* the scenario's limit */
#define DIFF_FAULTS_SHOWN 20 /* in text: the rest are counted (--json has them all) */

static const char diff_usage[] =
    "usage: faultline diff DB A B [--json]\n\n"
    "Compare runs A and B of database DB: the first step at which they diverge (their\n"
    "digest chains differ), the faults one has and the other has not, and the node states\n"
    "that differ after that step.  Both runs must be recorded in full to compare steps.\n"
    "Exit 0 when the runs are identical, 1 when they differ.\n\n"
    "  --json   one JSON object instead of text\n";

typedef struct side {
    fl_recorded_run rr;
    char name[128];
    int nodes;
    char **faults; /* faults.spec in seq order */
    size_t nfaults;
    unsigned char *matched; /* by fault: also in the other run */
    char event[512];        /* its step at the divergence, as text */
} side;

typedef struct diff {
    const char *path;
    side s[2];
    int64_t step;  /* first divergent step, -1 none (identical), -2 not comparable */
    cJSON *states; /* [{"node": n, "a": {...}, "b": {...}}] */
    char *err;
    size_t cap;
} diff;

static int parse_args(int argc, char **argv, const char *args[3], int *json)
{
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(diff_usage, stdout);
            return FL_EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            *json = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            fl_cli_error("diff: unknown option '%s' (see faultline diff --help)", a);
            return FL_EXIT_USAGE;
        } else if (nargs < 3) {
            args[nargs++] = a;
        } else {
            fl_cli_error("diff: unexpected argument '%s'", a);
            return FL_EXIT_USAGE;
        }
    }
    if (nargs < 3) {
        fl_cli_error("diff: expected DB and two run ids A B (see faultline diff --help)");
        return FL_EXIT_USAGE;
    }
    return -1;
}

/* ---- reading ---- */

static int read_scenario(side *s)
{
    cJSON *sc = cJSON_Parse(s->rr.scenario_json ? s->rr.scenario_json : "");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(sc, "name");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(sc, "nodes");
    snprintf(s->name, sizeof s->name, "%s", cJSON_IsString(name) ? name->valuestring : "?");
    s->nodes = cJSON_IsNumber(nodes) ? nodes->valueint : 3;
    if (s->nodes < 1 || s->nodes > DIFF_MAX_NODES)
        s->nodes = 3;
    cJSON_Delete(sc);
    return 0;
}

static int read_faults(fl_db *db, side *s, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, "SELECT spec FROM faults WHERE run_id = ?1 ORDER BY seq", &c,
                               err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, s->rr.run_id);
    size_t fcap = 0;
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1) {
        if (s->nfaults == fcap) {
            fcap = fcap ? 2 * fcap : 64;
            char **f = realloc(s->faults, fcap * sizeof *f);
            if (!f) {
                rc = FL_ENOMEM;
                break;
            }
            s->faults = f;
        }
        const char *t = fl_db_cursor_text(c, 0);
        s->faults[s->nfaults++] = strdup(t ? t : "");
    }
    fl_db_cursor_close(c);
    s->matched = calloc(s->nfaults + 1, 1);
    return rc < 0 ? rc : s->matched ? 0 : FL_ENOMEM;
}

/* The step's event as the trace says it: "deliver node 2 from 1: delivered MsgApp ...". */
static int read_event(fl_db *db, side *s, int64_t step, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(
        db,
        "SELECT e.kind, e.node, e.peer, coalesce(e.detail, ''), coalesce(m.body, ''), e.time_ns "
        "FROM events e LEFT JOIN messages m ON m.run_id = e.run_id AND m.msg_id = e.msg_id "
        "WHERE e.run_id = ?1 AND e.step = ?2",
        &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, s->rr.run_id);
    fl_db_cursor_bind_int(c, 2, step);
    rc = fl_db_cursor_next(c, err, cap);
    if (rc == 1) {
        char who[48] = "";
        if (fl_db_cursor_type(c, 1) != 0 && fl_db_cursor_text(c, 1))
            snprintf(who, sizeof who, " node %s", fl_db_cursor_text(c, 1));
        if (fl_db_cursor_text(c, 2))
            snprintf(who + strlen(who), sizeof who - strlen(who), " from %s",
                     fl_db_cursor_text(c, 2));
        const char *detail = fl_db_cursor_text(c, 3), *body = fl_db_cursor_text(c, 4);
        int whole = strchr(detail, ' ') != NULL; /* schema 1 and 2 keep the body in detail */
        int64_t t = fl_db_cursor_int(c, 5);
        snprintf(s->event, sizeof s->event, "t=%" PRId64 ".%06" PRId64 "s %s%s: %s%s%s",
                 t / 1000000000, t % 1000000000 / 1000, fl_db_cursor_text(c, 0), who, detail,
                 body[0] && !whole ? " " : "", whole ? "" : body);
    } else if (rc == 0) {
        snprintf(s->event, sizeof s->event, "(no such step: the run ended after %" PRIu64 ")",
                 s->rr.steps);
    }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

/* ---- comparing ---- */

/* The first step whose chain differs, -1 when the runs are identical, -2 when steps
 * cannot be compared (a run not recorded in full). */
static int64_t first_divergence(const side *a, const side *b)
{
    int same_digest = strcmp(a->rr.digest, b->rr.digest) == 0 &&
                      a->rr.digest_epoch == b->rr.digest_epoch && a->rr.steps == b->rr.steps;
    if (a->rr.nchains != a->rr.steps || b->rr.nchains != b->rr.steps || !a->rr.steps)
        return same_digest ? -1 : -2;
    size_t n = a->rr.nchains < b->rr.nchains ? a->rr.nchains : b->rr.nchains;
    for (size_t i = 0; i < n; i++)
        if (a->rr.chains[i] != b->rr.chains[i])
            return (int64_t)i;
    return a->rr.nchains == b->rr.nchains ? -1 : (int64_t)n;
}

static void match_faults(side *a, side *b)
{
    for (size_t i = 0; i < a->nfaults; i++)
        for (size_t j = 0; j < b->nfaults; j++)
            if (!b->matched[j] && strcmp(a->faults[i], b->faults[j]) == 0) {
                a->matched[i] = b->matched[j] = 1;
                break;
            }
}

/* What differs between two states: {"key": [a, b]} for each scalar, and for arrays
 * and objects {"key": ["N items", "M items"]}. */
static cJSON *state_delta(const char *ja, const char *jb)
{
    cJSON *a = cJSON_Parse(ja), *b = cJSON_Parse(jb), *d = cJSON_CreateObject();
    if (!cJSON_IsObject(a) || !cJSON_IsObject(b)) {
        cJSON *pair = cJSON_AddArrayToObject(d, "state");
        cJSON_AddItemToArray(pair, a ? a : cJSON_CreateNull());
        cJSON_AddItemToArray(pair, b ? b : cJSON_CreateNull());
        return d;
    }
    for (int pass = 0; pass < 2; pass++)
        for (const cJSON *k = (pass ? b : a)->child; k; k = k->next) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, k->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, k->string);
            if ((pass && x) || (x && y && cJSON_Compare(x, y, 1)))
                continue; /* seen in the first pass, or the same */
            cJSON *pair = cJSON_AddArrayToObject(d, k->string);
            for (int i = 0; i < 2; i++) {
                const cJSON *v = i ? y : x;
                char n[48];
                snprintf(n, sizeof n, "%d items", cJSON_GetArraySize(v));
                cJSON_AddItemToArray(pair, !v ? cJSON_CreateNull()
                                           : cJSON_IsArray(v) || cJSON_IsObject(v)
                                               ? cJSON_CreateString(n)
                                               : cJSON_Duplicate(v, 1));
            }
        }
    cJSON_Delete(a);
    cJSON_Delete(b);
    return d;
}

static int compare_states(fl_db *db, diff *d)
{
    fl_state_reader *r[2] = {NULL, NULL};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = fl_state_reader_open(db, d->s[i].rr.run_id, &r[i], d->err, d->cap);
    int nodes = d->s[0].nodes > d->s[1].nodes ? d->s[0].nodes : d->s[1].nodes;
    for (int node = 1; rc == 0 && node <= nodes; node++) {
        char *text[2] = {NULL, NULL};
        for (int i = 0; i < 2 && rc >= 0; i++) {
            const char *json;
            int64_t since;
            rc = fl_state_at(r[i], node, d->step, &json, &since, d->err, d->cap);
            text[i] = strdup(rc == 1 ? json : "null");
        }
        if (rc >= 0 && text[0] && text[1] && strcmp(text[0], text[1]) != 0) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "node", node);
            cJSON_AddItemToObject(e, "differs", state_delta(text[0], text[1]));
            cJSON_AddItemToArray(d->states, e);
        }
        free(text[0]);
        free(text[1]);
        rc = rc < 0 ? rc : 0;
    }
    fl_state_reader_close(r[0]);
    fl_state_reader_close(r[1]);
    return rc;
}

static int compare(diff *d)
{
    fl_db *db;
    int rc = fl_db_open(&db, d->path, FL_DB_READONLY, d->err, d->cap);
    for (int i = 0; i < 2 && rc == 0; i++) {
        read_scenario(&d->s[i]);
        rc = read_faults(db, &d->s[i], d->err, d->cap);
    }
    if (rc == 0) {
        match_faults(&d->s[0], &d->s[1]);
        d->step = first_divergence(&d->s[0], &d->s[1]);
    }
    for (int i = 0; i < 2 && rc == 0 && d->step >= 0; i++)
        rc = read_event(db, &d->s[i], d->step, d->err, d->cap);
    if (rc == 0 && d->step >= 0)
        rc = compare_states(db, d);
    fl_db_close(db);
    return rc;
}

/* ---- printing ---- */

static void print_run(const side *s)
{
    printf("run %" PRId64 ": %s, seed %" PRIu64 ", %" PRIu64 " steps, %s", s->rr.run_id, s->name,
           s->rr.seed, s->rr.steps, s->rr.outcome);
    if (s->rr.check[0] && strcmp(s->rr.check, s->rr.outcome) != 0)
        printf(" (%s)", s->rr.check);
    if (s->rr.fail_step >= 0)
        printf(" at step %" PRId64, s->rr.fail_step);
    printf(", digest %s\n", s->rr.digest);
}

static void print_faults(const side *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nfaults; i++)
        n += !s->matched[i];
    printf("faults only in run %" PRId64 " (%zu of %zu):%s\n", s->rr.run_id, n, s->nfaults,
           n ? "" : " none");
    size_t shown = 0;
    for (size_t i = 0; i < s->nfaults && shown < DIFF_FAULTS_SHOWN; i++)
        if (!s->matched[i] && ++shown)
            printf("  %s\n", s->faults[i]);
    if (n > shown)
        printf("  ... and %zu more (--json lists them all)\n", n - shown);
}

static void print_states(const diff *d)
{
    printf("states that differ after step %" PRId64 ":%s\n", d->step,
           cJSON_GetArraySize(d->states) ? "" : " none");
    for (const cJSON *e = d->states->child; e; e = e->next) {
        printf("  node %d:", cJSON_GetObjectItemCaseSensitive(e, "node")->valueint);
        const char *sep = " ";
        for (const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "differs")->child; k;
             k = k->next) {
            char *x = cJSON_PrintUnformatted(cJSON_GetArrayItem(k, 0));
            char *y = cJSON_PrintUnformatted(cJSON_GetArrayItem(k, 1));
            printf("%s%s %s | %s", sep, k->string, x ? x : "?", y ? y : "?");
            free(x);
            free(y);
            sep = ", ";
        }
        printf("\n");
    }
}

static void print_text(const diff *d)
{
    const side *a = &d->s[0], *b = &d->s[1];
    print_run(a);
    print_run(b);
    if (d->step == -1) {
        printf("identical: the same %" PRIu64 " steps, digest %s\n", a->rr.steps, a->rr.digest);
    } else if (d->step == -2) {
        printf("first divergent step: unknown (a run not recorded in full has no steps to "
               "compare; faultline replay DB RUN --record records it)\n");
    } else {
        printf("first divergent step: %" PRId64 "\n", d->step);
        printf("  run %" PRId64 " #%" PRId64 ": %s\n", a->rr.run_id, d->step, a->event);
        printf("  run %" PRId64 " #%" PRId64 ": %s\n", b->rr.run_id, d->step, b->event);
    }
    print_faults(a);
    print_faults(b);
    if (d->step >= 0)
        print_states(d);
}

static cJSON *run_json(const side *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "run", (double)s->rr.run_id);
    cJSON_AddStringToObject(o, "scenario", s->name);
    cJSON_AddNumberToObject(o, "seed", (double)s->rr.seed);
    cJSON_AddNumberToObject(o, "steps", (double)s->rr.steps);
    cJSON_AddStringToObject(o, "outcome", s->rr.outcome);
    if (s->rr.check[0])
        cJSON_AddStringToObject(o, "check", s->rr.check);
    if (s->rr.fail_step >= 0)
        cJSON_AddNumberToObject(o, "fail_step", (double)s->rr.fail_step);
    cJSON_AddStringToObject(o, "digest", s->rr.digest);
    if (s->event[0])
        cJSON_AddStringToObject(o, "event", s->event);
    cJSON *only = cJSON_AddArrayToObject(o, "faults_only_here");
    for (size_t i = 0; i < s->nfaults; i++)
        if (!s->matched[i]) {
            cJSON *f = cJSON_Parse(s->faults[i]);
            cJSON_AddItemToArray(only, f ? f : cJSON_CreateString(s->faults[i]));
        }
    return o;
}

static int print_json(diff *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "identical", d->step == -1);
    if (d->step >= 0)
        cJSON_AddNumberToObject(o, "first_divergent_step", (double)d->step);
    else
        cJSON_AddNullToObject(o, "first_divergent_step");
    cJSON_AddItemToObject(o, "a", run_json(&d->s[0]));
    cJSON_AddItemToObject(o, "b", run_json(&d->s[1]));
    cJSON_AddItemToObject(o, "states", d->states);
    d->states = NULL;
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return FL_ENOMEM;
    puts(text);
    free(text);
    return 0;
}

int fl_cmd_diff(int argc, char **argv)
{
    const char *args[3];
    int json = 0;
    int ex = parse_args(argc, argv, args, &json);
    if (ex >= 0)
        return ex;
    char err[1024];
    diff d = {.path = args[0], .err = err, .cap = sizeof err};
    d.states = cJSON_CreateArray();
    int rc = d.states ? 0 : FL_ENOMEM;
    for (int i = 0; i < 2 && rc == 0; i++)
        rc = fl_recorded_load(args[0], args[1 + i], &d.s[i].rr, err, sizeof err);
    if (rc == 0)
        rc = compare(&d);
    if (rc == 0 && json)
        rc = print_json(&d);
    else if (rc == 0)
        print_text(&d);
    for (int i = 0; i < 2; i++) {
        fl_recorded_close(&d.s[i].rr);
        for (size_t j = 0; j < d.s[i].nfaults; j++)
            free(d.s[i].faults[j]);
        free(d.s[i].faults);
        free(d.s[i].matched);
    }
    cJSON_Delete(d.states);
    if (rc) {
        fl_cli_error("diff: %s", err);
        return fl_cli_exit_for(rc);
    }
    if (fflush(stdout) != 0)
        return FL_EXIT_INTERNAL;
    return d.step == -1 ? FL_EXIT_OK : FL_EXIT_FAILED;
}
