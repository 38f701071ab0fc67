/*
 * lin_search.c -- the Wing-Gong-Lowe search over one partition.
 *
 * Entries (a call per op, a return per definite op) sit in a doubly linked list in
 * event order.  Walking from the head, a call is tried: if the model accepts the op and
 * the resulting configuration is new, the op is lifted out of the list (both its
 * entries), pushed, and the walk restarts at the head.  Reaching a return means that
 * op had to be linearized by now and was not: pop the last op, put it back, and try
 * the entry after its call.  Reaching the end of the list means every definite op is
 * linearized (ops of unknown outcome left over never took effect): linearizable.
 *
 * A configuration is (S, state), S the set of linearized ops.  It is memoised compactly
 * as (F, U, state): F the highest linearized op index, U the ops below F not yet
 * linearized -- exactly the call entries at the head of the list before the first call
 * above F, so U is read off the list in O(|U|) and is small (it holds ops concurrent
 * with F and pending ops of unknown outcome).  The hash is a Zobrist hash of S, kept
 * incrementally, mixed with the state.  Nothing depends on addresses, so the walk,
 * the state count and the report are the same on every run.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "results/hash.h"
#include "results/lin.h"
#include "results/lin_int.h"

typedef struct memo_ent {
    uint64_t h;
    uint32_t state, f1; /* f1 = F + 1 */
    uint32_t uoff, ulen;
} memo_ent;

typedef struct frame {
    uint32_t op, state, f1;
    uint8_t forced; /* taken without alternatives: see force_read() */
} frame;

typedef struct srch {
    /* list: entries 1..E, 0 is the head sentinel */
    int32_t *next, *prev;
    uint32_t *ent_op;
    uint8_t *ent_ret;
    uint32_t *call_ent, *ret_ent; /* per op; ret_ent 0 when not definite */
    /* memo */
    memo_ent *tab;
    size_t tab_n, tab_cap;
    uint32_t *uarena;
    size_t un, ucap;
    uint32_t *ubuf; /* scratch for U */
    uint64_t bytes, max_bytes;
} srch;

static inline uint64_t zob(uint32_t op)
{
    return fl_mix64((uint64_t)op + 0x632be59bd9b4e019ull);
}

typedef struct ev {
    int64_t index;
    uint32_t op;
    uint8_t ret;
} ev;

static int ev_cmp(const void *a, const void *b)
{
    const ev *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Build the list in event order (indexes are unique, so the sort is total). */
static int build_list(srch *s, const lin_op *ops, size_t n)
{
    size_t e = 0;
    ev *evs = malloc(2 * n * sizeof *evs + 1);
    if (!evs)
        return FL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        evs[e++] = (ev){ops[i].invoke, (uint32_t)i, 0};
        if (ops[i].definite)
            evs[e++] = (ev){ops[i].complete, (uint32_t)i, 1};
    }
    qsort(evs, e, sizeof *evs, ev_cmp);
    s->next = malloc((e + 1) * sizeof *s->next);
    s->prev = malloc((e + 1) * sizeof *s->prev);
    s->ent_op = malloc((e + 1) * sizeof *s->ent_op);
    s->ent_ret = malloc(e + 1);
    s->call_ent = malloc((n + 1) * sizeof *s->call_ent);
    s->ret_ent = calloc(n + 1, sizeof *s->ret_ent);
    s->ubuf = malloc((n + 1) * sizeof *s->ubuf);
    if (!s->next || !s->prev || !s->ent_op || !s->ent_ret || !s->call_ent || !s->ret_ent ||
        !s->ubuf) {
        free(evs);
        return FL_ENOMEM;
    }
    for (size_t k = 0; k <= e; k++) {
        s->next[k] = (int32_t)(k == e ? 0 : k + 1);
        s->prev[k] = (int32_t)(k == 0 ? e : k - 1);
    }
    for (size_t k = 0; k < e; k++) {
        s->ent_op[k + 1] = evs[k].op;
        s->ent_ret[k + 1] = evs[k].ret;
        if (evs[k].ret)
            s->ret_ent[evs[k].op] = (uint32_t)(k + 1);
        else
            s->call_ent[evs[k].op] = (uint32_t)(k + 1);
    }
    free(evs);
    return 0;
}

