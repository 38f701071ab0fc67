/*
 * cmd_sweep.c -- `faultline sweep`: many seeds of one scenario in parallel worker
 * processes, one runs row per seed, failing seeds recorded in full, resumable.
 *
 * The engine is in sweep.c; this file parses the command line, finds or creates the
 * sweep in the database (resume), and prints the summary from the database, so that a
 * resumed sweep reports on all of its seeds.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/world.h"
#include "sim/cli.h"
#include "sim/load.h"
#include "sim/sweep.h"
#include "sim/sweep_json.h"

#define MAX_RANGE 1000000000ull /* seeds per sweep */
#define SHOW_FAILING 5

static const char sweep_usage[] =
    "usage: faultline sweep [SCENARIO] --seeds A..B|N [-j N] [--db FILE]\n"
    "                       [--record none|failures|all] [--record-max N] [--shard K/N]\n"
    "                       [--stop-after N] [--protocol SO] [--set PATH=VALUE]... [--quiet]\n"
    "                       [--format text|json]\n\n"
    "Run many seeds of SCENARIO in parallel worker processes and record one runs row per\n"
    "seed into a SQLite database; failing seeds are re-executed and recorded in full.\n"
    "Running the same command again resumes: seeds already recorded are skipped.\n\n"
    "  --seeds A..B|N        the seeds, inclusive (N means 1..N)\n"
    "  -j, --jobs N          worker processes (default: one per online CPU; more is\n"
    "                        allowed, with a warning: they share the CPUs)\n"
    "  --db FILE             the database (default: faultline.db)\n"
    "  --record MODE         failures (default): failing seeds in full, the rest as rows;\n"
    "                        none: rows only; all: every seed in full (slow)\n"
    "  --record-max N        record at most N failing seeds in full (default 100)\n"
    "  --shard K/N           run only the seeds s with (s - A) mod N = K - 1\n"
    "  --stop-after N        stop after N failing seeds (resumable)\n"
    "  --protocol SO         run the protocol of a shared object\n"
    "  --set PATH=VALUE      override one scenario key (repeatable)\n"
    "  --quiet               no progress, only errors and the summary\n"
    "  --format text|json    the summary as text (default) or one JSON object for CI\n"
    "                        (docs/sweep.md)\n\n"
    "Exit codes: 0 every seed ok, 1 some seed failed, 2 usage or input error, 3 internal\n"
    "error, 130 interrupted (run the same command again to resume).\n";

typedef struct sweep_args {
    fl_load_opts lo;
    const char *db_path;
    uint64_t from, to, shard_k, shard_n;
    const char *shard;
    int have_seeds, jobs, record, quiet, json;
    uint64_t record_max, stop_after;
} sweep_args;

static int parse_seeds(const char *s, uint64_t *from, uint64_t *to)
{
    const char *dots = strstr(s, "..");
    if (!dots) {
        if (fl_cli_parse_seed(s, to) || *to == 0)
            return -1;
        *from = 1;
        return 0;
    }
    char a[32];
    size_t n = (size_t)(dots - s);
    if (n == 0 || n >= sizeof a)
        return -1;
    memcpy(a, s, n);
    a[n] = 0;
    if (fl_cli_parse_seed(a, from) || fl_cli_parse_seed(dots + 2, to) || *from > *to)
        return -1;
    return 0;
}

static int parse_shard(const char *s, uint64_t *k, uint64_t *n)
{
    const char *slash = strchr(s, '/');
    char a[32];
    if (!slash || (size_t)(slash - s) >= sizeof a || slash == s)
        return -1;
    memcpy(a, s, (size_t)(slash - s));
    a[slash - s] = 0;
    if (fl_cli_parse_u64(a, k) || fl_cli_parse_u64(slash + 1, n) || *k < 1 || *n < 1 || *k > *n)
        return -1;
    return 0;
}

/* The options that take a value as it is, or none. */
static int take_plain_option(int c, const char *arg, sweep_args *a)
{
    switch (c) {
    case 'd':
        a->db_path = arg;
        return 0;
    case 'p':
        a->lo.plugin_path = arg;
        return 0;
    case 'x':
        return fl_load_add_set(&a->lo, arg) ? FL_EXIT_USAGE : 0;
    case 'q':
        a->quiet = 1;
        return 0;
    case 'f':
        if (strcmp(arg, "text") && strcmp(arg, "json")) {
            fl_cli_error("sweep: --format: expected text or json, got '%s'", arg);
            return FL_EXIT_USAGE;
        }
        a->json = strcmp(arg, "json") == 0;
        return 0;
    default:
        return FL_EXIT_USAGE;
    }
}

