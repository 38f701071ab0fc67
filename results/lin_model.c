/*
 * lin_model.c -- the kv models' state tables for the linearizability search.
 *
 * Strings are interned: one copy of each distinct string, ids dense from 0 (""), so
 * that two configurations with equal values have equal state ids (the memo depends on
 * it) and a get compares ids.  An append looks up (state, suffix) in a cache before
 * building the new string.  kv-whole interns tuples of per-key string ids the same way;
 * a tuple's hash is a sum over its slots, updated in O(1) when one slot changes.
 * Every table counts its bytes; going over max_bytes is FL_ELIMIT (the search turns it
 * into UNKNOWN), never an allocation failure left to chance.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "results/hash.h"
#include "results/lin_int.h"

typedef struct table { /* open addressing over ids: slot = id + 1, 0 empty */
    uint32_t *slot;
    uint64_t *hash;         /* per id */
    uint32_t n, idcap, cap; /* ids; hash array capacity; slots (power of two) */
} table;

typedef struct pair_cache { /* (state, suffix) -> state, open addressing */
    uint64_t *key;          /* s << 32 | a, + 1; 0 empty */
    uint32_t *val;
    size_t n, cap;
} pair_cache;

struct lin_model {
    int mode;
    uint32_t nkeys;
    uint64_t bytes, max_bytes;
    table strs;
    char *chars;
    uint64_t *off;
    uint32_t *len;
    size_t nchars, chars_cap, str_cap; /* str_cap: of off and len */
    pair_cache app;
    table tups;
    uint32_t *tup;  /* tuple id * nkeys + slot */
    size_t tup_cap; /* elements of tup */
    uint32_t *scratch;
    char *sbuf;
    size_t sbuf_cap;
};

/* Account for `more` bytes; FL_ELIMIT when over the limit. */
static int charge(lin_model *m, uint64_t more)
{
    if (m->bytes + more > m->max_bytes)
        return FL_ELIMIT;
    m->bytes += more;
    return 0;
}

static int grow(lin_model *m, void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    int rc = charge(m, (c - *cap) * elem);
    if (rc)
        return rc;
    void *q = realloc(*p, c * elem);
    if (!q)
        return FL_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

/* Make room for one more id in t (hash array and slots); rehashes as it grows. */
static int table_reserve(lin_model *m, table *t)
{
    size_t idcap = t->idcap;
    int rc = grow(m, (void **)&t->hash, &idcap, (size_t)t->n + 1, sizeof *t->hash);
    if (rc)
        return rc;
    t->idcap = (uint32_t)idcap;
    if ((uint64_t)(t->n + 1) * 2 <= t->cap)
        return 0;
    uint32_t cap = t->cap ? t->cap * 2 : 128;
    if ((rc = charge(m, (uint64_t)(cap - t->cap) * sizeof *t->slot)))
        return rc;
    uint32_t *s = calloc(cap, sizeof *s);
    if (!s)
        return FL_ENOMEM;
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t i = (uint32_t)t->hash[id] & (cap - 1);
        while (s[i])
            i = (i + 1) & (cap - 1);
        s[i] = id + 1;
    }
    free(t->slot);
    t->slot = s;
    t->cap = cap;
    return 0;
}

int lin_model_intern(lin_model *m, const char *s, size_t len, uint32_t *id)
{
    uint64_t h = fl_hash_bytes(s, len);
    int rc = table_reserve(m, &m->strs);
    if (rc)
        return rc;
    table *t = &m->strs;
    uint32_t i = (uint32_t)h & (t->cap - 1);
    for (; t->slot[i]; i = (i + 1) & (t->cap - 1)) {
        uint32_t c = t->slot[i] - 1;
        if (t->hash[c] == h && m->len[c] == len && memcmp(m->chars + m->off[c], s, len) == 0) {
            *id = c;
            return 0;
        }
    }
    size_t cap = m->str_cap, cap2 = m->str_cap;
    if ((rc = grow(m, (void **)&m->chars, &m->chars_cap, m->nchars + len + 1, 1)) ||
        (rc = grow(m, (void **)&m->off, &cap, t->n + 1, sizeof *m->off)) ||
        (rc = grow(m, (void **)&m->len, &cap2, t->n + 1, sizeof *m->len)))
        return rc;
    m->str_cap = cap;
    if (len > UINT32_MAX)
        return FL_ELIMIT;
    memcpy(m->chars + m->nchars, s, len);
    m->off[t->n] = m->nchars;
    m->len[t->n] = (uint32_t)len;
    m->nchars += len;
    t->hash[t->n] = h;
    t->slot[i] = t->n + 1;
    *id = t->n++;
    return 0;
}

