/*
 * cmd_recheck.c -- `faultline recheck DB [--sweep N] [-j N] [--format json]`: after a fix,
 * which failures are gone?  Every failing run of the database (a sweep's or a `run
 * --db`'s; not earlier re-executions) is re-executed on the current build -- the same
 * seed and the schedule it followed -- through the sweep's worker pool, and reported as
 * fixed, still failing the same way (same outcome and check) or failing differently.
 * Each re-execution is recorded bare as an origin = 'replay' run whose parent_run is
 * the original.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/jsonout.h"
#include "core/world.h"
#include "sim/cli.h"
#include "sim/load.h"
#include "sim/run/wire.h"
#include "sim/sweep.h"
#include "storage/recorder.h"

static const char recheck_usage[] =
    "usage: faultline recheck DB [--sweep N] [-j N] [--format text|json]\n\n"
    "Re-execute every failing run of database DB (of sweep N only, with --sweep) on this\n"
    "build: the same scenario, seed and schedule, the protocol as it is now (a plugin is\n"
    "loaded from scenarios.plugin_path).  Each is reported as fixed, still failing (the\n"
    "same outcome and check) or failing differently, and recorded as a run with\n"
    "origin = 'replay' and parent_run = the original.  Earlier re-executions and shrinks\n"
    "are not rechecked.\n\n"
    "  --sweep N        only the failing runs of sweep N\n"
    "  -j, --jobs N     worker processes (default: one per online CPU)\n"
    "  --format json    one JSON object on stdout instead of lines (docs/recheck.md)\n\n"
    "Exit 0 when every failing run is fixed (or there is none), 1 when some still fail,\n"
    "130 when interrupted (the re-executions done so far are recorded).\n";

typedef struct recheck_args {
    const char *db;
    int64_t sweep;
    int jobs, json;
} recheck_args;

/* A failing run and what its re-execution did. */
typedef struct failing {
    int64_t run, scenario_id;
    uint64_t seed;
    char *schedule;
    char outcome[32], check[128];
    int64_t fail_step;
    int done;        /* re-executed */
    int64_t now_run; /* the re-execution's row */
    char now_outcome[32], now_check[128];
    int64_t now_fail_step;
} failing;

typedef struct recheck {
    fl_db *db;
    failing *runs;
    size_t n, cap;
    size_t group;        /* runs[group..] are the ones being re-executed */
    int64_t scenario_id; /* where their rows go */
} recheck;

enum { FIXED, SAME, DIFFERENT };
static const char *const verdict_name[] = {"fixed", "same", "different"};

static int verdict(const failing *f)
{
    if (strcmp(f->now_outcome, "ok") == 0)
        return FIXED;
    return strcmp(f->now_outcome, f->outcome) == 0 && strcmp(f->now_check, f->check) == 0
               ? SAME
               : DIFFERENT;
}

/* ---- arguments ---- */

/* One option's value; 0 or the exit code. */
static int take_option(int c, const char *v, recheck_args *a)
{
    uint64_t n;
    if (c == 'f') {
        if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0) {
            fl_cli_error("recheck: --format: expected text or json, got '%s'", v);
            return FL_EXIT_USAGE;
        }
        a->json = strcmp(v, "json") == 0;
    } else if (c == 's') {
        if (fl_cli_parse_u64(v, &n) || n == 0 || n > INT64_MAX) {
            fl_cli_error("recheck: --sweep: expected a sweep id, got '%s'", v);
            return FL_EXIT_USAGE;
        }
        a->sweep = (int64_t)n;
    } else {
        if (fl_cli_parse_u64(v, &n) || n < 1 || n > 1024) {
            fl_cli_error("recheck: -j: expected 1..1024 workers, got '%s'", v);
            return FL_EXIT_USAGE;
        }
        a->jobs = (int)n;
    }
    return 0;
}

