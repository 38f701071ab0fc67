/*
 * cmd_shrink.c -- `faultline shrink DB RUN`: from a failing recorded run to a minimal
 * schedule that still fails the same check.  The run is re-executed once with every
 * per-message decision materialised (a format-2 schedule, "messages": "only"), then
 * ddmin (sim/shrink.h) removes fault episodes and message faults, then workload ops,
 * then whatever lies past the failing step, and last checks every remaining element
 * once more, so that the result is 1-minimal unless the budget ran out first.  The
 * minimal schedule is written to a file, recorded as a new run (origin 'shrink',
 * parent_run the original) and summarised in a `shrinks` row.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/digest.h"
#include "core/error.h"
#include "core/faultline.h"
#include "core/world.h"
#include "results/recorded.h"
#include "results/script_from_run.h"
#include "sim/cli.h"
#include "sim/job.h"
#include "sim/load.h"
#include "sim/run/workload.h"
#include "sim/shrink.h"
#include "sim/shrink_out.h"
#include "sim/sweep.h"
#include "sim/sweep_impl.h"

static const char shrink_usage[] =
    "usage: faultline shrink DB RUN [--out FILE] [--budget D] [--max-candidates N] [-j N]\n"
    "                        [--same-check | --any-violation] [--as-script FILE]\n\n"
    "Shrink failing run RUN of database DB to a minimal schedule that still fails: ddmin\n"
    "over its fault episodes (a crash with its restart, a partition with its heal, a\n"
    "clock drift with its reset, a forced timeout, a dropped, duplicated or delayed\n"
    "message), then over its workload ops, then the steps past the failure.  Each\n"
    "candidate runs in a worker process, as a sweep's seeds do.  The minimal schedule\n"
    "goes to FILE, is recorded as a new run (origin 'shrink', parent_run RUN) and in the\n"
    "shrinks table; the summary lists what remains and the trace around the failure.\n\n"
    "  --out FILE          the minimal schedule (default: shrink-run<RUN>.json)\n"
    "  --budget D          finish within D of wall time, the recording included (default\n"
    "                      60s); the result is then smaller but not proven 1-minimal\n"
    "  --max-candidates N  stop after N candidates\n"
    "  -j, --jobs N        worker processes (default: one per online CPU)\n"
    "  --same-check        keep candidates that fail the same check (the default)\n"
    "  --any-violation     keep candidates with any violation or liveness failure\n"
    "  --as-script FILE    also write the minimal run as a scenario with an inline\n"
    "                      script, as `faultline script` does (docs/script.md)\n\n"
    "Exit 0 when the shrink is done (budget reached included), 1 when the run does not\n"
    "reproduce on this build, 2 for bad input (a run that passed, no such run, not a\n"
    "faultline database), 130 when interrupted (the smallest schedule so far is kept).\n";

typedef struct shrink_args {
    const char *db, *run, *out;
    int64_t budget_ns;
    uint64_t max_candidates;
    int jobs, any_violation, same_check;
    /* --as-script FILE: the shrunk run as a scenario with an inline script, as
     * `faultline script` writes it (docs/script.md) */
    const char *as_script;
} shrink_args;

/* One option's value; 0 or the exit code. */
static int take_option(int c, const char *v, shrink_args *a)
{
    uint64_t n;
    switch (c) {
    case 'o':
        if (!v[0]) {
            fl_cli_error("shrink: --out: expected a file name");
            return FL_EXIT_USAGE;
        }
        a->out = v;
        return 0;
    case 'b':
        if (fl_parse_duration(v, &a->budget_ns) != 0 || a->budget_ns <= 0) {
            fl_cli_error("shrink: --budget: expected a duration such as 60s, got '%s'", v);
            return FL_EXIT_USAGE;
        }
        return 0;
    case 'm':
        if (fl_cli_parse_u64(v, &n) || n == 0) {
            fl_cli_error("shrink: --max-candidates: expected a count >= 1, got '%s'", v);
            return FL_EXIT_USAGE;
        }
        a->max_candidates = n;
        return 0;
    case 'j':
        if (fl_cli_parse_u64(v, &n) || n < 1 || n > 1024) {
            fl_cli_error("shrink: -j: expected 1..1024 workers, got '%s'", v);
            return FL_EXIT_USAGE;
        }
        a->jobs = (int)n;
        return 0;
    case 'a':
        if (!v[0]) {
            fl_cli_error("shrink: --as-script: expected a file name");
            return FL_EXIT_USAGE;
        }
        a->as_script = v;
        return 0;
    case 'v':
        a->any_violation = 1;
        return 0;
    default: /* 's' */
        a->same_check = 1;
        return 0;
    }
}

