/*
 * fuzz_scenario.c -- fuzz target: scenario files (sim/scenario*.c), then a short run.
 *
 * Every input that parses must have a canonical form that reads back unchanged
 * (fuzz_canon.h).  Then the scenario is clamped to a run that takes milliseconds, by
 * --set overrides on its canonical form, so that the clamped scenario is one the
 * parser itself accepted (clamping the struct directly could break invariants that
 * validation established, such as the window ending before run.until):
 *
 *   nodes      > FUZZ_NODES_MAX: no run (the world and the partitions are O(nodes),
 *              and a run of 2000 steps would do little but boot them);
 *   run.max_steps  at most FUZZ_STEPS_MAX: the bound on the run itself;
 *   run.until      at most FUZZ_UNTIL_MAX_NS, and faults.window cut to fit: schedules
 *              are generated for the whole run before it starts, so their size
 *              grows with until / every, not with the steps;
 *   faults.*.every at least FUZZ_EVERY_MIN_NS when on: the same reason (an every of
 *              1ns makes the nemesis build a million entries before refusing them).
 *
 * The clamped scenario must parse (FUZZ_CHECK), and runs with a seed taken from the
 * input's bytes, so that one input is one run, everywhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "fuzz_canon.h"
#include "fuzz_run.h"
#include "fuzz_target.h"
#include "sim/run/scenario.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)
#define FUZZ_NODES_MAX 7
#define FUZZ_STEPS_MAX 2000
#define FUZZ_UNTIL_MAX_NS (10 * SEC)
#define FUZZ_EVERY_MIN_NS (10 * MS)
#define FUZZ_MAX_SETS 8

typedef struct clamp {
    char buf[FUZZ_MAX_SETS][192];
    const char *sets[FUZZ_MAX_SETS];
    size_t n;
} clamp;

static void add_set(clamp *c, const char *path, const char *value)
{
    FUZZ_CHECK(c->n < FUZZ_MAX_SETS, "too many clamps");
    snprintf(c->buf[c->n], sizeof c->buf[c->n], "%s=%s", path, value);
    c->sets[c->n] = c->buf[c->n];
    c->n++;
}

static void add_duration(clamp *c, const char *path, int64_t ns)
{
    char d[48];
    fl_duration_format(ns, d, sizeof d);
    add_set(c, path, d);
}

static void clamp_every(clamp *c, const char *path, int64_t every_ns)
{
    if (every_ns > 0 && every_ns < FUZZ_EVERY_MIN_NS) /* 0: the kind is off */
        add_duration(c, path, FUZZ_EVERY_MIN_NS);
}

static void make_clamps(const fl_scenario *sc, clamp *c)
{
    char v[112], a[48], b[48];
    int64_t until = sc->until_ns < FUZZ_UNTIL_MAX_NS ? sc->until_ns : FUZZ_UNTIL_MAX_NS;
    const fl_faults_config *f = &sc->faults;
    c->n = 0;
    if (sc->max_steps > FUZZ_STEPS_MAX) {
        snprintf(v, sizeof v, "%d", FUZZ_STEPS_MAX);
        add_set(c, "run.max_steps", v);
    }
    if (until < sc->until_ns)
        add_duration(c, "run.until", until);
    if (f->window_to_ns > until) { /* a window is [from, to) with from < to */
        int64_t from = f->window_from_ns < until ? f->window_from_ns : 0;
        fl_duration_format(from, a, sizeof a);
        fl_duration_format(until, b, sizeof b);
        snprintf(v, sizeof v, "[\"%s\",\"%s\"]", a, b);
        add_set(c, "faults.window", v);
    }
    clamp_every(c, "faults.partition.every", f->partition_every_ns);
    clamp_every(c, "faults.crash.every", f->crash_every_ns);
    clamp_every(c, "faults.timeout.every", f->timeout_every_ns);
    clamp_every(c, "faults.clock.every", f->clock_every_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fl_scenario sc, small;
    char err[512];
    if (fl_scenario_parse(&sc, (const char *)data, size, NULL, 0, err, sizeof err) != 0)
        return 0;
    char *canon = fuzz_canonical(&sc);
    if (sc.nodes <= FUZZ_NODES_MAX) {
        clamp c;
        make_clamps(&sc, &c);
        int rc = fl_scenario_parse(&small, canon, strlen(canon), c.sets, c.n, err, sizeof err);
        FUZZ_CHECK(rc == 0, "the clamped scenario does not parse: %s\n  canonical: %s", err, canon);
        fuzz_run(&small, NULL, 0, fl_digest_bytes(FL_DIGEST_INIT, data, size));
        fl_scenario_close(&small);
    }
    free(canon);
    fl_scenario_close(&sc);
    return 0;
}