/* -1 parsed, else the exit code */
static int parse_args(int argc, char **argv, recheck_args *a)
{
    static const struct option opts[] = {{"sweep", required_argument, 0, 's'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(recheck_usage, stdout);
            return FL_EXIT_OK;
        }
        if (c == '?' || c == ':') {
            fl_cli_error("recheck: unknown option or missing value '%s' (see faultline recheck "
                         "--help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
        int ex = take_option(c, optarg, a);
        if (ex)
            return ex;
    }
    if (optind == argc) {
        fl_cli_error("recheck: expected DB (see faultline recheck --help)");
        return FL_EXIT_USAGE;
    }
    a->db = argv[optind++];
    if (optind < argc) {
        fl_cli_error("recheck: unexpected argument '%s'", argv[optind]);
        return FL_EXIT_USAGE;
    }
    return -1;
}

/* ---- the failing runs ---- */

static void copy_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static int add_failing(recheck *r, fl_db_cursor *c)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        failing *p = realloc(r->runs, cap * sizeof *p);
        if (!p)
            return FL_ENOMEM;
        r->runs = p;
        r->cap = cap;
    }
    failing *f = &r->runs[r->n];
    memset(f, 0, sizeof *f);
    f->run = fl_db_cursor_int(c, 0);
    f->seed = (uint64_t)fl_db_cursor_int(c, 1);
    f->schedule = fl_db_cursor_text(c, 2) ? strdup(fl_db_cursor_text(c, 2)) : NULL;
    copy_text(f->outcome, sizeof f->outcome, fl_db_cursor_text(c, 3));
    copy_text(f->check, sizeof f->check, fl_db_cursor_text(c, 4));
    f->fail_step = fl_db_cursor_int(c, 5);
    f->scenario_id = fl_db_cursor_int(c, 6);
    r->n++;
    return fl_db_cursor_text(c, 2) && !f->schedule ? FL_ENOMEM : 0;
}

/* The failing runs to recheck, by scenario then id. */
static int load_failing(recheck *r, int64_t sweep, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(r->db,
                               "SELECT id, seed, schedule_json, outcome, check_name,"
                               " coalesce(fail_step, -1), scenario_id FROM runs"
                               " WHERE outcome <> 'ok' AND origin IN ('sweep', 'run')"
                               " AND (?1 = 0 OR sweep_id = ?1) ORDER BY scenario_id, id",
                               &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, sweep);
    while ((rc = fl_db_cursor_next(c, err, cap)) == 1)
        if ((rc = add_failing(r, c)) != 0) {
            snprintf(err, cap, "out of memory");
            break;
        }
    fl_db_cursor_close(c);
    return rc < 0 ? rc : 0;
}

static int sweep_exists(fl_db *db, int64_t sweep, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, "SELECT 1 FROM sweeps WHERE id = ?1", &c, err, cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, sweep);
    rc = fl_db_cursor_next(c, err, cap);
    fl_db_cursor_close(c);
    if (rc == 0) {
        snprintf(err, cap, "--sweep %" PRId64 ": no such sweep in %s", sweep, fl_db_path(db));
        return FL_ENOTFOUND;
    }
    return rc < 0 ? rc : 0;
}

/* The scenario of a group, as stored: its JSON and its plugin's path. */
static int load_scenario(fl_db *db, int64_t id, fl_loaded *L, char *err, size_t cap)
{
    fl_db_cursor *c;
    int rc = fl_db_cursor_open(db, "SELECT json, plugin_path FROM scenarios WHERE id = ?1", &c, err,
                               cap);
    if (rc)
        return rc;
    fl_db_cursor_bind_int(c, 1, id);
    rc = fl_db_cursor_next(c, err, cap);
    const char *path = rc == 1 ? fl_db_cursor_text(c, 1) : NULL;
    if (path && access(path, R_OK) != 0) {
        snprintf(err, cap,
                 "scenario %" PRId64 "'s plugin was loaded from %s, which is not readable here "
                 "(%s)",
                 id, path, strerror(errno));
        rc = FL_EINVAL;
    } else if (rc == 1) {
        rc = fl_load_stored(fl_db_cursor_text(c, 0), path, L, err, cap);
    } else if (rc == 0) {
        snprintf(err, cap, "scenario %" PRId64 ": not in the database", id);
        rc = FL_ENOTFOUND;
    }
    fl_db_cursor_close(c);
    return rc;
}