/* -1 parsed, else the exit code */
static int parse_args(int argc, char **argv, shrink_args *a)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"budget", required_argument, 0, 'b'},
                                         {"max-candidates", required_argument, 0, 'm'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"same-check", no_argument, 0, 's'},
                                         {"any-violation", no_argument, 0, 'v'},
                                         {"as-script", required_argument, 0, 'a'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    opterr = 0;
    a->budget_ns = 60 * FL_S;
    while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(shrink_usage, stdout);
            return FL_EXIT_OK;
        }
        if (c == '?' || c == ':') {
            fl_cli_error("shrink: unknown option or missing value '%s' (see faultline shrink "
                         "--help)",
                         argv[optind - 1]);
            return FL_EXIT_USAGE;
        }
        int ex = take_option(c, optarg, a);
        if (ex)
            return ex;
    }
    if (a->any_violation && a->same_check) {
        fl_cli_error("shrink: --same-check and --any-violation exclude each other");
        return FL_EXIT_USAGE;
    }
    if (argc - optind < 2) {
        fl_cli_error("shrink: expected DB and RUN (see faultline shrink --help)");
        return FL_EXIT_USAGE;
    }
    a->db = argv[optind];
    a->run = argv[optind + 1];
    if (optind + 2 < argc) {
        fl_cli_error("shrink: unexpected argument '%s'", argv[optind + 2]);
        return FL_EXIT_USAGE;
    }
    return -1;
}

/* ---- the original ---- */

static int load_original(const shrink_args *a, fl_shrink_job *j, char *err, size_t cap)
{
    int rc = fl_recorded_load(a->db, a->run, &j->rr, err, cap);
    if (rc)
        return rc;
    fl_recorded_run *rr = &j->rr;
    if (rr->digest_epoch != FL_DIGEST_EPOCH) {
        snprintf(err, cap,
                 "run %" PRId64 " was recorded with digest epoch %d; this build is epoch %d: it "
                 "cannot be re-executed exactly",
                 rr->run_id, rr->digest_epoch, FL_DIGEST_EPOCH);
        return FL_EINVAL;
    }
    if (strcmp(rr->outcome, "violation") != 0 && strcmp(rr->outcome, "liveness") != 0) {
        snprintf(err, cap,
                 strcmp(rr->outcome, "ok") == 0
                     ? "run %" PRId64 " passed (outcome ok): there is no failure to shrink"
                     : "run %" PRId64 " ended with outcome %s: shrink works on violation and "
                       "liveness failures",
                 rr->run_id, rr->outcome);
        return FL_EINVAL;
    }
    if ((rc = fl_load_stored(rr->scenario_json, rr->plugin_path, &j->L, err, cap)) != 0)
        return rc;
    if (j->L.sc.scripted) {
        snprintf(err, cap, "run %" PRId64 " is scripted: its script already says every step",
                 rr->run_id);
        return FL_EINVAL;
    }
    j->scenario_text = cJSON_PrintUnformatted(j->L.sc.json);
    return j->scenario_text ? 0 : FL_ENOMEM;
}

/* Re-execute the original once, writing its schedule with every per-message decision
 * materialised, and read that back. */
