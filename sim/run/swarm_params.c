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

/* One value of range r, keyed by its index k. */
static int64_t draw(const struct fl_param_range *r, uint64_t seed, uint64_t k)
{
    fl_rng g;
    fl_rng_keyed(&g, seed, "swarm-params", k, 0, 0);
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
    out->params = cJSON_Duplicate(sc->params, 1);
    if (!out->params)
        return FL_ENOMEM;
    for (size_t k = 0; ranges[k].name && k < FL_SWARM_PARAMS_MAX; k++) {
        const struct fl_param_range *r = &ranges[k];
        if (r->lo > r->hi || ((r->kind & FL_PARAM_LOG) && r->lo < 1))
            return bad_range(p, r, err, cap);
        int64_t v = draw(r, seed, k);
        snprintf(out->names[k], sizeof out->names[k], "swarm.%.50s", r->name);
        out->values[k] = v;
        out->n = k + 1;
        if (strcmp(r->name, "nodes") == 0) {
            if (v < 1 || v > FL_MAX_NODES)
                return bad_range(p, r, err, cap);
            out->nodes = (int)v;
            continue;
        }
        cJSON *val;
        if ((r->kind & ~FL_PARAM_LOG) == FL_PARAM_DURATION) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lldns", (long long)v);
            val = cJSON_CreateString(buf);
        } else {
            val = cJSON_CreateNumber((double)v);
        }
        if (!val)
            return FL_ENOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(out->params, r->name);
        cJSON_AddItemToObject(out->params, r->name, val);
    }
    return 0;
}

void fl_swarm_draw_close(fl_swarm_draw *d)
{
    cJSON_Delete(d->params);
    d->params = NULL;
}
