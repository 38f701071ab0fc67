/*
 * evq.c -- 4-ary heap of (time, seq|slot) keys over a recycled slab (see evq.h).
 *
 * Why 4-ary: a node's four children share one 64-byte cache line (16-byte keys), so a
 * sift-down touches half as many lines as a binary heap's; the keys carry the slot
 * index, so the slab is touched only on push and pop, never while sifting.
 */
#include "core/evq.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"

#define SLOT_BITS 24
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)

typedef struct key {
    int64_t time_ns;
    uint64_t order; /* seq << SLOT_BITS | slot: unique, so no two keys tie */
} key;

/* The payload without time and seq (those live in the key): 32 bytes a slot, so a
 * pending event costs 48 bytes in all. */
typedef struct slot {
    uint64_t ref;
    int32_t node;
    uint32_t gen;
    uint16_t kind;
    uint16_t aux;
    uint32_t next_free;
    uint8_t live;      /* pushed and not popped */
    uint8_t cancelled; /* live but must not be popped */
} slot;

/* The heap starts 3 keys into a 64-byte-aligned block, so that the four children of
 * any node (4i+1 .. 4i+4) share exactly one cache line. */
#define HEAP_SKEW 3

struct fl_evq {
    key *heap_mem;
    key *heap;
    uint32_t len, cap;
    slot *slots;
    uint32_t nslots, slots_cap;
    uint32_t free_head;
    uint32_t pending;
    uint64_t next_seq;
};

fl_evq *fl_evq_new(void)
{
    fl_evq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->free_head = FL_EVQ_NONE;
    return q;
}

void fl_evq_free(fl_evq *q)
{
    if (!q)
        return;
    free(q->heap_mem);
    free(q->slots);
    free(q);
}

static inline int key_less(const key *a, const key *b)
{
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns;
    return a->order < b->order;
}

static void sift_up(key *h, uint32_t i)
{
    key k = h[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!key_less(&k, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = k;
}

static void sift_down(key *h, uint32_t len, uint32_t i)
{
    key k = h[i];
    for (;;) {
        uint32_t first = 4 * i + 1;
        if (first >= len)
            break;
        uint32_t best = first;
        uint32_t last = first + 4 < len ? first + 4 : len;
        for (uint32_t c = first + 1; c < last; c++)
            if (key_less(&h[c], &h[best]))
                best = c;
        if (!key_less(&h[best], &k))
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = k;
}

static int grow(void **buf, uint32_t *cap, size_t elem)
{
    uint32_t ncap = *cap ? *cap * 2 : 256;
    if (ncap > FL_EVQ_MAX_PENDING + 1)
        ncap = FL_EVQ_MAX_PENDING + 1;
    if (ncap <= *cap)
        return FL_ELIMIT;
    void *p = realloc(*buf, (size_t)ncap * elem);
    if (!p)
        return FL_ENOMEM;
    *buf = p;
    *cap = ncap;
    return 0;
}

static int alloc_slot(fl_evq *q, uint32_t *out)
{
    if (q->free_head != FL_EVQ_NONE) {
        *out = q->free_head;
        q->free_head = q->slots[*out].next_free;
        return 0;
    }
    if (q->nslots == FL_EVQ_MAX_PENDING)
        return FL_ELIMIT;
    if (q->nslots == q->slots_cap) {
        int rc = grow((void **)&q->slots, &q->slots_cap, sizeof(slot));
        if (rc)
            return rc;
    }
    *out = q->nslots++;
    return 0;
}

static int grow_heap(fl_evq *q)
{
    uint32_t ncap = q->cap ? q->cap * 2 : 256;
    if (ncap > FL_EVQ_MAX_PENDING + 1)
        ncap = FL_EVQ_MAX_PENDING + 1;
    if (ncap <= q->cap)
        return FL_ELIMIT;
    size_t bytes = ((size_t)ncap + HEAP_SKEW) * sizeof(key);
    bytes = (bytes + 63) & ~(size_t)63;
    key *mem = aligned_alloc(64, bytes);
    if (!mem)
        return FL_ENOMEM;
    if (q->len)
        memcpy(mem + HEAP_SKEW, q->heap, (size_t)q->len * sizeof(key));
    free(q->heap_mem);
    q->heap_mem = mem;
    q->heap = mem + HEAP_SKEW;
    q->cap = ncap;
    return 0;
}

int fl_evq_push(fl_evq *q, const fl_event *ev, fl_evq_id *id)
{
    if (q->next_seq >= FL_EVQ_MAX_SEQ)
        return FL_ELIMIT;
    if (q->len == q->cap) {
        int rc = grow_heap(q);
        if (rc)
            return rc;
    }
    uint32_t s;
    int rc = alloc_slot(q, &s);
    if (rc)
        return rc;
    slot *sl = &q->slots[s];
    sl->ref = ev->ref;
    sl->node = ev->node;
    sl->gen = ev->gen;
    sl->kind = ev->kind;
    sl->aux = ev->aux;
    sl->live = 1;
    sl->cancelled = 0;
    uint64_t seq = q->next_seq++;
    q->heap[q->len] = (key){ev->time_ns, seq << SLOT_BITS | s};
    sift_up(q->heap, q->len);
    q->len++;
    q->pending++;
    if (id)
        *id = s;
    return 0;
}

void fl_evq_cancel(fl_evq *q, fl_evq_id id)
{
    FL_ASSERT(id < q->nslots);
    slot *sl = &q->slots[id];
    FL_ASSERT(sl->live);
    FL_ASSERT(!sl->cancelled);
    sl->cancelled = 1;
    q->pending--;
}

/* Remove the top key and recycle its slot; returns the slot index. */
static uint32_t remove_top(fl_evq *q)
{
    uint32_t s = (uint32_t)(q->heap[0].order & SLOT_MASK);
    q->len--;
    if (q->len > 0) {
        q->heap[0] = q->heap[q->len];
        sift_down(q->heap, q->len, 0);
    }
    slot *sl = &q->slots[s];
    sl->live = 0;
    sl->next_free = q->free_head;
    q->free_head = s;
    return s;
}

static void drop_cancelled_top(fl_evq *q)
{
    while (q->len > 0) {
        uint32_t s = (uint32_t)(q->heap[0].order & SLOT_MASK);
        if (!q->slots[s].cancelled)
            return;
        remove_top(q);
    }
}

int fl_evq_pop_until(fl_evq *q, int64_t limit, fl_event *ev)
{
    for (;;) {
        if (q->len == 0 || q->heap[0].time_ns > limit)
            return 0;
        key top = q->heap[0];
        uint32_t s = (uint32_t)(top.order & SLOT_MASK);
        /* Fetch the payload while the heap is repaired: at 10^6 pending events the slot
         * is a cache miss, and the sift-down hides it. */
        __builtin_prefetch(&q->slots[s]);
        remove_top(q);
        const slot *sl = &q->slots[s];
        if (sl->cancelled)
            continue;
        ev->time_ns = top.time_ns;
        ev->seq = top.order >> SLOT_BITS;
        ev->kind = sl->kind;
        ev->aux = sl->aux;
        ev->node = sl->node;
        ev->gen = sl->gen;
        ev->ref = sl->ref;
        q->pending--;
        return 1;
    }
}

int fl_evq_pop(fl_evq *q, fl_event *ev)
{
    return fl_evq_pop_until(q, INT64_MAX, ev);
}

int64_t fl_evq_peek_time(fl_evq *q)
{
    drop_cancelled_top(q);
    return q->len ? q->heap[0].time_ns : INT64_MAX;
}

uint32_t fl_evq_pending(const fl_evq *q)
{
    return q->pending;
}
