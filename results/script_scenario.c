/*
 * script_scenario.c -- the scenario around a converted run's script, and its text (see
 * script_scenario.h): the part of `faultline script` that knows the scenario format.
 */
#include "results/script_scenario.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_member(cJSON *to, const cJSON *from, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
    if (v)
        cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, 1));
}

/* The run's scenario in scripted mode: its protocol, nodes, params (bugs, initial state),
 * crash policy, workload model and checks; nothing random or timed. */
cJSON *fl_script_scenario(const cJSON *s, int64_t run, int clients_model, int nprocs)
{
    cJSON *o = cJSON_CreateObject();
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
    char buf[200];
    snprintf(buf, sizeof buf, "%s-run%" PRId64 "-script",
             cJSON_IsString(name) && name->valuestring[0] ? name->valuestring : "scenario", run);
    cJSON_AddStringToObject(o, "name", buf);
    copy_member(o, s, "protocol");
    copy_member(o, s, "nodes");
    copy_member(o, s, "params");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "network"), "mode", "scripted");
    const cJSON *cr =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "faults"), "crash");
    if (cr) {
        cJSON *crash = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "faults"), "crash");
        cJSON_AddStringToObject(crash, "every", "0");
        copy_member(crash, cr, "unsynced");
    }
    if (clients_model) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(s, "workload");
        cJSON *wl = cJSON_AddObjectToObject(o, "workload");
        copy_member(wl, w, "model");
        cJSON_AddNumberToObject(wl, "clients", nprocs > 0 ? nprocs : 1);
        copy_member(wl, w, "keys");
    }
    copy_member(o, s, "checks");
    return o;
}

/* A growing text; ok turns 0 for good when memory runs out. */
typedef struct text {
    char *p;
    size_t len, cap;
    int ok;
} text;

static void put(text *t, const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c);
    if (t->ok && t->len + n + 1 > t->cap) {
        size_t ncap = 2 * (t->len + n + 1);
        char *p = realloc(t->p, ncap);
        t->ok = p != NULL;
        t->p = p ? p : t->p;
        t->cap = p ? ncap : t->cap;
    }
    if (t->ok)
        t->len += (size_t)sprintf(t->p + t->len, "%s%s%s", a, b, c);
}

/* The scenario's text: its sections on a line each, then the script, an entry a line.
 * The section names are the scenario format's own keys: nothing in them to escape. */
char *fl_script_print(const cJSON *sc, const cJSON *script)
{
    text t = {.ok = 1};
    put(&t, "{\n", "", "");
    for (const cJSON *k = sc->child; k; k = k->next) {
        char *v = cJSON_PrintUnformatted(k);
        t.ok = t.ok && v;
        put(&t, "  \"", k->string, "\": ");
        put(&t, v ? v : "", ",\n", "");
        free(v);
    }
    put(&t, "  \"script\": [", "", "");
    for (const cJSON *e = script->child; e; e = e->next) {
        char *v = cJSON_PrintUnformatted(e);
        t.ok = t.ok && v;
        put(&t, e == script->child ? "\n    " : ",\n    ", v ? v : "", "");
        free(v);
    }
    put(&t, "\n  ]\n}\n", "", "");
    if (!t.ok) {
        free(t.p);
        return NULL;
    }
    return t.p;
}