static int materialise(fl_shrink_job *j, char *err, size_t cap)
{
    char path[] = "/tmp/faultline-shrink-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, cap, "shrink: a temporary file: %s", strerror(errno));
        return FL_EIO;
    }
    close(fd);
    fl_job_spec spec = {.sc = &j->L.sc,
                        .scenario_text = j->scenario_text,
                        .plugin_path = j->L.plugin_abs[0] ? j->L.plugin_abs : NULL,
                        .seed = j->rr.seed,
                        .schedule_text = j->rr.schedule_json,
                        .schedule_len = j->rr.schedule_json ? strlen(j->rr.schedule_json) : 0,
                        .write_schedule_path = path,
                        .protocol_name = j->L.proto_name,
                        .protocol_name_cap = sizeof j->L.proto_name};
    fl_run_result res;
    char *text = NULL;
    size_t len = 0;
    int rc = fl_job_run(&spec, &res, err, cap);
    if (rc == 0)
        rc = fl_load_file(path, &text, &len, err, cap);
    unlink(path);
    if (rc == 0)
        rc = fl_schedule_parse(text, len, j->L.sc.nodes, j->L.sc.until_ns, &j->materialised, err,
                               cap);
    free(text);
    if (rc)
        return rc;
    j->original = (fl_shrink_result){.outcome = res.outcome,
                                     .fail_step = res.fail_step,
                                     .fail_time_ns = res.fail_time_ns,
                                     .steps = res.steps};
    snprintf(j->original.check, sizeof j->original.check, "%s", res.check);
    snprintf(j->original.digest, sizeof j->original.digest, "%s", res.digest);
    return 0;
}

/* ---- the search ---- */

/* The budget bounds the whole command, from its start to the recorded result: the
 * search stops early enough to leave room for the last batch of candidates (4 per
 * worker, each at most about as long as the original's re-execution) and the final
 * recording, which records every step and writes the trace (measured: about 10 times a
 * bare run; raft-figure8 seed 6, 0.29 s against 0.03 s).  So 32 re-executions of the
 * original, and at least 100 ms: twice that estimate, because the last batch and the
 * recording slow down more than the re-execution measured at the start when the
 * machine gets busier (16 ran 135 ms over a 3 s budget in a parallel ctest). */
static int64_t budget_deadline(const shrink_args *a, const fl_shrink_job *j)
{
    int64_t reserve = 32 * j->materialise_us;
    if (reserve < 100000)
        reserve = 100000;
    int64_t deadline = j->start_us + a->budget_ns / 1000 - reserve;
    return deadline > j->start_us ? deadline : j->start_us + 1;
}

static void setup_search(const shrink_args *a, fl_shrink_job *j)
{
    fl_shrink *s = &j->s;
    const fl_scenario *sc = &j->L.sc;
    s->sc = sc;
    s->scenario_text = j->scenario_text;
    s->plugin_path = j->L.plugin_abs[0] ? j->L.plugin_abs : NULL;
    s->seed = j->rr.seed;
    s->sched = j->materialised;
    s->with_ops = sc->clients.model == FL_MODEL_NONE && sc->workload_every_ns > 0;
    s->target.outcome = j->original.outcome;
    snprintf(s->target.check, sizeof s->target.check, "%s", j->original.check);
    s->target.any_violation = a->any_violation;
    s->stop_ns =
        a->any_violation ? 0 : fl_shrink_stop_ns(j->original.outcome, j->original.fail_time_ns);
    s->jobs = a->jobs;
    s->t0_us = j->start_us;
    s->deadline_us = budget_deadline(a, j);
    s->run_us = j->materialise_us;
    s->max_candidates = a->max_candidates;
    s->progress = isatty(STDERR_FILENO);
    j->reached_before = fl_schedule_msg_len(j->materialised);
    for (size_t i = 0; i < fl_schedule_len(j->materialised); i++)
        j->reached_before +=
            fl_schedule_entry(j->materialised, i)->at_ns <= j->original.fail_time_ns;
}

/* The ops issued by the failing step: 1..K, or, when the recorded schedule names its
 * ops (a shrink of a shrunk run), those of them up to K.  0 or FL_ENOMEM. */
