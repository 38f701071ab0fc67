/*
 * node.c -- the services a protocol calls (core/faultline.h) and a node's life:
 * boot, crash.  Every service acts on the node whose callback is running, within the
 * current step.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/statediff.h"
#include "core/world_impl.h"

int fl_node_id(const fl_node *n)
{
    return n->id;
}

int fl_cluster_size(const fl_node *n)
{
    return n->w->cfg.nodes;
}

void *fl_state(fl_node *n)
{
    return n->state;
}

const void *fl_state_const(const fl_node *n)
{
    return n->state;
}

int64_t fl_now(const fl_node *n)
{
    return n->w->now_ns;
}

uint64_t fl_rand_u64(fl_node *n)
{
    return fl_rng_u64(&n->rng);
}

int64_t fl_rand_range(fl_node *n, int64_t lo, int64_t hi)
{
    return fl_rng_range(&n->rng, lo, hi);
}

int fl_send(fl_node *n, int to, const void *msg, size_t len)
{
    fl_world *w = n->w;
    FL_ASSERT(w->in_step);
    if (to < 1 || to > w->cfg.nodes || len > FL_MAX_MSG_BYTES)
        return FL_EINVAL;
    uint32_t slot;
    int rc = fl_soup_new_msg(w, n->id, to, msg, len, &slot);
    if (rc)
        return rc;
    w->msgs[slot].nth = fl_soup_next_nth(w, n->id, to);
    return fl_world_schedule_delivery(w, slot);
}

static int64_t drifted(const fl_node *n, int64_t after_ns);

/* A sync of this node that is neither pending nor in the future has completed. */
static int sync_done(const fl_node *n, uint64_t sync_id)
{
    const fl_disk *d = &n->disk;
    if (sync_id == 0)
        return 1;
    if (d->npending)
        return sync_id < fl_disk_oldest_sync(d);
    return 1;
}

int fl_send_after_sync(fl_node *n, int to, const void *msg, size_t len, uint64_t sync_id)
{
    fl_world *w = n->w;
    FL_ASSERT(w->in_step);
    if (to < 1 || to > w->cfg.nodes || len > FL_MAX_MSG_BYTES)
        return FL_EINVAL;
    if (sync_id >= n->disk.next_sync_id && sync_id != 0) {
        fl_world_misuse(w, "fl_send_after_sync(node %d, sync %llu): no such sync was requested",
                        n->id, (unsigned long long)sync_id);
        return FL_EINVAL;
    }
    /* Held messages leave in call order: one that is free to go must still wait for
     * those held before it. */
    if (n->nheld == 0 && sync_done(n, sync_id))
        return fl_send(n, to, msg, len);
    if (n->nheld == n->held_cap) {
        uint32_t cap = n->held_cap ? n->held_cap * 2 : 16;
        held_msg *h = realloc(n->held, cap * sizeof *h);
        FL_ASSERT(h != NULL);
        n->held = h;
        n->held_cap = cap;
    }
    void *body = malloc(len ? len : 1);
    FL_ASSERT(body != NULL);
    if (len)
        memcpy(body, msg, len);
    n->held[n->nheld++] = (held_msg){sync_id, to, len, body};
    return 0;
}

void fl_node_release_held(fl_node *n, uint64_t sync_id)
{
    uint32_t i = 0;
    if (n->nheld == 0)
        return; /* the common case: nothing held (and no array to move) */
    while (i < n->nheld && n->held[i].sync_id <= sync_id) {
        held_msg *h = &n->held[i++];
        int rc = fl_send(n, h->to, h->body, h->len);
        FL_ASSERT(rc == 0); /* checked when it was held */
        free(h->body);
    }
    memmove(n->held, n->held + i, (n->nheld - i) * sizeof *n->held);
    n->nheld -= i;
}

static void drop_held(fl_node *n)
{
    for (uint32_t i = 0; i < n->nheld; i++)
        free(n->held[i].body);
    free(n->held);
    n->held = NULL;
    n->nheld = n->held_cap = 0;
}

int64_t fl_node_local_now(const fl_node *n)
{
    int64_t real = n->w->now_ns - n->clock_base_at_ns;
    if (n->drift_ppm == 0)
        return n->clock_base_ns + real;
    /* Timers of a local duration d fire after d * (1 + ppm/10^6) of virtual time, so the
     * local clock runs at 1 / (1 + ppm/10^6): both agree. */
    __int128 v = (__int128)real * 1000000 / (1000000 + n->drift_ppm);
    return n->clock_base_ns + (int64_t)v;
}