static inline void unlink_ent(srch *s, uint32_t x)
{
    s->next[s->prev[x]] = s->next[x];
    s->prev[s->next[x]] = s->prev[x];
}

static inline void relink_ent(srch *s, uint32_t x)
{
    s->next[s->prev[x]] = (int32_t)x;
    s->prev[s->next[x]] = (int32_t)x;
}

static inline void lift(srch *s, uint32_t op)
{
    unlink_ent(s, s->call_ent[op]);
    if (s->ret_ent[op])
        unlink_ent(s, s->ret_ent[op]);
}

static inline void unlift(srch *s, uint32_t op)
{
    if (s->ret_ent[op])
        relink_ent(s, s->ret_ent[op]);
    relink_ent(s, s->call_ent[op]);
}

/* U for F = f1 - 1: the unlinearized ops below F, in increasing order, into s->ubuf. */
static uint32_t collect_u(const srch *s, uint32_t f1)
{
    uint32_t n = 0;
    for (int32_t e = s->next[0]; e != 0; e = s->next[e]) {
        if (s->ent_ret[e])
            continue;
        if (s->ent_op[e] + 1 >= f1)
            break;
        s->ubuf[n++] = s->ent_op[e];
    }
    return n;
}

static int charge(srch *s, uint64_t more)
{
    if (s->bytes + more > s->max_bytes)
        return FL_ELIMIT;
    s->bytes += more;
    return 0;
}

static int memo_grow(srch *s)
{
    size_t cap = s->tab_cap ? s->tab_cap * 2 : 1024;
    int rc = charge(s, (cap - s->tab_cap) * sizeof(memo_ent));
    if (rc)
        return rc;
    memo_ent *t = calloc(cap, sizeof *t);
    if (!t)
        return FL_ENOMEM;
    for (size_t i = 0; i < s->tab_cap; i++) {
        if (!s->tab[i].f1)
            continue;
        size_t j = s->tab[i].h & (cap - 1);
        while (t[j].f1)
            j = (j + 1) & (cap - 1);
        t[j] = s->tab[i];
    }
    free(s->tab);
    s->tab = t;
    s->tab_cap = cap;
    return 0;
}

/* Insert (h, state, f1, ubuf[0..nu)): 1 when new, 0 when seen, FL_ELIMIT / FL_ENOMEM. */
static int memo_insert(srch *s, uint64_t h, uint32_t state, uint32_t f1, uint32_t nu)
{
    int rc;
    if ((s->tab_n + 1) * 2 > s->tab_cap && (rc = memo_grow(s)))
        return rc;
    size_t i = h & (s->tab_cap - 1);
    for (; s->tab[i].f1; i = (i + 1) & (s->tab_cap - 1)) {
        const memo_ent *t = &s->tab[i];
        if (t->h == h && t->state == state && t->f1 == f1 && t->ulen == nu &&
            (nu == 0 || memcmp(s->uarena + t->uoff, s->ubuf, nu * sizeof *s->ubuf) == 0))
            return 0;
    }
    if (s->un + nu > s->ucap) {
        size_t cap = s->ucap ? s->ucap * 2 : 4096;
        while (cap < s->un + nu)
            cap *= 2;
        if (cap > UINT32_MAX)
            return FL_ELIMIT;
        if ((rc = charge(s, (cap - s->ucap) * sizeof *s->uarena)))
            return rc;
        uint32_t *a = realloc(s->uarena, cap * sizeof *a);
        if (!a)
            return FL_ENOMEM;
        s->uarena = a;
        s->ucap = cap;
    }
    if (nu) /* uarena may still be NULL */
        memcpy(s->uarena + s->un, s->ubuf, nu * sizeof *s->ubuf);
    s->tab[i] = (memo_ent){h, state, f1, (uint32_t)s->un, nu};
    s->un += nu;
    s->tab_n++;
    return 1;
}

