/* test_lin_random.c -- the checker against checkers written from the definition.
 *
 * Histories come from a fixed-seed generator that runs a real linearizable register or
 * kv store (each op takes effect at a random moment inside its interval, or, for info
 * and never-completed ops, maybe never) and then, for some histories, perturbs one
 * output or completion type, so both verdicts are common.  Small histories (up to 5
 * processes, 10 ops) are compared with a brute force that tries every order; larger
 * ones (up to 8 processes, 30 ops) with the same exhaustive search under a step cap,
 * skipping the cases where the cap is hit.  A failure prints its seed. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/history.h"
#include "results/lin.h"
#include "check_main.h"

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int pick(uint64_t *s, int n)
{
    return (int)(next(s) % (uint64_t)n);
}

/* ---- the generator ---- */

#define MAXP 8
#define MAXOPS 30
#define NKEYS 2
#define SLEN 64

typedef struct store {
    int64_t reg; /* -1: null (values written are 1..3) */
    char kv[NKEYS][SLEN];
} store;

typedef struct pend {
    int active, applied, f, key;
    size_t op;
    int64_t a, b, out; /* register: inputs and what the read saw / cas outcome */
    char val[4], got[SLEN];
} pend;

/* Apply a pending op to the store at this moment, remembering its result. */
static void apply(store *st, pend *p)
{
    p->applied = 1;
    char *v = st->kv[p->key];
    switch (p->f) {
    case FL_F_READ:
        p->out = st->reg;
        break;
    case FL_F_WRITE:
        st->reg = p->a;
        break;
    case FL_F_CAS:
        p->out = st->reg == p->a;
        if (p->out)
            st->reg = p->b;
        break;
    case FL_F_GET:
        strcpy(p->got, v);
        break;
    case FL_F_PUT:
        strcpy(v, p->val);
        break;
    case FL_F_APPEND:
        if (strlen(v) + 2 < SLEN)
            strcat(v, p->val);
        break;
    }
}

static const char *const keys[NKEYS] = {"x", "y"};

static void invoke(fl_history *h, uint64_t *s, int kv, int proc, pend *p)
{
    *p = (pend){.active = 1, .key = pick(s, NKEYS)};
    p->val[0] = (char)('a' + pick(s, 3));
    if (kv) {
        p->f = FL_F_GET + pick(s, 3);
        ck_assert_int_eq(fl_history_invoke_kv(h, proc, p->f, keys[p->key], 1, p->val, 1, &p->op),
                         0);
    } else {
        p->f = pick(s, 3);
        p->a = 1 + pick(s, 3);
        p->b = 1 + pick(s, 3);
        ck_assert_int_eq(fl_history_invoke_reg(h, proc, p->f, p->a, p->b, &p->op), 0);
    }
}

/* Complete p: ok with its real result; info (applied or not); fail when it was not
 * applied (a cas that found another value fails definitely). */
static void complete(fl_history *h, uint64_t *s, store *st, pend *p)
{
    int type = FL_DONE_OK, roll = pick(s, 10);
    if (!p->applied && roll < 3) {
        type = FL_DONE_INFO;
    } else if (!p->applied && roll < 5 && p->f != FL_F_CAS) {
        type = FL_DONE_FAIL;
    } else {
        if (!p->applied)
            apply(st, p);
        if (roll == 9)
            type = FL_DONE_INFO;
        if (p->f == FL_F_CAS && !p->out && type == FL_DONE_OK)
            type = FL_DONE_FAIL;
    }
    int rc = p->f >= FL_F_GET ? fl_history_complete_kv(h, p->op, type, p->got, strlen(p->got))
                              : fl_history_complete_reg(h, p->op, type, p->out < 0, p->out);
    ck_assert_int_eq(rc, 0);
    p->active = 0;
}

