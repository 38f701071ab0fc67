/*
 * cmd_run.c -- `faultline run`: one seed of a scenario, its summary on stdout (and the
 * trace with --trace), optionally recorded into a database.
 *
 * stdout holds only what the run determines, so it is byte-identical between two
 * executions; the wall time goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/assert.h"

#include "core/error.h"
#include "sim/cli.h"
#include "faults/schedule.h"
#include "sim/load.h"
#include "sim/job.h"
#include "sim/summary_json.h"
#include "sim/run/jsonl.h"
#include "sim/run/run.h"
#include "sim/run/trace.h"
#include "storage/recorder.h"

static const char run_usage[] =
    "usage: faultline run [SCENARIO] [--seed N] [--schedule FILE] [--write-schedule FILE]\n"
    "                     [--db FILE] [--record all|none] [--trace] [--records FILE]\n"
    "                     [--protocol SO] [--set PATH=VALUE]... [--format text|json]\n\n"
    "Run one seed of SCENARIO (default: the built-in default scenario, 3-node Raft) and\n"
    "print a summary: outcome, steps, virtual time, messages and the digest.\n\n"
    "  --seed N              the seed (default 1)\n"
    "  --schedule FILE       use this fault schedule (or, in scripted mode, this script)\n"
    "                        instead of generating one from the seed\n"
    "  --write-schedule FILE write the schedule this run used\n"
    "  --db FILE             record the run into this SQLite database\n"
    "  --record all|none     with --db: every step, message, state and log (all, default),\n"
    "                        or the runs row only (none)\n"
    "  --trace               print every step as it happens\n"
    "  --records FILE        write every record of the run to FILE as JSON lines, keyed\n"
    "                        by the database's column names (docs/pipeline.md)\n"
    "  --protocol SO         run the protocol of a shared object (exports faultline_protocol)\n"
    "  --set PATH=VALUE      override one scenario key, e.g. --set nodes=5 (repeatable)\n"
    "  --format text|json    the summary as text (default) or as one JSON object for CI\n"
    "                        (docs/sweep.md); not with --trace\n\n"
    "SCENARIO - reads the scenario from standard input.\n\n"
    "Exit codes: 0 ok, 1 the run failed (violation, liveness, divergence, limit, hang),\n"
    "2 usage or input error, 3 internal error.\n";

/* A crashed or hung run says so on stderr in one line, with where to look. */
static void report_abnormal(const fl_run_result *res, uint64_t seed)
{
    if (res->outcome == FL_OUTCOME_CRASH && strcmp(res->check, "protocol_error") == 0) {
        fprintf(stderr, "faultline: run: the protocol misused a service: %s\n", res->detail);
    } else if (res->outcome == FL_OUTCOME_CRASH) {
        int sig = 0;
        const char *p = strstr(res->detail, "(signal ");
        if (p)
            sig = atoi(p + 8);
        const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
        fprintf(stderr,
                "faultline: run: the protocol crashed (SIG%s): outcome crash at step %lld (seed "
                "%llu)\n",
                abbrev ? abbrev : "?", (long long)res->fail_step, (unsigned long long)seed);
    } else if (res->outcome == FL_OUTCOME_HANG) {
        fprintf(stderr,
                "faultline: run: wall-clock watchdog expired: outcome hang at step %lld (seed "
                "%llu)\n",
                (long long)res->fail_step, (unsigned long long)seed);
    }
}

/* What the command line asks of the run, besides the scenario. */
typedef struct run_args {
    uint64_t seed;
    int record; /* FL_RECORD_*, with --db */
    int trace;
    const char *write_schedule_path;
    const char *records_path; /* --records */
    int json;                 /* --format json */
} run_args;

