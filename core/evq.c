/*
 * evq.c -- 4-ary heap of 128-bit keys (see evq.h).
 *
 * A key is one unsigned 128-bit word: the time with its sign bit flipped in the high
 * half (so that unsigned order is signed time order) and seq << 28 | tag in the low
 * half.  (time, seq) order is then one unsigned 128-bit comparison (cmp + sbb on
 * x86-64), with no branch on ties in time.  The word is unique (seq is), so comparisons
 * never tie, and a pop needs no other memory.
 *
 * Why 4-ary: with the heap starting three keys into a 64-byte-aligned block, the four
 * children of any node (4i+1 .. 4i+4) fill exactly one cache line, so a sift-down
 * touches half as many lines as a binary heap's.
 *
 * Why the sift-down is written without branches on key order: which child is least is
 * a coin toss, so a branch on it mispredicts about half the time.  The first version
 * relied on GCC turning `if (less) best = c` into cmov.  -O2 did; -O3 (Release) also
 * runs -fsplit-paths, which copied the inner loop's latch into both arms of that `if`,
 * so the if-converter no longer saw a diamond and left a branch: Release ran at half
 * the speed of RelWithDebInfo (in valgrind's branch simulator, 9 mispredicts per pop at
 * 10^3 pending instead of 1).  Now the four children are compared as a tournament with
 * no inner loop: the two winners are selected as values (cmov at -O2 and -O3 alike) and
 * the winning index is computed by arithmetic (pick()), so -O2 and -O3 emit the same
 * loop.  Reloading the winners by index instead of selecting them costs 20% (a load on
 * the critical path).  The loads the CPU used to start speculatively down a predicted
 * branch are brought back by prefetching the next level (see least_of_four()).
 */
#include "core/evq.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"

#define TAG_MASK ((UINT64_C(1) << FL_EVQ_TAG_BITS) - 1)
#define TIME_FLIP (UINT64_C(1) << 63)
#define HEAP_SKEW 3
/* Keys past the capacity, so that prefetching the grandchildren of the last family
 * never points outside the block. */
#define PREFETCH_SLACK 12
/* Heap indices below this (16 KiB, the top five levels) stay in L1: prefetching them
 * would only cost instructions. */
#define PREFETCH_FROM 1024

typedef unsigned __int128 key;

struct fl_evq {
    key *mem;  /* 64-byte aligned */
    key *heap; /* mem + HEAP_SKEW */
    uint32_t len, cap;
    uint64_t next_seq;
};

static inline key key_make(int64_t time_ns, uint64_t order)
{
    return (key)((uint64_t)time_ns ^ TIME_FLIP) << 64 | order;
}

static inline int64_t key_time(key k)
{
    return (int64_t)((uint64_t)(k >> 64) ^ TIME_FLIP);
}

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

/* cond ? if_true : if_false, as arithmetic: a ternary may come out as a branch. */
static inline uint32_t pick(int cond, uint32_t if_true, uint32_t if_false)
{
    return if_false ^ ((if_true ^ if_false) & -(uint32_t)cond);
}

/* The index of the least of the four keys h[f .. f+3] (all < len).  Also prefetches
 * their four families of children, one of which the next level of the sift reads: the
 * branch-free choice means the CPU no longer fetches them speculatively, and at 10^6
 * pending the heap does not fit in L2. */
static inline uint32_t least_of_four(const key *h, uint32_t f, uint32_t len)
{
    uint32_t g = 4 * f + 1;
    if (g >= PREFETCH_FROM && g < len) {
        __builtin_prefetch(h + g);
        __builtin_prefetch(h + g + 4);
        __builtin_prefetch(h + g + 8);
        __builtin_prefetch(h + g + 12);
    }
    const key *c = h + f;
    int l01 = c[1] < c[0], l23 = c[3] < c[2];
    key m01 = l01 ? c[1] : c[0], m23 = l23 ? c[3] : c[2];
    return pick(m23 < m01, f + 2 + (uint32_t)l23, f + (uint32_t)l01);
}

/* The index of the least of h[f .. len-1], one to three keys. */
static inline uint32_t least_of_few(const key *h, uint32_t f, uint32_t len)
{
    uint32_t best = f;
    for (uint32_t c = f + 1; c < len; c++)
        best = pick(h[c] < h[best], c, best);
    return best;
}

/* Place k at the hole i or above it. */
static void sift_up(key *h, uint32_t i, key k)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!(k < h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = k;
}

/* Place k at the hole 0 (the root) or below it, in a heap of len keys. */
static void sift_down(key *h, uint32_t len, key k)
{
    uint32_t i = 0, first;
    while ((first = 4 * i + 1) + 4 <= len) {
        uint32_t best = least_of_four(h, first, len);
        if (!(h[best] < k)) {
            h[i] = k;
            return;
        }
        h[i] = h[best];
        i = best;
    }
    if (first < len) { /* a last, partial family: its keys have no children */
        uint32_t best = least_of_few(h, first, len);
        if (h[best] < k) {
            h[i] = h[best];
            i = best;
        }
    }
    h[i] = k;
}

static int grow(fl_evq *q)
{
    if (q->cap >= FL_EVQ_MAX_PENDING)
        return FL_ELIMIT;
    uint32_t ncap = q->cap ? q->cap * 2 : 256;
    size_t bytes = ((size_t)ncap + HEAP_SKEW + PREFETCH_SLACK) * sizeof(key);
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
    sift_up(q->heap, q->len, key_make(time_ns, s << FL_EVQ_TAG_BITS | tag));
    q->len++;
    if (seq)
        *seq = s;
    return 0;
}

int fl_evq_pop_until(fl_evq *q, int64_t limit, int64_t *time_ns, uint64_t *seq, uint32_t *tag)
{
    if (q->len == 0 || key_time(q->heap[0]) > limit)
        return 0;
    key top = q->heap[0];
    q->len--;
    if (q->len > 0)
        sift_down(q->heap, q->len, q->heap[q->len]);
    *time_ns = key_time(top);
    *seq = (uint64_t)top >> FL_EVQ_TAG_BITS;
    *tag = (uint32_t)((uint64_t)top & TAG_MASK);
    return 1;
}

int64_t fl_evq_peek_time(const fl_evq *q)
{
    return q->len ? key_time(q->heap[0]) : INT64_MAX;
}

uint32_t fl_evq_pending(const fl_evq *q)
{
    return q->len;
}
