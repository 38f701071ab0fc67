/*
 * fuzz_run.c -- one short run for a fuzz harness (see fuzz_run.h), through the same
 * path as `faultline run`: protocol from the registry, its configure(), fl_run().
 *
 * FUZZ_VERBOSE=1 in the environment prints what each run did, for writing corpus
 * entries that reach the run rather than stopping in a parser.
 */
#include "fuzz_run.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz_target.h"
#include "sim/protocols/registry.h"
#include "sim/run/run.h"
#include "sim/run/trace.h"

static void say(const char *what, int rc, const char *err, const fl_run_result *res)
{
    if (!getenv("FUZZ_VERBOSE"))
        return;
    if (rc != 0) {
        fprintf(stderr, "fuzz_run: %s: %s\n", what, err);
        return;
    }
    fprintf(stderr, "fuzz_run: %s: %s after %llu steps (%s%s%s), digest %s\n", what,
            fl_outcome_name(res->outcome), (unsigned long long)res->steps, res->check,
            res->detail[0] ? ": " : "", res->detail, res->digest);
}

/* One run, with the trace as its sink when trace is given. */
static int run_once(const fl_scenario *sc, const struct fl_protocol *p, const char *text,
                    size_t len, uint64_t seed, FILE *trace, fl_run_result *res)
{
    fl_trace t;
    fl_sink k;
    if (trace)
        fl_trace_sink(&t, trace, p->name, &k);
    fl_run_job job = {.sc = sc,
                      .protocol = p,
                      .seed = seed,
                      .schedule_text = text,
                      .schedule_len = len,
                      .sinks = &k,
                      .nsinks = trace ? 1 : 0};
    char err[1024] = "";
    int rc = fl_run(&job, res, err, sizeof err);
    say(trace ? "traced run" : "run", rc, err, res);
    return rc;
}

int fuzz_run(const fl_scenario *sc, const char *text, size_t len, uint64_t seed)
{
    const struct fl_protocol *p = fl_registry_find(sc->protocol);
    char err[512] = "unknown protocol";
    if (p == NULL || (p->configure && p->configure(sc->params, err, sizeof err) != 0)) {
        say("protocol", -1, err, NULL);
        return -1;
    }
    /* the trace formats every step and describes every message: worth covering */
    FILE *trace = fopen("/dev/null", "w");
    FUZZ_CHECK(trace != NULL, "cannot open /dev/null");
    fl_run_result a, b;
    int rc = run_once(sc, p, text, len, seed, trace, &a);
    fclose(trace);
    if (rc != 0)
        return -1;
    rc = run_once(sc, p, text, len, seed, NULL, &b);
    FUZZ_CHECK(rc == 0, "the second run of the same input could not start (%d)", rc);
    FUZZ_CHECK(a.outcome == b.outcome && a.steps == b.steps && strcmp(a.digest, b.digest) == 0,
               "seed %llu ran differently twice: outcome %d/%d, steps %llu/%llu, digest %s/%s",
               (unsigned long long)seed, a.outcome, b.outcome, (unsigned long long)a.steps,
               (unsigned long long)b.steps, a.digest, b.digest);
    return a.outcome;
}
