/*
 * cmd_replay.c -- `faultline replay DB RUN`: re-execute a recorded run from its
 * scenario, seed and schedule, print its trace, and verify the digest.  When the digest
 * differs, the digest chain recorded per step (events.chain) pinpoints the first step
 * at which the two executions diverged: the tool that catches nondeterminism in user
 * protocols.
 *
 * A plugin is loaded from where it was recorded (scenarios.plugin_path) or from
 * --protocol PATH, and compared with the recorded identity (plugin_id.h): a plugin that
 * changed is a warning before the run, and the reason when it does not reproduce.
 * --record re-executes a run stored bare and, when it reproduces, records it in full
 * under the same id.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error.h"
#include "results/recorded.h"
#include "sim/cli.h"
#include "sim/job.h"
#include "sim/load.h"
#include "sim/plugin_id.h"
#include "sim/run/chain_check.h"
#include "sim/run/run.h"
#include "sim/run/trace.h"
#include "storage/recorder.h"

static const char replay_usage[] =
    "usage: faultline replay DB RUN [--quiet] [--protocol PATH] [--record]\n\n"
    "Re-execute run RUN of database DB from its scenario, seed and schedule, print its\n"
    "trace (not with --quiet) and check that the digest is the recorded one.  If it is\n"
    "not, name the first step where the executions diverge (needs a run recorded with\n"
    "--record all).  Exit 0 when the run reproduces exactly, 1 when it does not.\n\n"
    "  --protocol PATH  load the run's plugin from PATH instead of where it was recorded\n"
    "                   (scenarios.plugin_path); a plugin whose hash (or that of a\n"
    "                   library it loads) differs from the recorded one is a warning\n"
    "  --record         a run stored bare (recorded = 'none' or 'pending') is recorded\n"
    "                   in full under the same id, if the re-execution reproduces it\n";

typedef struct replay_args {
    const char *db, *run, *protocol;
    int quiet, record;
} replay_args;

/* The replay's context: the recorded run, the protocol, and whether it changed. */
typedef struct replay {
    fl_recorded_run rr;
    fl_loaded L;
    cJSON *was, *now; /* the recorded and the current plugin identities, or NULL */
    int changed;
} replay;

/* -1 parsed, else the exit code */
static int parse_args(int argc, char **argv, replay_args *a)
{
    const char *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(replay_usage, stdout);
            return FL_EXIT_OK;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            a->quiet = 1;
        } else if (strcmp(argv[i], "--record") == 0) {
            a->record = 1;
        } else if (strcmp(argv[i], "--protocol") == 0) {
            if (i + 1 == argc || !argv[i + 1][0]) {
                fl_cli_error("replay: --protocol needs the plugin's path");
                return FL_EXIT_USAGE;
            }
            a->protocol = argv[++i];
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
    a->db = args[0];
    a->run = args[1];
    return -1;
}

/* ---- the protocol ---- */

static cJSON *plugin_of(const char *identity_json)
{
    cJSON *j = cJSON_Parse(identity_json ? identity_json : "");
    cJSON *p = j ? cJSON_DetachItemFromObject(j, "plugin") : NULL;
    cJSON_Delete(j);
    return p;
}

/* Where to load the run's plugin from: --protocol, scenarios.plugin_path, or (schema 1)
 * the path inside the identity; NULL for a built-in protocol. */
static int plugin_path(const replay_args *a, replay *p, const char **path, char *err, size_t cap)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(p->was, "path");
    *path = NULL;
    if (!p->was) {
        if (a->protocol) {
            snprintf(err, cap, "--protocol: run %" PRId64 " uses a built-in protocol, not a plugin",
                     p->rr.run_id);
            return FL_EINVAL;
        }
        return 0;
    }
    *path = a->protocol           ? a->protocol
            : p->rr.plugin_path   ? p->rr.plugin_path
            : cJSON_IsString(old) ? old->valuestring
                                  : NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(p->was, "name");
    if (!a->protocol && (!*path || access(*path, R_OK) != 0)) {
        snprintf(err, cap,
                 "run %" PRId64 "'s plugin %s was loaded from %s, which is not readable here: "
                 "give its path with --protocol PATH",
                 p->rr.run_id, cJSON_IsString(name) ? name->valuestring : "?",
                 *path ? *path : "an unknown path");
        return FL_EINVAL;
    }
    return 0;
}