/* Every group's scenario loads (its plugin is readable): checked before the database is
 * opened for writing, so that a refused recheck leaves the file as it was, byte for
 * byte (a writer's open switches the file to WAL mode). */
static int check_groups(recheck *r, char *err, size_t cap)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->n; i++) {
        if (i > 0 && r->runs[i].scenario_id == r->runs[i - 1].scenario_id)
            continue;
        fl_loaded L = {0};
        rc = load_scenario(r->db, r->runs[i].scenario_id, &L, err, cap);
        fl_load_close(&L);
    }
    return rc;
}

/* ---- re-execution ---- */

/* A sink in front of the recorder's that keeps what the run's end says. */
typedef struct capture {
    fl_sink inner;
    failing *f;
} capture;

static int capture_consume(void *ctx, const fl_record *rec)
{
    capture *cp = ctx;
    if (rec->kind == FL_REC_RUN_END) {
        const fl_run_result *res = rec->u.end;
        copy_text(cp->f->now_outcome, sizeof cp->f->now_outcome, fl_outcome_name(res->outcome));
        copy_text(cp->f->now_check, sizeof cp->f->now_check, res->check);
        cp->f->now_fail_step = res->outcome == FL_OUTCOME_OK ? -1 : res->fail_step;
    }
    return cp->inner.wants & FL_REC_BIT(rec->kind) ? cp->inner.consume(cp->inner.ctx, rec) : 0;
}

/* One re-execution's frames into a bare row (origin replay, parent the original). */
static int on_result(void *ctx, size_t item, const fl_sweep_frame *fr, char *err, size_t cap)
{
    recheck *r = ctx;
    failing *f = &r->runs[r->group + item];
    fl_run_meta meta = {
        .scenario_id = r->scenario_id, .origin = FL_ORIGIN_REPLAY, .parent_run = f->run};
    fl_recorder *rec = NULL;
    int rc = fl_recorder_begin(r->db, &meta, FL_RECORD_NONE, &rec, err, cap);
    if (rc == 0) {
        capture cp = {.f = f};
        fl_recorder_sink(rec, &cp.inner);
        fl_sink k = {.name = "recheck",
                     .wants = cp.inner.wants | FL_REC_BIT(FL_REC_RUN_END),
                     .ctx = &cp,
                     .consume = capture_consume};
        rc = fl_wire_replay(fr->bytes, fr->len, &k);
        if (rc == FL_EPARSE)
            snprintf(err, cap, "recheck: run %" PRId64 ": malformed frames from the worker",
                     f->run);
        else
            rc = fl_recorder_end(rec, &f->now_run, err, cap);
    }
    fl_recorder_free(rec);
    f->done = rc == 0;
    return rc;
}

/* Where a group's re-executions go: the original scenario for a built-in protocol; for
 * a plugin, the scenario of the plugin as it is now (the same one unless it changed). */
static int target_scenario(recheck *r, fl_loaded *L, int64_t original, char *err, size_t cap)
{
    r->scenario_id = original;
    if (!L->plugin_abs[0])
        return 0;
    int rc = fl_db_scenario_id(r->db, L->sc.name, L->identity_json, &r->scenario_id, err, cap);
    return rc ? rc : fl_db_scenario_plugin_path(r->db, r->scenario_id, L->plugin_abs, err, cap);
}