/* Mutate one completed op so that the history is probably no longer linearizable. */
static void perturb(fl_history *h, uint64_t *s)
{
    static const char *const strs[] = {"", "a", "b", "ab", "ba", "c"};
    fl_op *o = NULL;
    for (int tries = 0; tries < 4; tries++) { /* outputs are what break histories most */
        o = fl_history_op_mut(h, (size_t)pick(s, (int)fl_history_len(h)));
        if ((o->f == FL_F_READ || o->f == FL_F_GET) && o->type == FL_DONE_OK)
            break;
    }
    if (o->type == FL_DONE_NONE)
        return;
    if (o->f == FL_F_READ && o->type == FL_DONE_OK) {
        o->out_null = pick(s, 4) == 0;
        o->out = o->out_null ? 0 : 1 + pick(s, 3);
    } else if (o->f == FL_F_GET && o->type == FL_DONE_OK) {
        const char *v = strs[pick(s, 6)];
        uint32_t id;
        ck_assert_int_eq(fl_history_intern(h, v, strlen(v), &id), 0);
        o->out = id;
    } else if (o->f != FL_F_READ && o->f != FL_F_GET) {
        o->type = o->type == FL_DONE_OK ? FL_DONE_FAIL : FL_DONE_OK;
    }
}

static fl_history *generate(uint64_t seed, int kv, int maxp, int maxops)
{
    uint64_t s = seed;
    fl_history *h = fl_history_new();
    int procs = 1 + pick(&s, maxp), nops = 1 + pick(&s, maxops), invoked = 0;
    store st = {.reg = -1};
    pend p[MAXP] = {{0}};
    for (int guard = 0; guard < 100000; guard++) {
        int active = 0, x = pick(&s, procs), act = pick(&s, 3);
        for (int i = 0; i < procs; i++)
            active += p[i].active;
        if (invoked == nops && (active == 0 || pick(&s, 20) == 0))
            break; /* whatever is still pending never completes */
        if (act == 0 && !p[x].active && invoked < nops) {
            invoke(h, &s, kv, x, &p[x]);
            invoked++;
        } else if (act == 1 && p[x].active && !p[x].applied) {
            apply(&st, &p[x]);
        } else if (act == 2 && p[x].active) {
            complete(h, &s, &st, &p[x]);
        }
    }
    if (pick(&s, 3))
        perturb(h, &s);
    return h;
}

/* ---- the checker from the definition: every order, no memo ---- */

typedef struct bstate {
    int has;
    int64_t v;
    char kv[NKEYS][SLEN];
} bstate;

typedef struct bf {
    const fl_history *h;
    size_t n;
    uint8_t used[MAXOPS + 1];
    uint64_t steps, cap;
} bf;

/* 2 must be in the order, 1 may be, 0 is left out (see the semantics in lin.h). */
static int role(const fl_op *o)
{
    if (o->type == FL_DONE_OK)
        return 2;
    if (o->type == FL_DONE_FAIL)
        return o->f == FL_F_CAS ? 2 : 0;
    return o->f == FL_F_READ || o->f == FL_F_GET ? 0 : 1;
}