/* Load the run and its protocol; warn when the plugin is not the recorded one. */
static int load(const replay_args *a, replay *p, char *err, size_t cap)
{
    int rc = fl_recorded_load(a->db, a->run, &p->rr, err, cap);
    if (rc)
        return rc;
    /* Another epoch keys its decisions differently: the replay would "diverge" at
     * step 0 for no fault of the run's.  Say so instead. */
    if (p->rr.digest_epoch != FL_DIGEST_EPOCH) {
        snprintf(err, cap,
                 "run %" PRId64 " was recorded with digest epoch %d; this build is epoch %d: it "
                 "cannot be replayed exactly",
                 p->rr.run_id, p->rr.digest_epoch, FL_DIGEST_EPOCH);
        return FL_EINVAL;
    }
    p->was = plugin_of(p->rr.scenario_json);
    const char *path;
    if ((rc = plugin_path(a, p, &path, err, cap)) != 0)
        return rc;
    if ((rc = fl_load_stored(p->rr.scenario_json, path, &p->L, err, cap)) != 0)
        return rc;
    p->now = plugin_of(p->L.identity_json);
    p->changed = p->was && !fl_plugin_identity_same(p->was, p->now);
    if (p->changed) {
        char diff[1024];
        fl_plugin_identity_diff(p->was, p->now, diff, sizeof diff);
        fl_cli_error("replay: warning: %s is not the plugin run %" PRId64
                     " was recorded with (%s): the run may not reproduce",
                     p->L.plugin_abs, p->rr.run_id, diff);
    }
    return 0;
}

/* ---- the verdict ---- */

static void outcome_text(char *buf, size_t cap, const char *outcome, const char *check)
{
    snprintf(buf, cap, "%s%s%s", outcome, check[0] && strcmp(check, outcome) ? ": " : "",
             strcmp(check, outcome) ? check : "");
}

/* Where the runs part when every step both have matches: the step after which one of
 * them stopped (the failing step of one that failed), or -1 when they did not. */
static void say_where(const replay *p, const fl_run_result *res, const fl_chain_check *cc)
{
    const fl_recorded_run *rr = &p->rr;
    char now[256];
    outcome_text(now, sizeof now, fl_outcome_name(res->outcome), res->check);
    if (res->steps < rr->steps) {
        int64_t at = res->outcome != FL_OUTCOME_OK && res->fail_step >= 0 ? res->fail_step
                                                                          : (int64_t)res->steps;
        printf("replay: first divergent step: %" PRId64 " (the steps before it match the "
               "recording; the replay stops at it with %s, the recorded run went on to step "
               "%" PRIu64 ")\n",
               at, now, rr->steps - 1);
    } else if (res->steps > rr->steps) {
        char was[256];
        outcome_text(was, sizeof was, rr->outcome, rr->check);
        printf("replay: first divergent step: %" PRIu64 " (every recorded step matches; the "
               "recorded run stopped before it with %s, the replay went on to step %" PRIu64 ")\n",
               rr->steps, was, res->steps - 1);
    } else if (cc->n) {
        printf("replay: every step matches; the runs differ in how they end (now %s)\n", now);
    }
}

static int report(const replay *p, const fl_run_result *res, const fl_chain_check *cc)
{
    const fl_recorded_run *rr = &p->rr;
    char was[256], now[256];
    outcome_text(was, sizeof was, rr->outcome, rr->check);
    outcome_text(now, sizeof now, fl_outcome_name(res->outcome), res->check);
    if (strcmp(res->digest, rr->digest) == 0 && res->steps == rr->steps && strcmp(was, now) == 0) {
        printf("replay: reproduced run %" PRId64 " exactly (digest %s, %" PRIu64 " steps)\n",
               rr->run_id, res->digest, res->steps);
        return FL_EXIT_OK;
    }
    printf("replay: NOT reproduced: recorded digest %s after %" PRIu64
           " steps (%s), now %s after %" PRIu64 " steps (%s)\n",
           rr->digest, rr->steps, was, res->digest, res->steps, now);
    if (cc->first_bad >= 0) {
        char a[17], b[17];
        fl_digest_hex(cc->want, a);
        fl_digest_hex(cc->got, b);
        printf("replay: first divergent step: %" PRId64 " (recorded chain %s, now %s)\n",
               cc->first_bad, a, b);
    } else if (cc->n == 0) {
        printf("replay: the run was recorded without events; record it with --record all "
               "to find the divergent step\n");
    }
    if (cc->first_bad < 0)
        say_where(p, res, cc);
    if (p->changed) {
        char diff[1024];
        fl_plugin_identity_diff(p->was, p->now, diff, sizeof diff);
        printf("replay: the plugin changed since run %" PRId64 " was recorded (%s): that is "
               "the likely reason\n",
               rr->run_id, diff);
    }
    return FL_EXIT_FAILED;
}

/* ---- --record: the same row, in full ---- */

static int origin_of(const char *name)
{
    for (int o = FL_ORIGIN_RUN; o <= FL_ORIGIN_SHRINK; o++)
        if (strcmp(fl_origin_name(o), name) == 0)
            return o;
    return FL_ORIGIN_RUN;
}

/* Open the database for writing and start the recording that replaces the bare row:
 * the row is marked pending first, as a sweep's are, so that an interrupted recording
 * leaves it to be recorded again. */