/* Re-execute runs[from..to), which share a scenario, in the worker pool. */
static int run_group(recheck *r, const recheck_args *a, size_t from, size_t to, fl_sweep_stats *st,
                     char *err, size_t cap)
{
    fl_loaded L = {0};
    int rc = load_scenario(r->db, r->runs[from].scenario_id, &L, err, cap);
    if (rc == 0)
        rc = target_scenario(r, &L, r->runs[from].scenario_id, err, cap);
    fl_sweep_item *items = rc == 0 ? calloc(to - from, sizeof *items) : NULL;
    char *text = rc == 0 ? cJSON_PrintUnformatted(L.sc.json) : NULL;
    if (rc == 0 && (!items || !text)) {
        snprintf(err, cap, "out of memory");
        rc = FL_ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < to - from; i++)
        items[i] =
            (fl_sweep_item){.seed = r->runs[from + i].seed, .schedule = r->runs[from + i].schedule};
    r->group = from;
    fl_sweep_cfg c = {.sc = &L.sc,
                      .scenario_text = text,
                      .plugin_path = L.plugin_abs[0] ? L.plugin_abs : NULL,
                      .db = r->db,
                      .scenario_id = r->scenario_id,
                      .jobs = a->jobs,
                      .progress = a->json                 ? 0
                                  : isatty(STDERR_FILENO) ? 1
                                                          : 2,
                      .items = items,
                      .nitems = to - from,
                      .on_result = on_result,
                      .ctx = r};
    if (rc == 0)
        rc = fl_sweep_execute(&c, st, err, cap);
    free(text);
    free(items);
    fl_load_close(&L);
    return rc;
}

/* Every group in turn; *interrupted when Ctrl-C stopped it. */
static int run_all(recheck *r, const recheck_args *a, int *interrupted, char *err, size_t cap)
{
    int rc = 0;
    for (size_t from = 0, to; rc == 0 && !*interrupted && from < r->n; from = to) {
        for (to = from + 1; to < r->n && r->runs[to].scenario_id == r->runs[from].scenario_id;)
            to++;
        fl_sweep_stats st;
        rc = run_group(r, a, from, to, &st, err, cap);
        *interrupted = st.interrupted;
    }
    return rc;
}

/* ---- the report ---- */

static int by_run(const void *x, const void *y)
{
    int64_t a = ((const failing *)x)->run, b = ((const failing *)y)->run;
    return a < b ? -1 : a > b;
}

static void failure_text(char *buf, size_t cap, const char *outcome, const char *check,
                         int64_t step)
{
    int n = snprintf(buf, cap, "%s%s%s", outcome, check[0] && strcmp(check, outcome) ? ": " : "",
                     strcmp(check, outcome) ? check : "");
    if (step >= 0 && n >= 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " at step %" PRId64, step);
}

static void print_text(const recheck *r, const size_t count[3], int interrupted)
{
    static const char *const said[] = {"fixed", "still failing", "failing differently"};
    size_t done = 0;
    for (size_t i = 0; i < r->n; i++) {
        const failing *f = &r->runs[i];
        if (!f->done)
            continue;
        done++;
        char was[256], now[256];
        failure_text(was, sizeof was, f->outcome, f->check, f->fail_step);
        failure_text(now, sizeof now, f->now_outcome, f->now_check, f->now_fail_step);
        int v = verdict(f);
        printf("recheck: run %" PRId64 " (seed %" PRIu64 "): %s: %s (was %s; run %" PRId64 ")\n",
               f->run, f->seed, said[v], v == FIXED ? "ok" : now, was, f->now_run);
    }
    printf("recheck: %zu failing run%s re-executed%s: %zu fixed, %zu still failing the same way, "
           "%zu failing differently\n",
           done, done == 1 ? "" : "s", interrupted ? " (interrupted)" : "", count[FIXED],
           count[SAME], count[DIFFERENT]);
}

static cJSON *failure_json(const char *outcome, const char *check, int64_t step)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "outcome", outcome);
    if (check[0])
        cJSON_AddStringToObject(o, "check", check);
    else
        cJSON_AddNullToObject(o, "check");
    if (step >= 0)
        cJSON_AddNumberToObject(o, "fail_step", (double)step);
    else
        cJSON_AddNullToObject(o, "fail_step");
    return o;
}

