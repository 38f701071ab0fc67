/* jsonl.c -- records as JSON lines with the database's column names (see jsonl.h). */
#include "sim/run/jsonl.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/world.h"

/* Integers as exact decimal text: a double would round seeds and chains past 2^53. */
static void add_i64(cJSON *o, const char *k, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)v);
    cJSON_AddRawToObject(o, k, num);
}

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    cJSON_AddRawToObject(o, k, num);
}

static void add_opt_int(cJSON *o, const char *k, int64_t v, int64_t none)
{
    if (v == none)
        cJSON_AddNullToObject(o, k);
    else
        add_i64(o, k, v);
}

static void add_opt_str(cJSON *o, const char *k, const char *s)
{
    if (!s || !s[0])
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddStringToObject(o, k, s);
}

/* JSON text embedded as JSON when it parses, else as a string (never invalid output). */
static void add_json(cJSON *o, const char *k, const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    if (v)
        cJSON_AddItemToObject(o, k, v);
    else
        add_opt_str(o, k, text);
}

static void add_step(cJSON *o, const fl_rec_step *s, int end)
{
    add_i64(o, "step", (int64_t)s->step);
    add_i64(o, "time_ns", (int64_t)s->time_ns);
    cJSON_AddStringToObject(o, "kind", fl_step_kind_name(s->kind));
    add_opt_int(o, "node", s->node, 0);
    add_opt_int(o, "peer", s->peer, 0);
    add_opt_int(o, "msg_id", (int64_t)s->msg_id, 0);
    add_opt_str(o, "detail", s->detail);
    if (end) { /* as printf('%016x', chain) shows it */
        char hex[17];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)s->chain);
        cJSON_AddStringToObject(o, "chain", hex);
    }
}

static void add_msg(cJSON *o, const fl_rec_msg *m, int fate)
{
    char type[64] = "";
    if (m->desc)
        snprintf(type, sizeof type, "%.*s", (int)strcspn(m->desc, " "), m->desc);
    add_i64(o, "msg_id", (int64_t)m->id);
    add_i64(o, "src", m->src);
    add_i64(o, "dst", m->dst);
    add_opt_str(o, "type", type);
    add_i64(o, "sent_step", (int64_t)m->sent_step);
    add_i64(o, "sent_ns", (int64_t)m->sent_ns);
    add_i64(o, "deliver_ns", (int64_t)m->deliver_ns);
    if (fate) {
        cJSON_AddStringToObject(o, "fate", fl_fate_name(m->fate));
        add_i64(o, "fate_step", (int64_t)m->fate_step);
    }
    add_opt_str(o, "body", m->desc);
}

static void add_result(cJSON *o, const fl_run_result *r)
{
    cJSON_AddStringToObject(o, "outcome", fl_outcome_name(r->outcome));
    add_opt_str(o, "check_name", r->check);
    add_opt_str(o, "detail", r->detail);
    add_opt_int(o, "fail_step", r->fail_step, -1);
    add_opt_int(o, "fail_time_ns", r->fail_time_ns, -1);
    add_i64(o, "steps", (int64_t)r->steps);
    add_i64(o, "sim_time_ns", (int64_t)r->sim_time_ns);
    add_i64(o, "msgs_sent", (int64_t)r->msgs_sent);
    add_i64(o, "msgs_delivered", (int64_t)r->msgs_delivered);
    add_i64(o, "msgs_dropped", (int64_t)r->msgs_dropped);
    add_i64(o, "faults", (int64_t)r->faults);
    cJSON_AddStringToObject(o, "digest", r->digest);
}

/* An invocation or completion, as the history row it inserts or completes. */
static void add_client(cJSON *o, const fl_rec_client *c)
{
    add_i64(o, "op_id", (int64_t)c->op_id);
    add_i64(o, "process", c->process);
    cJSON_AddStringToObject(o, "type", fl_client_event_name(c->type));
    cJSON_AddStringToObject(o, "f", c->f);
    add_opt_str(o, "key", c->key);
    add_json(o, "value", c->value);
    add_json(o, "result", c->result);
    add_i64(o, "node", c->node);
    add_i64(o, "invoke_step", (int64_t)c->invoke_step);
    add_i64(o, "invoke_ns", c->invoke_ns);
    add_opt_int(o, "complete_step", c->complete_step, -1);
    add_opt_int(o, "complete_ns", c->complete_ns, -1);
}