static int record_begin(const replay_args *a, const replay *p, fl_db **db, fl_recorder **rec,
                        char *err, size_t cap)
{
    const fl_recorded_run *rr = &p->rr;
    fl_run_meta meta = {.sweep_id = rr->sweep_id,
                        .scenario_id = rr->scenario_id,
                        .origin = origin_of(rr->origin),
                        .parent_run = rr->parent_run,
                        .replaces = rr->run_id};
    int rc = fl_db_open(db, a->db, FL_DB_CREATE, err, cap);
    if (rc == 0)
        rc = fl_db_run_set_recorded(*db, rr->run_id, "pending", err, cap);
    if (rc == 0)
        rc = fl_recorder_begin(*db, &meta, FL_RECORD_ALL, rec, err, cap);
    return rc;
}

/* Commit the recording if the run reproduced, else put the row back as it was. */
static int record_end(const replay *p, fl_db *db, fl_recorder *rec, int reproduced, char *err,
                      size_t cap)
{
    int rc = 0;
    if (reproduced) {
        rc = fl_recorder_end(rec, NULL, err, cap);
        if (rc == 0)
            printf("replay: run %" PRId64 " is now recorded in full\n", p->rr.run_id);
    } else {
        fl_recorder_free(rec); /* rolled back */
        rc = fl_db_run_set_recorded(db, p->rr.run_id, p->rr.recorded, err, cap);
        printf("replay: run %" PRId64 " not recorded: its re-execution differs\n", p->rr.run_id);
        return rc;
    }
    fl_recorder_free(rec);
    return rc;
}

/* ---- the command ---- */

static int execute(replay *p, const fl_sink *sinks, size_t nsinks, fl_run_result *res, char *err,
                   size_t cap)
{
    /* in a worker, as `run`: a crash in the protocol is the replay's outcome */
    char *text = cJSON_PrintUnformatted(p->L.sc.json);
    fl_job_spec spec = {.sc = &p->L.sc,
                        .scenario_text = text ? text : "{}",
                        .plugin_path = p->L.plugin_abs[0] ? p->L.plugin_abs : NULL,
                        .seed = p->rr.seed,
                        .schedule_text = p->rr.schedule_json,
                        .schedule_len = p->rr.schedule_json ? strlen(p->rr.schedule_json) : 0,
                        .sinks = sinks,
                        .nsinks = nsinks,
                        .protocol_name = p->L.proto_name,
                        .protocol_name_cap = sizeof p->L.proto_name};
    int rc = fl_job_run(&spec, res, err, cap);
    free(text);
    return rc;
}

static int replay_run(const replay_args *a, replay *p, char *err, size_t cap)
{
    fl_chain_check cc;
    fl_trace trace;
    fl_sink sinks[3];
    size_t n = 0;
    fl_db *db = NULL;
    fl_recorder *rec = NULL;
    int record = a->record && strcmp(p->rr.recorded, "all") != 0;
    if (a->record && !record)
        printf("replay: run %" PRId64 " is recorded in full already\n", p->rr.run_id);
    fl_chain_check_sink(&cc, p->rr.chains, p->rr.nchains, &sinks[n++]);
    if (!a->quiet)
        fl_trace_sink(&trace, stdout, p->L.proto_name, &sinks[n++]);
    int rc = record ? record_begin(a, p, &db, &rec, err, cap) : 0;
    if (rc == 0 && rec)
        fl_recorder_sink(rec, &sinks[n++]);
    fl_run_result res;
    if (rc == 0)
        rc = execute(p, sinks, n, &res, err, cap);
    int ex = FL_EXIT_OK;
    if (rc == 0) {
        fl_run_print_summary(stdout, &p->L.sc, p->L.proto_name, p->rr.seed, &res);
        ex = report(p, &res, &cc);
    }
    if (rc == 0 && rec)
        rc = record_end(p, db, rec, ex == FL_EXIT_OK, err, cap);
    else
        fl_recorder_free(rec);
    fl_db_close(db);
    if (rc) {
        fl_cli_error("replay: %s", err);
        return fl_cli_exit_for(rc);
    }
    return ex;
}

int fl_cmd_replay(int argc, char **argv)
{
    replay_args a = {0};
    int ex = parse_args(argc, argv, &a);
    if (ex >= 0)
        return ex;
    char err[1024];
    replay p = {0};
    int rc = load(&a, &p, err, sizeof err);
    if (rc) {
        fl_cli_error("replay: %s", err);
        ex = fl_cli_exit_for(rc);
    } else {
        ex = replay_run(&a, &p, err, sizeof err);
    }
    cJSON_Delete(p.was);
    cJSON_Delete(p.now);
    fl_load_close(&p.L);
    fl_recorded_close(&p.rr);
    return ex;
}
