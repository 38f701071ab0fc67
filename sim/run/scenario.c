/*
 * scenario.c -- the sections of a scenario: what each key means and its default.
 *
 * The checks run in dependency order (nodes before links, run before the fault window);
 * sc->json gets its keys in canonical order at the end, so that its text, which
 * identifies the scenario in the database, does not depend on the order of the file.
 *
 * Conventions: a key that is absent or null takes its default; a fault section that is
 * absent or null is off, and is then left out of sc->json.  The value checks themselves
 * are in scenario_value.c, reading files and --set in scenario_text.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "faults/schedule.h"
#include "sim/run/scenario_impl.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)
#define MAX_OPS ((int64_t)1000000000000)
#define MAX_STEPS ((int64_t)100000000000)
#define MAX_DRIFT_PPM 500000

static int parse_disk(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"sync"};
    const fl_latency sync = {1 * MS, 5 * MS};
    const cJSON *disk;
    cJSON *o;
    size_t old;
    int rc = fl_sc_open_section(c, root, "disk", keys, 1, &disk, out, &o, &old);
    if (rc == 0)
        rc = fl_sc_get_latency(c, disk, "sync", sync, &sc->disk_sync, o);
    fl_sc_pop(c, old);
    return rc;
}

static int parse_run(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"until", "max_steps", "liveness", "watchdog"};
    const cJSON *run;
    cJSON *o;
    size_t old;
    int64_t steps = 0, watchdog_ns = 0;
    int rc = fl_sc_open_section(c, root, "run", keys, 4, &run, out, &o, &old);
    if (rc == 0)
        rc = fl_sc_get_duration(c, run, "until", 30 * SEC, 1, &sc->until_ns, o);
    if (rc == 0)
        rc = fl_sc_get_integer(c, run, "max_steps", 5000000, 1, MAX_STEPS, &steps, o);
    if (rc == 0)
        rc = fl_sc_get_duration(c, run, "liveness", 10 * SEC, 0, &sc->liveness_ns, o);
    if (rc == 0)
        rc = fl_sc_get_duration(c, run, "watchdog", 60 * SEC, 1 * MS, &watchdog_ns, o);
    sc->max_steps = (uint64_t)steps;
    sc->watchdog_ms = (watchdog_ns + MS - 1) / MS; /* whole milliseconds, rounded up */
    fl_sc_pop(c, old);
    return rc;
}

static const char *const model_names[] = {"none", "register", "kv"};

/* "checks": {"linearizable": "register"|"kv", "max_states": N}.  Shown in the canonical
 * form only when present, so that the identity of older scenarios does not move. */
static int parse_checks(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"linearizable", "max_states"};
    const cJSON *ck;
    cJSON *o;
    size_t old;
    int64_t states = 0;
    int model = FL_MODEL_NONE;
    if (fl_sc_member(root, "checks") == NULL)
        return 0;
    int rc = fl_sc_open_section(c, root, "checks", keys, 2, &ck, out, &o, &old);
    if (rc == 0 && fl_sc_member(ck, "linearizable") == NULL)
        rc = fl_sc_fail(c, "linearizable: expected \"register\" or \"kv\", got nothing");
    if (rc == 0)
        rc = fl_sc_get_choice(c, ck, "linearizable", "model", model_names + 1, 2, 0, &model, o);
    if (rc == 0)
        rc = fl_sc_get_integer(c, ck, "max_states", 10000000, 1, (int64_t)1 << 40, &states, o);
    sc->clients.linearizable = 1;
    sc->clients.model = model + 1;
    sc->clients.max_states = (uint64_t)states;
    fl_sc_pop(c, old);
    return rc;
}

/* The clients' keys (workload.model register or kv) into o; with model none, any of
 * them is an error, and none is shown (older scenarios keep their canonical form). */
