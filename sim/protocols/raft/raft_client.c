/*
 * raft_client.c -- client operations (API version 3): the register and kv models of
 * docs/linearizability.md served through the log.
 *
 * Every operation, reads included, is proposed as a client entry (the node the client
 * asked forwards it to its leader as a MsgProp, like any proposal) and takes effect
 * when it is applied, in log order, on every node; the node the client asked answers
 * when it applies the entry itself (§8: "a leader must ... before processing a
 * read-only request" -- here the read is simply a log entry, the simplest correct
 * choice).  An entry carries its op id, so an operation proposed twice (a duplicated
 * MsgProp) takes effect once: the state machine remembers the ids it applied.
 *
 * Two known bugs break this on purpose:
 *   stale_read  a leader answers reads and gets at once from its own state, without
 *               confirming it is still leader (the classic lease bug);
 *   early_ack   a leader answers a write, put or append when it appends it, before it
 *               commits: the write may be lost with a leader change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

static const char *const f_names[] = {"?", "read", "write", "cas", "get", "put", "append"};

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Split a client entry's data.  Returns 0, or -1 when it is not one. */
static int entry_decode(const char *data, uint32_t len, uint64_t *op_id, int *origin,
                        fl_client_op *op)
{
    if (len < FR_CLIENT_ENTRY_HEADER)
        return -1;
    const uint8_t *p = (const uint8_t *)data;
    *op_id = get_le(p, 8);
    *origin = (int)get_le(p + 8, 4);
    return fl_client_op_decode(p + FR_CLIENT_ENTRY_HEADER, len - FR_CLIENT_ENTRY_HEADER, op);
}

/* ---- the applied op ids ---- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return x;
}

/* 1 when id was applied before; else remembers it and returns 0 (-1: out of memory,
 * and the operation is applied anyway). */
static int seen_before(struct fr_state *s, uint64_t id)
{
    if ((s->op_nseen + 1) * 2 > s->op_seen_cap) {
        size_t ncap = s->op_seen_cap ? s->op_seen_cap * 2 : 256;
        uint64_t *t = calloc(ncap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < s->op_seen_cap; i++) {
            uint64_t v = s->op_seen[i];
            size_t j = (size_t)mix(v) & (ncap - 1);
            while (v && t[j])
                j = (j + 1) & (ncap - 1);
            if (v)
                t[j] = v;
        }
        free(s->op_seen);
        s->op_seen = t;
        s->op_seen_cap = ncap;
    }
    size_t j = (size_t)mix(id) & (s->op_seen_cap - 1);
    while (s->op_seen[j]) {
        if (s->op_seen[j] == id)
            return 1;
        j = (j + 1) & (s->op_seen_cap - 1);
    }
    s->op_seen[j] = id;
    s->op_nseen++;
    return 0;
}

void fr_client_free(struct fr_state *s)
{
    free(s->op_seen);
    s->op_seen = NULL;
    s->op_seen_cap = s->op_nseen = 0;
}

/* ---- executing an operation ---- */

static char *key_dup(const fl_client_op *op)
{
    char *k = malloc(op->key_len + 1);
    if (k) {
        memcpy(k, op->key, op->key_len);
        k[op->key_len] = '\0';
    }
    return k;
}

/* Run op on the state machine (only reads when `apply` is 0) and fill r; a get's
 * string points into the state: answer before the state changes.  A value too long
 * for a result is answered fail, which constrains nothing. */
static void execute(struct fr_state *s, const fl_client_op *op, int apply, fl_client_result *r)
{
    memset(r, 0, sizeof *r);
    r->type = FL_CLIENT_OK;
    char *key = op->f >= FL_CLIENT_GET ? key_dup(op) : NULL;
    const char *old = key ? fr_kv_get(s, key) : NULL;
    size_t old_len = old ? strlen(old) : 0;
    switch (op->f) {
    case FL_CLIENT_READ:
        r->is_null = !s->reg_set;
        r->value = s->reg;
        break;
    case FL_CLIENT_WRITE:
    case FL_CLIENT_CAS:
        if (op->f == FL_CLIENT_CAS && (!s->reg_set || s->reg != op->a)) {
            r->type = FL_CLIENT_FAIL;
            break;
        }
        if (apply) {
            s->reg_set = 1;
            s->reg = op->f == FL_CLIENT_CAS ? op->b : op->a;
        }
        break;
    case FL_CLIENT_GET:
        r->str = old ? old : "";
        r->str_len = old_len;
        if (old_len > FL_CLIENT_VALUE_MAX) {
            r->type = FL_CLIENT_FAIL;
            r->str_len = 0;
        }
        break;
    default: { /* put, append */
        size_t keep = op->f == FL_CLIENT_APPEND ? old_len : 0;
        char *val = malloc(keep + op->value_len + 1);
        if (val) {
            if (keep)
                memcpy(val, old, keep);
            memcpy(val + keep, op->value, op->value_len);
            val[keep + op->value_len] = '\0';
        }
        if (apply && key) {
            fr_kv_set(s, key, val); /* takes both */
            key = NULL;
        } else {
            free(val);
        }
    }
    }
    free(key);
}

