/*
 * scenario_network.c -- a scenario's "network" section: the mode, the default latency,
 * and the per-link overrides (no two for one ordered pair).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/run/scenario_impl.h"

#define MS ((int64_t)1000000)

static int check_duplicate_links(fl_sc_ctx *c, const fl_scenario *sc);

static int parse_links(fl_sc_ctx *c, const cJSON *net, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"from", "to", "latency"};
    const cJSON *links = fl_sc_member(net, "links");
    cJSON *arr = cJSON_CreateArray();
    fl_sc_put(c, out, "links", arr);
    arr = c->oom ? NULL : arr; /* fl_sc_put freed it; the result is FL_ENOMEM anyway */
    if (links == NULL)
        return 0;
    size_t old = fl_sc_push_key(c, "links");
    char got[80];
    if (!cJSON_IsArray(links)) {
        return fl_sc_fail(c, "expected an array of {\"from\", \"to\", \"latency\"}, got %s",
                          fl_sc_show(links, got, sizeof got));
    }
    size_t n = (size_t)cJSON_GetArraySize(links);
    if (n > FL_SCENARIO_MAX_LINKS)
        return fl_sc_fail(c, "at most %d links, got %zu", FL_SCENARIO_MAX_LINKS, n);
    sc->links = calloc(n ? n : 1, sizeof *sc->links);
    if (sc->links == NULL)
        return FL_ENOMEM;
    size_t i = 0;
    for (const cJSON *it = links->child; it != NULL; it = it->next, i++) {
        fl_link *l = &sc->links[i];
        int64_t from, to;
        size_t old_i = fl_sc_push_index(c, i);
        if (!cJSON_IsObject(it))
            return fl_sc_fail(c, "expected an object, got %s", fl_sc_show(it, got, sizeof got));
        cJSON *o = cJSON_CreateObject();
        if (arr == NULL || o == NULL || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            o = NULL;
            c->oom = 1;
        }
        int rc = fl_sc_check_keys(c, it, keys, 3);
        if (rc == 0 && fl_sc_member(it, "from") == NULL)
            rc = fl_sc_fail(c, "missing key \"from\"");
        if (rc == 0 && fl_sc_member(it, "to") == NULL)
            rc = fl_sc_fail(c, "missing key \"to\"");
        if (rc == 0)
            rc = fl_sc_get_integer(c, it, "from", 0, 1, sc->nodes, &from, o);
        if (rc == 0)
            rc = fl_sc_get_integer(c, it, "to", 0, 1, sc->nodes, &to, o);
        if (rc == 0 && from == to)
            rc = fl_sc_fail(c, "a link joins two different nodes, got from = to = %lld",
                            (long long)from);
        if (rc == 0)
            rc = fl_sc_get_latency(c, it, "latency", sc->latency, &l->latency, o);
        if (rc)
            return rc;
        l->from = (int)from;
        l->to = (int)to;
        sc->nlinks++;
        fl_sc_pop(c, old_i);
    }
    fl_sc_pop(c, old);
    return check_duplicate_links(c, sc);
}

int fl_sc_parse_network(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out)
{
    static const char *const keys[] = {"mode",  "latency",     "drop", "duplicate",
                                       "spike", "spike_delay", "fifo", "links"};
    static const char *const modes[] = {"auto", "scripted"};
    const fl_latency lat = {1 * MS, 10 * MS}, spike = {50 * MS, 200 * MS};
    const cJSON *net;
    cJSON *o;
    size_t old;
    int rc = fl_sc_open_section(c, root, "network", keys, 8, &net, out, &o, &old);
    if (rc == 0)
        rc = fl_sc_get_choice(c, net, "mode", "mode", modes, 2, 0, &sc->scripted, o);
    if (rc == 0)
        rc = fl_sc_get_latency(c, net, "latency", lat, &sc->latency, o);
    if (rc == 0)
        rc = fl_sc_get_probability(c, net, "drop", &sc->net.drop, o);
    if (rc == 0)
        rc = fl_sc_get_probability(c, net, "duplicate", &sc->net.duplicate, o);
    if (rc == 0)
        rc = fl_sc_get_probability(c, net, "spike", &sc->net.spike, o);
    if (rc == 0)
        rc = fl_sc_get_latency(c, net, "spike_delay", spike, &sc->net.spike_delay, o);
    if (rc == 0)
        rc = fl_sc_get_bool(c, net, "fifo", &sc->net.fifo, o);
    if (rc == 0)
        rc = parse_links(c, net, sc, o);
    fl_sc_pop(c, old);
    return rc;
}

/* No two links may join the same ordered pair: which one would win is not obvious. */
typedef struct link_key {
    int from, to;
    size_t idx;
} link_key;

static int cmp_link_key(const void *pa, const void *pb)
{
    const link_key *a = pa, *b = pb;
    if (a->from != b->from)
        return a->from < b->from ? -1 : 1;
    if (a->to != b->to)
        return a->to < b->to ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx; /* idx is unique: a total order */
}

static int check_duplicate_links(fl_sc_ctx *c, const fl_scenario *sc)
{
    if (sc->nlinks < 2)
        return 0;
    link_key *k = malloc(sc->nlinks * sizeof *k);
    if (k == NULL)
        return FL_ENOMEM;
    for (size_t i = 0; i < sc->nlinks; i++)
        k[i] = (link_key){sc->links[i].from, sc->links[i].to, i};
    qsort(k, sc->nlinks, sizeof *k, cmp_link_key);
    int rc = 0;
    for (size_t i = 1; i < sc->nlinks && rc == 0; i++) {
        if (k[i].from == k[i - 1].from && k[i].to == k[i - 1].to) {
            size_t old = fl_sc_push_key(c, "links");
            fl_sc_push_index(c, k[i].idx);
            rc = fl_sc_fail(c, "a second link %d -> %d (the first is network.links[%zu])",
                            k[i].from, k[i].to, k[i - 1].idx);
            fl_sc_pop(c, old);
        }
    }
    free(k);
    return rc;
}
