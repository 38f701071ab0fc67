/*
 * swarm_params.c -- drawing a run's params from the ranges its protocol declares
 * (API version 4, `param_ranges`), when the scenario says "faults": {"swarm_params":
 * true}.  See swarm_params.h.
 *
 * Each range draws from its own keyed generator, ("swarm-params", its index in the
 * protocol's list), so a protocol that adds a range at the end moves none of the others,
 * and nothing else of the run (faults, network, workload) moves either: they never see
 * these draws, only their outcome (a bigger cluster does change everything after it).
 * The drawn values go into the run's params (and its node count) before the world is
 * made, so a replay from the same scenario and seed draws them again, exactly.
 */
#include "sim/run/swarm_params.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "core/world.h"
#include "sim/run/scenario_impl.h"

/* One value of range r, keyed by its index k.  A duration range whose bounds are whole
 * milliseconds draws whole milliseconds (protocols that take milliseconds accept it). */
static int64_t draw(const struct fl_param_range *r, uint64_t seed, uint64_t k)
{
    fl_rng g;
    fl_rng_keyed(&g, seed, "swarm-params", k, 0, 0);
    if ((r->kind & ~FL_PARAM_LOG) == FL_PARAM_DURATION && r->lo % FL_MS == 0 &&
        r->hi % FL_MS == 0 && !(r->kind & FL_PARAM_LOG))
        return fl_rng_range(&g, r->lo / FL_MS, r->hi / FL_MS) * FL_MS;
    if (!(r->kind & FL_PARAM_LOG) || r->lo < 1)
        return fl_rng_range(&g, r->lo, r->hi);
    /* log-uniform: a power-of-two band [2^b, 2^(b+1)) cut to the range, then uniform */
    int bands = 0;
    while (bands < 62 && (r->lo << bands) <= r->hi)
        bands++;
    int b = (int)fl_rng_below(&g, (uint64_t)bands);
    int64_t lo = r->lo << b, hi = (r->lo << (b + 1)) - 1;
    return fl_rng_range(&g, lo, hi < r->hi ? hi : r->hi);
}

static int bad_range(const struct fl_protocol *p, const struct fl_param_range *r, char *err,
                     size_t cap)
{
    snprintf(err, cap,
             "protocol %s: param range %s: expected lo <= hi (and lo >= 1 for a log "
             "range), got [%lld, %lld]",
             p->name, r->name, (long long)r->lo, (long long)r->hi);
    return FL_EINVAL;
}

/* The scenario's narrowing of range r, if it lists names: 1 to draw from r (narrowed),
 * 0 to leave it out, FL_EINVAL when the narrowed range leaves the protocol's. */
static int narrow(const fl_scenario *sc, const struct fl_protocol *p, struct fl_param_range *r,
                  char *err, size_t cap)
{
    if (sc->nswarm_narrow == 0)
        return 1;
    for (size_t i = 0; i < sc->nswarm_narrow; i++) {
        const fl_swarm_narrow *n = &sc->swarm_narrow[i];
        if (strcmp(n->name, r->name) != 0)
            continue;
        if (n->lo < r->lo || n->hi > r->hi) {
            snprintf(err, cap,
                     "faults.swarm_params.%s: [%lld, %lld] is outside the protocol %s's range "
                     "[%lld, %lld]",
                     n->name, (long long)n->lo, (long long)n->hi, p->name, (long long)r->lo,
                     (long long)r->hi);
            return FL_EINVAL;
        }
        r->lo = n->lo, r->hi = n->hi;
        return 1;
    }
    return 0;
}

/* A name of the scenario's object that the protocol has no range for. */
static int unknown_name(const fl_scenario *sc, const struct fl_protocol *p, char *err, size_t cap)
{
    const struct fl_param_range *ranges = p->param_ranges;
    for (size_t i = 0; i < sc->nswarm_narrow; i++) {
        int found = 0;
        for (size_t k = 0; ranges[k].name && !found; k++)
            found = strcmp(ranges[k].name, sc->swarm_narrow[i].name) == 0;
        if (!found) {
            snprintf(err, cap, "faults.swarm_params.%s: the protocol %s declares no such range",
                     sc->swarm_narrow[i].name, p->name);
            return FL_EINVAL;
        }
    }
    return 0;
}

