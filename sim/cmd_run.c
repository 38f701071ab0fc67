/*
 * cmd_run.c -- `faultline run`: one seed of a scenario, its summary on stdout (and the
 * trace with --trace), optionally recorded into a database.
 *
 * stdout holds only what the run determines, so it is byte-identical between two
 * executions; the wall time goes to stderr.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "sim/cli.h"
#include "sim/load.h"
#include "sim/runner.h"

static const char run_usage[] =
    "usage: faultline run [SCENARIO] [--seed N] [--schedule FILE] [--write-schedule FILE]\n"
    "                     [--db FILE] [--record all|none] [--trace] [--protocol SO]\n"
    "                     [--set PATH=VALUE]...\n\n"
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
    "  --protocol SO         run the protocol of a shared object (exports faultline_protocol)\n"
    "  --set PATH=VALUE      override one scenario key, e.g. --set nodes=5 (repeatable)\n\n"
    "Exit codes: 0 ok, 1 the run failed (violation, liveness, divergence, limit, hang),\n"
    "2 usage or input error, 3 internal error.\n";

/* A single run has the same wall-clock watchdog as a sweep's runs. */
static void on_watchdog(int sig)
{
    static const char msg[] = "faultline: run: wall-clock watchdog expired: outcome hang\n";
    (void)sig;
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n;
    _exit(FL_EXIT_FAILED);
}

static int arm_watchdog(int64_t ms)
{
    if (ms <= 0)
        return 0;
    signal(SIGALRM, on_watchdog);
    alarm((unsigned)((ms + 999) / 1000));
    return 0;
}

static int parse_args(int argc, char **argv, fl_load_opts *lo, fl_run_opts *ro,
                      const char **db_path, const char **schedule_path)
{
    static const struct option opts[] = {{"seed", required_argument, 0, 's'},
                                         {"schedule", required_argument, 0, 'S'},
                                         {"write-schedule", required_argument, 0, 'W'},
                                         {"db", required_argument, 0, 'd'},
                                         {"record", required_argument, 0, 'r'},
                                         {"trace", no_argument, 0, 't'},
                                         {"protocol", required_argument, 0, 'p'},
                                         {"set", required_argument, 0, 'x'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (fl_cli_parse_u64(optarg, &ro->seed)) {
                fl_cli_error("run: --seed: expected a non-negative integer, got '%s'", optarg);
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
            ro->trace = stdout;
            break;
        case 'p':
            lo->plugin_path = optarg;
            break;
        case 'x':
            if (fl_load_add_set(lo, optarg))
                return FL_EXIT_USAGE;
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
    return 0;
}

static int exit_for(int rc)
{
    return rc == FL_EINVAL || rc == FL_EPARSE || rc == FL_ESCHEMA || rc == FL_ENOTFOUND
               ? FL_EXIT_USAGE
               : FL_EXIT_INTERNAL;
}

int fl_cmd_run(int argc, char **argv)
{
    fl_load_opts lo = {0};
    fl_run_opts ro = {.seed = 1, .record = FL_RECORD_ALL};
    const char *db_path = NULL, *schedule_path = NULL;
    int ex = parse_args(argc, argv, &lo, &ro, &db_path, &schedule_path);
    if (ex)
        return ex < 0 ? FL_EXIT_OK : ex;
    fl_loaded L;
    char err[1024];
    int rc = fl_load(&lo, &L, err, sizeof err);
    if (rc == 0 && schedule_path)
        rc = fl_load_file(schedule_path, &L.schedule_text, &L.schedule_len, err, sizeof err);
    if (rc == 0 && db_path)
        rc = fl_load_open_db(&L, db_path, &ro.scenario_id, err, sizeof err);
    if (rc) {
        fl_cli_error("%s", err);
        fl_load_close(&L);
        return exit_for(rc);
    }
    ro.schedule_text = L.schedule_text;
    ro.schedule_len = L.schedule_len;
    ro.db = L.db;
    arm_watchdog(L.sc.watchdog_ms);
    fl_run_result res;
    int64_t run_id = 0;
    rc = fl_run_one(&L.sc, L.proto, &ro, &res, &run_id, err, sizeof err);
    alarm(0);
    if (rc) {
        fl_cli_error("run: %s", err);
        fl_load_close(&L);
        return exit_for(rc);
    }
    fl_run_print_summary(stdout, &L.sc, L.proto, ro.seed, &res);
    if (db_path)
        printf("recorded: run %lld in %s\n", (long long)run_id, db_path);
    fflush(stdout);
    fprintf(stderr, "faultline: run: %.3f s wall\n", (double)res.wall_us / 1e6);
    fl_load_close(&L);
    return res.outcome == FL_OUTCOME_OK ? FL_EXIT_OK : FL_EXIT_FAILED;
}