static int parse_clients(fl_sc_ctx *c, const cJSON *wl, fl_scenario *sc, cJSON *o)
{
    static const char *const policies[] = {"random", "sticky"};
    static const char *const extra_keys[] = {"clients", "timeout", "policy", "keys"};
    fl_clients_config *k = &sc->clients;
    int checked = k->linearizable, model = k->model, policy = 0;
    int64_t procs = 0, keys = 0;
    cJSON *x = cJSON_CreateObject();
    if (!x)
        return FL_ENOMEM;
    int rc = fl_sc_get_choice(c, wl, "model", "model", model_names, 3, model, &model, x);
    if (rc == 0 && checked && model != k->model) {
        size_t old = fl_sc_push_key(c, "model");
        rc = fl_sc_fail(c, "\"%s\" does not match checks.linearizable \"%s\"", model_names[model],
                        model_names[k->model]);
        fl_sc_pop(c, old);
    }
    for (size_t i = 0; rc == 0 && model == FL_MODEL_NONE && i < 4; i++)
        if (fl_sc_member(wl, extra_keys[i])) {
            size_t old = fl_sc_push_key(c, extra_keys[i]);
            rc = fl_sc_fail(c, "needs workload.model \"register\" or \"kv\"");
            fl_sc_pop(c, old);
        }
    if (rc == 0)
        rc = fl_sc_get_integer(c, wl, "clients", 5, 1, 1000, &procs, x);
    if (rc == 0)
        rc = fl_sc_get_duration(c, wl, "timeout", 1 * SEC, 1 * MS, &k->timeout_ns, x);
    if (rc == 0)
        rc = fl_sc_get_choice(c, wl, "policy", "policy", policies, 2, 0, &policy, x);
    if (rc == 0)
        rc = fl_sc_get_integer(c, wl, "keys", 3, 1, 1000, &keys, x);
    k->model = model;
    k->processes = (int)procs;
    k->policy = policy;
    k->keys = (int)keys;
    for (cJSON *it = x->child; rc == 0 && model != FL_MODEL_NONE && it; it = it->next)
        fl_sc_put(c, o, it->string, cJSON_Duplicate(it, 1));
    cJSON_Delete(x);
    return rc;
}

static int parse_workload(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"every",   "ops",    "model", "clients",
                                       "timeout", "policy", "keys"};
    const cJSON *wl;
    cJSON *o;
    size_t old;
    int rc = fl_sc_open_section(c, root, "workload", keys, 7, &wl, out, &o, &old);
    if (rc == 0)
        rc = fl_sc_get_duration(c, wl, "every", 100 * MS, 0, &sc->workload_every_ns, o);
    if (rc == 0)
        rc = fl_sc_get_integer(c, wl, "ops", 0, 0, MAX_OPS, &sc->workload_ops, o);
    if (rc == 0)
        rc = parse_clients(c, wl, sc, o);
    fl_sc_pop(c, old);
    return rc;
}

/* ---- faults ---- */

static int parse_window(fl_sc_ctx *c, const cJSON *faults, fl_scenario *sc, cJSON *out)
{
    const cJSON *w = fl_sc_member(faults, "window");
    int64_t t[2] = {0, 0};
    char got[80], a[48], b[48], u[48];
    if (w == NULL)
        return 0;
    size_t old = fl_sc_push_key(c, "window");
    if (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != 2)
        return fl_sc_fail(c, "expected [FROM, TO] (two durations such as \"1s\"), got %s",
                          fl_sc_show(w, got, sizeof got));
    for (int i = 0; i < 2; i++) {
        size_t old_i = fl_sc_push_index(c, (size_t)i);
        int rc = fl_sc_check_duration(c, cJSON_GetArrayItem(w, i), 0, &t[i]);
        if (rc)
            return rc;
        fl_sc_pop(c, old_i);
    }
    fl_duration_format(t[0], a, sizeof a);
    fl_duration_format(t[1], b, sizeof b);
    fl_duration_format(sc->until_ns, u, sizeof u);
    if (t[0] >= t[1])
        return fl_sc_fail(c, "the window must end after it starts, got [\"%s\", \"%s\"]", a, b);
    if (t[1] > sc->until_ns)
        return fl_sc_fail(c, "the window [\"%s\", \"%s\"] ends after run.until (%s)", a, b, u);
    fl_sc_pop(c, old);
    sc->faults.window_from_ns = t[0];
    sc->faults.window_to_ns = t[1];
    const char *pair[2] = {a, b};
    fl_sc_put(c, out, "window", cJSON_CreateStringArray(pair, 2));
    return 0;
}

