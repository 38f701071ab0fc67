/*
 * shrink.c -- shrink's elements, candidate schedules and their execution in the worker
 * pool (see shrink.h).
 */
#include "sim/shrink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/world.h"
#include "results/ddmin.h"
#include "sim/run/wire.h"
#include "sim/sweep.h"
#include "sim/sweep_impl.h"

/* ---- elements ---- */

/* The entry after i that ends the episode entry i starts, or -1: a crash's restart of
 * the same node, a partition's heal (unless another partition replaces it first), a
 * drift's reset (a clock entry of the same node with ppm 0). */
static long episode_end(const fl_schedule *sc, size_t i, const uint8_t *claimed)
{
    const fl_fault *f = fl_schedule_entry(sc, i);
    if (f->kind != FL_FAULT_CRASH && f->kind != FL_FAULT_PARTITION &&
        !(f->kind == FL_FAULT_CLOCK && f->ppm != 0))
        return -1;
    for (size_t j = i + 1; j < fl_schedule_len(sc); j++) {
        const fl_fault *g = fl_schedule_entry(sc, j);
        if (claimed[j])
            continue;
        if (f->kind == FL_FAULT_CRASH && g->kind == FL_FAULT_RESTART && g->node == f->node)
            return (long)j;
        if (f->kind == FL_FAULT_PARTITION &&
            (g->kind == FL_FAULT_HEAL || g->kind == FL_FAULT_PARTITION))
            return g->kind == FL_FAULT_HEAL ? (long)j : -1;
        if (f->kind == FL_FAULT_CLOCK && g->kind == FL_FAULT_CLOCK && g->node == f->node)
            return g->ppm == 0 ? (long)j : -1;
    }
    return -1;
}

size_t fl_shrink_in_order(const fl_shrink *s, size_t k)
{
    return k < s->nfaults ? s->nfaults - 1 - k : k;
}

int fl_shrink_elements(fl_shrink *s, const uint64_t *ops, size_t nops)
{
    size_t ne = fl_schedule_len(s->sched), nm = fl_schedule_msg_len(s->sched);
    size_t cap = ne + nm + (size_t)nops;
    s->elems = calloc(cap ? cap : 1, sizeof *s->elems);
    s->keep = calloc(cap ? cap : 1, 1);
    uint8_t *claimed = calloc(ne ? ne : 1, 1);
    if (!s->elems || !s->keep || !claimed) {
        free(claimed);
        return FL_ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < ne; i++) {
        if (claimed[i])
            continue;
        long end = episode_end(s->sched, i, claimed);
        if (end >= 0)
            claimed[end] = 1;
        s->elems[n++] = (fl_shrink_elem){.kind = FL_SHRINK_EPISODE,
                                         .first = i,
                                         .second = end,
                                         .at_ns = fl_schedule_entry(s->sched, i)->at_ns};
    }
    for (size_t i = 0; i < nm; i++)
        s->elems[n++] =
            (fl_shrink_elem){.kind = FL_SHRINK_MESSAGE, .first = i, .second = -1, .at_ns = -1};
    for (size_t i = 0; i < nops; i++)
        s->elems[n++] = (fl_shrink_elem){.kind = FL_SHRINK_OP, .second = -1, .op = ops[i]};
    /* The search sees the faults latest first (see shrink.h): reversed in place. */
    s->nfaults = n - (size_t)nops;
    for (size_t a = 0, b = s->nfaults; a + 1 < b; a++, b--) {
        fl_shrink_elem t = s->elems[a];
        s->elems[a] = s->elems[b - 1];
        s->elems[b - 1] = t;
    }
    s->nelems = n;
    memset(s->keep, 1, n);
    free(claimed);
    return 0;
}

/* ---- candidate schedules ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* The timed entries the mask keeps, in schedule order: into on[] (len entries). */
static void entries_on(const fl_shrink *s, const uint8_t *mask, uint8_t *on)
{
    for (size_t e = 0; e < s->nelems; e++) {
        const fl_shrink_elem *x = &s->elems[e];
        if (!mask[e] || x->kind != FL_SHRINK_EPISODE)
            continue;
        on[x->first] = 1;
        if (x->second >= 0)
            on[x->second] = 1;
    }
}

static void put_entries(sbuf *b, const fl_shrink *s, const uint8_t *mask, const uint8_t *on)
{
    int any = 0;
    for (size_t i = 0; i < fl_schedule_len(s->sched); i++) {
        char *t = on[i] ? fl_schedule_entry_text(s->sched, i) : NULL;
        if (on[i] && !t)
            b->oom = 1;
        if (!t)
            continue;
        put(b, any++ ? ",\n" : "\n");
        put(b, t);
        free(t);
    }
    for (size_t k = 0; k < s->nelems; k++) { /* messages in the schedule's order */
        size_t e = fl_shrink_in_order(s, k);
        if (!mask[e] || s->elems[e].kind != FL_SHRINK_MESSAGE)
            continue;
        char *t = fl_msg_fault_text(fl_schedule_msg(s->sched, s->elems[e].first));
        if (!t) {
            b->oom = 1;
            continue;
        }
        put(b, any++ ? ",\n" : "\n");
        put(b, t);
        free(t);
    }
    put(b, any ? "\n]}\n" : "]}\n");
}

char *fl_shrink_text(const fl_shrink *s, const uint8_t *mask)
{
    sbuf b = {0};
    size_t ne = fl_schedule_len(s->sched);
    uint8_t *on = calloc(ne ? ne : 1, 1);
    if (!on)
        return NULL;
    entries_on(s, mask, on);
    put(&b, "{\"version\":2,\"messages\":\"only\",");
    if (s->with_ops) {
        char num[32];
        int any = 0;
        put(&b, "\"ops\":[");
        for (size_t e = 0; e < s->nelems; e++) {
            if (!mask[e] || s->elems[e].kind != FL_SHRINK_OP)
                continue;
            snprintf(num, sizeof num, "%s%llu", any++ ? "," : "",
                     (unsigned long long)s->elems[e].op);
            put(&b, num);
        }
        put(&b, "],");
    }
    put(&b, "\"entries\":[");
    put_entries(&b, s, mask, on);
    free(on);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
