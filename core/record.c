/*
 * record.c -- the record stream's dispatch (see record.h).
 *
 * Sinks are called in the order they were added, so a trace printed beside a recorder
 * sees records in the same order every time.
 */
#include "core/record.h"

#include <string.h>

#include "core/error.h"

static const char *const kind_names[FL_REC_KIND_COUNT] = {
    "run_begin", "step_begin", "step_end", "send",    "fate",  "log",
    "state",     "fault",      "metric",   "run_end", "client"};
static const char *const client_event_names[FL_CEV_COUNT] = {"invoke", "ok", "fail", "info"};

const char *fl_client_event_name(int type)
{
    return type >= 0 && type < FL_CEV_COUNT ? client_event_names[type] : "?";
}

const char *fl_record_kind_name(int kind)
{
    return kind >= 0 && kind < FL_REC_KIND_COUNT ? kind_names[kind] : "?";
}

void fl_stream_init(fl_stream *s)
{
    memset(s, 0, sizeof *s);
}

int fl_stream_add(fl_stream *s, const fl_sink *k)
{
    if (s->n == FL_STREAM_MAX_SINKS)
        return FL_ELIMIT;
    s->sinks[s->n] = *k;
    s->errs[s->n] = 0;
    s->n++;
    s->wants |= k->wants;
    return 0;
}

void fl_stream_emit(fl_stream *s, const fl_record *r)
{
    uint32_t bit = FL_REC_BIT(r->kind);
    for (int i = 0; i < s->n; i++) {
        fl_sink *k = &s->sinks[i];
        if (!(k->wants & bit) || s->errs[i])
            continue;
        int rc = k->consume(k->ctx, r);
        if (rc)
            s->errs[i] = rc;
    }
}

int fl_stream_error(const fl_stream *s, const char **name)
{
    for (int i = 0; i < s->n; i++)
        if (s->errs[i]) {
            if (name)
                *name = s->sinks[i].name;
            return s->errs[i];
        }
    return 0;
}
