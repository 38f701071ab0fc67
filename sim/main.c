/*
 * main.c -- the `faultline` command: dispatch to a subcommand from a table, as git
 * does.  Each subcommand parses its own options and prints its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "core/digest.h"
#include "core/faultline.h"
#include "sim/cli.h"
#include "storage/db.h"

static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", fl_cmd_run, "run one seed of a scenario (trace, summary, optional recording)"},
    {"sweep", fl_cmd_sweep, "run many seeds in parallel, record every outcome, resumable"},
    {"scenario", fl_cmd_scenario, "validate a scenario file and print it with every default"},
    {"protocols", fl_cmd_protocols, "list the built-in protocols: params, timers, bugs"},
    {"query", fl_cmd_query, "ask a faultline database a read-only SQL question"},
    {"replay", fl_cmd_replay, "re-execute a recorded run and verify its digest"},
    /* -- shrink (issue 13) */
    {"shrink", fl_cmd_shrink, "shrink a failing run to a minimal schedule that still fails"},
    /* -- end of shrink */
    {"recheck", fl_cmd_recheck, "after a fix: re-execute every failing run, say which are fixed"},
    {"show", fl_cmd_show, "a recorded run's trace (a range, some nodes) and every node's state"},
    {"merge", fl_cmd_merge, "combine the databases of a sweep's shards (or of sweeps) into one"},
    {"migrate", fl_cmd_migrate, "upgrade a database of an older schema to this faultline's"},
    {"prune", fl_cmd_prune, "drop the full recordings of runs not kept, and vacuum"},
    {"check-history", fl_cmd_check_history, "is a history of client operations linearizable?"},
    {"export", fl_cmd_export, "a recorded run for trace viewers: Perfetto, JSON lines, ShiViz"},
    {"serve", fl_cmd_serve, "the web UI over a database: runs, diagrams, states, SQL"},
    {"script", fl_cmd_script, "a recorded run as a scenario with a script: no seed, no timing"},
    {"diff", fl_cmd_diff, "two recorded runs side by side: first divergent step, faults, states"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: faultline <command> [options]\n\n"
                 "faultline runs a protocol's real code on simulated nodes and links, injects\n"
                 "faults from a seed, checks invariants at every step and records everything\n"
                 "into SQLite.  Same binary + scenario + seed => the same run, every time.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`faultline <command> --help` describes a command.  Exit codes: 0 ok, 1 a run\n"
                 "failed, 2 usage or input error, 3 internal error.\n");
}

int main(int argc, char **argv)
{
    fl_signals_early();
    if (argc < 2) {
        usage(stderr);
        return FL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return FL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("faultline %s (protocol API %d, database schema %d, digest epoch %d)\n", FL_VERSION,
               FL_API_VERSION, FL_DB_SCHEMA_VERSION, FL_DIGEST_EPOCH);
        return FL_EXIT_OK;
    }
    if (strcmp(argv[1], "__worker") == 0) /* a sweep's worker, exec'd by sim/worker.c */
        return fl_cmd_worker(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            /* sweep and shrink stop cleanly by themselves (shrink: -- issue 13) */
            if (commands[i].fn != fl_cmd_sweep && commands[i].fn != fl_cmd_shrink)
                fl_signals_release();
            return commands[i].fn(argc - 1, argv + 1);
        }
    fl_cli_error("%s: unknown command (try `faultline --help`)", argv[1]);
    return FL_EXIT_USAGE;
}
