/*
 * scenario_impl.h -- internals shared by the scenario files (not a public API).
 *
 *   scenario_text.c   entry points: file and text, JSON syntax, --set, canonical order
 *   scenario_value.c  typed getters: check one key, store it, write its canonical form
 *   scenario.c        the sections of a scenario, in terms of the getters
 *
 * A getter looks up `key` in obj (obj may be NULL: a section that is absent), uses the
 * default when the key is absent or null, checks the value, and on success adds the
 * canonical value under `key` to `out`.  On failure it returns FL_EINVAL with the
 * message in c->err, naming c->path + key.  Out of memory while building sc->json sets
 * c->oom and validation goes on; fl_sc_parse_root turns it into FL_ENOMEM at the end.
 */
#ifndef FL_SIM_RUN_SCENARIO_IMPL_H
#define FL_SIM_RUN_SCENARIO_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sim/run/scenario.h"

typedef struct fl_sc_ctx {
    const char *label; /* "scenario", or the file's path: the first word of every message */
    char *err;
    size_t cap;
    char path[256]; /* the JSON path being checked, e.g. "network.links[2]" */
    size_t plen;
    int oom;
} fl_sc_ctx;

/* "label: path: <fmt>" into c->err; returns FL_EINVAL. */
int fl_sc_fail(fl_sc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Extend the path by ".key" or "[i]"; return the old length for fl_sc_pop. */
size_t fl_sc_push_key(fl_sc_ctx *c, const char *key);
size_t fl_sc_push_index(fl_sc_ctx *c, size_t i);
void fl_sc_pop(fl_sc_ctx *c, size_t old);
/* v as compact JSON, cut to about 60 bytes: the "got ..." of a message. */
const char *fl_sc_show(const cJSON *v, char *buf, size_t cap);
/* "a, b, c or d" */
const char *fl_sc_join(const char *const *names, size_t n, char *buf, size_t cap);

/* Sort the keys of every object inside v by strcmp (keys are unique: a total order). */
void fl_sc_sort_keys(cJSON *v);
/* Put obj's members named in keys[] last, in that order (no allocation: cannot fail). */
void fl_sc_order_keys(cJSON *obj, const char *const *keys, size_t n);

/* ---- building sc->json ---- */
void fl_sc_put(fl_sc_ctx *c, cJSON *out, const char *key, cJSON *item); /* takes item */
cJSON *fl_sc_put_object(fl_sc_ctx *c, cJSON *out, const char *key);     /* NULL on oom */

/* ---- getters (see above) ---- */
const cJSON *fl_sc_member(const cJSON *obj, const char *key); /* NULL if absent or null */
int fl_sc_check_keys(fl_sc_ctx *c, const cJSON *obj, const char *const *keys, size_t n);
int fl_sc_get_object(fl_sc_ctx *c, const cJSON *obj, const char *key, const cJSON **sub);
int fl_sc_check_duration(fl_sc_ctx *c, const cJSON *v, int64_t lo, int64_t *ns);
int fl_sc_get_duration(fl_sc_ctx *c, const cJSON *obj, const char *key, int64_t def, int64_t lo,
                       int64_t *ns, cJSON *out);
int fl_sc_get_latency(fl_sc_ctx *c, const cJSON *obj, const char *key, fl_latency def,
                      fl_latency *lat, cJSON *out);
int fl_sc_get_probability(fl_sc_ctx *c, const cJSON *obj, const char *key, double *p, cJSON *out);
int fl_sc_get_integer(fl_sc_ctx *c, const cJSON *obj, const char *key, int64_t def, int64_t lo,
                      int64_t hi, int64_t *n, cJSON *out);
int fl_sc_get_bool(fl_sc_ctx *c, const cJSON *obj, const char *key, int *b, cJSON *out);
int fl_sc_get_string(fl_sc_ctx *c, const cJSON *obj, const char *key, const char *def, char *buf,
                     size_t cap, cJSON *out);
int fl_sc_check_choice(fl_sc_ctx *c, const cJSON *v, const char *what, const char *const *names,
                       size_t n, int *idx);
int fl_sc_get_choice(fl_sc_ctx *c, const cJSON *obj, const char *key, const char *what,
                     const char *const *names, size_t n, int def, int *idx, cJSON *out);
/* Open section obj.key: check type and keys, push its path (pop with fl_sc_pop(c, *old)
 * even on failure) and add its canonical object *o to out. */
int fl_sc_open_section(fl_sc_ctx *c, const cJSON *obj, const char *key, const char *const *keys,
                       size_t nkeys, const cJSON **sub, cJSON *out, cJSON **o, size_t *old);

/* faults.swarm_params: true, false, or {"name": [lo, hi], ...} (sim/run/swarm_params.c). */
/* The "network" section (scenario_network.c). */
int fl_sc_parse_network(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, cJSON *out);
int fl_sc_parse_swarm_params(fl_sc_ctx *c, const cJSON *faults, fl_scenario *sc, cJSON *out);

/* Validate the whole document (after --set) into sc, building sc->json. */
int fl_sc_parse_root(fl_sc_ctx *c, const cJSON *root, fl_scenario *sc, const char *default_name);

#endif /* FL_SIM_RUN_SCENARIO_IMPL_H */