int64_t fl_local_now(const fl_node *n)
{
    return fl_node_local_now(n);
}

static int64_t drifted(const fl_node *n, int64_t after_ns)
{
    if (n->drift_ppm == 0)
        return after_ns;
    /* Multiply in 128 bits: a 30 s timer times 10^6 overflows 63 bits otherwise. */
    __int128 v = (__int128)after_ns * (1000000 + n->drift_ppm) / 1000000;
    return v < 0 ? 0 : (int64_t)v;
}

/* Whether timer is one the protocol declared; a misuse of the service if not. */
static inline int timer_ok(fl_node *n, const char *call, int timer)
{
    int declared = n->w->ntimers;
    if (timer >= 0 && timer < declared)
        return 1;
    fl_world_misuse(n->w, "%s(node %d, timer %d): the protocol declares timers 0..%d", call, n->id,
                    timer, declared - 1);
    return 0;
}

void fl_timer_cancel(fl_node *n, int timer)
{
    if (!timer_ok(n, "fl_timer_cancel", timer))
        return;
    n->timer_seq[timer] = TIMER_UNARMED; /* its queued event, if any, is now stale */
}

void fl_timer_set(fl_node *n, int timer, int64_t after_ns)
{
    fl_world *w = n->w;
    if (!timer_ok(n, "fl_timer_set", timer))
        return;
    if (after_ns < 0 || after_ns > INT64_MAX / 2 - w->now_ns) {
        /* a deadline past the end of virtual time would run the clock backwards */
        fl_world_misuse(w, "fl_timer_set(node %d, timer %d, %lld ns): %s", n->id, timer,
                        (long long)after_ns,
                        after_ns < 0 ? "a negative delay" : "a deadline past the end of time");
        return;
    }
    int64_t due = w->drv.timer_due ? w->drv.timer_due(w->drv.ctx, w, n->id, after_ns)
                                   : w->now_ns + drifted(n, after_ns);
    if (due == FL_TIME_NEVER) {
        n->timer_seq[timer] = TIMER_ARMED_HELD;
        return;
    }
    uint32_t index = (uint32_t)n->id * FL_MAX_TIMERS + (uint32_t)timer;
    int rc = fl_evq_push(w->q, due, EV_TAG(EV_TIMER, index), &n->timer_seq[timer]);
    FL_ASSERT(rc == 0); /* the queue's limits are far above what a run can reach */
}

int fl_timer_armed(const fl_node *n, int timer)
{
    if (!timer_ok((fl_node *)n, "fl_timer_armed", timer)) /* notes the misuse only */
        return 0;
    return n->timer_seq[timer] != TIMER_UNARMED;
}

int fl_log_wanted(const fl_node *n)
{
    return fl_stream_wants(&n->w->stream, FL_REC_LOG);
}

void fl_log(fl_node *n, int level, const char *fmt, ...)
{
    fl_world *w = n->w;
    if (!fl_stream_wants(&w->stream, FL_REC_LOG))
        return; /* nobody listens: skip the formatting, it dominates hot loops */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->log_buf, sizeof w->log_buf, fmt, ap);
    va_end(ap);
    fl_world_emit_log(w, n->id, level, w->log_buf);
}

int64_t fl_disk_size(const fl_node *n, int file)
{
    return fl_disk_file_size(&n->disk, file);
}

int fl_disk_append(fl_node *n, int file, const void *buf, size_t len)
{
    int64_t size = fl_disk_file_size(&n->disk, file);
    if (size < 0)
        return (int)size;
    return fl_disk_do_write(&n->disk, file, size, buf, len);
}

int fl_disk_write(fl_node *n, int file, int64_t off, const void *buf, size_t len)
{
    return fl_disk_do_write(&n->disk, file, off, buf, len);
}

/* The corruption fault: a read of durable bytes may come back with one bit flipped,
 * as real disks sometimes do; only a protocol that checksums notices.  Keyed by
 * ("corrupt", node, read index), inside the fault window, so that turning it on moves
 * no sync time or torn write. */
