/* faults_glue.c -- schedules and scripts for one run (see faults_glue.h). */
#include "sim/faults_glue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/script.h"

static int init_script(fl_faults_glue *g, const char *text, size_t len, char *err, size_t cap)
{
    if (text) {
        const char *end = NULL;
        g->script_owned = cJSON_ParseWithLengthOpts(text, len, &end, 0);
        if (!g->script_owned) {
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
        g->script = g->script_owned;
    } else {
        g->script = g->sc->script;
    }
    if (!g->script) {
        snprintf(err, cap,
                 "scripted mode needs a script: the scenario's \"script\" or "
                 "--schedule FILE");
        return FL_EINVAL;
    }
    if (fl_script_validate(g->script, g->sc->nodes, err, cap))
        return FL_EINVAL;
    g->json = cJSON_PrintUnformatted(g->script);
    return g->json ? 0 : FL_ENOMEM;
}

static int init_schedule(fl_faults_glue *g, fl_world *w, uint64_t seed, const char *text,
                         size_t len, char *err, size_t cap)
{
    const fl_scenario *sc = g->sc;
    int rc;
    fl_faults_swarm(&g->cfg, &g->net, seed);
    if (text)
        rc = fl_schedule_parse(text, len, sc->nodes, sc->until_ns, &g->sched, err, cap);
    else
        rc = fl_schedule_generate(&g->cfg, sc->nodes, seed, sc->until_ns, &g->sched, err, cap);
    if (rc)
        return rc;
    g->json = fl_schedule_to_text(g->sched);
    if (!g->json)
        return FL_ENOMEM;
    g->faults = fl_faults_attach(w, g->sched, &g->cfg, &g->net, err, cap);
    return g->faults ? 0 : FL_EINVAL;
}

int fl_faults_glue_init(fl_faults_glue *g, const fl_scenario *sc, fl_world *w, uint64_t seed,
                        const char *text, size_t len, char *err, size_t cap)
{
    memset(g, 0, sizeof *g);
    g->sc = sc;
    g->cfg = sc->faults;
    g->net = sc->net;
    if (sc->scripted)
        return init_script(g, text, len, err, cap);
    return init_schedule(g, w, seed, text, len, err, cap);
}

void fl_faults_glue_run(fl_faults_glue *g, fl_world *w)
{
    if (g->script)
        fl_script_run(w, g->script);
    else
        fl_world_run(w);
}

const char *fl_faults_glue_json(const fl_faults_glue *g)
{
    return g->json;
}

int fl_faults_glue_write(const fl_faults_glue *g, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(g->json, f) < 0 || (g->script && fputc('\n', f) < 0) || fclose(f) != 0) {
        snprintf(err, cap, "--write-schedule %s: %s", path, strerror(errno));
        return FL_EINVAL;
    }
    return 0;
}

uint64_t fl_faults_glue_count(const fl_faults_glue *g)
{
    if (!g->faults)
        return 0;
    fl_faults_stats st;
    fl_faults_stats_get(g->faults, &st);
    uint64_t n = 0;
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++)
        n += st.effective[k];
    return n;
}

static void record_fault(void *ctx, uint64_t seq, int64_t at_ns, const char *kind, const char *spec,
                         int took_effect)
{
    fl_rec_fault(ctx, (int64_t)seq, at_ns, kind, spec, took_effect);
}

void fl_faults_glue_record(const fl_faults_glue *g, fl_recorder *rec)
{
    if (g->faults)
        fl_faults_each(g->faults, record_fault, rec);
}

void fl_faults_glue_close(fl_faults_glue *g)
{
    fl_faults_free(g->faults);
    fl_schedule_free(g->sched);
    cJSON_Delete(g->script_owned);
    free(g->json);
    memset(g, 0, sizeof *g);
}