static int parse_kinds(fl_sc_ctx *c, const cJSON *part, fl_scenario *sc, cJSON *out)
{
    static const char *const kinds[] = {"isolate", "halves", "oneway", "bridge", "ring"};
    const cJSON *v = fl_sc_member(part, "kinds");
    unsigned mask = v ? 0 : (1u << FL_PART_KIND_COUNT) - 1;
    char got[80];
    size_t old = fl_sc_push_key(c, "kinds"), i = 0;
    if (v != NULL && (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0))
        return fl_sc_fail(c, "expected a non-empty array of partition kinds, got %s",
                          fl_sc_show(v, got, sizeof got));
    for (const cJSON *it = v ? v->child : NULL; it != NULL; it = it->next, i++) {
        int k = 0;
        size_t old_i = fl_sc_push_index(c, i);
        int rc = fl_sc_check_choice(c, it, "partition kind", kinds, FL_PART_KIND_COUNT, &k);
        if (rc == 0 && (mask & (1u << k)))
            rc = fl_sc_fail(c, "partition kind \"%s\" is listed twice", kinds[k]);
        if (rc)
            return rc;
        mask |= 1u << k;
        fl_sc_pop(c, old_i);
    }
    fl_sc_pop(c, old);
    sc->faults.partition_kinds = mask;
    cJSON *arr = cJSON_CreateArray();
    fl_sc_put(c, out, "kinds", arr); /* in enum order: the canonical form of a set */
    arr = c->oom ? NULL : arr;       /* fl_sc_put freed it on failure */
    for (int k = 0; k < FL_PART_KIND_COUNT && arr != NULL; k++)
        if ((mask & (1u << k)) && !cJSON_AddItemToArray(arr, cJSON_CreateString(kinds[k])))
            c->oom = 1;
    return 0;
}

/* A kind drawn so often that its draws alone would overflow a schedule: refused here, in
 * one line naming the key, instead of by every seed's generator (or a generator that
 * spins through billions of draws for a kind whose every node is down). */
static int check_rate(fl_sc_ctx *c, const fl_scenario *sc, int64_t every_ns)
{
    int64_t from = sc->faults.window_to_ns > 0 ? sc->faults.window_from_ns : 0;
    int64_t to = sc->faults.window_to_ns > 0 ? sc->faults.window_to_ns : sc->until_ns;
    if (every_ns <= 0 || (to - from) / every_ns <= FL_SCHEDULE_MAX_ENTRIES)
        return 0;
    size_t old = fl_sc_push_key(c, "every");
    int rc = fl_sc_fail(c,
                        "%lld ns draws about %lld faults over the %.3f s fault window; a schedule"
                        " holds at most %d entries: use a longer interval",
                        (long long)every_ns, (long long)((to - from) / every_ns),
                        (double)(to - from) / 1e9, FL_SCHEDULE_MAX_ENTRIES);
    fl_sc_pop(c, old);
    return rc;
}

/* The optional fault sections: absent (or null) means off, and then they are left out
 * of sc->json too.  Present, every key has a default, so {} switches a kind on. */
static int parse_fault_kinds(fl_sc_ctx *c, const cJSON *faults, fl_scenario *sc, cJSON *out)
{
    static const char *const pk[] = {"every", "duration", "kinds"};
    static const char *const ck[] = {"every", "down", "unsynced"};
    static const char *const tk[] = {"every", "timer"};
    static const char *const lk[] = {"every", "max_drift"};
    static const char *const unsynced[] = {"keep", "lose", "tear"};
    fl_faults_config *f = &sc->faults;
    const cJSON *s;
    cJSON *o;
    size_t old;
    int rc = 0;
    int64_t drift = 0;
    if (fl_sc_member(faults, "partition") != NULL) {
        rc = fl_sc_open_section(c, faults, "partition", pk, 3, &s, out, &o, &old);
        if (rc == 0)
            rc = fl_sc_get_duration(c, s, "every", 3 * SEC, 0, &f->partition_every_ns, o);
        if (rc == 0)
            rc = check_rate(c, sc, f->partition_every_ns);
        if (rc == 0)
            rc = fl_sc_get_duration(c, s, "duration", 1 * SEC, 1, &f->partition_duration_ns, o);
        if (rc == 0)
            rc = parse_kinds(c, s, sc, o);
        fl_sc_pop(c, old);
    }
    if (rc == 0 && fl_sc_member(faults, "crash") != NULL) {
        rc = fl_sc_open_section(c, faults, "crash", ck, 3, &s, out, &o, &old);
        if (rc == 0)
            rc = fl_sc_get_duration(c, s, "every", 5 * SEC, 0, &f->crash_every_ns, o);
        if (rc == 0)
            rc = check_rate(c, sc, f->crash_every_ns);
        if (rc == 0)
            rc = fl_sc_get_duration(c, s, "down", 500 * MS, 1, &f->crash_down_ns, o);
        if (rc == 0)
            rc = fl_sc_get_choice(c, s, "unsynced", "policy", unsynced, 3, FL_UNSYNCED_LOSE,
                                  &f->unsynced, o);
        fl_sc_pop(c, old);
    }
    if (rc == 0 && fl_sc_member(faults, "timeout") != NULL) {
        rc = fl_sc_open_section(c, faults, "timeout", tk, 2, &s, out, &o, &old);
        if (rc == 0)
            rc = fl_sc_get_duration(c, s, "every", 2 * SEC, 0, &f->timeout_every_ns, o);
        if (rc == 0)
            rc = check_rate(c, sc, f->timeout_every_ns);
        if (rc == 0)
            rc = fl_sc_get_string(c, s, "timer", "", f->timeout_timer, sizeof f->timeout_timer, o);
        fl_sc_pop(c, old);
    }
    if (rc == 0 && fl_sc_member(faults, "clock") != NULL) {
        rc = fl_sc_open_section(c, faults, "clock", lk, 2, &s, out, &o, &old);
        if (rc == 0)
            rc = fl_sc_get_duration(c, s, "every", 5 * SEC, 0, &f->clock_every_ns, o);
        if (rc == 0)
            rc = check_rate(c, sc, f->clock_every_ns);
        if (rc == 0)
            rc = fl_sc_get_integer(c, s, "max_drift", 50000, 0, MAX_DRIFT_PPM, &drift, o);
        f->clock_max_ppm = (int32_t)drift;
        fl_sc_pop(c, old);
    }
    return rc;
}