/* The table a kind's records become rows of, or NULL. */
static const char *table_of(int kind)
{
    static const char *const t[FL_REC_KIND_COUNT] = {
        [FL_REC_STEP_END] = "events", [FL_REC_FATE] = "messages", [FL_REC_LOG] = "logs",
        [FL_REC_STATE] = "snapshots", [FL_REC_FAULT] = "faults",  [FL_REC_METRIC] = "metrics",
        [FL_REC_RUN_END] = "runs",    [FL_REC_CLIENT] = "history"};
    return kind >= 0 && kind < FL_REC_KIND_COUNT ? t[kind] : NULL;
}

static void add_fields(cJSON *o, const fl_record *r)
{
    static const char *const levels[] = {"debug", "info", "warn"};
    switch (r->kind) {
    case FL_REC_RUN_BEGIN:
        add_u64(o, "seed", r->u.begin.seed);
        add_i64(o, "nodes", r->u.begin.nodes);
        add_opt_str(o, "protocol", r->u.begin.protocol);
        add_json(o, "schedule_json", r->u.begin.schedule_json);
        break;
    case FL_REC_STEP_BEGIN:
    case FL_REC_STEP_END:
        add_step(o, &r->u.step, r->kind == FL_REC_STEP_END);
        break;
    case FL_REC_SEND:
    case FL_REC_FATE:
        add_msg(o, &r->u.msg, r->kind == FL_REC_FATE);
        break;
    case FL_REC_LOG:
        add_i64(o, "step", (int64_t)r->u.log.step);
        add_opt_int(o, "node", r->u.log.node, 0);
        cJSON_AddStringToObject(o, "level",
                                r->u.log.level >= 0 && r->u.log.level <= 2 ? levels[r->u.log.level]
                                                                           : "other");
        cJSON_AddStringToObject(o, "text", r->u.log.text ? r->u.log.text : "");
        break;
    case FL_REC_STATE:
        add_i64(o, "step", (int64_t)r->u.state.step);
        add_i64(o, "node", r->u.state.node);
        add_json(o, "state", r->u.state.json);
        break;
    case FL_REC_FAULT:
        add_i64(o, "seq", (int64_t)r->u.fault.seq);
        add_i64(o, "at_ns", (int64_t)r->u.fault.at_ns);
        cJSON_AddStringToObject(o, "kind", r->u.fault.kind ? r->u.fault.kind : "");
        add_json(o, "spec", r->u.fault.spec);
        add_i64(o, "reached", r->u.fault.reached);
        add_i64(o, "took_effect", r->u.fault.took_effect);
        break;
    case FL_REC_METRIC:
        cJSON_AddStringToObject(o, "name", r->u.metric.name);
        add_i64(o, "value", (int64_t)r->u.metric.value);
        break;
    case FL_REC_CLIENT:
        add_client(o, &r->u.client);
        break;
    default:
        add_result(o, r->u.end);
    }
}

char *fl_jsonl_line(const fl_record *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "record", fl_record_kind_name(r->kind));
    const char *table = table_of(r->kind);
    if (table)
        cJSON_AddStringToObject(o, "table", table);
    else
        cJSON_AddNullToObject(o, "table");
    add_fields(o, r);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return line;
}

static int consume(void *ctx, const fl_record *r)
{
    fl_jsonl *j = ctx;
    char *line = fl_jsonl_line(r);
    if (!line)
        return FL_ENOMEM;
    int bad = fputs(line, j->out) < 0 || fputc('\n', j->out) < 0;
    cJSON_free(line);
    return bad ? FL_EIO : 0;
}

void fl_jsonl_sink(fl_jsonl *j, FILE *out, fl_sink *k)
{
    j->out = out;
    *k = (fl_sink){.name = "records",
                   .wants = FL_REC_ALL | FL_REC_WANT_DESC | FL_REC_WANT_STATE_TEXT,
                   .ctx = j,
                   .consume = consume};
}