static void reply(fl_node *n, uint64_t op_id, const fl_client_result *r)
{
    size_t cap = FL_CLIENT_RESULT_HEADER + r->str_len;
    uint8_t *buf = malloc(cap);
    size_t len = buf ? fl_client_result_encode(r, buf, cap) : 0;
    if (len)
        fl_client_reply(n, op_id, buf, len);
    free(buf);
}

void fr_apply_client(fl_node *n, struct fr_state *s, const struct fr_entry *e)
{
    uint64_t op_id;
    int origin;
    fl_client_op op;
    if (entry_decode(e->data, e->len, &op_id, &origin, &op) != 0) {
        fl_log(n, FL_LOG_WARN, "%d applied a malformed client entry (%u bytes)", s->id, e->len);
        return;
    }
    if (seen_before(s, op_id) == 1)
        return; /* proposed twice: it took effect the first time */
    s->client_ops++;
    fl_client_result r;
    execute(s, &op, 1, &r);
    if (origin == s->id)
        reply(n, op_id, &r);
}

void fr_client_appended(fl_node *n, struct fr_state *s, const char *data, uint32_t len)
{
    uint64_t op_id;
    int origin;
    fl_client_op op;
    if (!fr_bug(s, FR_BUG_EARLY_ACK) || entry_decode(data, len, &op_id, &origin, &op) != 0)
        return;
    if (origin != s->id || op.f == FL_CLIENT_READ || op.f == FL_CLIENT_CAS || op.f == FL_CLIENT_GET)
        return;
    fl_client_result r = {.type = FL_CLIENT_OK};
    reply(n, op_id, &r); /* the bug: appended is not committed */
}

/* A client request is proposed like any other (raft.c's fr_on_client), as a client
 * entry that names the op and this node. */
void fr_on_client_op(fl_node *n, uint64_t op_id, const void *opb, size_t len)
{
    struct fr_state *s = fl_state(n);
    fl_client_op op;
    if (len + FR_CLIENT_ENTRY_HEADER > FR_MAX_ENTRY_BYTES || fl_client_op_decode(opb, len, &op) ||
        memchr(op.key, '\0', op.key_len)) {
        fl_log(n, FL_LOG_WARN, "%d dropping client op %llu: malformed or larger than %d bytes",
               s->id, (unsigned long long)op_id, FR_MAX_ENTRY_BYTES);
        return;
    }
    if (fr_bug(s, FR_BUG_STALE_READ) && s->role == FR_LEADER &&
        (op.f == FL_CLIENT_READ || op.f == FL_CLIENT_GET)) {
        fl_client_result r;
        execute(s, &op, 0, &r); /* the bug: no check that it still leads */
        reply(n, op_id, &r);
        return;
    }
    uint8_t data[FR_MAX_ENTRY_BYTES];
    put_le(data, op_id, 8);
    put_le(data + 8, (uint64_t)s->id, 4);
    memcpy(data + FR_CLIENT_ENTRY_HEADER, opb, len);
    uint8_t ent[FR_MSG_ENTRY_HEADER + FR_MAX_ENTRY_BYTES];
    struct fr_msg m = {.type = FR_MSG_PROP, .nent = 1, .ents = ent};
    m.ents_len = fr_msg_entry_encode(ent, 0, FR_ENTRY_CLIENT, data,
                                     (uint32_t)(len + FR_CLIENT_ENTRY_HEADER));
    fr_step(n, s, s->id, &m);
    fr_flush(n, s);
}

/* ---- text for the snapshot ---- */

void fr_client_text(const struct fr_entry *e, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t op_id;
    int origin;
    fl_client_op op;
    char raw[2 * FR_MAX_ENTRY_BYTES];
    if (entry_decode(e->data, e->len, &op_id, &origin, &op) != 0) {
        snprintf(out, cap, "malformed client entry");
        return;
    }
    int k = (int)(op.key_len < 64 ? op.key_len : 64),
        v = (int)(op.value_len < 200 ? op.value_len : 200);
    if (op.f == FL_CLIENT_WRITE)
        snprintf(raw, sizeof raw, "op %llu from %d: write %lld", (unsigned long long)op_id, origin,
                 (long long)op.a);
    else if (op.f == FL_CLIENT_CAS)
        snprintf(raw, sizeof raw, "op %llu from %d: cas %lld -> %lld", (unsigned long long)op_id,
                 origin, (long long)op.a, (long long)op.b);
    else
        snprintf(raw, sizeof raw, "op %llu from %d: %s%s%.*s%s%.*s", (unsigned long long)op_id,
                 origin, f_names[op.f], k ? " " : "", k, op.key, v ? " " : "", v, op.value);
    size_t o = 0;
    for (const char *p = raw; *p && o + 5 < cap; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}
