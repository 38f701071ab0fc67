/*
 * drive_script.c -- the script driver (see driver.h): the scenario's "script", or one
 * given with --schedule, run entry by entry by script.c.  No fault schedule, no
 * per-message faults, no workload: the script says everything that happens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/run/clients.h"
#include "sim/run/driver.h"
#include "sim/run/script.h"

typedef struct script_driver {
    cJSON *owned;        /* a script given as text */
    const cJSON *script; /* the script to follow */
    fl_script_syncs syncs;
    char *json;          /* the script, for runs.schedule_json */
    fl_clients *clients; /* workload.model register or kv; else NULL */
} script_driver;

/* A client operation ("f") or an expected reply needs workload.model: say which entry. */
static int needs_clients(const cJSON *script, char *err, size_t cap)
{
    size_t i = 0;
    for (const cJSON *e = script->child; e; e = e->next) {
        i++;
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "expect");
        if (cJSON_GetObjectItemCaseSensitive(e, "f") ||
            (x && cJSON_GetObjectItemCaseSensitive(x, "reply"))) {
            snprintf(err, cap,
                     "script[%zu]: a client operation needs workload.model \"register\" or "
                     "\"kv\"",
                     i);
            return 1;
        }
    }
    return 0;
}

static int script_init(fl_driver *d, const fl_scenario *sc, fl_world *w, uint64_t seed,
                       const char *text, size_t len, char *err, size_t cap)
{
    script_driver *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, cap, "run: out of memory");
        return FL_ENOMEM;
    }
    d->impl = s;
    if (text) {
        const char *end = NULL;
        s->owned = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (!s->owned) {
            snprintf(err, cap, "script: malformed JSON near byte %zu",
                     end ? (size_t)(end - text) : 0);
            return FL_EPARSE;
        }
        /* as for schedules (the same --schedule FILE): nothing but whitespace after it */
        size_t off = (size_t)(end - text);
        while (off < len && strchr(" \t\r\n", text[off]) != NULL && text[off] != '\0')
            off++;
        if (off < len) {
            snprintf(err, cap, "script: unexpected text after the JSON near byte %zu", off);
            return FL_EPARSE;
        }
        s->script = s->owned;
    } else {
        s->script = sc->script;
    }
    if (!s->script) {
        snprintf(err, cap,
                 "scripted mode needs a script: the scenario's \"script\" or --schedule FILE");
        return FL_EINVAL;
    }
    if (fl_script_validate(s->script, sc->nodes, err, cap))
        return FL_EINVAL;
    if (sc->clients.model == FL_MODEL_NONE && needs_clients(s->script, err, cap))
        return FL_EINVAL;
    s->json = cJSON_PrintUnformatted(s->script);
    if (!s->json)
        return FL_ENOMEM;
    fl_script_install(w, &s->syncs);
    if (sc->clients.model != FL_MODEL_NONE &&
        !(s->clients = fl_clients_new(sc, w, seed, 1, NULL))) {
        snprintf(err, cap, "run: out of memory");
        return FL_ENOMEM;
    }
    return 0;
}

static void script_run(fl_driver *d, fl_world *w)
{
    script_driver *s = d->impl;
    fl_script_run(w, s->script, &s->syncs, s->clients);
}

static const char *script_json(const fl_driver *d)
{
    return ((const script_driver *)d->impl)->json;
}

static uint64_t script_effective(const fl_driver *d)
{
    (void)d;
    return 0; /* a script's crashes and drops are its steps, not faults */
}

static void script_text(const fl_driver *d, char *buf, size_t cap)
{
    (void)d;
    if (cap)
        buf[0] = '\0';
}

static void script_emit_faults(const fl_driver *d, fl_stream *st)
{
    (void)d, (void)st;
}

static void script_finish(fl_driver *d, fl_world *w, fl_run_result *res)
{
    script_driver *s = d->impl;
    if (s->clients)
        fl_clients_finish(s->clients, w, res);
}

static void script_close(fl_driver *d)
{
    script_driver *s = d->impl;
    if (!s)
        return;
    fl_script_syncs_close(&s->syncs);
    fl_clients_free(s->clients);
    cJSON_Delete(s->owned);
    free(s->json);
    free(s);
    d->impl = NULL;
}

const fl_driver_ops fl_driver_script = {.name = "script",
                                        .init = script_init,
                                        .run = script_run,
                                        .schedule_json = script_json,
                                        .faults_effective = script_effective,
                                        .faults_text = script_text,
                                        .emit_faults = script_emit_faults,
                                        .close = script_close,
                                        .finish = script_finish};
