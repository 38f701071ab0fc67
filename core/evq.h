/*
 * evq.h -- the event queue: a priority queue of future events ordered by (time, seq).
 *
 * seq is assigned when an event is pushed and grows by one per push, so events due at
 * the same virtual time run in the order they were scheduled: ties are never left to
 * the data structure.  An event scheduled during a step therefore never runs before an
 * event that was already due at the same time.
 *
 * Layout: a 4-ary min-heap of 16-byte keys {time, seq << 24 | slot} over a slab of
 * event payloads recycled through a free list, so a steady-state push or pop does no
 * malloc.  Cancellation is lazy: a cancelled event keeps its heap key until it reaches
 * the top, where it is discarded; its slot is recycled then.  Limits: 2^24 - 1 pending
 * events and 2^40 pushes per queue (FL_ELIMIT beyond).
 */
#ifndef FL_CORE_EVQ_H
#define FL_CORE_EVQ_H

#include <stdint.h>

#define FL_EVQ_MAX_PENDING ((1u << 24) - 1)
#define FL_EVQ_MAX_SEQ (UINT64_C(1) << 40)

/* An event; the meaning of kind, aux, node, gen and ref belongs to the caller (the
 * world).  time_ns and seq are filled in by fl_evq_pop(). */
typedef struct fl_event {
    int64_t time_ns;
    uint64_t seq;
    uint16_t kind;
    uint16_t aux; /* e.g. a timer index */
    int32_t node;
    uint32_t gen; /* e.g. the node's incarnation, to recognise stale events */
    uint64_t ref; /* e.g. a message slot or a sync id */
} fl_event;

typedef struct fl_evq fl_evq;
typedef uint32_t fl_evq_id; /* names a pending event, for cancellation */

#define FL_EVQ_NONE UINT32_MAX

/* A new empty queue, or NULL when out of memory.  Free with fl_evq_free(). */
fl_evq *fl_evq_new(void);
void fl_evq_free(fl_evq *q);

/* Schedule ev at ev->time_ns (ev->seq is assigned here).  Returns 0 and stores the
 * event's id in *id (when id is not NULL), or FL_ENOMEM / FL_ELIMIT. */
int fl_evq_push(fl_evq *q, const fl_event *ev, fl_evq_id *id);

/* Cancel a pending event: it will never be popped.  The id must name an event that is
 * pending (pushed, not yet popped or cancelled). */
void fl_evq_cancel(fl_evq *q, fl_evq_id id);

/* Remove the earliest pending event into *ev.  Returns 1, or 0 when empty. */
int fl_evq_pop(fl_evq *q, fl_event *ev);

/* Like fl_evq_pop, but only an event due at or before `limit`: returns 0 (and leaves
 * the queue as it is) when the earliest is later.  Cheaper than peek + pop. */
int fl_evq_pop_until(fl_evq *q, int64_t limit, fl_event *ev);

/* The time of the earliest pending event, or INT64_MAX when empty.  Discards
 * cancelled events on top, hence not const. */
int64_t fl_evq_peek_time(fl_evq *q);

/* Events pushed and neither popped nor cancelled. */
uint32_t fl_evq_pending(const fl_evq *q);

#endif /* FL_CORE_EVQ_H */