/* One option of sweep's command line; FL_EXIT_USAGE on a bad value. */
static int take_option(int c, const char *arg, sweep_args *a)
{
    uint64_t v;
    switch (c) {
    case 's':
        if (parse_seeds(arg, &a->from, &a->to)) {
            fl_cli_error("sweep: --seeds: expected A..B with A <= B, or N >= 1, seeds at most"
                         " 2^63-1 = %llu, got '%s'",
                         FL_CLI_MAX_SEED, arg);
            return FL_EXIT_USAGE;
        }
        if (a->to - a->from >= MAX_RANGE) {
            fl_cli_error("sweep: --seeds: at most %llu seeds per sweep", MAX_RANGE);
            return FL_EXIT_USAGE;
        }
        a->have_seeds = 1;
        return 0;
    case 'j':
        if (fl_cli_parse_u64(arg, &v) || v < 1 || v > 1024) {
            fl_cli_error("sweep: -j: expected 1..1024 workers, got '%s'", arg);
            return FL_EXIT_USAGE;
        }
        a->jobs = (int)v;
        return 0;
    case 'r':
        if (strcmp(arg, "none") == 0)
            a->record = FL_SWEEP_RECORD_NONE;
        else if (strcmp(arg, "failures") == 0)
            a->record = FL_SWEEP_RECORD_FAILURES;
        else if (strcmp(arg, "all") == 0)
            a->record = FL_SWEEP_RECORD_ALL;
        else {
            fl_cli_error("sweep: --record: expected none, failures or all, got '%s'", arg);
            return FL_EXIT_USAGE;
        }
        return 0;
    case 'm':
        if (fl_cli_parse_u64(arg, &a->record_max)) {
            fl_cli_error("sweep: --record-max: expected a non-negative integer, got '%s'", arg);
            return FL_EXIT_USAGE;
        }
        return 0;
    case 'k':
        if (parse_shard(arg, &a->shard_k, &a->shard_n)) {
            fl_cli_error("sweep: --shard: expected K/N with 1 <= K <= N, got '%s'", arg);
            return FL_EXIT_USAGE;
        }
        a->shard = arg;
        return 0;
    case 'a':
        if (fl_cli_parse_u64(arg, &a->stop_after) || a->stop_after == 0) {
            fl_cli_error("sweep: --stop-after: expected a positive integer, got '%s'", arg);
            return FL_EXIT_USAGE;
        }
        return 0;
    default:
        return take_plain_option(c, arg, a);
    }
}