static int parse_args(int argc, char **argv, fl_load_opts *lo, run_args *ro, const char **db_path,
                      const char **schedule_path)
{
    static const struct option opts[] = {{"seed", required_argument, 0, 's'},
                                         {"schedule", required_argument, 0, 'S'},
                                         {"write-schedule", required_argument, 0, 'W'},
                                         {"db", required_argument, 0, 'd'},
                                         {"record", required_argument, 0, 'r'},
                                         {"trace", no_argument, 0, 't'},
                                         {"records", required_argument, 0, 'R'},
                                         {"protocol", required_argument, 0, 'p'},
                                         {"set", required_argument, 0, 'x'},
                                         {"format", required_argument, 0, 'f'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (fl_cli_parse_seed(optarg, &ro->seed)) {
                fl_cli_error("run: --seed: expected an integer in [0, 2^63-1 = %llu], got '%s'",
                             FL_CLI_MAX_SEED, optarg);
                return FL_EXIT_USAGE;
            }
            break;
        case 'S':
            *schedule_path = optarg;
            break;
        case 'W':
            ro->write_schedule_path = optarg;
            break;
        case 'd':
            *db_path = optarg;
            break;
        case 'r':
            if (strcmp(optarg, "all") && strcmp(optarg, "none")) {
                fl_cli_error("run: --record: expected all or none, got '%s'", optarg);
                return FL_EXIT_USAGE;
            }
            ro->record = strcmp(optarg, "all") == 0 ? FL_RECORD_ALL : FL_RECORD_NONE;
            break;
        case 't':
            ro->trace = 1;
            break;
        case 'R':
            ro->records_path = optarg;
            break;
        case 'p':
            lo->plugin_path = optarg;
            break;
        case 'x':
            if (fl_load_add_set(lo, optarg))
                return FL_EXIT_USAGE;
            break;
        case 'f':
            if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
                fl_cli_error("run: --format: expected text or json, got '%s'", optarg);
                return FL_EXIT_USAGE;
            }
            ro->json = strcmp(optarg, "json") == 0;
            break;
        case 'h':
            fputs(run_usage, stdout);
            return -1;
        default:
            fl_cli_error("run: unknown option '%s' (see faultline run --help)", argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
    }
    if (optind < argc)
        lo->scenario_path = argv[optind++];
    if (optind < argc) {
        fl_cli_error("run: unexpected argument '%s'", argv[optind]);
        return FL_EXIT_USAGE;
    }
    if (ro->json && ro->trace) {
        fl_cli_error(
            "run: --format json and --trace both write standard output; use --records FILE");
        return FL_EXIT_USAGE;
    }
    return 0;
}

/* Execute the run with its sinks: the trace on stdout, the recorder, the JSON summary. */
static int execute(fl_loaded *L, const run_args *ra, int64_t scenario_id, fl_summary_json *sj,
                   fl_run_result *res, int64_t *run_id, char *err, size_t cap)
{
    fl_trace trace;
    fl_jsonl jsonl;
    fl_recorder *rec = NULL;
    FILE *records = NULL;
    fl_sink sinks[4];
    size_t n = 0;
    if (ra->json)
        fl_summary_json_sink(sj, &sinks[n++]);
    if (ra->trace)
        fl_trace_sink(&trace, stdout, L->proto_name, &sinks[n++]);
    if (ra->records_path) {
        if (!(records = fopen(ra->records_path, "w"))) {
            snprintf(err, cap, "--records %s: %s", ra->records_path, strerror(errno));
            return FL_EINVAL;
        }
        fl_jsonl_sink(&jsonl, records, &sinks[n++]);
    }
    if (L->db) {
        fl_run_meta meta = {.scenario_id = scenario_id, .origin = FL_ORIGIN_RUN};
        int rc = fl_recorder_begin(L->db, &meta, ra->record, &rec, err, cap);
        if (rc) {
            if (records)
                fclose(records);
            return rc;
        }
        fl_recorder_sink(rec, &sinks[n++]);
    }
    char *text = cJSON_PrintUnformatted(L->sc.json);
    fl_job_spec spec = {.sc = &L->sc,
                        .scenario_text = text ? text : "{}",
                        .plugin_path = L->plugin_abs[0] ? L->plugin_abs : NULL,
                        .seed = ra->seed,
                        .schedule_text = L->schedule_text,
                        .schedule_len = L->schedule_len,
                        .write_schedule_path = ra->write_schedule_path,
                        .sinks = sinks,
                        .nsinks = n,
                        .protocol_name = L->proto_name,
                        .protocol_name_cap = sizeof L->proto_name};
    int rc = fl_job_run(&spec, res, err, cap);
    free(text);
    if (rc == 0 && rec)
        rc = fl_recorder_end(rec, run_id, err, cap);
    fl_recorder_free(rec);
    if (records && fclose(records) != 0 && rc == 0) {
        snprintf(err, cap, "--records %s: %s", ra->records_path, strerror(errno));
        rc = FL_EIO;
    }
    return rc;
}

/* Why an explicit schedule gives the run no liveness check (into why), or 0.  A
 * generated schedule always heals at the end of the window: only explicit ones can
 * leave a fault in place. */
static int liveness_gap(const fl_loaded *L, char *why, size_t cap)
{
    fl_schedule *s;
    char err[256];
    if (!L->schedule_text || L->sc.scripted)
        return 0;
    if (fl_schedule_parse(L->schedule_text, L->schedule_len, L->sc.nodes, L->sc.until_ns, &s, err,
                          sizeof err) != 0)
        return 0; /* the run itself said what is wrong with it */
    int gap = fl_schedule_liveness_gap(s, L->sc.faults.window_to_ns, why, cap);
    fl_schedule_free(s);
    return gap;
}

static int print_result(const fl_loaded *L, const run_args *ra, fl_summary_json *sj,
                        const fl_run_result *res, int64_t run_id, const char *db_path)
{
    char why[256];
    int gap = liveness_gap(L, why, sizeof why);
    if (ra->json)
        return fl_summary_json_print(sj, stdout, &L->sc, L->proto_name, ra->seed, res,
                                     gap ? why : NULL, run_id, db_path);
    fl_run_print_summary(stdout, &L->sc, L->proto_name, ra->seed, res);
    if (gap)
        printf("liveness: not checked: %s\n", why);
    if (db_path)
        printf("recorded: run %lld in %s\n", (long long)run_id, db_path);
    return 0;
}

int fl_cmd_run(int argc, char **argv)
{
    fl_load_opts lo = {0};
    run_args ra = {.seed = 1, .record = FL_RECORD_ALL};
    const char *db_path = NULL, *schedule_path = NULL;
    int ex = parse_args(argc, argv, &lo, &ra, &db_path, &schedule_path);
    if (ex)
        return ex < 0 ? FL_EXIT_OK : ex;
    fl_loaded L;
    char err[1024];
    int64_t scenario_id = 0;
    lo.defer_plugin = 1; /* the worker loads it */
    int rc = fl_load(&lo, &L, err, sizeof err);
    if (rc == 0 && schedule_path) {
        rc = fl_load_file(schedule_path, &L.schedule_text, &L.schedule_len, err, sizeof err);
        if (rc == 0 && strspn(L.schedule_text, " \t\r\n") == L.schedule_len) {
            snprintf(err, sizeof err, "--schedule %s: empty file (a schedule without faults is [])",
                     schedule_path);
            rc = FL_EINVAL;
        }
    } else if (rc == 0)
        fl_load_warn_unproducible(&L); /* an explicit schedule does not draw */
    if (rc == 0 && db_path)
        rc = fl_load_open_db(&L, db_path, &scenario_id, err, sizeof err);
    if (rc) {
        fl_cli_fail("run", err);
        fl_load_close(&L);
        return fl_cli_exit_for(rc);
    }
    fl_run_result res;
    int64_t run_id = 0;
    fl_summary_json sj = {0};
    rc = execute(&L, &ra, scenario_id, &sj, &res, &run_id, err, sizeof err);
    if (rc == 0) {
        report_abnormal(&res, ra.seed);
        rc = print_result(&L, &ra, &sj, &res, run_id, db_path);
        snprintf(err, sizeof err, "summary: out of memory");
    }
    fl_summary_json_close(&sj);
    if (rc) {
        fl_cli_fail("run", err);
        fl_load_close(&L);
        return fl_cli_exit_for(rc);
    }
    fflush(stdout);
    fprintf(stderr, "faultline: run: %.3f s wall\n", (double)res.wall_us / 1e6);
    fl_load_close(&L);
    return res.outcome == FL_OUTCOME_OK ? FL_EXIT_OK : FL_EXIT_FAILED;
}
