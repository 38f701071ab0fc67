/*
 * cmd_replay.c -- `faultline replay DB RUN`: re-execute a recorded run from its
 * scenario, seed and schedule, print its trace, and verify the digest.  When the digest
 * differs, the digest chain recorded per step (events.chain) pinpoints the first step
 * at which the two executions diverged: the tool that catches nondeterminism in user
 * protocols.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/error.h"
#include "sim/cli.h"
#include "sim/load.h"
#include "results/recorded.h"
#include "sim/job.h"
#include "sim/run/chain_check.h"
#include "sim/run/run.h"
#include "sim/run/trace.h"

static const char replay_usage[] =
    "usage: faultline replay DB RUN [--quiet]\n\n"
    "Re-execute run RUN of database DB from its scenario, seed and schedule, print its\n"
    "trace (not with --quiet) and check that the digest is the recorded one.  If it is\n"
    "not, name the first step where the executions diverge (needs a run recorded with\n"
    "--record all).  Exit 0 when the run reproduces exactly, 1 when it does not.\n";

static int report(const fl_recorded_run *rr, const fl_run_result *res, const fl_chain_check *cc)
{
    if (strcmp(res->digest, rr->digest) == 0 && res->steps == rr->steps) {
        printf("replay: reproduced run %" PRId64 " exactly (digest %s, %" PRIu64 " steps)\n",
               rr->run_id, res->digest, res->steps);
        return FL_EXIT_OK;
    }
    printf("replay: NOT reproduced: recorded digest %s after %" PRIu64
           " steps, now %s after %" PRIu64 " steps\n",
           rr->digest, rr->steps, res->digest, res->steps);
    if (cc->first_bad >= 0) {
        char a[17], b[17];
        fl_digest_hex(cc->want, a);
        fl_digest_hex(cc->got, b);
        printf("replay: first divergent step: %" PRId64 " (recorded chain %s, now %s)\n",
               cc->first_bad, a, b);
    } else if (cc->n == 0) {
        printf("replay: the run was recorded without events; record it with --record all "
               "to find the divergent step\n");
    } else {
        printf("replay: every recorded step matches; the runs differ after step %zu\n", cc->n - 1);
    }
    return FL_EXIT_FAILED;
}

int fl_cmd_replay(int argc, char **argv)
{
    int quiet = 0;
    const char *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(replay_usage, stdout);
            return FL_EXIT_OK;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fl_cli_error("replay: unknown option '%s' (see faultline replay --help)", argv[i]);
            return FL_EXIT_USAGE;
        } else if (nargs < 2) {
            args[nargs++] = argv[i];
        } else {
            fl_cli_error("replay: unexpected argument '%s'", argv[i]);
            return FL_EXIT_USAGE;
        }
    }
    if (nargs < 2) {
        fl_cli_error("replay: expected DB and RUN (see faultline replay --help)");
        return FL_EXIT_USAGE;
    }
    char err[1024];
    fl_recorded_run rr;
    int rc = fl_recorded_load(args[0], args[1], &rr, err, sizeof err);
    fl_loaded L = {0};
    if (rc == 0)
        rc = fl_load_stored(rr.scenario_json, rr.plugin_path, &L, err, sizeof err);
    if (rc) {
        fl_cli_error("replay: %s", err);
        fl_load_close(&L);
        fl_recorded_close(&rr);
        return fl_cli_exit_for(rc);
    }
    fl_chain_check cc;
    fl_trace trace;
    fl_sink sinks[2];
    size_t nsinks = 0;
    fl_chain_check_sink(&cc, rr.chains, rr.nchains, &sinks[nsinks++]);
    if (!quiet)
        fl_trace_sink(&trace, stdout, L.proto_name, &sinks[nsinks++]);
    /* in a worker, as `run`: a crash in the protocol is the replay's outcome */
    char *text = cJSON_PrintUnformatted(L.sc.json);
    fl_job_spec spec = {.sc = &L.sc,
                        .scenario_text = text ? text : "{}",
                        .plugin_path = L.plugin_abs[0] ? L.plugin_abs : NULL,
                        .seed = rr.seed,
                        .schedule_text = rr.schedule_json,
                        .schedule_len = rr.schedule_json ? strlen(rr.schedule_json) : 0,
                        .sinks = sinks,
                        .nsinks = nsinks,
                        .protocol_name = L.proto_name,
                        .protocol_name_cap = sizeof L.proto_name};
    fl_run_result res;
    rc = fl_job_run(&spec, &res, err, sizeof err);
    free(text);
    int ex;
    if (rc) {
        fl_cli_error("replay: %s", err);
        ex = FL_EXIT_INTERNAL;
    } else {
        fl_run_print_summary(stdout, &L.sc, L.proto_name, rr.seed, &res);
        ex = report(&rr, &res, &cc);
    }
    fl_load_close(&L);
    fl_recorded_close(&rr);
    return ex;
}
