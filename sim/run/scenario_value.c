/*
 * scenario_value.c -- typed getters for scenario keys.
 *
 * Each getter does three things for one key: check it (type, range, with the JSON path
 * in the message), store it, and write it back into sc->json in canonical form (every
 * default filled in, durations through fl_duration_format).  Doing all three in one
 * place is what keeps the struct, the checks and the canonical text from drifting apart.
 *
 * Every duration is at most MAX_DURATION_NS, so that sums of a few of them (a time plus
 * a latency plus a spike) cannot overflow int64.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/run/scenario_impl.h"

#define SEC ((int64_t)1000000000)
#define MAX_DURATION_NS (365 * 24 * 3600 * SEC) /* "525600m" */

/* "a, b, c or d" */
const char *fl_sc_join(const char *const *names, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int k = snprintf(buf + len, cap - len, "%s%s", sep, names[i]);
        len += k > 0 ? (size_t)k : 0;
    }
    return buf;
}

/* ---- building sc->json: on out of memory, remember it and go on validating ---- */

void fl_sc_put(fl_sc_ctx *c, cJSON *out, const char *key, cJSON *item)
{
    if (out == NULL || item == NULL || !cJSON_AddItemToObject(out, key, item)) {
        cJSON_Delete(item);
        c->oom = 1;
    }
}

cJSON *fl_sc_put_object(fl_sc_ctx *c, cJSON *out, const char *key)
{
    cJSON *o = cJSON_CreateObject();
    fl_sc_put(c, out, key, o);
    return c->oom ? NULL : o;
}

static void put_duration(fl_sc_ctx *c, cJSON *out, const char *key, int64_t ns)
{
    char buf[48];
    fl_duration_format(ns, buf, sizeof buf);
    fl_sc_put(c, out, key, cJSON_CreateString(buf));
}

/* ---- typed getters: member `key` of obj (obj may be NULL), default when absent ---- */

const cJSON *fl_sc_member(const cJSON *obj, const char *key)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsNull(v) ? NULL : v;
}

/* Every member of obj must be one of keys[]. */
int fl_sc_check_keys(fl_sc_ctx *c, const cJSON *obj, const char *const *keys, size_t n)
{
    for (const cJSON *it = obj ? obj->child : NULL; it != NULL; it = it->next) {
        size_t i = 0;
        while (i < n && strcmp(it->string, keys[i]) != 0)
            i++;
        if (i == n) {
            char list[256];
            fl_sc_push_key(c, it->string);
            return fl_sc_fail(c, "unknown key (expected %s)",
                              fl_sc_join(keys, n, list, sizeof list));
        }
    }
    return 0;
}

/* *sub = the object at obj.key, or NULL when absent. */
int fl_sc_get_object(fl_sc_ctx *c, const cJSON *obj, const char *key, const cJSON **sub)
{
    const cJSON *v = fl_sc_member(obj, key);
    *sub = v;
    if (v == NULL || cJSON_IsObject(v))
        return 0;
    char got[80];
    size_t old = fl_sc_push_key(c, key);
    int rc = fl_sc_fail(c, "expected an object, got %s", fl_sc_show(v, got, sizeof got));
    fl_sc_pop(c, old);
    return rc;
}

/* A duration in [lo, MAX_DURATION_NS]: a duration string or the number 0. */
int fl_sc_check_duration(fl_sc_ctx *c, const cJSON *v, int64_t lo, int64_t *ns)
{
    char got[80], lim[48];
    int ok = (cJSON_IsNumber(v) && v->valuedouble == 0) ||
             (cJSON_IsString(v) && fl_parse_duration(v->valuestring, ns) == 0);
    if (!ok)
        return fl_sc_fail(c, "expected a duration such as \"150ms\", got %s",
                          fl_sc_show(v, got, sizeof got));
    if (cJSON_IsNumber(v))
        *ns = 0;
    if (*ns < lo) {
        fl_duration_format(lo, lim, sizeof lim);
        return fl_sc_fail(c, "expected a duration of at least %s, got %s", lim,
                          fl_sc_show(v, got, sizeof got));
    }
    if (*ns > MAX_DURATION_NS) {
        fl_duration_format(MAX_DURATION_NS, lim, sizeof lim);
        return fl_sc_fail(c, "expected a duration of at most %s, got %s", lim,
                          fl_sc_show(v, got, sizeof got));
    }
    return 0;
}

int fl_sc_get_duration(fl_sc_ctx *c, const cJSON *obj, const char *key, int64_t def, int64_t lo,
                       int64_t *ns, cJSON *out)
{
    const cJSON *v = fl_sc_member(obj, key);
    *ns = def;
    size_t old = fl_sc_push_key(c, key);
    int rc = v ? fl_sc_check_duration(c, v, lo, ns) : 0;
    fl_sc_pop(c, old);
    if (rc == 0)
        put_duration(c, out, key, *ns);
    return rc;
}

/* {"min": D, "max": D} with min <= max; absent parts default to def's. */
int fl_sc_get_latency(fl_sc_ctx *c, const cJSON *obj, const char *key, fl_latency def,
                      fl_latency *lat, cJSON *out)
{
    static const char *const keys[] = {"min", "max"};
    const cJSON *sub;
    int rc = fl_sc_get_object(c, obj, key, &sub);
    if (rc)
        return rc;
    size_t old = fl_sc_push_key(c, key);
    cJSON *o = fl_sc_put_object(c, out, key);
    rc = fl_sc_check_keys(c, sub, keys, 2);
    if (rc == 0)
        rc = fl_sc_get_duration(c, sub, "min", def.min_ns, 0, &lat->min_ns, o);
    if (rc == 0)
        rc = fl_sc_get_duration(c, sub, "max", def.max_ns, 0, &lat->max_ns, o);
    if (rc == 0 && lat->min_ns > lat->max_ns) {
        char a[48], b[48];
        fl_duration_format(lat->min_ns, a, sizeof a);
        fl_duration_format(lat->max_ns, b, sizeof b);
        rc = fl_sc_fail(c, "min (%s) is greater than max (%s)", a, b);
    }
    fl_sc_pop(c, old);
    return rc;
}

