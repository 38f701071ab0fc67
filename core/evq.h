/*
 * evq.h -- the event queue: a priority queue of future events ordered by (time, seq).
 *
 * seq is assigned when an event is pushed and grows by one per push, so events due at
 * the same virtual time run in the order they were scheduled: ties are never left to
 * the data structure.  An event scheduled during a step therefore never runs before an
 * event that was already due at the same time.
 *
 * An event is only a key: its time, its seq and a 28-bit tag whose meaning belongs to
 * the caller (the world packs an event kind and a node, message or action index into
 * it).  Keeping the payload inside the 16-byte key means a push or pop touches nothing
 * but the heap: no slab, no malloc, no second cache miss.  There is no cancellation:
 * the world recognises a re-armed timer's stale event by its seq (see world_impl.h).
 *
 * Layout: a 4-ary min-heap whose four children of a node share one cache line.
 * Limits: 2^36 pushes per queue and 2^31 pending events (FL_ELIMIT beyond).
 */
#ifndef FL_CORE_EVQ_H
#define FL_CORE_EVQ_H

#include <stdint.h>

#define FL_EVQ_TAG_BITS 28
#define FL_EVQ_MAX_TAG ((UINT32_C(1) << FL_EVQ_TAG_BITS) - 1)
#define FL_EVQ_MAX_SEQ (UINT64_C(1) << (64 - FL_EVQ_TAG_BITS))
#define FL_EVQ_MAX_PENDING (UINT32_C(1) << 31)

typedef struct fl_evq fl_evq;

/* A new empty queue, or NULL when out of memory.  Free with fl_evq_free(). */
fl_evq *fl_evq_new(void);
void fl_evq_free(fl_evq *q); /* NULL is a no-op */

/* Schedule an event with `tag` (<= FL_EVQ_MAX_TAG) at time_ns.  Returns 0 and stores
 * its seq in *seq (when seq is not NULL), or FL_ENOMEM / FL_ELIMIT. */
int fl_evq_push(fl_evq *q, int64_t time_ns, uint32_t tag, uint64_t *seq);

/* Remove the earliest event if it is due at or before `limit`: returns 1 and fills
 * *time_ns, *seq and *tag; returns 0 (the queue unchanged) when the queue is empty or
 * its earliest event is later. */
int fl_evq_pop_until(fl_evq *q, int64_t limit, int64_t *time_ns, uint64_t *seq, uint32_t *tag);

/* The time of the earliest event, or INT64_MAX when empty. */
int64_t fl_evq_peek_time(const fl_evq *q);

/* Events pushed and not popped. */
uint32_t fl_evq_pending(const fl_evq *q);

#endif /* FL_CORE_EVQ_H */