int fl_swarm_params(const fl_scenario *sc, const struct fl_protocol *p, uint64_t seed,
                    fl_swarm_draw *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    out->nodes = sc->nodes;
    if (!sc->faults.swarm_params)
        return 0;
    const struct fl_param_range *ranges = p->api_version >= 4 ? p->param_ranges : NULL;
    if (!ranges || !ranges[0].name) {
        snprintf(err, cap,
                 "faults.swarm_params: the protocol %s declares no param ranges (API version 4 "
                 "param_ranges)",
                 p->name);
        return FL_EINVAL;
    }
    if (unknown_name(sc, p, err, cap))
        return FL_EINVAL;
    out->params = cJSON_Duplicate(sc->params, 1);
    if (!out->params)
        return FL_ENOMEM;
    for (size_t k = 0; ranges[k].name && k < FL_SWARM_PARAMS_MAX; k++) {
        struct fl_param_range r = ranges[k];
        if (r.lo > r.hi || ((r.kind & FL_PARAM_LOG) && r.lo < 1))
            return bad_range(p, &r, err, cap);
        int rc = narrow(sc, p, &r, err, cap);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue; /* the scenario's object leaves this one out */
        int64_t v = draw(&r, seed, k);
        snprintf(out->names[out->n], sizeof out->names[0], "swarm.%.50s", r.name);
        out->values[out->n++] = v;
        if (strcmp(r.name, "nodes") == 0) {
            if (v < 1 || v > FL_MAX_NODES)
                return bad_range(p, &r, err, cap);
            out->nodes = (int)v;
            continue;
        }
        cJSON *val;
        if ((r.kind & ~FL_PARAM_LOG) == FL_PARAM_DURATION) {
            char buf[32];
            if (v % FL_MS == 0)
                snprintf(buf, sizeof buf, "%lldms", (long long)(v / FL_MS));
            else
                snprintf(buf, sizeof buf, "%lldns", (long long)v);
            val = cJSON_CreateString(buf);
        } else {
            val = cJSON_CreateNumber((double)v);
        }
        if (!val)
            return FL_ENOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(out->params, r.name);
        cJSON_AddItemToObject(out->params, r.name, val);
    }
    return 0;
}

void fl_swarm_draw_close(fl_swarm_draw *d)
{
    cJSON_Delete(d->params);
    d->params = NULL;
}

/* ---- the scenario's faults.swarm_params ---- */

/* One bound: an integer, or a duration string ("150ms"). */
static int bound(fl_sc_ctx *c, const cJSON *v, size_t i, int64_t *out)
{
    char got[80];
    size_t old = fl_sc_push_index(c, i);
    int ok = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9e15 &&
             v->valuedouble == (double)(int64_t)v->valuedouble;
    if (ok)
        *out = (int64_t)v->valuedouble;
    else
        ok = cJSON_IsString(v) && fl_parse_duration(v->valuestring, out) == 0;
    if (!ok)
        return fl_sc_fail(c, "expected an integer or a duration such as \"150ms\", got %s",
                          fl_sc_show(v, got, sizeof got));
    fl_sc_pop(c, old);
    return 0;
}

int fl_sc_parse_swarm_params(fl_sc_ctx *c, const cJSON *faults, fl_scenario *sc, cJSON *out)
{
    const cJSON *v = fl_sc_member(faults, "swarm_params");
    char got[80];
    if (!cJSON_IsObject(v))
        return fl_sc_get_bool(c, faults, "swarm_params", &sc->faults.swarm_params, out);
    size_t old = fl_sc_push_key(c, "swarm_params");
    if (cJSON_GetArraySize(v) > FL_SWARM_NARROW_MAX)
        return fl_sc_fail(c, "at most %d ranges", FL_SWARM_NARROW_MAX);
    for (const cJSON *r = v->child; r; r = r->next) {
        size_t old_r = fl_sc_push_key(c, r->string);
        fl_swarm_narrow *n = &sc->swarm_narrow[sc->nswarm_narrow];
        if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2)
            return fl_sc_fail(c, "expected [LO, HI] (integers or durations), got %s",
                              fl_sc_show(r, got, sizeof got));
        if (strlen(r->string) >= sizeof n->name || !r->string[0])
            return fl_sc_fail(c, "expected a param name of 1-%zu bytes", sizeof n->name - 1);
        int rc = bound(c, cJSON_GetArrayItem(r, 0), 0, &n->lo);
        if (rc == 0)
            rc = bound(c, cJSON_GetArrayItem(r, 1), 1, &n->hi);
        if (rc)
            return rc;
        if (n->lo > n->hi)
            return fl_sc_fail(c, "expected LO <= HI, got [%lld, %lld]", (long long)n->lo,
                              (long long)n->hi);
        memcpy(n->name, r->string, strlen(r->string) + 1);
        sc->nswarm_narrow++;
        fl_sc_pop(c, old_r);
    }
    fl_sc_pop(c, old);
    sc->faults.swarm_params = 1;
    fl_sc_put(c, out, "swarm_params", cJSON_Duplicate(v, 1));
    return 0;
}
