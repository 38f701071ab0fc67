/*
 * pending.h -- descriptions of messages whose fate is not known yet (storage/
 * internal, used by the recorder).
 *
 * The world describes a message when it is sent (on_send) but the `messages` row can
 * only be written when its fate arrives (on_fate), maybe millions of steps later.
 * This is an open-addressing hash map from message id to a copy of the description.
 * It is never iterated in hash order for anything a run can see: ids are the only
 * keys and lookups the only reads.
 */
#ifndef FL_STORAGE_PENDING_H
#define FL_STORAGE_PENDING_H

#include <stddef.h>
#include <stdint.h>

typedef struct fl_pending_slot {
    uint64_t id; /* 0: empty */
    char *desc;  /* owned */
    size_t len;
} fl_pending_slot;

typedef struct fl_pending {
    fl_pending_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} fl_pending;

/* An empty map needs no allocation: `fl_pending p = {0};`. */
void fl_pending_close(fl_pending *p);
/* Remember a copy of desc (len bytes) for message id (> 0), replacing any previous
 * one.  Returns 0 or FL_ENOMEM (the map is unchanged then). */
int fl_pending_put(fl_pending *p, uint64_t id, const char *desc, size_t len);
/* Take the description of id out of the map: the caller frees *desc with free().
 * Returns 1 if found, 0 if not (*desc = NULL). */
int fl_pending_take(fl_pending *p, uint64_t id, char **desc, size_t *len);

#endif /* FL_STORAGE_PENDING_H */
