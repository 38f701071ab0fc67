/*
 * cmd_script.c -- `faultline script DB RUN [--out FILE]`: a recorded run as a scenario
 * with an inline scripted-mode script that repeats it without seed or timing
 * (results/script_from_run.h, docs/script.md).
 *
 * The scenario goes to stdout, or to FILE with a one-line summary on stdout.  FILE is
 * written whole or not at all: the text goes to FILE.tmp, renamed over FILE once it is
 * complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "results/script_from_run.h"
#include "sim/cli.h"
#include "storage/db.h"

static const char script_usage[] =
    "usage: faultline script DB RUN [--out FILE] [--timed]\n\n"
    "Turn run RUN of database DB (recorded in full) into a scenario file whose inline\n"
    "script (\"network\": {\"mode\": \"scripted\"}) repeats what the run's nodes saw, step by\n"
    "step: deliveries by each message's identity on its link, timeouts, crashes,\n"
    "restarts, client requests and held syncs.  It needs no seed and no timing.  A\n"
    "failing run is cut at its failing step, with expects of every up node's state just\n"
    "before it; `faultline run FILE` then shows the same check's violation.\n\n"
    "  --out FILE   write the scenario to FILE (default: stdout)\n"
    "  --timed      give every entry the virtual time of its step (\"at_ns\"), for\n"
    "               protocols whose decisions read the clock\n\n"
    "docs/script.md says what a script cannot express and what the converter does.\n";

static int parse_args(int argc, char **argv, const char **db, int64_t *run, const char **out,
                      fl_script_opts *opts)
{
    const char *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(script_usage, stdout);
            return FL_EXIT_OK;
        } else if (strcmp(a, "--out") == 0) {
            if (i + 1 == argc || !argv[i + 1][0]) {
                fl_cli_error("script: --out needs a file name (see faultline script --help)");
                return FL_EXIT_USAGE;
            }
            *out = argv[++i];
        } else if (strcmp(a, "--timed") == 0) {
            opts->timed = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            fl_cli_error("script: unknown option '%s' (see faultline script --help)", a);
            return FL_EXIT_USAGE;
        } else if (nargs < 2) {
            args[nargs++] = a;
        } else {
            fl_cli_error("script: unexpected argument '%s'", a);
            return FL_EXIT_USAGE;
        }
    }
    uint64_t v;
    if (nargs < 2) {
        fl_cli_error("script: expected DB and a RUN id (see faultline script --help)");
        return FL_EXIT_USAGE;
    }
    if (fl_cli_parse_u64(args[1], &v) || v == 0 || v > INT64_MAX) {
        fl_cli_error("script: RUN: expected a run id (1, 2, ...), got '%s'", args[1]);
        return FL_EXIT_USAGE;
    }
    *db = args[0];
    *run = (int64_t)v;
    return -1;
}

int fl_cmd_script(int argc, char **argv)
{
    const char *dbpath = NULL, *out = NULL;
    int64_t run = 0;
    fl_script_opts opts = {0};
    int ex = parse_args(argc, argv, &dbpath, &run, &out, &opts);
    if (ex >= 0)
        return ex;
    char err[1024];
    fl_db *db;
    char *text = NULL;
    fl_script_info info;
    int rc = fl_db_open(&db, dbpath, FL_DB_READONLY, err, sizeof err);
    if (rc == 0)
        rc = fl_script_from_run(db, run, &opts, &text, &info, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_error("script: %s", err);
        return fl_cli_exit_for(rc);
    }
    ex = FL_EXIT_OK;
    if (info.note[0])
        fl_cli_error("script: warning: run %" PRId64 ": %s", run, info.note);
    if (!out) {
        fputs(text, stdout);
        ex = fflush(stdout) == 0 ? FL_EXIT_OK : FL_EXIT_INTERNAL;
    } else if ((ex = fl_cli_write_file("script: --out", out, text)) == FL_EXIT_OK) {
        printf("script: run %" PRId64 " steps 0..%" PRId64 " as %zu entries (%zu expects) in %s\n",
               run, info.last_step, info.entries, info.expects, out);
    }
    free(text);
    return ex;
}