static int initial_ops(fl_shrink_job *j)
{
    const fl_scenario *sc = &j->L.sc;
    uint64_t k = fl_workload_ops_by(j->rr.seed, sc->workload_every_ns, sc->workload_ops, sc->nodes,
                                    j->original.fail_time_ns);
    fl_schedule *rec = NULL;
    const uint64_t *given = NULL;
    size_t ngiven = 0;
    char err[256];
    if (j->rr.schedule_json &&
        fl_schedule_parse(j->rr.schedule_json, strlen(j->rr.schedule_json), sc->nodes, sc->until_ns,
                          &rec, err, sizeof err) == 0 &&
        !fl_schedule_ops(rec, &given, &ngiven))
        given = NULL;
    j->ops = malloc((size_t)(given ? ngiven : k) * sizeof *j->ops + 1);
    if (!j->ops) {
        fl_schedule_free(rec);
        return FL_ENOMEM;
    }
    j->ops_before = 0;
    for (uint64_t i = 0; given ? i < ngiven : i < k; i++)
        if (!given || given[i] <= k)
            j->ops[j->ops_before++] = given ? given[i] : i + 1;
    fl_schedule_free(rec);
    return 0;
}

/* Execute the schedule mask keeps: 0 with *r, or an FL_E code with err. */
static int execute_mask(fl_shrink_job *j, const uint8_t *mask, fl_shrink_result *r, char *err,
                        size_t cap)
{
    char *text = fl_shrink_text(&j->s, mask);
    if (!text) {
        snprintf(err, cap, "shrink: out of memory");
        return FL_ENOMEM;
    }
    int rc = fl_shrink_execute(&j->s, &text, 1, r, err, cap);
    j->s.candidates++;
    free(text);
    return rc;
}

/* Past the failing step nothing happens: drop the elements that start after it, as one
 * candidate (kept when it still fails, as it should: the run is the same). */
static int cut_length(fl_shrink_job *j, char *err, size_t cap)
{
    fl_shrink *s = &j->s;
    fl_shrink_result now;
    int rc = execute_mask(j, s->keep, &now, err, cap);
    if (rc || now.outcome != FL_OUTCOME_VIOLATION || !fl_shrink_fails(s, &now))
        return rc;
    uint8_t *mask = malloc(s->nelems ? s->nelems : 1);
    if (!mask)
        return FL_ENOMEM;
    int changed = 0;
    for (size_t e = 0; e < s->nelems; e++) {
        mask[e] = s->keep[e] && s->elems[e].at_ns <= now.fail_time_ns;
        changed |= mask[e] != s->keep[e];
    }
    fl_shrink_result cut;
    if (changed && (rc = execute_mask(j, mask, &cut, err, cap)) == 0 && fl_shrink_fails(s, &cut))
        memcpy(s->keep, mask, s->nelems);
    free(mask);
    return rc;
}

#define KIND(k) (1u << (k))

/* Every phase in turn; a budget or an interrupt ends the search where it is. */
static int search(fl_shrink_job *j, char *err, size_t cap)
{
    fl_shrink *s = &j->s;
    fl_shrink_result base;
    int rc = execute_mask(j, s->keep, &base, err, cap);
    if (rc == 0 && !fl_shrink_fails(s, &base)) {
        snprintf(err, cap,
                 "run %" PRId64 "'s materialised schedule ends with %s%s%s, not the failure it "
                 "shrinks",
                 j->rr.run_id, fl_outcome_name(base.outcome), base.check[0] ? ": " : "",
                 base.check);
        return FL_EXIT_FAILED;
    }
    int minimal = 0;
    if (rc == 0)
        rc = cut_length(j, err, cap);
    if (rc == 0)
        rc = fl_shrink_phase(s, "faults", KIND(FL_SHRINK_EPISODE) | KIND(FL_SHRINK_MESSAGE),
                             &minimal, err, cap);
    if (rc == 0)
        rc = fl_shrink_phase(s, "ops", KIND(FL_SHRINK_OP), &minimal, err, cap);
    if (rc == 0)
        rc = cut_length(j, err, cap);
    if (rc == 0) /* each remaining element once more: the result is then 1-minimal */
        rc = fl_shrink_phase(s, "1-minimal",
                             KIND(FL_SHRINK_EPISODE) | KIND(FL_SHRINK_MESSAGE) | KIND(FL_SHRINK_OP),
                             &minimal, err, cap);
    if (s->progress)
        fputc('\n', stderr);
    j->minimal = rc == 0 && minimal;
    return rc > 0 ? 0 : rc; /* a budget or an interrupt keeps what was found */
}

/* ---- the command ---- */