static void srch_free(srch *s)
{
    free(s->next), free(s->prev), free(s->ent_op), free(s->ent_ret);
    free(s->call_ent), free(s->ret_ent), free(s->ubuf);
    free(s->tab), free(s->uarena);
}

/* The search's mutable walk state. */
typedef struct walk {
    frame *stack;
    size_t depth;
    uint32_t *best;
    size_t best_len, best_valid;
    int have_best;
} walk;

/* At a return entry e deeper than before: keep the stack as the longest prefix, the op
 * of e as the culprit and the calls before e as the ops concurrent with it.  Only the
 * part of the stack that changed since the last record is copied. */
static void record(const srch *s, walk *w, int32_t e, lin_found *out)
{
    for (size_t k = w->best_valid; k < w->depth; k++)
        w->best[k] = w->stack[k].op;
    w->best_len = w->best_valid = w->depth;
    w->have_best = 1;
    out->culprit = s->ent_op[e];
    out->concurrent_len = 0;
    for (int32_t x = s->next[0]; x != e && out->concurrent_len < 64; x = s->next[x])
        if (!s->ent_ret[x] && s->ent_op[x] != out->culprit)
            out->concurrent[out->concurrent_len++] = s->ent_op[x];
}

/* The current configuration. */
typedef struct cfg {
    uint32_t state, f1;
    uint64_t zh;
} cfg;

#define TRY_UNKNOWN (-1000) /* out->why says which limit */

/* Linearize op now if the model allows it and the configuration it leads to is new.
 * 1 pushed, 0 illegal or pointless, 2 already seen, TRY_UNKNOWN or an FL_E code.  An op
 * of unknown outcome that would leave the state as it is is pointless: not taking it
 * keeps every option that taking it has. */
static int try_op(srch *s, walk *w, lin_model *m, const lin_op *o, uint32_t op, cfg *c, int forced,
                  uint64_t *states, lin_found *out)
{
    uint32_t ns;
    int r = lin_model_step(m, c->state, o, &ns);
    if (r == 1 && !o->definite && ns == c->state)
        return 0;
    if (r == 1) {
        uint32_t nf1 = op + 1 > c->f1 ? op + 1 : c->f1;
        uint64_t nh = c->zh ^ zob(op);
        lift(s, op);
        r = memo_insert(s, nh ^ fl_mix64((uint64_t)ns + 1), ns, nf1, collect_u(s, nf1));
        if (r == 1 && *states == 0)
            r = FL_ELIMIT, out->why = LIN_WHY_STATES;
        else if (r == FL_ELIMIT)
            out->why = LIN_WHY_MEMORY;
        if (r == 1) {
            --*states;
            w->stack[w->depth++] = (frame){op, c->state, c->f1, (uint8_t)forced};
            c->state = ns, c->f1 = nf1, c->zh = nh;
            return 1;
        }
        unlift(s, op);
        if (r == 0)
            return 2;
    }
    return r == FL_ELIMIT ? TRY_UNKNOWN : r;
}

static int read_only(const lin_op *o)
{
    return o->kind == LK_READ || o->kind == LK_GET || o->kind == LK_CAS_NOT;
}

/* At a new configuration: an op that changes nothing (a read, a failed cas) and is
 * legal now can be linearized first without loss -- any linearization from here can be
 * rearranged to start with it, as nothing pending had to precede it -- so it is taken
 * without trying alternatives (a forced frame).  Returns try_op's codes, 0 for none. */
static int force_read(srch *s, walk *w, lin_model *m, const lin_op *ops, cfg *c, uint64_t *states,
                      lin_found *out)
{
    for (int32_t e = s->next[0]; e != 0 && !s->ent_ret[e]; e = s->next[e]) {
        uint32_t op = s->ent_op[e];
        if (!read_only(&ops[op]))
            continue;
        int r = try_op(s, w, m, &ops[op], op, c, 1, states, out);
        if (r != 0)
            return r;
    }
    return 0;
}

