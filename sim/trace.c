/* trace.c -- printing a run as it happens (see trace.h). */
#include "sim/trace.h"

#include <inttypes.h>
#include <string.h>

#include <cjson/cJSON.h>

void fl_trace_prefix(FILE *out, int64_t time_ns, uint64_t step)
{
    fprintf(out, "[%3" PRId64 ".%06" PRId64 "s #%" PRIu64 "] ", time_ns / 1000000000,
            time_ns % 1000000000 / 1000, step);
}

void fl_trace_step_line(FILE *out, const fl_step_info *s)
{
    fl_trace_prefix(out, s->time_ns, s->step);
    switch (s->kind) {
    case FL_STEP_DELIVER:
        fprintf(out, "soup: %d -> %d %s (msg %" PRIu64 ")\n", s->peer, s->node, s->detail,
                s->msg_id);
        break;
    case FL_STEP_CRASH:
    case FL_STEP_PARTITION:
    case FL_STEP_HEAL:
    case FL_STEP_SCRIPT:
        fprintf(out, "fault: %s\n", s->detail);
        break;
    default:
        fprintf(out, "%s %d: %s\n", fl_step_kind_name(s->kind), s->node, s->detail);
    }
}

void fl_trace_send_line(FILE *out, int64_t time_ns, uint64_t step, int src, int dst,
                        const char *desc, uint64_t msg_id)
{
    fl_trace_prefix(out, time_ns, step);
    fprintf(out, "soup: %d -> %d %s (msg %" PRIu64 ")\n", src, dst, desc, msg_id);
}

static void on_step_begin(void *ctx, const fl_step_info *s)
{
    fl_trace *t = ctx;
    t->step = s->step;
    t->time_ns = s->time_ns;
    t->step_msg_id = s->msg_id;
    fl_trace_step_line(t->out, s);
}

static void on_send(void *ctx, const fl_msg *m, const char *desc)
{
    fl_trace *t = ctx;
    fl_trace_send_line(t->out, t->time_ns, t->step, m->src, m->dst, desc, m->id);
}

static void on_fate(void *ctx, const fl_msg *m, uint64_t step)
{
    fl_trace *t = ctx;
    /* Deliveries are the step's own line; in-flight messages at the end are silent. */
    if (m->fate == FL_FATE_DELIVERED || m->fate == FL_FATE_IN_FLIGHT || m->id == t->step_msg_id)
        return;
    fl_trace_prefix(t->out, t->time_ns, t->step);
    fprintf(t->out, "soup: %d -> %d %s (msg %" PRIu64 ")\n", m->src, m->dst,
            fl_fate_name(m->fate), m->id);
}

static void on_log(void *ctx, uint64_t step, int64_t time_ns, int node, int level,
                   const char *text)
{
    fl_trace *t = ctx;
    fl_trace_log_line(t->out, time_ns, step, t->proto_name, node, text);
}

void fl_trace_state_fields(FILE *out, const char *json)
{
    cJSON *j = cJSON_Parse(json);
    if (!j || !cJSON_IsObject(j)) {
        fputs(cJSON_IsNull(j) ? "down" : json, out);
        cJSON_Delete(j);
        return;
    }
    const cJSON *it;
    int first = 1;
    cJSON_ArrayForEach(it, j)
    {
        fputs(first ? "" : " ", out);
        first = 0;
        if (cJSON_IsString(it))
            fprintf(out, "%s=%s", it->string, it->valuestring);
        else if (cJSON_IsNumber(it))
            fprintf(out, "%s=%.17g", it->string, it->valuedouble);
        else if (cJSON_IsBool(it))
            fprintf(out, "%s=%s", it->string, cJSON_IsTrue(it) ? "true" : "false");
        else if (cJSON_IsArray(it))
            fprintf(out, "%s=[%d]", it->string, cJSON_GetArraySize(it));
        else if (cJSON_IsNull(it))
            fprintf(out, "%s=null", it->string);
        else
            fprintf(out, "%s={...}", it->string);
    }
    cJSON_Delete(j);
}

void fl_trace_state_line(FILE *out, int64_t time_ns, uint64_t step, int node, const char *json)
{
    fl_trace_prefix(out, time_ns, step);
    fprintf(out, "state %d: ", node);
    fl_trace_state_fields(out, json);
    fputc('\n', out);
}

void fl_trace_log_line(FILE *out, int64_t time_ns, uint64_t step, const char *proto, int node,
                       const char *text)
{
    fl_trace_prefix(out, time_ns, step);
    fprintf(out, "%s %d: %s\n", proto, node, text);
}

static void on_state(void *ctx, uint64_t step, int64_t time_ns, int node, const char *json)
{
    fl_trace *t = ctx;
    fl_trace_state_line(t->out, time_ns, step, node, json);
}

void fl_trace_hooks(fl_trace *t, FILE *out, const char *proto_name, fl_world_hooks *h)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    t->proto_name = proto_name;
    *h = (fl_world_hooks){.ctx = t,
                          .want_states = 1,
                          .on_step_begin = on_step_begin,
                          .on_send = on_send,
                          .on_fate = on_fate,
                          .on_log = on_log,
                          .on_state = on_state};
}
