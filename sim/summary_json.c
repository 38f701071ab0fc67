/*
 * summary_json.c -- `run --format json` (see summary_json.h).
 */
#include "sim/summary_json.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"

/* "faults.crash.effective" -> faults["crash"]["happened"]: the metric `effective` is
 * what the summary calls happened. */
static int consume(void *ctx, const fl_record *r)
{
    fl_summary_json *sj = ctx;
    const char *name = r->u.metric.name;
    if (r->kind != FL_REC_METRIC || strncmp(name, "faults.", 7) != 0)
        return 0;
    const char *kind = name + 7, *dot = strchr(kind, '.');
    if (!dot || dot == kind)
        return 0;
    char k[64];
    snprintf(k, sizeof k, "%.*s", (int)(dot - kind), kind);
    const char *stat = strcmp(dot + 1, "effective") == 0 ? "happened" : dot + 1;
    if (!sj->faults && !(sj->faults = cJSON_CreateObject()))
        return sj->oom = 1, 0;
    cJSON *o = cJSON_GetObjectItemCaseSensitive(sj->faults, k);
    if (!o && !(o = cJSON_AddObjectToObject(sj->faults, k)))
        return sj->oom = 1, 0;
    if (!cJSON_AddNumberToObject(o, stat, (double)r->u.metric.value))
        sj->oom = 1;
    return 0;
}

void fl_summary_json_sink(fl_summary_json *sj, fl_sink *out)
{
    *out = (fl_sink){
        .name = "summary", .wants = FL_REC_BIT(FL_REC_METRIC), .ctx = sj, .consume = consume};
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s && s[0])
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_num_or_null(cJSON *o, const char *key, int64_t v, int present)
{
    if (present)
        cJSON_AddNumberToObject(o, key, (double)v);
    else
        cJSON_AddNullToObject(o, key);
}

/* What the schedule planned and the run never got to, over every kind. */
static int64_t not_reached(const cJSON *faults)
{
    int64_t n = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, faults)
    {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(k, "scheduled");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(k, "reached");
        if (cJSON_IsNumber(s) && cJSON_IsNumber(r))
            n += (int64_t)(s->valuedouble - r->valuedouble);
    }
    return n;
}

int fl_summary_json_print(fl_summary_json *sj, FILE *out, const fl_scenario *sc,
                          const char *protocol_name, uint64_t seed, const fl_run_result *res,
                          const char *liveness_note, int64_t run_id, const char *db)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || sj->oom)
        return cJSON_Delete(o), FL_ENOMEM;
    int failed = res->outcome != FL_OUTCOME_OK;
    add_str_or_null(o, "scenario", sc->name);
    cJSON_AddStringToObject(o, "protocol", protocol_name);
    cJSON_AddNumberToObject(o, "nodes", res->nodes > 0 ? res->nodes : sc->nodes);
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    cJSON_AddStringToObject(o, "outcome", fl_outcome_name(res->outcome));
    add_str_or_null(o, "check", failed ? res->check : NULL);
    add_str_or_null(o, "detail", failed ? res->detail : NULL);
    add_num_or_null(o, "fail_step", res->fail_step, res->fail_step >= 0);
    add_num_or_null(o, "fail_time_ns", res->fail_time_ns, res->fail_step >= 0);
    cJSON_AddNumberToObject(o, "steps", (double)res->steps);
    cJSON_AddNumberToObject(o, "sim_time_ns", (double)res->sim_time_ns);
    cJSON *m = cJSON_AddObjectToObject(o, "messages");
    cJSON_AddNumberToObject(m, "sent", (double)res->msgs_sent);
    cJSON_AddNumberToObject(m, "delivered", (double)res->msgs_delivered);
    cJSON_AddNumberToObject(m, "dropped", (double)res->msgs_dropped);
    cJSON_AddNumberToObject(m, "in_flight",
                            (double)(res->msgs_sent - res->msgs_delivered - res->msgs_dropped));
    cJSON *f = sj->faults ? sj->faults : cJSON_CreateObject();
    sj->faults = NULL;
    int64_t idle = not_reached(f);
    cJSON_AddItemToObject(o, "faults", f);
    cJSON_AddNumberToObject(o, "not_reached", (double)idle);
    cJSON_AddBoolToObject(o, "liveness_checked", liveness_note == NULL);
    add_str_or_null(o, "liveness_note", liveness_note);
    cJSON_AddStringToObject(o, "digest", res->digest);
    add_num_or_null(o, "run_id", run_id, run_id > 0);
    add_str_or_null(o, "db", db);
    char *text = fl_json_print(o);
    cJSON_Delete(o);
    if (!text)
        return FL_ENOMEM;
    fprintf(out, "%s\n", text);
    free(text);
    return 0;
}

void fl_summary_json_close(fl_summary_json *sj)
{
    cJSON_Delete(sj->faults);
    sj->faults = NULL;
}