static const char *str(const fl_history *h, int64_t id, char *buf)
{
    size_t len;
    const char *s = fl_history_str(h, (uint32_t)id, &len);
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* Apply o to st; 0 when o's output contradicts the state. */
static int bf_apply(const fl_history *h, const fl_op *o, bstate *st)
{
    char b1[SLEN], b2[SLEN];
    int k = 0;
    if (o->f >= FL_F_GET)
        k = str(h, o->key, b1)[0] == 'y';
    char *v = st->kv[k];
    int held = st->has && st->v == o->in1;
    switch (o->f) {
    case FL_F_READ:
        return o->out_null ? !st->has : st->has && st->v == o->out;
    case FL_F_WRITE:
        st->has = 1, st->v = o->in1;
        return 1;
    case FL_F_CAS:
        if (o->type == FL_DONE_FAIL)
            return !held;
        if (held)
            st->v = o->in2;
        return held || o->type != FL_DONE_OK;
    case FL_F_GET:
        return strcmp(v, str(h, o->out, b2)) == 0;
    case FL_F_PUT:
        strcpy(v, str(h, o->in1, b2));
        return 1;
    default:
        if (strlen(v) + strlen(str(h, o->in1, b2)) < SLEN)
            strcat(v, b2);
        return 1;
    }
}

/* 1 linearizable from here, 0 not, -1 cap hit. */
static int bf_dfs(bf *b, const bstate *st)
{
    if (++b->steps > b->cap)
        return -1;
    int64_t first_done = INT64_MAX; /* earliest completion among the musts left */
    for (size_t j = 0; j < b->n; j++) {
        const fl_op *o = fl_history_op(b->h, j);
        if (!b->used[j] && role(o) == 2 && o->complete_index < first_done)
            first_done = o->complete_index;
    }
    if (first_done == INT64_MAX)
        return 1;
    for (size_t i = 0; i < b->n; i++) {
        const fl_op *o = fl_history_op(b->h, i);
        if (b->used[i] || role(o) == 0 || o->invoke_index > first_done)
            continue;
        bstate next = *st;
        if (!bf_apply(b->h, o, &next))
            continue;
        b->used[i] = 1;
        int r = bf_dfs(b, &next);
        b->used[i] = 0;
        if (r)
            return r;
    }
    return 0;
}

static int brute_force(const fl_history *h, uint64_t cap)
{
    bf b = {.h = h, .n = fl_history_len(h), .cap = cap};
    bstate st = {0};
    return bf_dfs(&b, &st);
}

/* Run `count` seeds from `base`; counts[0..2] get ok / violation / skipped. */
static void compare(uint64_t base, int count, int maxp, int maxops, uint64_t cap, int *counts)
{
    for (int i = 0; i < count; i++) {
        uint64_t seed = base + (uint64_t)i;
        int kv = (int)(seed % 2);
        fl_history *h = generate(seed, kv, maxp, maxops);
        int want = brute_force(h, cap);
        if (want < 0) {
            counts[2]++;
            fl_history_free(h);
            continue;
        }
        fl_lin_result r;
        ck_assert_int_eq(fl_lin_check(h, kv ? FL_LIN_KV : FL_LIN_REGISTER, NULL, &r), 0);
        ck_assert_msg(r.verdict == (want ? FL_LIN_OK : FL_LIN_VIOLATION),
                      "seed %llu (%s, %zu ops): checker says %s, brute force %s",
                      (unsigned long long)seed, kv ? "kv" : "register", fl_history_len(h),
                      fl_lin_verdict_name(r.verdict), want ? "ok" : "violation");
        if (kv) { /* and checking all keys as one object agrees */
            fl_lin_result w;
            ck_assert_int_eq(fl_lin_check(h, FL_LIN_KV_WHOLE, NULL, &w), 0);
            ck_assert_msg(w.verdict == r.verdict, "seed %llu: kv-whole disagrees",
                          (unsigned long long)seed);
            fl_lin_result_close(&w);
        }
        counts[want ? 0 : 1]++;
        fl_lin_result_close(&r);
        fl_history_free(h);
    }
}

START_TEST(test_lin_random_small_match_brute_force)
{
    int counts[3] = {0};
    compare(1000, 1000, 5, 10, UINT64_MAX, counts);
    fprintf(stderr, "small: %d ok, %d violations\n", counts[0], counts[1]);
    ck_assert_int_eq(counts[2], 0);
    ck_assert_int_ge(counts[0], 200);
    ck_assert_int_ge(counts[1], 200);
}
END_TEST

START_TEST(test_lin_random_large_match_capped_search)
{
    int counts[3] = {0};
    compare(500000, 1000, 8, 30, 200000, counts);
    fprintf(stderr, "large: %d ok, %d violations, %d skipped (cap)\n", counts[0], counts[1],
            counts[2]);
    ck_assert_int_le(counts[2], 100);
    ck_assert_int_ge(counts[0], 150);
    ck_assert_int_ge(counts[1], 150);
}
END_TEST

static Suite *lin_random_suite(void)
{
    Suite *s = suite_create("lin_random");
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_lin_random_small_match_brute_force);
    tcase_add_test(tc, test_lin_random_large_match_capped_search);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(lin_random_suite)