/* One aimed kind's section (issue 16): every, then up to two durations, each with its
 * default; absent means off. */
typedef struct aimed_section {
    const char *name;
    const char *const keys[4]; /* "every" first; NULL-padded */
    int64_t defs[4];
    int64_t *dst[4];
} aimed_section;

static int parse_aimed(fl_sc_ctx *c, const cJSON *faults, fl_scenario *sc, cJSON *out)
{
    fl_faults_config *f = &sc->faults;
    const aimed_section secs[] = {
        {"leader_crash",
         {"every", "down"},
         {3 * SEC, 300 * MS},
         {&f->leader_crash_every_ns, &f->leader_crash_down_ns}},
        {"sync_crash",
         {"every", "down", "within"},
         {3 * SEC, 300 * MS, 1 * SEC},
         {&f->sync_crash_every_ns, &f->sync_crash_down_ns, &f->sync_crash_within_ns}},
        {"leader_partition",
         {"every", "duration"},
         {3 * SEC, 1 * SEC},
         {&f->leader_partition_every_ns, &f->leader_partition_duration_ns}},
        {"restart_partitioned",
         {"every", "down", "duration"},
         {5 * SEC, 300 * MS, 1 * SEC},
         {&f->restart_partitioned_every_ns, &f->restart_partitioned_down_ns,
          &f->restart_partitioned_duration_ns}},
        {"storm",
         {"every", "spread", "timer"},
         {3 * SEC, 50 * MS},
         {&f->storm_every_ns, &f->storm_spread_ns}},
    };
    const cJSON *s;
    cJSON *o;
    size_t old;
    int rc = 0;
    for (size_t k = 0; k < sizeof secs / sizeof secs[0] && rc == 0; k++) {
        const aimed_section *a = &secs[k];
        if (fl_sc_member(faults, a->name) == NULL)
            continue;
        int nkeys = a->keys[2] ? 3 : 2;
        rc = fl_sc_open_section(c, faults, a->name, a->keys, nkeys, &s, out, &o, &old);
        for (int i = 0; i < nkeys && rc == 0; i++) {
            if (!a->dst[i]) /* storm.timer */
                rc = fl_sc_get_string(c, s, "timer", "", f->storm_timer, sizeof f->storm_timer, o);
            else
                rc = fl_sc_get_duration(c, s, a->keys[i], a->defs[i], i == 0 ? 0 : 1, a->dst[i], o);
            if (rc == 0 && i == 0)
                rc = check_rate(c, sc, *a->dst[0]);
        }
        fl_sc_pop(c, old);
    }
    return rc;
}

