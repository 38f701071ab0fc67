/*
 * pending.c -- message id -> description map for the recorder (see pending.h).
 *
 * Linear probing with backward-shift deletion (no tombstones, so a long run that
 * sends and settles millions of messages keeps short probe chains).  The load factor
 * stays at or below 1/2.
 */
#include "storage/pending.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define PENDING_MIN_CAP 1024

static size_t slot_of(uint64_t id, size_t cap)
{
    /* Fibonacci hashing: ids are consecutive, the multiply spreads them. */
    return (size_t)((id * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & (cap - 1);
}

void fl_pending_close(fl_pending *p)
{
    for (size_t i = 0; i < p->cap; i++)
        free(p->slots[i].desc);
    free(p->slots);
    memset(p, 0, sizeof *p);
}

static void place(fl_pending_slot *slots, size_t cap, fl_pending_slot s)
{
    size_t i = slot_of(s.id, cap);
    while (slots[i].id != 0)
        i = (i + 1) & (cap - 1);
    slots[i] = s;
}

static int grow(fl_pending *p)
{
    size_t cap = p->cap == 0 ? PENDING_MIN_CAP : p->cap * 2;
    fl_pending_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return FL_ENOMEM;
    for (size_t i = 0; i < p->cap; i++)
        if (p->slots[i].id != 0)
            place(slots, cap, p->slots[i]);
    free(p->slots);
    p->slots = slots;
    p->cap = cap;
    return 0;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find(const fl_pending *p, uint64_t id)
{
    size_t i = slot_of(id, p->cap);
    while (p->slots[i].id != 0 && p->slots[i].id != id)
        i = (i + 1) & (p->cap - 1);
    return i;
}

int fl_pending_put(fl_pending *p, uint64_t id, const char *desc, size_t len)
{
    if (id == 0)
        return FL_EINVAL;
    if ((p->count + 1) * 2 > p->cap && grow(p) != 0)
        return FL_ENOMEM;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return FL_ENOMEM;
    memcpy(copy, desc, len);
    copy[len] = '\0';
    size_t i = find(p, id);
    if (p->slots[i].id == id) {
        free(p->slots[i].desc);
    } else {
        p->slots[i].id = id;
        p->count++;
    }
    p->slots[i].desc = copy;
    p->slots[i].len = len;
    return 0;
}

/* Close the hole at i by moving back any later entry of the same probe run that
 * would not be found past it. */
static void remove_at(fl_pending *p, size_t i)
{
    size_t mask = p->cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (p->slots[j].id == 0)
            break;
        size_t home = slot_of(p->slots[j].id, p->cap);
        /* Move j into the hole unless its home lies cyclically in (i, j]. */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            p->slots[i] = p->slots[j];
            i = j;
        }
    }
    p->slots[i].id = 0;
    p->slots[i].desc = NULL;
    p->slots[i].len = 0;
    p->count--;
}

int fl_pending_take(fl_pending *p, uint64_t id, char **desc, size_t *len)
{
    *desc = NULL;
    *len = 0;
    if (p->cap == 0 || id == 0)
        return 0;
    size_t i = find(p, id);
    if (p->slots[i].id != id)
        return 0;
    *desc = p->slots[i].desc;
    *len = p->slots[i].len;
    p->slots[i].desc = NULL;
    remove_at(p, i);
    return 1;
}
