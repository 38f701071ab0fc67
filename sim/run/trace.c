/* trace.c -- printing a run as it happens: a sink of its records (see trace.h). */
#include "sim/run/trace.h"

#include <inttypes.h>
#include <string.h>

#include "core/error.h"

void fl_trace_prefix(FILE *out, int64_t time_ns, uint64_t step)
{
    fprintf(out, "[%3" PRId64 ".%06" PRId64 "s #%" PRIu64 "] ", time_ns / 1000000000,
            time_ns % 1000000000 / 1000, step);
}

void fl_trace_step_line(FILE *out, const fl_rec_step *s)
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

static void on_step_begin(fl_trace *t, const fl_rec_step *s)
{
    t->step = s->step;
    t->time_ns = s->time_ns;
    t->step_msg_id = s->msg_id;
    fl_trace_step_line(t->out, s);
}

static void on_fate(fl_trace *t, const fl_rec_msg *m)
{
    /* Deliveries are the step's own line; in-flight messages at the end are silent. */
    if (m->fate == FL_FATE_DELIVERED || m->fate == FL_FATE_IN_FLIGHT || m->id == t->step_msg_id)
        return;
    fl_trace_prefix(t->out, t->time_ns, t->step);
    fprintf(t->out, "soup: %d -> %d %s (msg %" PRIu64 ")\n", m->src, m->dst, fl_fate_name(m->fate),
            m->id);
}

/* Skip one JSON string starting at its opening quote; returns the char after it. */
static const char *skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

/* Skip one JSON value; *count gets the number of elements when it is an array. */
static const char *skip_value(const char *p, int *count)
{
    if (*p == '"')
        return skip_string(p);
    if (*p != '[' && *p != '{') {
        while (*p && *p != ',' && *p != '}' && *p != ']')
            p++;
        return p;
    }
    int depth = 0, n = 0, empty = 1;
    for (; *p; p++) {
        if (*p == '"') {
            p = skip_string(p) - 1;
            empty = 0;
        } else if (*p == '[' || *p == '{') {
            if (depth == 1)
                empty = 0;
            depth++;
        } else if (*p == ']' || *p == '}') {
            if (--depth == 0)
                break;
        } else if (depth == 1 && *p == ',') {
            n++;
        } else if (depth == 1 && *p != ' ') {
            empty = 0;
        }
    }
    *count = empty ? 0 : n + 1;
    return *p ? p + 1 : p;
}

/* The snapshot's top-level fields as k=v, scanning the text instead of parsing it:
 * states are printed after every step, and a Raft log makes them long. */
void fl_trace_state_fields(FILE *out, const char *json)
{
    const char *p = json;
    if (*p != '{') {
        fputs(strcmp(json, "null") == 0 ? "down" : json, out);
        return;
    }
    p++;
    int first = 1;
    while (*p == '"') {
        const char *key = p + 1, *kend = skip_string(p) - 1;
        p = kend + 2; /* past the quote and the colon */
        int count = 0;
        const char *v = p;
        p = skip_value(p, &count);
        fprintf(out, "%s%.*s=", first ? "" : " ", (int)(kend - key), key);
        first = 0;
        if (*v == '[')
            fprintf(out, "[%d]", count);
        else if (*v == '{')
            fputs("{...}", out);
        else if (*v == '"')
            fprintf(out, "%.*s", (int)(p - v - 2), v + 1);
        else
            fprintf(out, "%.*s", (int)(p - v), v);
        if (*p == ',')
            p++;
    }
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

void fl_trace_history_line(FILE *out, int64_t time_ns, uint64_t step, uint64_t op_id, int process,
                           const char *type, const char *f, const char *key, const char *value,
                           const char *result, int node)
{
    fl_trace_prefix(out, time_ns, step);
    fprintf(out, "history: op %llu p%d %s %s", (unsigned long long)op_id, process, type, f);
    if (key)
        fprintf(out, " %s", key);
    if (value && strcmp(value, "null") != 0)
        fprintf(out, " %s", value);
    if (result)
        fprintf(out, " -> %s", result);
    fprintf(out, " (node %d)\n", node);
}

static int consume(void *ctx, const fl_record *r)
{
    fl_trace *t = ctx;
    switch (r->kind) {
    case FL_REC_STEP_BEGIN:
        on_step_begin(t, &r->u.step);
        break;
    case FL_REC_SEND:
        fl_trace_send_line(t->out, t->time_ns, t->step, r->u.msg.src, r->u.msg.dst, r->u.msg.desc,
                           r->u.msg.id);
        break;
    case FL_REC_FATE:
        on_fate(t, &r->u.msg);
        break;
    case FL_REC_LOG:
        fl_trace_log_line(t->out, r->u.log.time_ns, r->u.log.step, t->proto_name, r->u.log.node,
                          r->u.log.text);
        break;
    case FL_REC_STATE:
        fl_trace_state_line(t->out, r->u.state.time_ns, r->u.state.step, r->u.state.node,
                            r->u.state.json);
        break;
    case FL_REC_CLIENT: {
        const fl_rec_client *c = &r->u.client;
        if (c->type != FL_CEV_INVOKE) /* the invocation is its step's line */
            fl_trace_history_line(t->out, c->complete_ns, (uint64_t)c->complete_step, c->op_id,
                                  c->process, fl_client_event_name(c->type), c->f, c->key, c->value,
                                  c->result, c->node);
        break;
    }
    default:
        break;
    }
    return ferror(t->out) ? FL_EIO : 0;
}

void fl_trace_sink(fl_trace *t, FILE *out, const char *proto_name, fl_sink *k)
{
    memset(t, 0, sizeof *t);
    t->out = out;
    t->proto_name = proto_name;
    *k = (fl_sink){.name = "trace",
                   .wants = FL_REC_BIT(FL_REC_STEP_BEGIN) | FL_REC_BIT(FL_REC_SEND) |
                            FL_REC_BIT(FL_REC_FATE) | FL_REC_BIT(FL_REC_LOG) |
                            FL_REC_BIT(FL_REC_STATE) | FL_REC_BIT(FL_REC_CLIENT) |
                            FL_REC_WANT_DESC | FL_REC_WANT_STATE_TEXT,
                   .ctx = t,
                   .consume = consume};
}