static int print_json(const recheck *r, const recheck_args *a, const size_t count[3],
                      int interrupted)
{
    cJSON *j = cJSON_CreateObject(), *runs = cJSON_CreateArray();
    cJSON_AddStringToObject(j, "database", a->db);
    if (a->sweep)
        cJSON_AddNumberToObject(j, "sweep", (double)a->sweep);
    else
        cJSON_AddNullToObject(j, "sweep");
    size_t done = count[FIXED] + count[SAME] + count[DIFFERENT];
    cJSON_AddNumberToObject(j, "rechecked", (double)done);
    for (int v = FIXED; v <= DIFFERENT; v++)
        cJSON_AddNumberToObject(j, verdict_name[v], (double)count[v]);
    cJSON_AddBoolToObject(j, "interrupted", interrupted);
    for (size_t i = 0; i < r->n; i++) {
        const failing *f = &r->runs[i];
        if (!f->done)
            continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "run", (double)f->run);
        cJSON_AddNumberToObject(e, "seed", (double)f->seed);
        cJSON_AddStringToObject(e, "verdict", verdict_name[verdict(f)]);
        cJSON_AddItemToObject(e, "was", failure_json(f->outcome, f->check, f->fail_step));
        cJSON *now = failure_json(f->now_outcome, f->now_check, f->now_fail_step);
        cJSON_AddNumberToObject(now, "run", (double)f->now_run);
        cJSON_AddItemToObject(e, "now", now);
        cJSON_AddItemToArray(runs, e);
    }
    cJSON_AddItemToObject(j, "runs", runs);
    char *text = fl_json_print(j);
    cJSON_Delete(j);
    if (!text)
        return FL_ENOMEM;
    puts(text);
    free(text);
    return 0;
}

/* ---- the command ---- */

static void recheck_close(recheck *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->runs[i].schedule);
    free(r->runs);
    fl_db_close(r->db);
}

int fl_cmd_recheck(int argc, char **argv)
{
    recheck_args a = {0};
    int ex = parse_args(argc, argv, &a);
    if (ex >= 0)
        return ex;
    if (a.jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a.jobs = n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
    }
    if (access(a.db, F_OK) != 0) { /* a writer's open would create it */
        fl_cli_error("recheck: %s: %s", a.db, strerror(errno));
        return FL_EXIT_USAGE;
    }
    char err[1024];
    recheck r = {0};
    int interrupted = 0;
    int rc = fl_db_open(&r.db, a.db, FL_DB_READONLY, err, sizeof err);
    if (rc == 0 && a.sweep)
        rc = sweep_exists(r.db, a.sweep, err, sizeof err);
    if (rc == 0)
        rc = load_failing(&r, a.sweep, err, sizeof err);
    if (rc == 0)
        rc = check_groups(&r, err, sizeof err);
    if (rc == 0 && r.n > 0) { /* everything checked: now for writing (the recordings) */
        fl_db_close(r.db);
        rc = fl_db_open(&r.db, a.db, FL_DB_CREATE, err, sizeof err);
    }
    if (rc == 0)
        rc = run_all(&r, &a, &interrupted, err, sizeof err);
    if (rc) {
        fl_cli_error("recheck: %s", err);
        recheck_close(&r);
        return fl_cli_exit_for(rc);
    }
    if (r.n) /* qsort wants a non-NULL base even for nothing */
        qsort(r.runs, r.n, sizeof *r.runs, by_run);
    size_t count[3] = {0};
    for (size_t i = 0; i < r.n; i++)
        if (r.runs[i].done)
            count[verdict(&r.runs[i])]++;
    if (a.json)
        rc = print_json(&r, &a, count, interrupted);
    else
        print_text(&r, count, interrupted);
    recheck_close(&r);
    if (rc) {
        fl_cli_error("recheck: out of memory");
        return FL_EXIT_INTERNAL;
    }
    return interrupted                       ? FL_EXIT_INTERRUPTED
           : count[SAME] || count[DIFFERENT] ? FL_EXIT_FAILED
                                             : FL_EXIT_OK;
}