int fl_sc_get_probability(fl_sc_ctx *c, const cJSON *obj, const char *key, double *p, cJSON *out)
{
    const cJSON *v = fl_sc_member(obj, key);
    *p = 0;
    if (v != NULL) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1)) {
            char got[80];
            size_t old = fl_sc_push_key(c, key);
            int rc = fl_sc_fail(c, "expected a probability in [0,1], got %s",
                                fl_sc_show(v, got, sizeof got));
            fl_sc_pop(c, old);
            return rc;
        }
        *p = v->valuedouble;
    }
    fl_sc_put(c, out, key, cJSON_CreateNumber(*p));
    return 0;
}

int fl_sc_get_integer(fl_sc_ctx *c, const cJSON *obj, const char *key, int64_t def, int64_t lo,
                      int64_t hi, int64_t *n, cJSON *out)
{
    const cJSON *v = fl_sc_member(obj, key);
    *n = def;
    if (v != NULL) {
        double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        if (!(d >= (double)lo && d <= (double)hi && d == floor(d))) {
            char got[80];
            size_t old = fl_sc_push_key(c, key);
            int rc = fl_sc_fail(c, "expected an integer in [%lld,%lld], got %s", (long long)lo,
                                (long long)hi, fl_sc_show(v, got, sizeof got));
            fl_sc_pop(c, old);
            return rc;
        }
        *n = (int64_t)d;
    }
    fl_sc_put(c, out, key, cJSON_CreateNumber((double)*n));
    return 0;
}

int fl_sc_get_bool(fl_sc_ctx *c, const cJSON *obj, const char *key, int *b, cJSON *out)
{
    const cJSON *v = fl_sc_member(obj, key);
    *b = 0;
    if (v != NULL) {
        if (!cJSON_IsBool(v)) {
            char got[80];
            size_t old = fl_sc_push_key(c, key);
            int rc =
                fl_sc_fail(c, "expected true or false, got %s", fl_sc_show(v, got, sizeof got));
            fl_sc_pop(c, old);
            return rc;
        }
        *b = cJSON_IsTrue(v);
    }
    fl_sc_put(c, out, key, cJSON_CreateBool(*b));
    return 0;
}

/* A string of at most cap-1 bytes, copied into buf. */
int fl_sc_get_string(fl_sc_ctx *c, const cJSON *obj, const char *key, const char *def, char *buf,
                     size_t cap, cJSON *out)
{
    const cJSON *v = fl_sc_member(obj, key);
    const char *s = def;
    if (v != NULL) {
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
            char got[80];
            size_t old = fl_sc_push_key(c, key);
            int rc = fl_sc_fail(c, "expected a string of at most %zu bytes, got %s", cap - 1,
                                fl_sc_show(v, got, sizeof got));
            fl_sc_pop(c, old);
            return rc;
        }
        s = v->valuestring;
    }
    snprintf(buf, cap, "%s", s);
    fl_sc_put(c, out, key, cJSON_CreateString(buf));
    return 0;
}

/* v must be one of names[] (a `what`, e.g. "partition kind"); *idx = its index. */
int fl_sc_check_choice(fl_sc_ctx *c, const cJSON *v, const char *what, const char *const *names,
                       size_t n, int *idx)
{
    char list[256], got[80];
    fl_sc_join(names, n, list, sizeof list);
    if (!cJSON_IsString(v))
        return fl_sc_fail(c, "expected a %s (%s), got %s", what, list,
                          fl_sc_show(v, got, sizeof got));
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v->valuestring, names[i]) == 0) {
            *idx = (int)i;
            return 0;
        }
    }
    return fl_sc_fail(c, "unknown %s %s (expected %s)", what, fl_sc_show(v, got, sizeof got), list);
}

int fl_sc_get_choice(fl_sc_ctx *c, const cJSON *obj, const char *key, const char *what,
                     const char *const *names, size_t n, int def, int *idx, cJSON *out)
{
    const cJSON *v = fl_sc_member(obj, key);
    *idx = def;
    if (v != NULL) {
        size_t old = fl_sc_push_key(c, key);
        int rc = fl_sc_check_choice(c, v, what, names, n, idx);
        fl_sc_pop(c, old);
        if (rc)
            return rc;
    }
    fl_sc_put(c, out, key, cJSON_CreateString(names[*idx]));
    return 0;
}

/* A section: an object with known keys.  Its path stays pushed for the caller's getters. */
int fl_sc_open_section(fl_sc_ctx *c, const cJSON *obj, const char *key, const char *const *keys,
                       size_t nkeys, const cJSON **sub, cJSON *out, cJSON **o, size_t *old)
{
    int rc = fl_sc_get_object(c, obj, key, sub);
    *old = fl_sc_push_key(c, key);
    *o = rc == 0 ? fl_sc_put_object(c, out, key) : NULL;
    return rc ? rc : fl_sc_check_keys(c, *sub, keys, nkeys);
}