static int parse_args(int argc, char **argv, sweep_args *a)
{
    static const struct option opts[] = {{"seeds", required_argument, 0, 's'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"db", required_argument, 0, 'd'},
                                         {"record", required_argument, 0, 'r'},
                                         {"record-max", required_argument, 0, 'm'},
                                         {"shard", required_argument, 0, 'k'},
                                         {"stop-after", required_argument, 0, 'a'},
                                         {"protocol", required_argument, 0, 'p'},
                                         {"set", required_argument, 0, 'x'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "j:q", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(sweep_usage, stdout);
            return -1;
        }
        if (c == '?' || c == ':') {
            fl_cli_error("sweep: unknown option or missing value '%s' (see faultline sweep --help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
        int rc = take_option(c, optarg, a);
        if (rc)
            return rc;
    }
    if (optind < argc)
        a->lo.scenario_path = argv[optind++];
    if (optind < argc) {
        fl_cli_error("sweep: unexpected argument '%s'", argv[optind]);
        return FL_EXIT_USAGE;
    }
    if (!a->have_seeds) {
        fl_cli_error("sweep: --seeds is required (e.g. --seeds 1..1000)");
        return FL_EXIT_USAGE;
    }
    return 0;
}

/* ---- resume ---- */

typedef struct done_ctx {
    uint8_t *bits;
    uint64_t from, to, n;
} done_ctx;

static void mark_done(void *ctx, uint64_t seed)
{
    done_ctx *d = ctx;
    if (seed < d->from || seed > d->to)
        return;
    uint64_t i = seed - d->from;
    if (!(d->bits[i / 8] >> (i % 8) & 1))
        d->n++;
    d->bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The sweep's status after this invocation; nonzero (said) when it cannot be written. */
static int mark_status(fl_db *db, int64_t sweep_id, int rc, const fl_sweep_stats *st)
{
    char err[256];
    const char *status = rc || st->interrupted || st->stopped ? "interrupted" : "done";
    if (fl_db_sweep_status(db, sweep_id, status, err, sizeof err) == 0)
        return 0;
    fl_cli_fail("sweep", err);
    return -1;
}

/* The command line's part of the sweep's configuration. */
static void take_args(fl_sweep_cfg *cfg, const sweep_args *a)
{
    cfg->from = a->from;
    cfg->to = a->to;
    cfg->shard_k = a->shard_k;
    cfg->shard_n = a->shard_n;
    cfg->jobs = a->jobs;
    cfg->record = a->record;
    cfg->record_max = a->record_max;
    cfg->stop_after = a->stop_after;
    cfg->progress = a->quiet ? 0 : isatty(STDERR_FILENO) ? 1 : 2;
}

/* The seeds of d's range that a sweep of the scenario already ran: every sweep of it
 * counts, whatever its range. */
static int load_done(fl_db *db, int64_t scenario_id, done_ctx *d, char *err, size_t cap)
{
    d->bits = calloc((size_t)((d->to - d->from) / 8 + 1), 1);
    if (!d->bits) {
        snprintf(err, cap, "sweep: out of memory");
        return FL_ENOMEM;
    }
    return fl_db_sweep_seeds_done(db, scenario_id, mark_done, d, err, cap);
}

/* ---- summary ---- */

static void print_quoted(FILE *out, const char *s)
{
    if (*s &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./=:,+-@%") ==
            strlen(s)) {
        fputs(s, out);
        return;
    }
    fputc('\'', out);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", out);
        else
            fputc(*s, out);
    fputc('\'', out);
}

static void print_repro(FILE *out, const sweep_args *a, uint64_t seed)
{
    fputs("    faultline run ", out);
    if (a->lo.scenario_path) {
        print_quoted(out, a->lo.scenario_path);
        fputc(' ', out);
    }
    fprintf(out, "--seed %" PRIu64 " --trace", seed);
    if (a->lo.plugin_path) {
        fputs(" --protocol ", out);
        print_quoted(out, a->lo.plugin_path);
    }
    for (size_t i = 0; i < a->lo.nsets; i++) {
        fputs(" --set ", out);
        print_quoted(out, a->lo.sets[i]);
    }
    fputc('\n', out);
}

/* The first error of the summary's reads: a read that fails (a damaged page) must not
 * look like a sweep with fewer runs. */
typedef struct summary_err {
    int rc;
    char msg[512];
} summary_err;

static fl_db_cursor *cursor(fl_db *db, const char *sql, int64_t sweep_id, summary_err *se)
{
    fl_db_cursor *c = NULL;
    char err[512];
    int rc = fl_db_cursor_open(db, sql, &c, err, sizeof err);
    if (rc) {
        if (se->rc == 0) {
            se->rc = rc;
            snprintf(se->msg, sizeof se->msg, "%s", err);
        }
        return NULL;
    }
    fl_db_cursor_bind_int(c, 1, sweep_id);
    return c;
}

/* 1 when c has a row ready; 0 at the end or on an error (kept in se). */
static int next_row(fl_db_cursor *c, summary_err *se)
{
    char err[512];
    int rc = c != NULL ? fl_db_cursor_next(c, err, sizeof err) : 0;
    if (rc < 0 && se->rc == 0) {
        se->rc = rc;
        snprintf(se->msg, sizeof se->msg, "%s", err);
    }
    return rc == 1;
}

/* Print the summary of the whole sweep (this invocation and earlier ones); returns the
 * number of failing seeds. */
/* What full recordings this invocation made, and what a resume will do. */
static void print_kept(const fl_sweep_stats *st)
{
    if (st->resumed_pending)
        printf("pending recordings of earlier sweeps: %" PRIu64 "\n", st->resumed_pending);
    if (st->pending)
        printf("kept: every finished seed's row, failures included; %" PRIu64
               " full recording%s still pending: run the same command to make them\n",
               st->pending, st->pending == 1 ? "" : "s");
}

/* The first failing seeds, each with the command that reproduces it, and the query for
 * all of them. */
static void print_failing(fl_db *db, const sweep_args *a, const char *db_path, int64_t sweep_id,
                          uint64_t failing, summary_err *se)
{
    fl_db_cursor *c;
    printf("failing seeds (first %d of %" PRIu64 "), each reproduced by:\n",
           failing < SHOW_FAILING ? (int)failing : SHOW_FAILING, failing);
    c = cursor(db,
               "SELECT seed, outcome, coalesce(check_name, ''), coalesce(detail, ''),"
               " recorded FROM runs WHERE sweep_id = ? AND outcome <> 'ok'"
               " ORDER BY seed LIMIT 5",
               sweep_id, se);
    while (next_row(c, se)) {
        const char *chk = fl_db_cursor_text(c, 2), *det = fl_db_cursor_text(c, 3);
        printf("  seed %" PRId64 ": %s", fl_db_cursor_int(c, 0), fl_db_cursor_text(c, 1));
        if (chk && *chk)
            printf(" (%s: %s)", chk, det ? det : "");
        else if (det && *det)
            printf(" (%s)", det);
        if (strcmp(fl_db_cursor_text(c, 4), "all") == 0)
            fputs(" [recorded in full]", stdout);
        putchar('\n');
        print_repro(stdout, a, (uint64_t)fl_db_cursor_int(c, 0));
    }
    fl_db_cursor_close(c);
    printf("all of them: faultline query ");
    print_quoted(stdout, db_path);
    printf(" \"SELECT id, seed, outcome, check_name, detail FROM runs WHERE sweep_id = %" PRId64
           " AND outcome <> 'ok' ORDER BY seed\"\n",
           sweep_id);
}

static uint64_t print_summary(fl_db *db, const sweep_args *a, const char *db_path, int64_t sweep_id,
                              const fl_sweep_stats *st, uint64_t already, summary_err *se)
{
    uint64_t total = 0, failing = 0;
    printf("sweep %" PRId64 ": seeds %" PRIu64 "..%" PRIu64, sweep_id, a->from, a->to);
    if (a->shard)
        printf(" (shard %s)", a->shard);
    printf(": %" PRIu64 " run now, %" PRIu64 " already done", st->ran, already);
    printf(", %.2f s wall, %.1f seeds/s\n", st->wall_s,
           st->wall_s > 0 ? (double)st->ran / st->wall_s : 0.0);
    fl_db_cursor *c = cursor(db,
                             "SELECT outcome, count(*) FROM runs WHERE sweep_id = ?"
                             " GROUP BY outcome ORDER BY outcome <> 'ok', count(*) DESC, outcome",
                             sweep_id, se);
    fputs("outcomes:", stdout);
    int first = 1;
    while (next_row(c, se)) {
        int64_t n = fl_db_cursor_int(c, 1);
        const char *o = fl_db_cursor_text(c, 0);
        printf("%s %s %" PRId64, first ? "" : ",", o ? o : "?", n);
        first = 0;
        total += (uint64_t)n;
        if (!o || strcmp(o, "ok") != 0)
            failing += (uint64_t)n;
    }
    printf("%s (%" PRIu64 " seeds)\n", first ? " none" : "", total);
    fl_db_cursor_close(c);
    c = cursor(db,
               "SELECT coalesce(check_name, '?'), count(*) FROM runs WHERE sweep_id = ?"
               " AND outcome = 'violation' GROUP BY 1 ORDER BY 2 DESC, 1",
               sweep_id, se);
    first = 1;
    while (next_row(c, se)) {
        printf("%s %s %" PRId64, first ? "violations by check:" : ",", fl_db_cursor_text(c, 0),
               fl_db_cursor_int(c, 1));
        first = 0;
    }
    if (!first)
        putchar('\n');
    fl_db_cursor_close(c);
    if (failing)
        print_failing(db, a, db_path, sweep_id, failing, se);
    if (st->recorded)
        printf("recorded in full: %" PRIu64 " run%s, %" PRIu64 " digest mismatch%s\n", st->recorded,
               st->recorded == 1 ? "" : "s", st->mismatches, st->mismatches == 1 ? "" : "es");
    if (st->interrupted)
        printf("interrupted: run the same command again to resume\n");
    else if (st->stopped)
        printf("stopped after %" PRIu64 " failing seeds (--stop-after): run the same command"
               " again to go on\n",
               a->stop_after);
    fflush(stdout);
    return failing;
}

/* -j: one worker per online CPU by default; more is the user's choice, and said. */
static void choose_jobs(sweep_args *a)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (a->jobs == 0)
        a->jobs = cpus < 1 ? 1 : cpus > 1024 ? 1024 : (int)cpus;
    else if (cpus >= 1 && a->jobs > cpus && !a->quiet)
        fprintf(stderr,
                "faultline: warning: sweep: -j %d is more than the %ld CPUs online; the workers "
                "will share them\n",
                a->jobs, cpus);
}

/* The summary on stdout, as text or JSON; *failing gets the failing seeds. */
static int print_result(fl_db *db, const sweep_args *a, int64_t sweep_id, const fl_sweep_stats *st,
                        uint64_t already, uint64_t *failing)
{
    if (!a->json) {
        summary_err se = {0};
        *failing = print_summary(db, a, a->db_path, sweep_id, st, already, &se);
        print_kept(st);
        if (se.rc)
            fl_cli_error("sweep: summary: %s", se.msg);
        return se.rc;
    }
    char err[512];
    fl_sweep_json_in in = {.db_path = a->db_path,
                           .sweep_id = sweep_id,
                           .from = a->from,
                           .to = a->to,
                           .already_done = already,
                           .shard = a->shard};
    int rc = fl_sweep_print_json(stdout, db, &in, st, failing, err, sizeof err);
    if (rc != 0)
        fl_cli_fail("sweep", err);
    return rc;
}

/* Take the sweep lock, open (or resume) the sweep row and read the seeds already done.
 * Returns 0, or the exit code after saying why. */
static int open_sweep(fl_loaded *L, const sweep_args *a, fl_sweep_cfg *cfg, done_ctx *d,
                      int *resumed)
{
    char err[1024];
    int lock_fd = -1; /* held until the process exits */
    int rc = fl_sweep_lock(a->db_path, cfg->scenario_id, &lock_fd, err, sizeof err);
    if (rc) {
        fl_cli_fail("sweep", err);
        return FL_EXIT_USAGE;
    }
    rc = fl_db_sweep_open(L->db, cfg->scenario_id, a->from, a->to, a->shard, a->jobs,
                          &cfg->sweep_id, resumed, err, sizeof err);
    if (rc == 0)
        rc = load_done(L->db, cfg->scenario_id, d, err, sizeof err);
    if (rc) {
        fl_cli_fail("sweep", err);
        return fl_cli_exit_for(rc);
    }
    return 0;
}

int fl_cmd_sweep(int argc, char **argv)
{
    sweep_args a = {.db_path = "faultline.db",
                    .record = FL_SWEEP_RECORD_FAILURES,
                    .record_max = 100,
                    .shard_k = 1,
                    .shard_n = 1};
    int ex = parse_args(argc, argv, &a);
    if (ex)
        return ex < 0 ? FL_EXIT_OK : ex;
    choose_jobs(&a);
    fl_loaded L;
    char err[1024];
    fl_sweep_cfg cfg = {0};
    a.lo.defer_plugin = 1; /* the workers load it: no protocol code in the parent */
    int rc = fl_load(&a.lo, &L, err, sizeof err);
    if (rc == 0)
        rc = fl_load_open_db(&L, a.db_path, &cfg.scenario_id, err, sizeof err);
    if (rc) {
        fl_cli_fail("sweep", err);
        fl_load_close(&L);
        return fl_cli_exit_for(rc);
    }
    int resumed = 0;
    done_ctx d = {.from = a.from, .to = a.to};
    ex = open_sweep(&L, &a, &cfg, &d, &resumed);
    if (ex) {
        free(d.bits);
        fl_load_close(&L);
        return ex;
    }
    cfg.sc = &L.sc;
    cfg.proto = L.proto;
    char *scenario_text = cJSON_PrintUnformatted(L.sc.json);
    cfg.scenario_text = scenario_text ? scenario_text : "{}";
    /* the plugin's absolute path: --protocol's, or a module protocol's (etcd-raft) */
    cfg.plugin_path = L.plugin_abs[0] ? L.plugin_abs : NULL;
    cfg.db = L.db;
    cfg.done = d.bits;
    take_args(&cfg, &a);
    if (resumed && !a.quiet)
        fprintf(stderr,
                "faultline: sweep: resuming sweep %" PRId64 " (%" PRIu64 " seeds already done)\n",
                cfg.sweep_id, d.n);
    fl_sweep_stats st;
    rc = fl_sweep_execute(&cfg, &st, err, sizeof err);
    free(d.bits);
    free(scenario_text);
    if (rc) {
        fl_cli_fail("sweep", err);
        /* best effort and unsaid: it fails for the reason just said (a full disk) */
        char ignored[256];
        fl_db_sweep_status(L.db, cfg.sweep_id, "interrupted", ignored, sizeof ignored);
        fl_load_close(&L);
        return fl_cli_exit_for(rc);
    }
    if (mark_status(L.db, cfg.sweep_id, rc, &st)) {
        fl_load_close(&L);
        return FL_EXIT_INTERNAL;
    }
    uint64_t failing = 0;
    rc = print_result(L.db, &a, cfg.sweep_id, &st, d.n, &failing);
    fl_load_close(&L);
    if (rc)
        return fl_cli_exit_for(rc);
    if (st.interrupted)
        return FL_EXIT_INTERRUPTED;
    return failing || st.mismatches ? FL_EXIT_FAILED : FL_EXIT_OK;
}