/* Undo the top frame; forced frames fall through to the one below (their parent has no
 * other option worth trying).  Returns the entry to continue from, or -1 when the
 * stack is empty (not linearizable). */
static int32_t backtrack(srch *s, walk *w, cfg *c)
{
    for (;;) {
        if (w->depth == 0)
            return -1;
        frame fr = w->stack[--w->depth];
        if (w->depth < w->best_valid)
            w->best_valid = w->depth;
        unlift(s, fr.op);
        c->state = fr.state, c->f1 = fr.f1, c->zh ^= zob(fr.op);
        if (!fr.forced)
            return s->next[s->call_ent[fr.op]];
    }
}

/* The loop; returns 0 with out->verdict set, or FL_ENOMEM / FL_EINTERNAL. */
static int run(srch *s, walk *w, lin_model *m, const lin_op *ops, uint64_t *states,
               int64_t deadline_ns, lin_found *out)
{
    cfg c = {0, 0, 0};
    uint64_t iter = 0;
    int fresh = 1, r;
    int32_t e = s->next[0];
    for (;;) {
        if ((++iter & 0x3fff) == 0 && deadline_ns && fl_lin_wall_now_ns() > deadline_ns)
            return out->why = LIN_WHY_TIME, out->verdict = FL_LIN_UNKNOWN, 0;
        if (fresh) {
            while ((r = force_read(s, w, m, ops, &c, states, out)) == 1)
                continue;
            fresh = 0;
            e = s->next[0];
            if (r == 2) { /* the forced child was explored: this configuration fails */
                if ((e = backtrack(s, w, &c)) < 0)
                    return out->verdict = FL_LIN_VIOLATION, 0;
                continue;
            }
        } else {
            r = 0;
        }
        if (r == TRY_UNKNOWN)
            return out->verdict = FL_LIN_UNKNOWN, 0;
        if (r < 0)
            return r;
        if (e == 0)
            return out->verdict = FL_LIN_OK, 0;
        uint32_t op = s->ent_op[e];
        if (!s->ent_ret[e]) {
            r = try_op(s, w, m, &ops[op], op, &c, 0, states, out);
            if (r == 1)
                fresh = 1;
            else if (r < 0)
                return r == TRY_UNKNOWN ? (out->verdict = FL_LIN_UNKNOWN, 0) : r;
            else
                e = s->next[e];
            continue;
        }
        if (!w->have_best || w->depth > w->best_len)
            record(s, w, e, out);
        if ((e = backtrack(s, w, &c)) < 0)
            return out->verdict = FL_LIN_VIOLATION, 0;
    }
}

int lin_search(lin_model *m, const lin_op *ops, size_t n, uint64_t *states, uint64_t max_bytes,
               int64_t deadline_ns, lin_found *out)
{
    *out = (lin_found){.verdict = FL_LIN_OK};
    if (n == 0)
        return 0;
    srch s = {.max_bytes = max_bytes};
    walk w = {0};
    /* the list, stack and best prefix: about 56 bytes an op */
    if (n > INT32_MAX / 2 || charge(&s, (uint64_t)n * 56 + 64)) {
        out->verdict = FL_LIN_UNKNOWN;
        out->why = LIN_WHY_MEMORY;
        return 0;
    }
    int rc = build_list(&s, ops, n);
    w.stack = malloc(n * sizeof *w.stack);
    w.best = malloc(n * sizeof *w.best);
    if (rc == 0 && (!w.stack || !w.best))
        rc = FL_ENOMEM;
    if (rc == 0)
        rc = run(&s, &w, m, ops, states, deadline_ns, out);
    if (rc == 0 && out->verdict == FL_LIN_VIOLATION) {
        out->best = w.best;
        out->best_len = w.best_len;
        w.best = NULL;
    }
    free(w.stack);
    free(w.best);
    srch_free(&s);
    return rc;
}
