/*
 * history.c -- the in-memory history: operations, the string table, and the builder
 * that simulated clients (and the JSON-lines reader) use.
 *
 * Invariants: ops are in invocation order and event indexes grow by one per invoke or
 * complete; a process has at most one outstanding operation (procs maps it to that
 * op, or to -1); string ids are dense and id 0 is "".  Hash tables are keyed by
 * content, never by address, and nothing iterates them in hash order.
 */
#include "results/history.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "results/hash.h"

struct fl_history {
    fl_op *ops;
    size_t n, cap;
    int64_t next_index;
    int kind; /* 0 none yet, 1 register, 2 kv */
    /* string table */
    char *bytes;
    size_t nbytes, bytes_cap;
    uint64_t *str_off; /* offset << 32 | length would not fit 1 GiB lengths: two arrays */
    uint32_t *str_len;
    uint32_t nstr, str_cap;
    uint32_t *str_slot; /* open addressing: id + 1, 0 empty */
    uint32_t slot_cap;
    /* process -> outstanding op (-1 none); open addressing on process */
    int32_t *proc_key;
    int64_t *proc_op;
    uint8_t *proc_used;
    size_t nproc, proc_cap;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return FL_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

fl_history *fl_history_new(void)
{
    fl_history *h = calloc(1, sizeof *h);
    uint32_t id;
    if (h && fl_history_intern(h, "", 0, &id) != 0) {
        fl_history_free(h);
        return NULL;
    }
    return h;
}

void fl_history_free(fl_history *h)
{
    if (!h)
        return;
    free(h->ops);
    free(h->bytes);
    free(h->str_off);
    free(h->str_len);
    free(h->str_slot);
    free(h->proc_key);
    free(h->proc_op);
    free(h->proc_used);
    free(h);
}

size_t fl_history_len(const fl_history *h)
{
    return h->n;
}

const fl_op *fl_history_op(const fl_history *h, size_t i)
{
    return i < h->n ? &h->ops[i] : NULL;
}

fl_op *fl_history_op_mut(fl_history *h, size_t i)
{
    return i < h->n ? &h->ops[i] : NULL;
}

const char *fl_history_str(const fl_history *h, uint32_t id, size_t *len)
{
    if (id >= h->nstr) {
        *len = 0;
        return "";
    }
    *len = h->str_len[id];
    return h->bytes + h->str_off[id];
}

int fl_history_is_kv(const fl_history *h)
{
    return h->kind == 2;
}

static int rehash_strings(fl_history *h, uint32_t cap)
{
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return FL_ENOMEM;
    for (uint32_t id = 0; id < h->nstr; id++) {
        uint64_t i = fl_hash_bytes(h->bytes + h->str_off[id], h->str_len[id]) & (cap - 1);
        while (slot[i])
            i = (i + 1) & (cap - 1);
        slot[i] = id + 1;
    }
    free(h->str_slot);
    h->str_slot = slot;
    h->slot_cap = cap;
    return 0;
}

int fl_history_intern(fl_history *h, const char *s, size_t len, uint32_t *id)
{
    if ((uint64_t)h->nstr * 2 >= h->slot_cap) {
        int rc = rehash_strings(h, h->slot_cap ? h->slot_cap * 2 : 64);
        if (rc)
            return rc;
    }
    uint64_t i = fl_hash_bytes(s, len) & (h->slot_cap - 1);
    for (; h->str_slot[i]; i = (i + 1) & (h->slot_cap - 1)) {
        uint32_t c = h->str_slot[i] - 1;
        if (h->str_len[c] == len && memcmp(h->bytes + h->str_off[c], s, len) == 0) {
            *id = c;
            return 0;
        }
    }
    if (h->nbytes + len > FL_HISTORY_STRINGS_MAX || h->nstr == UINT32_MAX - 1)
        return FL_ELIMIT;
    size_t sc = h->str_cap;
    if (grow((void **)&h->bytes, &h->bytes_cap, h->nbytes + len + 1, 1) ||
        grow((void **)&h->str_off, &sc, (size_t)h->nstr + 1, sizeof *h->str_off))
        return FL_ENOMEM;
    sc = h->str_cap;
    if (grow((void **)&h->str_len, &sc, (size_t)h->nstr + 1, sizeof *h->str_len))
        return FL_ENOMEM;
    h->str_cap = (uint32_t)sc;
    memcpy(h->bytes + h->nbytes, s, len);
    h->str_off[h->nstr] = h->nbytes;
    h->str_len[h->nstr] = (uint32_t)len;
    h->nbytes += len;
    h->str_slot[i] = h->nstr + 1;
    *id = h->nstr++;
    return 0;
}

/* The slot of process p in the outstanding map (inserting it when absent), or -1 when
 * out of memory. */
static int64_t proc_slot(fl_history *h, int32_t p)
{
    if ((h->nproc + 1) * 2 > h->proc_cap) {
        size_t cap = h->proc_cap ? h->proc_cap * 2 : 64;
        int32_t *k = calloc(cap, sizeof *k);
        int64_t *o = calloc(cap, sizeof *o);
        uint8_t *u = calloc(cap, 1);
        if (!k || !o || !u) {
            free(k), free(o), free(u);
            return -1;
        }
        for (size_t i = 0; i < h->proc_cap; i++) {
            if (!h->proc_used[i])
                continue;
            size_t j = fl_mix64((uint32_t)h->proc_key[i]) & (cap - 1);
            while (u[j])
                j = (j + 1) & (cap - 1);
            u[j] = 1, k[j] = h->proc_key[i], o[j] = h->proc_op[i];
        }
        free(h->proc_key), free(h->proc_op), free(h->proc_used);
        h->proc_key = k, h->proc_op = o, h->proc_used = u, h->proc_cap = cap;
    }
    size_t j = fl_mix64((uint32_t)p) & (h->proc_cap - 1);
    for (; h->proc_used[j]; j = (j + 1) & (h->proc_cap - 1))
        if (h->proc_key[j] == p)
            return (int64_t)j;
    h->proc_used[j] = 1, h->proc_key[j] = p, h->proc_op[j] = -1;
    h->nproc++;
    return (int64_t)j;
}

int fl_history_outstanding(const fl_history *h, int process, size_t *op)
{
    if (!h->proc_cap)
        return 0;
    size_t j = fl_mix64((uint32_t)process) & (h->proc_cap - 1);
    for (; h->proc_used[j]; j = (j + 1) & (h->proc_cap - 1))
        if (h->proc_key[j] == process) {
            if (h->proc_op[j] < 0)
                return 0;
            *op = (size_t)h->proc_op[j];
            return 1;
        }
    return 0;
}

static int push_invoke(fl_history *h, int process, int f, int kind, fl_op **out, size_t *op)
{
    if (process < 0)
        return FL_EINVAL;
    if (h->kind && h->kind != kind)
        return FL_EINVAL;
    if (h->n >= FL_HISTORY_OPS_MAX)
        return FL_ELIMIT;
    int64_t slot = proc_slot(h, process);
    if (slot < 0 || grow((void **)&h->ops, &h->cap, h->n + 1, sizeof *h->ops))
        return FL_ENOMEM;
    if (h->proc_op[slot] >= 0)
        return FL_EINVAL;
    h->kind = kind;
    h->proc_op[slot] = (int64_t)h->n;
    fl_op *o = &h->ops[h->n];
    *o = (fl_op){.process = process, .f = (uint8_t)f, .type = FL_DONE_NONE};
    o->invoke_index = h->next_index++;
    o->complete_index = o->invoke_ns = o->complete_ns = -1;
    o->invoke_step = o->complete_step = -1;
    *op = h->n++;
    *out = o;
    return 0;
}

int fl_history_invoke_reg(fl_history *h, int process, int f, int64_t a, int64_t b, size_t *op)
{
    if (f != FL_F_READ && f != FL_F_WRITE && f != FL_F_CAS)
        return FL_EINVAL;
    fl_op *o;
    int rc = push_invoke(h, process, f, 1, &o, op);
    if (rc)
        return rc;
    o->in1 = f == FL_F_READ ? 0 : a;
    o->in2 = f == FL_F_CAS ? b : 0;
    return 0;
}

int fl_history_invoke_kv(fl_history *h, int process, int f, const char *key, size_t key_len,
                         const char *value, size_t value_len, size_t *op)
{
    if (f != FL_F_GET && f != FL_F_PUT && f != FL_F_APPEND)
        return FL_EINVAL;
    uint32_t k, v = 0;
    int rc = fl_history_intern(h, key, key_len, &k);
    if (rc == 0 && f != FL_F_GET)
        rc = fl_history_intern(h, value, value_len, &v);
    fl_op *o;
    if (rc == 0)
        rc = push_invoke(h, process, f, 2, &o, op);
    if (rc)
        return rc;
    o->key = k;
    o->in1 = v;
    return 0;
}

static int complete(fl_history *h, size_t op, int type)
{
    if (op >= h->n || h->ops[op].type != FL_DONE_NONE)
        return FL_EINVAL;
    if (type != FL_DONE_OK && type != FL_DONE_FAIL && type != FL_DONE_INFO)
        return FL_EINVAL;
    int64_t slot = proc_slot(h, h->ops[op].process);
    if (slot < 0)
        return FL_ENOMEM;
    h->proc_op[slot] = -1;
    h->ops[op].type = (uint8_t)type;
    h->ops[op].complete_index = h->next_index++;
    return 0;
}

int fl_history_complete_reg(fl_history *h, size_t op, int type, int out_null, int64_t out)
{
    if (op >= h->n || h->ops[op].f > FL_F_CAS)
        return FL_EINVAL;
    int rc = complete(h, op, type);
    if (rc == 0 && h->ops[op].f == FL_F_READ) {
        h->ops[op].out_null = out_null != 0;
        h->ops[op].out = out_null ? 0 : out;
    }
    return rc;
}

int fl_history_complete_kv(fl_history *h, size_t op, int type, const char *value, size_t value_len)
{
    if (op >= h->n || h->ops[op].f < FL_F_GET)
        return FL_EINVAL;
    uint32_t v = 0;
    if (h->ops[op].f == FL_F_GET && type == FL_DONE_OK) {
        int rc = fl_history_intern(h, value, value_len, &v);
        if (rc)
            return rc;
    }
    int rc = complete(h, op, type);
    if (rc == 0)
        h->ops[op].out = v;
    return rc;
}

const char *fl_op_f_name(int f)
{
    static const char *const names[] = {"read", "write", "cas", "get", "put", "append"};
    return f >= 0 && f < FL_F_COUNT ? names[f] : "?";
}

const char *fl_op_type_name(int type)
{
    static const char *const names[] = {"ok", "fail", "info", "none"};
    return type >= 0 && type <= FL_DONE_NONE ? names[type] : "?";
}

/* Append a JSON-ish quoted rendering of string id to buf at *at (cut at cap). */
static void put_str(const fl_history *h, uint32_t id, char *buf, size_t cap, size_t *at)
{
    size_t len;
    const char *s = fl_history_str(h, id, &len);
    size_t max = len > 40 ? 40 : len;
    int n = snprintf(buf + *at, cap - *at, "\"%.*s%s\"", (int)max, s, len > max ? "..." : "");
    if (n > 0)
        *at = *at + (size_t)n < cap ? *at + (size_t)n : cap - 1;
}

const char *fl_history_describe(const fl_history *h, size_t i, char *buf, size_t cap)
{
    const fl_op *o = fl_history_op(h, i);
    if (!cap)
        return buf;
    buf[0] = '\0';
    if (!o)
        return buf;
    size_t at = 0;
    int n = snprintf(buf, cap, "process %" PRId32 ": %s", o->process, fl_op_f_name(o->f));
    at = n > 0 && (size_t)n < cap ? (size_t)n : cap - 1;
    if (o->f == FL_F_WRITE)
        n = snprintf(buf + at, cap - at, "(%" PRId64 ")", o->in1);
    else if (o->f == FL_F_CAS)
        n = snprintf(buf + at, cap - at, "(%" PRId64 ", %" PRId64 ")", o->in1, o->in2);
    else if (o->f == FL_F_READ && o->type == FL_DONE_OK && o->out_null)
        n = snprintf(buf + at, cap - at, " -> null");
    else if (o->f == FL_F_READ && o->type == FL_DONE_OK)
        n = snprintf(buf + at, cap - at, " -> %" PRId64, o->out);
    else
        n = 0;
    at = n > 0 && at + (size_t)n < cap ? at + (size_t)n : at;
    if (o->f >= FL_F_GET && at + 1 < cap) {
        buf[at++] = ' ';
        buf[at] = '\0';
        put_str(h, o->key, buf, cap, &at);
        if (o->f != FL_F_GET && at + 1 < cap) {
            buf[at++] = ' ';
            buf[at] = '\0';
            put_str(h, (uint32_t)o->in1, buf, cap, &at);
        } else if (o->type == FL_DONE_OK && at + 4 < cap) {
            memcpy(buf + at, " -> ", 5);
            at += 4;
            put_str(h, (uint32_t)o->out, buf, cap, &at);
        }
    }
    if (o->type != FL_DONE_OK || o->f == FL_F_CAS)
        snprintf(buf + at, cap - at, " %s", fl_op_type_name(o->type));
    return buf;
}