static void maybe_corrupt(fl_node *n, int file, int64_t off, uint8_t *buf, int64_t got)
{
    fl_world *w = n->w;
    const fl_world_config *c = &w->cfg;
    uint64_t read = ++n->reads;
    if (c->corrupt <= 0 || got <= 0 || w->now_ns < c->corrupt_from_ns ||
        (c->corrupt_to_ns > 0 && w->now_ns >= c->corrupt_to_ns))
        return;
    int64_t durable = n->disk.dur[file].size - off; /* bytes of this read that were synced */
    fl_rng r;
    fl_rng_keyed(&r, w->cfg.seed, "corrupt", (uint64_t)n->id, read, 0);
    if (durable <= 0 || !fl_rng_chance(&r, c->corrupt))
        return;
    int64_t at = fl_rng_range(&r, 0, (durable < got ? durable : got) - 1);
    buf[at] ^= (uint8_t)(1u << fl_rng_below(&r, 8));
    w->counts.corrupt_reads++;
}

int64_t fl_disk_read(const fl_node *n, int file, int64_t off, void *buf, size_t len)
{
    int64_t got = fl_disk_do_read(&n->disk, file, off, buf, len);
    /* reading changes nothing a protocol can see but the bytes, hence the cast */
    maybe_corrupt((fl_node *)n, file, off, buf, got);
    return got;
}

int fl_disk_truncate(fl_node *n, int file, int64_t size)
{
    return fl_disk_do_truncate(&n->disk, file, size);
}

uint64_t fl_disk_sync(fl_node *n, int file)
{
    fl_world *w = n->w;
    int64_t id = fl_disk_request_sync(&n->disk, file);
    if (id == FL_EINVAL) {
        fl_world_misuse(w, "fl_disk_sync(node %d, file %d): files are 0..%d", n->id, file,
                        FL_MAX_DISK_FILES - 1);
        return 0;
    }
    FL_ASSERT(id > 0); /* out of memory is fatal */
    if (w->drv.take_sync && w->drv.take_sync(w->drv.ctx, w, n->id, (uint64_t)id))
        return (uint64_t)id;
    /* Syncs of one node complete in request order, like a real device queue.  The
     * latency is keyed by (node, sync id): no other node's syncs move it. */
    fl_rng r;
    fl_rng_keyed(&r, w->cfg.seed, "sync", (uint64_t)n->id, (uint64_t)id, 0);
    int64_t at = w->now_ns + fl_rng_range(&r, w->cfg.disk_sync.min_ns, w->cfg.disk_sync.max_ns);
    if (at < n->last_sync_done_ns)
        at = n->last_sync_done_ns;
    n->last_sync_done_ns = at;
    /* The event names only the node: syncs complete in order, so it is the oldest
     * pending sync of the node's disk. */
    int rc = fl_evq_push(w->q, at, EV_TAG(EV_SYNCED, n->id), NULL);
    FL_ASSERT(rc == 0);
    n->queued_syncs++;
    if (w->sync_hook) /* after the push: an action at `at` then runs after the synced step */
        w->sync_hook(w->sync_ctx, w, n->id, (uint64_t)id, at);
    return (uint64_t)id;
}

void fl_node_boot(fl_node *n)
{
    fl_world *w = n->w;
    const struct fl_protocol *p = w->cfg.protocol;
    FL_ASSERT(!n->up);
    n->state = calloc(1, p->state_size ? p->state_size : 1);
    FL_ASSERT(n->state != NULL);
    for (int t = 0; t < FL_MAX_TIMERS; t++)
        n->timer_seq[t] = TIMER_UNARMED;
    n->up = 1;
    if (w->last_state && w->last_state[n->id])
        fl_statediff_booted(w->last_state[n->id]);
    p->start(n, w->cfg.params);
}

void fl_node_halt(fl_node *n)
{
    const struct fl_protocol *p = n->w->cfg.protocol;
    if (!n->up)
        return;
    if (p->stop)
        p->stop(n);
    for (int t = 0; t < FL_MAX_TIMERS; t++)
        n->timer_seq[t] = TIMER_UNARMED; /* their queued events, if any, are now stale */
    free(n->state);
    n->state = NULL;
    n->up = 0;
    drop_held(n); /* never sent: the crash came before their sync completed */
    /* Every synced event still queued is for a sync the crash discards. */
    n->stale_syncs = n->queued_syncs;
}
