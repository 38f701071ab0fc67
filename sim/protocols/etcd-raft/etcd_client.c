/*
 * etcd_client.c -- client operations (API version 3, docs/linearizability.md) on
 * etcd-raft, served as our Raft serves them (docs/raft.md, "Clients"): every operation,
 * reads included, is proposed as an entry (etcd forwards a follower's proposal to its
 * leader as MsgProp) and takes effect when it is applied, in log order, on every node;
 * the node the client asked answers when it applies the entry.  The state machine
 * remembers the op ids it applied, so an operation proposed twice takes effect once.
 *
 * A client entry is an etcd EntryNormal whose data is
 *   [0] 0xC7  [1..8] op id  [9..12] the node asked (little-endian)  [13..] the op
 * (fl_client_op_encode's bytes); anything else is an ordinary proposal.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/etcd-raft/etcd.h"

#define CLIENT_MAGIC 0xC7
#define CLIENT_HEADER 13

int et_client_decode(const char *data, uint32_t len, uint64_t *op_id, int *origin, fl_client_op *op)
{
    const unsigned char *p = (const unsigned char *)data;
    if (len < CLIENT_HEADER || p[0] != CLIENT_MAGIC)
        return -1;
    *op_id = fl_client_get_le(p + 1, 8);
    *origin = (int)fl_client_get_le(p + 9, 4);
    return fl_client_op_decode(p + CLIENT_HEADER, len - CLIENT_HEADER, op);
}

/* ---- the state machine: a register, sorted keys, the op ids applied ---- */

static size_t kv_find(const struct et_state *s, const char *key, size_t klen, int *found)
{
    size_t lo = 0, hi = s->nkv;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(s->kv[mid].key, key, klen);
        if (c == 0 && s->kv[mid].key[klen] != '\0')
            c = 1;
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sorted ids: binary search; 1 when id was applied before, else remembers it. */
static int seen_before(struct et_state *s, uint64_t id)
{
    size_t lo = 0, hi = s->nseen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->seen[mid] == id)
            return 1;
        if (s->seen[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->nseen == s->seen_cap) {
        size_t ncap = s->seen_cap ? s->seen_cap * 2 : 64;
        uint64_t *t = realloc(s->seen, ncap * sizeof *t);
        if (!t)
            return 0; /* applied anyway */
        s->seen = t;
        s->seen_cap = ncap;
    }
    memmove(s->seen + lo + 1, s->seen + lo, (s->nseen - lo) * sizeof *s->seen);
    s->seen[lo] = id;
    s->nseen++;
    return 0;
}

static int kv_set(struct et_state *s, const fl_client_op *op)
{
    int found;
    size_t at = kv_find(s, op->key, op->key_len, &found);
    if (!found) {
        if (s->nkv == s->kv_cap) {
            size_t ncap = s->kv_cap ? s->kv_cap * 2 : 16;
            struct et_kv *t = realloc(s->kv, ncap * sizeof *t);
            if (!t)
                return -1;
            s->kv = t;
            s->kv_cap = ncap;
        }
        char *k = malloc(op->key_len + 1);
        if (!k)
            return -1;
        memcpy(k, op->key, op->key_len);
        k[op->key_len] = '\0';
        memmove(s->kv + at + 1, s->kv + at, (s->nkv - at) * sizeof *s->kv);
        s->kv[at] = (struct et_kv){.key = k, .val = NULL, .len = 0};
        s->nkv++;
    }
    struct et_kv *e = &s->kv[at];
    size_t keep = op->f == FL_CLIENT_APPEND ? e->len : 0;
    char *v = realloc(keep ? e->val : NULL, keep + op->value_len + 1);
    if (!v)
        return -1;
    if (!keep)
        free(e->val);
    memcpy(v + keep, op->value, op->value_len);
    e->val = v;
    e->len = keep + op->value_len;
    return 0;
}

static void execute(struct et_state *s, const fl_client_op *op, fl_client_result *r)
{
    int found = 0;
    size_t at = op->f >= FL_CLIENT_GET ? kv_find(s, op->key, op->key_len, &found) : 0;
    *r = (fl_client_result){.type = FL_CLIENT_OK};
    switch (op->f) {
    case FL_CLIENT_READ:
        r->is_null = !s->reg_set;
        r->value = s->reg;
        break;
    case FL_CLIENT_CAS:
        if (!s->reg_set || s->reg != op->a) {
            r->type = FL_CLIENT_FAIL;
            break;
        }
        s->reg = op->b;
        break;
    case FL_CLIENT_WRITE:
        s->reg_set = 1;
        s->reg = op->a;
        break;
    case FL_CLIENT_GET:
        r->str = found ? s->kv[at].val : "";
        r->str_len = found ? s->kv[at].len : 0;
        break;
    default: /* put, append */
        if (kv_set(s, op) != 0)
            r->type = FL_CLIENT_FAIL;
    }
}

void et_client_apply(fl_node *n, struct et_state *s, const char *data, uint32_t len)
{
    uint64_t op_id;
    int origin;
    fl_client_op op;
    if (et_client_decode(data, len, &op_id, &origin, &op) != 0 || seen_before(s, op_id))
        return; /* not a client entry, or proposed twice: it took effect the first time */
    s->client_ops++;
    fl_client_result r;
    execute(s, &op, &r);
    if (origin != s->id)
        return;
    size_t cap = FL_CLIENT_RESULT_HEADER + r.str_len;
    unsigned char *buf = malloc(cap);
    size_t rlen = buf ? fl_client_result_encode(&r, buf, cap) : 0;
    if (rlen)
        fl_client_reply(n, op_id, buf, rlen);
    free(buf);
}

/* Propose a client entry naming the op and this node. */
int et_client_entry(const struct et_state *s, uint64_t op_id, const void *op, size_t len,
                    unsigned char **out, size_t *out_len)
{
    fl_client_op dec;
    if (len > ET_MAX_ENTRY_BYTES - CLIENT_HEADER || fl_client_op_decode(op, len, &dec) != 0)
        return -1;
    unsigned char *p = malloc(CLIENT_HEADER + len);
    if (!p)
        return -1;
    p[0] = CLIENT_MAGIC;
    fl_client_put_le(p + 1, op_id, 8);
    fl_client_put_le(p + 9, (uint64_t)s->id, 4);
    memcpy(p + CLIENT_HEADER, op, len);
    *out = p;
    *out_len = CLIENT_HEADER + len;
    return 0;
}

void et_client_free(struct et_state *s)
{
    for (size_t i = 0; i < s->nkv; i++) {
        free(s->kv[i].key);
        free(s->kv[i].val);
    }
    free(s->kv);
    free(s->seen);
    s->kv = NULL;
    s->seen = NULL;
    s->nkv = s->kv_cap = s->nseen = s->seen_cap = 0;
}
