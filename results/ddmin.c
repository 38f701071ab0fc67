/* ddmin.c -- delta debugging over a keep mask (see ddmin.h). */
#include "results/ddmin.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* One round's candidates: masks[0..n) over nelems, in the order they are tested. */
typedef struct round {
    uint8_t **masks;
    size_t n;
} round;

static void round_free(round *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->masks[i]);
    free(r->masks);
    r->masks = NULL;
    r->n = 0;
}

/* Chunk c of g over the kept elements idx[0..k): [c*k/g, (c+1)*k/g), balanced. */
static void chunk_bounds(size_t k, size_t g, size_t c, size_t *lo, size_t *hi)
{
    *lo = c * k / g;
    *hi = (c + 1) * k / g;
}

/* Candidates of granularity g: the two halves (g = 2), or each complement (see ddmin.h). */
static int make_round(const size_t *idx, size_t k, size_t g, size_t nelems, round *r)
{
    size_t n = g;
    r->masks = calloc(n, sizeof *r->masks);
    if (!r->masks)
        return FL_ENOMEM;
    for (size_t m = 0; m < n; m++) {
        uint8_t *mask = calloc(nelems ? nelems : 1, 1);
        if (!mask)
            return FL_ENOMEM;
        r->masks[r->n++] = mask;
        size_t lo, hi;
        chunk_bounds(k, g, m, &lo, &hi);
        for (size_t i = 0; i < k; i++) {
            int in_chunk = i >= lo && i < hi;
            mask[idx[i]] = g == 2 ? in_chunk : !in_chunk;
        }
    }
    return 0;
}

static size_t kept_indexes(const uint8_t *keep, size_t nelems, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < nelems; i++)
        if (keep[i])
            idx[k++] = i;
    return k;
}

int fl_ddmin(uint8_t *keep, size_t nelems, fl_ddmin_first_fn first, void *ctx, int *minimal)
{
    *minimal = 0;
    size_t *idx = malloc((nelems ? nelems : 1) * sizeof *idx);
    if (!idx)
        return FL_ENOMEM;
    size_t k = kept_indexes(keep, nelems, idx), g = 2;
    int rc = 0;
    /* bounded: every round either removes an element or doubles g up to k */
    while (k > 0) {
        if (k == 1)
            g = 1; /* the one element alone is the set itself: only its removal */
        round r = {0};
        long at = -1;
        rc = g == 1 ? 0 : make_round(idx, k, g, nelems, &r);
        if (g == 1 && (r.masks = calloc(1, sizeof *r.masks)) != NULL &&
            (r.masks[0] = calloc(nelems, 1)) != NULL)
            r.n = 1; /* the empty set */
        else if (g == 1)
            rc = FL_ENOMEM;
        if (rc == 0)
            rc = first(ctx, (const uint8_t *const *)r.masks, r.n, &at);
        if (rc == 0 && at >= 0) {
            memcpy(keep, r.masks[at], nelems);
            k = kept_indexes(keep, nelems, idx);
            g = g <= 2 ? 2 : g - 1;
        }
        round_free(&r);
        if (rc)
            break;
        if (at >= 0)
            continue;
        if (g >= k) {
            *minimal = 1;
            break;
        }
        g = 2 * g < k ? 2 * g : k;
    }
    if (k == 0)
        *minimal = 1;
    free(idx);
    return rc;
}