/* The id of string s ++ a (ids), through the append cache. */
static int append(lin_model *m, uint32_t s, uint32_t a, uint32_t *out)
{
    if (a == 0) {
        *out = s;
        return 0;
    }
    pair_cache *c = &m->app;
    if ((c->n + 1) * 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        int rc = charge(m, (cap - c->cap) * (sizeof *c->key + sizeof *c->val));
        if (rc)
            return rc;
        uint64_t *k = calloc(cap, sizeof *k);
        uint32_t *v = calloc(cap, sizeof *v);
        if (!k || !v) {
            free(k), free(v);
            return FL_ENOMEM;
        }
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->key[i])
                continue;
            size_t j = fl_mix64(c->key[i]) & (cap - 1);
            while (k[j])
                j = (j + 1) & (cap - 1);
            k[j] = c->key[i], v[j] = c->val[i];
        }
        free(c->key), free(c->val);
        c->key = k, c->val = v, c->cap = cap;
    }
    uint64_t key = ((uint64_t)s << 32 | a) + 1;
    size_t j = fl_mix64(key) & (c->cap - 1);
    for (; c->key[j]; j = (j + 1) & (c->cap - 1))
        if (c->key[j] == key) {
            *out = c->val[j];
            return 0;
        }
    size_t ls = m->len[s], la = m->len[a];
    int rc = grow(m, (void **)&m->sbuf, &m->sbuf_cap, ls + la + 1, 1);
    if (rc)
        return rc;
    memcpy(m->sbuf, m->chars + m->off[s], ls);
    memcpy(m->sbuf + ls, m->chars + m->off[a], la);
    if ((rc = lin_model_intern(m, m->sbuf, ls + la, out)))
        return rc;
    c->key[j] = key;
    c->val[j] = *out;
    c->n++;
    return 0;
}

static uint64_t slot_hash(uint32_t slot, uint32_t id)
{
    return fl_mix64(((uint64_t)slot << 32 | id) + 0x51ed2701u);
}

/* The id of the tuple in m->scratch, whose hash is h. */
static int tuple_intern(lin_model *m, uint64_t h, uint32_t *id)
{
    table *t = &m->tups;
    int rc = table_reserve(m, t);
    if (rc)
        return rc;
    size_t k = m->nkeys;
    uint32_t i = (uint32_t)h & (t->cap - 1);
    for (; t->slot[i]; i = (i + 1) & (t->cap - 1)) {
        uint32_t c = t->slot[i] - 1;
        if (t->hash[c] == h && memcmp(m->tup + (size_t)c * k, m->scratch, k * 4) == 0) {
            *id = c;
            return 0;
        }
    }
    if ((rc = grow(m, (void **)&m->tup, &m->tup_cap, ((size_t)t->n + 1) * k, sizeof *m->tup)))
        return rc;
    memcpy(m->tup + (size_t)t->n * k, m->scratch, k * sizeof *m->tup);
    t->hash[t->n] = h;
    t->slot[i] = t->n + 1;
    *id = t->n++;
    return 0;
}

/* kv-whole: the tuple s with slot set to id; hashes are sums over slots. */
static int tuple_set(lin_model *m, uint32_t s, uint32_t slot, uint32_t id, uint32_t *out)
{
    size_t k = m->nkeys;
    const uint32_t *cur = m->tup + (size_t)s * k;
    if (cur[slot] == id) {
        *out = s;
        return 0;
    }
    uint64_t h = m->tups.hash[s] - slot_hash(slot, cur[slot]) + slot_hash(slot, id);
    memcpy(m->scratch, cur, k * sizeof *cur);
    m->scratch[slot] = id;
    return tuple_intern(m, h, out);
}

int lin_model_kv_step(lin_model *m, uint32_t s, const lin_op *op, uint32_t *next)
{
    uint32_t cur = s;
    if (m->mode == 2)
        cur = m->tup[(size_t)s * m->nkeys + op->slot];
    uint32_t v;
    int rc = 0;
    switch (op->kind) {
    case LK_GET:
        *next = s;
        return cur == op->a;
    case LK_PUT:
        v = op->a;
        break;
    case LK_APPEND:
        rc = append(m, cur, op->a, &v);
        break;
    default:
        return FL_EINTERNAL;
    }
    if (rc)
        return rc;
    if (m->mode != 2) {
        *next = v;
        return 1;
    }
    rc = tuple_set(m, s, op->slot, v, next);
    return rc ? rc : 1;
}

lin_model *lin_model_new(int mode, uint32_t nkeys, uint64_t max_bytes)
{
    lin_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->mode = mode;
    m->nkeys = mode == 2 ? (nkeys ? nkeys : 1) : 0;
    m->max_bytes = max_bytes;
    uint32_t id;
    int rc = mode ? lin_model_intern(m, "", 0, &id) : 0;
    if (rc == 0 && mode == 2) {
        m->scratch = calloc(m->nkeys, sizeof *m->scratch);
        rc = m->scratch ? charge(m, (uint64_t)m->nkeys * 4) : FL_ENOMEM;
        uint64_t h = 0;
        for (uint32_t i = 0; rc == 0 && i < m->nkeys; i++)
            h += slot_hash(i, 0);
        if (rc == 0)
            rc = tuple_intern(m, h, &id); /* tuple 0: every key "" */
    }
    if (rc) {
        lin_model_free(m);
        return NULL;
    }
    return m;
}

void lin_model_free(lin_model *m)
{
    if (!m)
        return;
    free(m->strs.slot), free(m->strs.hash);
    free(m->tups.slot), free(m->tups.hash);
    free(m->chars), free(m->off), free(m->len);
    free(m->app.key), free(m->app.val);
    free(m->tup), free(m->scratch), free(m->sbuf);
    free(m);
}

uint64_t lin_model_bytes(const lin_model *m)
{
    return m->bytes;
}
