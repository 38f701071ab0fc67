/*
 * evq.c -- 4-ary heap of 16-byte keys {time, seq << 28 | tag} (see evq.h).
 *
 * Why 4-ary: with the heap starting three keys into a 64-byte-aligned block, the four
 * children of any node (4i+1 .. 4i+4) fill exactly one cache line, so a sift-down
 * touches half as many lines as a binary heap's.  Why the tag in the key: the order
 * word is unique (seq is), so comparisons never tie, and a pop needs no other memory.
 */
#include "core/evq.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"

#define TAG_MASK ((UINT64_C(1) << FL_EVQ_TAG_BITS) - 1)
#define HEAP_SKEW 3

typedef struct key {
    int64_t time_ns;
    uint64_t order; /* seq << FL_EVQ_TAG_BITS | tag */
} key;

struct fl_evq {
    key *mem;  /* 64-byte aligned */
    key *heap; /* mem + HEAP_SKEW */
    uint32_t len, cap;
    uint64_t next_seq;
};

fl_evq *fl_evq_new(void)
{
    return calloc(1, sizeof(fl_evq));
}

void fl_evq_free(fl_evq *q)
{
    if (!q)
        return;
    free(q->mem);
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

static int grow(fl_evq *q)
{
    if (q->cap >= FL_EVQ_MAX_PENDING)
        return FL_ELIMIT;
    uint32_t ncap = q->cap ? q->cap * 2 : 256;
    size_t bytes = ((size_t)ncap + HEAP_SKEW) * sizeof(key);
    bytes = (bytes + 63) & ~(size_t)63;
    key *mem = aligned_alloc(64, bytes);
    if (!mem)
        return FL_ENOMEM;
    if (q->len)
        memcpy(mem + HEAP_SKEW, q->heap, (size_t)q->len * sizeof(key));
    free(q->mem);
    q->mem = mem;
    q->heap = mem + HEAP_SKEW;
    q->cap = ncap;
    return 0;
}

int fl_evq_push(fl_evq *q, int64_t time_ns, uint32_t tag, uint64_t *seq)
{
    FL_ASSERT(tag <= FL_EVQ_MAX_TAG);
    if (q->next_seq >= FL_EVQ_MAX_SEQ)
        return FL_ELIMIT;
    if (q->len == q->cap) {
        int rc = grow(q);
        if (rc)
            return rc;
    }
    uint64_t s = q->next_seq++;
    q->heap[q->len] = (key){time_ns, s << FL_EVQ_TAG_BITS | tag};
    sift_up(q->heap, q->len);
    q->len++;
    if (seq)
        *seq = s;
    return 0;
}

int fl_evq_pop_until(fl_evq *q, int64_t limit, int64_t *time_ns, uint64_t *seq, uint32_t *tag)
{
    if (q->len == 0 || q->heap[0].time_ns > limit)
        return 0;
    key top = q->heap[0];
    q->len--;
    if (q->len > 0) {
        q->heap[0] = q->heap[q->len];
        sift_down(q->heap, q->len, 0);
    }
    *time_ns = top.time_ns;
    *seq = top.order >> FL_EVQ_TAG_BITS;
    *tag = (uint32_t)(top.order & TAG_MASK);
    return 1;
}

int64_t fl_evq_peek_time(const fl_evq *q)
{
    return q->len ? q->heap[0].time_ns : INT64_MAX;
}

uint32_t fl_evq_pending(const fl_evq *q)
{
    return q->len;
}