static void job_close(fl_shrink_job *j)
{
    fl_shrink_free(&j->s);
    fl_schedule_free(j->materialised);
    free(j->scenario_text);
    free(j->minimal_text);
    free(j->trace);
    free(j->ops);
    fl_load_close(&j->L);
    fl_recorded_close(&j->rr);
}

static int shrink_run(const shrink_args *a, fl_shrink_job *j, char *err, size_t cap)
{
    j->start_us = fl_sweep_now_us();
    int rc = load_original(a, j, err, cap);
    if (rc == 0)
        rc = materialise(j, err, cap);
    j->materialise_us = fl_sweep_now_us() - j->start_us;
    if (rc == 0 && strcmp(j->original.digest, j->rr.digest) != 0) {
        snprintf(err, cap,
                 "run %" PRId64 " does not reproduce on this build (recorded digest %s, now %s): "
                 "see faultline replay",
                 j->rr.run_id, j->rr.digest, j->original.digest);
        return FL_EXIT_FAILED;
    }
    if (rc == 0) {
        setup_search(a, j);
        rc = j->s.with_ops ? initial_ops(j) : 0;
        if (rc == 0)
            rc = fl_shrink_elements(&j->s, j->ops, (size_t)j->ops_before);
        if (rc)
            snprintf(err, cap, "shrink: out of memory");
    }
    if (rc == 0)
        rc = search(j, err, cap);
    j->wall_us = fl_sweep_now_us() - j->s.t0_us;
    if (rc == 0)
        rc = fl_shrink_record(j, err, cap);
    return rc;
}

/* --as-script: the shrunk run, recorded in full, converted as `faultline script` does. */
static int write_script(const char *db_path, int64_t run_id, const char *path)
{
    char err[1024];
    fl_db *db = NULL;
    char *text = NULL;
    fl_script_info info;
    int rc = fl_db_open(&db, db_path, FL_DB_READONLY, err, sizeof err);
    if (rc == 0)
        rc = fl_script_from_run(db, run_id, NULL, &text, &info, err, sizeof err);
    fl_db_close(db);
    if (rc) {
        fl_cli_error("shrink: --as-script: %s", err);
        return fl_cli_exit_for(rc);
    }
    if (info.note[0])
        fl_cli_error("shrink: --as-script: warning: run %" PRId64 ": %s", run_id, info.note);
    int ex = fl_cli_write_file("shrink: --as-script", path, text);
    if (ex == FL_EXIT_OK)
        printf("shrink: run %" PRId64 " as a script of %zu entries (%zu expects) in %s\n", run_id,
               info.entries, info.expects, path);
    free(text);
    return ex;
}

int fl_cmd_shrink(int argc, char **argv)
{
    shrink_args a = {0};
    int ex = parse_args(argc, argv, &a);
    if (ex >= 0)
        return ex;
    if (a.jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a.jobs = n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
    }
    if (access(a.db, F_OK) != 0) { /* a writer's open would create it */
        fl_cli_error("shrink: %s: %s", a.db, strerror(errno));
        return FL_EXIT_USAGE;
    }
    char out[4096], err[1024];
    if (!a.out) {
        snprintf(out, sizeof out, "shrink-run%s.json", a.run);
        a.out = out;
    }
    fl_shrink_job j = {.db_path = a.db, .out_path = a.out};
    int rc = shrink_run(&a, &j, err, sizeof err);
    if (rc == FL_EXIT_FAILED) {
        fl_cli_error("shrink: %s", err);
        ex = FL_EXIT_FAILED;
    } else if (rc) {
        fl_cli_fail("shrink", err);
        ex = fl_cli_exit_for(rc);
    } else {
        fl_shrink_print(&j);
        fprintf(stderr,
                "faultline: shrink: %.3f s wall (%.3f s with the recording), %" PRIu64
                " candidates executed\n",
                (double)j.wall_us / 1e6, (double)(fl_sweep_now_us() - j.start_us) / 1e6,
                j.s.executed);
        ex = a.as_script ? write_script(a.db, j.shrunk_run, a.as_script) : FL_EXIT_OK;
        if (ex == FL_EXIT_OK && j.s.interrupted)
            ex = FL_EXIT_INTERRUPTED;
    }
    job_close(&j);
    return ex;
}
