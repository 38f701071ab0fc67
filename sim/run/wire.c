/*
 * wire.c -- encoding and decoding record frames (see wire.h).
 *
 * Encoding appends fields to the buffer and patches the payload length at the end;
 * decoding reads through a cursor that fails, and stays failed, the moment a field
 * would run past the frame.
 */
#include "sim/run/wire.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* ---- encoding ---- */

static int reserve(fl_wire_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < b->len + more)
        ncap *= 2;
    uint8_t *p = realloc(b->p, ncap);
    if (!p)
        return FL_ENOMEM;
    b->p = p;
    b->cap = ncap;
    return 0;
}

static void put_bytes(fl_wire_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return; /* p may be NULL then (an empty body) */
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_u64(fl_wire_buf *b, uint64_t v)
{
    put_bytes(b, &v, sizeof v);
}

static void put_u32(fl_wire_buf *b, uint32_t v)
{
    put_bytes(b, &v, sizeof v);
}

static void put_str(fl_wire_buf *b, const char *s)
{
    if (!s) {
        put_u32(b, UINT32_MAX);
        return;
    }
    uint32_t n = (uint32_t)strlen(s);
    put_u32(b, n);
    put_bytes(b, s, (size_t)n + 1);
}

static size_t str_size(const char *s)
{
    return 4 + (s ? strlen(s) + 1 : 0);
}

/* An upper bound of r's payload, so that one reserve() covers the frame. */
static size_t payload_bound(const fl_record *r)
{
    switch (r->kind) {
    case FL_REC_RUN_BEGIN:
        return 32 + str_size(r->u.begin.protocol) + str_size(r->u.begin.schedule_json);
    case FL_REC_STEP_BEGIN:
    case FL_REC_STEP_END:
        return 64 + str_size(r->u.step.detail);
    case FL_REC_SEND:
    case FL_REC_FATE:
        return 104 + r->u.msg.len + str_size(r->u.msg.desc);
    case FL_REC_LOG:
        return 32 + str_size(r->u.log.text);
    case FL_REC_STATE:
        return 40 + str_size(r->u.state.json) + str_size(r->u.state.scalars) +
               str_size(r->u.state.parts);
    case FL_REC_FAULT:
        return 32 + str_size(r->u.fault.kind) + str_size(r->u.fault.spec);
    case FL_REC_METRIC:
        return 16 + str_size(r->u.metric.name);
    case FL_REC_CLIENT:
        return 64 + str_size(r->u.client.f) + str_size(r->u.client.key) +
               str_size(r->u.client.value) + str_size(r->u.client.result);
    default:
        return 160 + 4 * 768;
    }
}

static void put_step(fl_wire_buf *b, const fl_rec_step *s)
{
    put_u64(b, s->step);
    put_u64(b, (uint64_t)s->time_ns);
    put_u64(b, (uint64_t)(uint32_t)s->kind << 32 | (uint32_t)s->node);
    put_u64(b, (uint64_t)(uint32_t)s->peer);
    put_u64(b, s->msg_id);
    put_u64(b, s->chain);
    put_str(b, s->detail);
}

static void put_msg(fl_wire_buf *b, const fl_rec_msg *m)
{
    put_u64(b, m->id);
    put_u64(b, (uint64_t)(uint32_t)m->src << 32 | (uint32_t)m->dst);
    put_u64(b, m->sent_step);
    put_u64(b, (uint64_t)m->sent_ns);
    put_u64(b, (uint64_t)m->deliver_ns);
    put_u64(b, (uint64_t)(uint32_t)m->fate);
    put_u64(b, m->fate_step);
    put_u64(b, (uint64_t)m->nth << 8 | (uint8_t)m->copy);
    put_u32(b, m->len);
    put_bytes(b, m->body, m->len);
    put_str(b, m->desc);
}

static void put_result(fl_wire_buf *b, const fl_run_result *res)
{
    put_u64(b, (uint64_t)res->outcome);
    put_u64(b, (uint64_t)res->fail_step);
    put_u64(b, (uint64_t)res->fail_time_ns);
    put_u64(b, res->steps);
    put_u64(b, (uint64_t)res->sim_time_ns);
    put_u64(b, res->msgs_sent);
    put_u64(b, res->msgs_delivered);
    put_u64(b, res->msgs_dropped);
    put_u64(b, res->faults);
    put_u64(b, (uint64_t)res->wall_us);
    put_u64(b, (uint64_t)res->nodes);
    put_str(b, res->check);
    put_str(b, res->detail);
    put_str(b, res->digest);
    put_str(b, res->faults_text);
}

static void put_payload(fl_wire_buf *b, const fl_record *r)
{
    switch (r->kind) {
    case FL_REC_RUN_BEGIN:
        put_u64(b, r->u.begin.seed);
        put_u64(b, (uint64_t)r->u.begin.nodes);
        put_str(b, r->u.begin.protocol);
        put_str(b, r->u.begin.schedule_json);
        break;
    case FL_REC_STEP_BEGIN:
    case FL_REC_STEP_END:
        put_step(b, &r->u.step);
        break;
    case FL_REC_SEND:
    case FL_REC_FATE:
        put_msg(b, &r->u.msg);
        break;
    case FL_REC_LOG:
        put_u64(b, r->u.log.step);
        put_u64(b, (uint64_t)r->u.log.time_ns);
        put_u64(b, (uint64_t)(uint32_t)r->u.log.node << 32 | (uint32_t)r->u.log.level);
        put_str(b, r->u.log.text);
        break;
    case FL_REC_STATE:
        put_u64(b, r->u.state.step);
        put_u64(b, (uint64_t)r->u.state.time_ns);
        put_u64(b, (uint64_t)(uint32_t)r->u.state.node << 32 | (uint32_t)r->u.state.keyframe);
        put_str(b, r->u.state.json);
        put_str(b, r->u.state.scalars);
        put_str(b, r->u.state.parts);
        break;
    case FL_REC_FAULT:
        put_u64(b, r->u.fault.seq);
        put_u64(b, (uint64_t)r->u.fault.at_ns);
        /* two flags, one number */
        put_u64(b, (uint64_t)(r->u.fault.took_effect != 0) | (uint64_t)(r->u.fault.reached != 0)
                                                                 << 1);
        put_str(b, r->u.fault.kind);
        put_str(b, r->u.fault.spec);
        break;
    case FL_REC_METRIC:
        put_u64(b, (uint64_t)r->u.metric.value);
        put_str(b, r->u.metric.name);
        break;
    case FL_REC_RUN_END:
        put_result(b, r->u.end);
        break;
    case FL_REC_CLIENT: {
        const fl_rec_client *k = &r->u.client;
        put_u64(b, k->op_id);
        put_u64(b, (uint64_t)(uint32_t)k->process << 32 | (uint32_t)k->type);
        put_u64(b, (uint64_t)(uint32_t)k->node);
        put_u64(b, k->invoke_step);
        put_u64(b, (uint64_t)k->invoke_ns);
        put_u64(b, (uint64_t)k->complete_step);
        put_u64(b, (uint64_t)k->complete_ns);
        put_str(b, k->f);
        put_str(b, k->key);
        put_str(b, k->value);
        put_str(b, k->result);
        break;
    }
    }
}

int fl_wire_put(fl_wire_buf *b, const fl_record *r)
{
    if (r->kind < 0 || r->kind >= FL_REC_KIND_COUNT)
        return FL_EINVAL;
    if (reserve(b, FL_WIRE_HEADER + payload_bound(r)))
        return FL_ENOMEM;
    size_t start = b->len;
    uint8_t head[4] = {FL_WIRE_VERSION, (uint8_t)r->kind, 0, 0};
    put_bytes(b, head, sizeof head);
    put_u32(b, 0); /* the length, patched below */
    put_payload(b, r);
    uint32_t n = (uint32_t)(b->len - start - FL_WIRE_HEADER);
    memcpy(b->p + start + 4, &n, sizeof n);
    return 0;
}

void fl_wire_buf_close(fl_wire_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- decoding ---- */

typedef struct cursor {
    const uint8_t *p, *end;
    int bad;
} cursor;

static uint64_t get_u64(cursor *c)
{
    uint64_t v = 0;
    if (c->bad || (size_t)(c->end - c->p) < sizeof v) {
        c->bad = 1;
        return 0;
    }
    memcpy(&v, c->p, sizeof v);
    c->p += sizeof v;
    return v;
}

static uint32_t get_u32(cursor *c)
{
    uint32_t v = 0;
    if (c->bad || (size_t)(c->end - c->p) < sizeof v) {
        c->bad = 1;
        return 0;
    }
    memcpy(&v, c->p, sizeof v);
    c->p += sizeof v;
    return v;
}

static const char *get_str(cursor *c)
{
    uint32_t n = get_u32(c);
    if (c->bad || n == UINT32_MAX)
        return NULL;
    if ((size_t)(c->end - c->p) < (size_t)n + 1 || c->p[n] != '\0' ||
        memchr(c->p, '\0', n) != NULL) {
        c->bad = 1;
        return NULL;
    }
    const char *s = (const char *)c->p;
    c->p += (size_t)n + 1;
    return s;
}

static void get_copy(cursor *c, char *dst, size_t cap)
{
    const char *s = get_str(c);
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        c->bad = 1;
    else if (s)
        memcpy(dst, s, n + 1);
    else
        dst[0] = '\0';
}

static void get_step(cursor *c, fl_rec_step *s)
{
    s->step = get_u64(c);
    s->time_ns = (int64_t)get_u64(c);
    uint64_t kn = get_u64(c);
    s->kind = (int)(int32_t)(kn >> 32);
    s->node = (int)(int32_t)(uint32_t)kn;
    s->peer = (int)(int32_t)(uint32_t)get_u64(c);
    s->msg_id = get_u64(c);
    s->chain = get_u64(c);
    s->detail = get_str(c);
    if (!s->detail)
        s->detail = "";
}

static void get_msg(cursor *c, fl_rec_msg *m)
{
    m->id = get_u64(c);
    uint64_t sd = get_u64(c);
    m->src = (int)(int32_t)(sd >> 32);
    m->dst = (int)(int32_t)(uint32_t)sd;
    m->sent_step = get_u64(c);
    m->sent_ns = (int64_t)get_u64(c);
    m->deliver_ns = (int64_t)get_u64(c);
    m->fate = (int)get_u64(c);
    m->fate_step = get_u64(c);
    uint64_t ident = get_u64(c);
    m->nth = (uint32_t)(ident >> 8);
    m->copy = (int)(ident & 0xff);
    m->len = get_u32(c);
    if (!c->bad && (size_t)(c->end - c->p) < m->len)
        c->bad = 1;
    m->body = c->bad ? NULL : c->p;
    if (!c->bad)
        c->p += m->len;
    m->desc = get_str(c);
}

static void get_result(cursor *c, fl_run_result *res)
{
    memset(res, 0, sizeof *res);
    res->outcome = (int)get_u64(c);
    res->fail_step = (int64_t)get_u64(c);
    res->fail_time_ns = (int64_t)get_u64(c);
    res->steps = get_u64(c);
    res->sim_time_ns = (int64_t)get_u64(c);
    res->msgs_sent = get_u64(c);
    res->msgs_delivered = get_u64(c);
    res->msgs_dropped = get_u64(c);
    res->faults = get_u64(c);
    res->wall_us = (int64_t)get_u64(c);
    res->nodes = (int)get_u64(c);
    get_copy(c, res->check, sizeof res->check);
    get_copy(c, res->detail, sizeof res->detail);
    get_copy(c, res->digest, sizeof res->digest);
    get_copy(c, res->faults_text, sizeof res->faults_text);
}

static void get_payload(cursor *c, fl_record *r, fl_wire_scratch *sc)
{
    switch (r->kind) {
    case FL_REC_RUN_BEGIN:
        r->u.begin.seed = get_u64(c);
        r->u.begin.nodes = (int)get_u64(c);
        r->u.begin.protocol = get_str(c);
        r->u.begin.schedule_json = get_str(c);
        break;
    case FL_REC_STEP_BEGIN:
    case FL_REC_STEP_END:
        get_step(c, &r->u.step);
        break;
    case FL_REC_SEND:
    case FL_REC_FATE:
        get_msg(c, &r->u.msg);
        break;
    case FL_REC_LOG:
        r->u.log.step = get_u64(c);
        r->u.log.time_ns = (int64_t)get_u64(c);
        uint64_t nl = get_u64(c);
        r->u.log.node = (int)(int32_t)(nl >> 32);
        r->u.log.level = (int)(int32_t)(uint32_t)nl;
        r->u.log.text = get_str(c);
        break;
    case FL_REC_STATE:
        r->u.state.step = get_u64(c);
        r->u.state.time_ns = (int64_t)get_u64(c);
        uint64_t nk = get_u64(c);
        r->u.state.node = (int)(int32_t)(nk >> 32);
        r->u.state.keyframe = (int)(uint32_t)nk != 0;
        r->u.state.json = get_str(c);
        r->u.state.scalars = get_str(c);
        r->u.state.parts = get_str(c);
        break;
    case FL_REC_FAULT:
        r->u.fault.seq = get_u64(c);
        r->u.fault.at_ns = (int64_t)get_u64(c);
        uint64_t flags = get_u64(c);
        r->u.fault.took_effect = (int)(flags & 1);
        r->u.fault.reached = (int)(flags >> 1 & 1);
        r->u.fault.kind = get_str(c);
        r->u.fault.spec = get_str(c);
        break;
    case FL_REC_METRIC:
        r->u.metric.value = (int64_t)get_u64(c);
        r->u.metric.name = get_str(c);
        if (!r->u.metric.name)
            c->bad = 1;
        break;
    case FL_REC_CLIENT: {
        fl_rec_client *k = &r->u.client;
        k->op_id = get_u64(c);
        uint64_t pt = get_u64(c);
        k->process = (int)(int32_t)(pt >> 32);
        k->type = (int)(int32_t)(uint32_t)pt;
        k->node = (int)(int32_t)(uint32_t)get_u64(c);
        k->invoke_step = get_u64(c);
        k->invoke_ns = (int64_t)get_u64(c);
        k->complete_step = (int64_t)get_u64(c);
        k->complete_ns = (int64_t)get_u64(c);
        k->f = get_str(c);
        k->key = get_str(c);
        k->value = get_str(c);
        k->result = get_str(c);
        if (!k->f || !k->value || k->type < 0 || k->type >= FL_CEV_COUNT)
            c->bad = 1;
        break;
    }
    default: /* FL_REC_RUN_END */
        get_result(c, &sc->res);
        r->u.end = &sc->res;
        break;
    }
}

long fl_wire_get(const uint8_t *p, size_t len, fl_record *r, fl_wire_scratch *sc)
{
    if (len < FL_WIRE_HEADER)
        return 0;
    uint32_t n;
    memcpy(&n, p + 4, sizeof n);
    if (p[0] != FL_WIRE_VERSION || p[1] >= FL_REC_KIND_COUNT || p[2] || p[3] ||
        n > FL_WIRE_MAX_FRAME)
        return FL_EPARSE;
    if (len < FL_WIRE_HEADER + (size_t)n)
        return 0;
    memset(r, 0, sizeof *r);
    r->kind = p[1];
    cursor c = {.p = p + FL_WIRE_HEADER, .end = p + FL_WIRE_HEADER + n};
    get_payload(&c, r, sc);
    if (c.bad || c.p != c.end)
        return FL_EPARSE;
    return (long)(FL_WIRE_HEADER + n);
}

int fl_wire_replay(const uint8_t *p, size_t len, const fl_sink *k)
{
    fl_wire_scratch sc;
    size_t off = 0;
    while (off < len) {
        fl_record r;
        long n = fl_wire_get(p + off, len - off, &r, &sc);
        if (n <= 0)
            return FL_EPARSE; /* malformed, or truncated at the end */
        off += (size_t)n;
        if (!(k->wants & FL_REC_BIT(r.kind)))
            continue;
        int rc = k->consume(k->ctx, &r);
        if (rc)
            return rc;
    }
    return 0;
}