static int parse_faults(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"window",
                                       "swarm",
                                       "partition",
                                       "crash",
                                       "timeout",
                                       "clock",
                                       "corrupt",
                                       "leader_crash",
                                       "sync_crash",
                                       "leader_partition",
                                       "restart_partitioned",
                                       "storm",
                                       "swarm_params"};
    const cJSON *faults;
    cJSON *o;
    size_t old;
    sc->faults.unsynced = FL_UNSYNCED_LOSE; /* also when there is no crash section */
    sc->faults.clock_max_ppm = 50000;
    int rc = fl_sc_open_section(c, root, "faults", keys, 13, &faults, out, &o, &old);
    if (rc == 0)
        rc = parse_window(c, faults, sc, o);
    if (rc == 0)
        rc = fl_sc_get_bool(c, faults, "swarm", &sc->faults.swarm, o);
    if (rc == 0 && fl_sc_member(faults, "swarm_params")) /* absent: left out of the text */
        rc = fl_sc_parse_swarm_params(c, faults, sc, o);
    if (rc == 0)
        rc = parse_fault_kinds(c, faults, sc, o);
    if (rc == 0)
        rc = parse_aimed(c, faults, sc, o);
    if (rc == 0)
        rc = fl_sc_get_probability(c, faults, "corrupt", &sc->faults.corrupt, o);
    fl_sc_pop(c, old);
    return rc;
}

/* The script is only checked for shape here; the script driver reads its entries. */
static int parse_script(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    const cJSON *v = fl_sc_member(root, "script");
    char got[80];
    size_t i = 0;
    if (v == NULL)
        return 0;
    size_t old = fl_sc_push_key(c, "script");
    if (!cJSON_IsArray(v))
        return fl_sc_fail(c, "expected an array of entries such as {\"timeout\": 1}, got %s",
                          fl_sc_show(v, got, sizeof got));
    for (const cJSON *it = v->child; it != NULL; it = it->next, i++) {
        if (!cJSON_IsObject(it)) {
            fl_sc_push_index(c, i);
            return fl_sc_fail(c, "expected an entry such as {\"timeout\": 1}, got %s",
                              fl_sc_show(it, got, sizeof got));
        }
    }
    /* in auto mode the script would be silently ignored */
    if (!sc->scripted)
        return fl_sc_fail(c, "a script needs \"network\": {\"mode\": \"scripted\"}");
    fl_sc_pop(c, old);
    sc->script = cJSON_Duplicate(v, 1);
    if (sc->script == NULL)
        return FL_ENOMEM;
    fl_sc_put(c, out, "script", cJSON_Duplicate(v, 1));
    return 0;
}

/* Top level.  The checks run in dependency order (nodes before links, run before the
 * fault window); sc->json's keys are put in canonical order at the end. */
int fl_sc_parse_root(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, const char *default_name)
{
    static const char *const keys[] = {"name",   "protocol", "nodes",  "params", "network", "disk",
                                       "faults", "workload", "checks", "run",    "script"};
    char got[80];
    if (!cJSON_IsObject(root))
        return fl_sc_fail(c, "expected an object at the top level, got %s",
                          fl_sc_show(root, got, sizeof got));
    cJSON *out = sc->json = cJSON_CreateObject();
    if (out == NULL)
        return FL_ENOMEM;
    int64_t nodes = 0;
    const cJSON *params;
    int rc = fl_sc_check_keys(c, root, keys, 11);
    if (rc == 0)
        rc = fl_sc_get_string(c, root, "name", default_name, sc->name, sizeof sc->name, out);
    if (rc == 0)
        rc = fl_sc_get_string(c, root, "protocol", "raft", sc->protocol, sizeof sc->protocol, out);
    if (rc == 0)
        rc = fl_sc_get_integer(c, root, "nodes", 3, 1, FL_MAX_NODES, &nodes, out);
    sc->nodes = (int)nodes;
    if (rc == 0)
        rc = fl_sc_get_object(c, root, "params", &params);
    if (rc)
        return rc;
    /* params belong to the protocol, which validates them; keys sorted for identity */
    sc->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
    if (sc->params == NULL)
        return FL_ENOMEM;
    fl_sc_sort_keys(sc->params);
    fl_sc_put(c, out, "params", cJSON_Duplicate(sc->params, 1));
    rc = fl_sc_parse_network(c, root, sc, out);
    if (rc == 0)
        rc = parse_disk(c, root, sc, out);
    if (rc == 0)
        rc = parse_run(c, root, sc, out);
    if (rc == 0)
        rc = parse_faults(c, root, sc, out);
    if (rc == 0)
        rc = parse_checks(c, root, sc, out);
    if (rc == 0)
        rc = parse_workload(c, root, sc, out);
    if (rc == 0)
        rc = parse_script(c, root, sc, out);
    if (rc == 0)
        fl_sc_order_keys(out, keys, 11);
    return rc ? rc : c->oom ? FL_ENOMEM : 0;
}
