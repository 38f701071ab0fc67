/*
 * policy.c -- the network policy: what happens to each message (see apply.h).
 *
 * Determinism: every random choice about a message is keyed by its identity (src, dst,
 * nth: its index among the original sends on that link), never drawn from a shared
 * stream, so removing one fault moves no other message's fate (digest epoch 2).  A
 * format-2 schedule's message entries replace the seed's decisions about the messages
 * they name ("messages": "only": about every message).  The fifo map is a hash table,
 * but it is only ever looked up by key, never iterated, so its layout cannot leak into
 * a run.
 *
 * Partitions at delivery: a message is cut when the partition in place now cuts its
 * pair, or when any partition that ended after the message was sent did (those are
 * the last few entries of `past`, which is ordered by end time), so a partition that
 * came and went while a message was on the wire still takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/rng.h"
#include "faults/apply_int.h"

static const fl_partition *part_of(const fl_faults *f, size_t i)
{
    const fl_fault *e = fl_schedule_entry(f->s, i);
    FL_ASSERT(e->kind == FL_FAULT_PARTITION);
    return f->built[i] ? f->built[i] : e->part; /* an isolate partition: as it was built */
}

/* ---- fifo links ---- */

static size_t slot_of(uint64_t key, size_t cap)
{
    /* Fibonacci hashing of a key made only of node ids: deterministic everywhere. */
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static fl_fifo_slot *fifo_find(fl_faults *f, uint64_t key)
{
    if (2 * (f->fifo_len + 1) > f->fifo_cap) {
        size_t ncap = f->fifo_cap ? 2 * f->fifo_cap : 64;
        fl_fifo_slot *nt = calloc(ncap, sizeof *nt);
        FL_ASSERT(nt != NULL); /* one slot per talking pair: out of memory is fatal */
        for (size_t i = 0; i < f->fifo_cap; i++) {
            if (!f->fifo[i].key)
                continue;
            size_t j = slot_of(f->fifo[i].key, ncap);
            while (nt[j].key)
                j = (j + 1) & (ncap - 1);
            nt[j] = f->fifo[i];
        }
        free(f->fifo);
        f->fifo = nt;
        f->fifo_cap = ncap;
    }
    size_t j = slot_of(key, f->fifo_cap);
    while (f->fifo[j].key && f->fifo[j].key != key)
        j = (j + 1) & (f->fifo_cap - 1);
    if (!f->fifo[j].key) {
        f->fifo[j].key = key;
        f->fifo[j].last_ns = INT64_MIN;
        f->fifo_len++;
    }
    return &f->fifo[j];
}

/* Delay m just enough that it does not overtake the message sent before it on the same
 * link.  Needs the drawn delivery time: m->deliver_ns >= 0 at send (the world draws the
 * link latency before calling the policy and adds extra_delay_ns after it). */
static void keep_order(fl_faults *f, const fl_msg *m, fl_net_verdict *v)
{
    if (m->deliver_ns < 0)
        return;
    fl_fifo_slot *s = fifo_find(f, (uint64_t)(uint32_t)m->src << 32 | (uint32_t)m->dst);
    int64_t at = m->deliver_ns + v->extra_delay_ns;
    if (at < s->last_ns) {
        v->extra_delay_ns += s->last_ns - at;
        at = s->last_ns;
    }
    /* Equal times are fine: the event queue keeps send order among them. */
    s->last_ns = at;
}

/* ---- the policy ---- */

/* The seed's per-message faults for m.  Every draw comes from a generator keyed by the
 * message's identity (src, dst, nth): the three chances drawn whatever is on, in a fixed
 * order, and the extra delay last, so that a message's fate depends on nothing but the
 * seed and its identity. */
static void seeded_faults(fl_faults *f, fl_world *w, const fl_msg *m, fl_net_verdict *v)
{
    fl_rng r;
    fl_rng_keyed(&r, fl_world_seed(w), "message",
                 (uint64_t)(uint32_t)m->src << 32 | (uint32_t)m->dst, m->nth, 0);
    double u_drop = fl_rng_unit(&r), u_dup = fl_rng_unit(&r), u_spike = fl_rng_unit(&r);
    if (f->net.drop > 0 && u_drop < f->net.drop) {
        v->drop = FL_FATE_DROPPED_LOSS;
        fl_faults_count_message(f, m, FL_FAULT_DROP, 0);
        return;
    }
    /* A fifo link is a stream (think TCP): it neither reorders nor duplicates. */
    if (f->net.duplicate > 0 && !f->net.fifo && u_dup < f->net.duplicate) {
        v->duplicates = 1;
        fl_faults_count_message(f, m, FL_FAULT_DUPLICATE, 0);
    }
    if (f->net.spike > 0 && f->net.spike_delay.max_ns > 0 && u_spike < f->net.spike) {
        int64_t lo = f->net.spike_delay.min_ns, hi = f->net.spike_delay.max_ns;
        v->extra_delay_ns = fl_rng_range(&r, lo < 0 ? 0 : lo > hi ? hi : lo, hi);
        fl_faults_count_message(f, m, FL_FAULT_DELAY, v->extra_delay_ns);
    }
}

/* The schedule's message entries for m, in place of the seed's decisions about it, at
 * any time (not only inside the window: an entry names one message exactly).  A fifo
 * link never duplicates, so a duplicate entry has no effect there. */
static void scheduled_faults(fl_faults *f, const fl_msg *m, const fl_msg_decision *d,
                             fl_net_verdict *v)
{
    if (d->drop) {
        v->drop = FL_FATE_DROPPED_LOSS;
        fl_faults_count_message(f, m, FL_FAULT_DROP, 0);
        return;
    }
    if (d->duplicate && !f->net.fifo) {
        v->duplicates = 1;
        fl_faults_count_message(f, m, FL_FAULT_DUPLICATE, 0);
    }
    if (d->delay) {
        v->extra_delay_ns = d->extra_ns;
        fl_faults_count_message(f, m, FL_FAULT_DELAY, d->extra_ns);
    }
}

static void on_send(void *ctx, fl_world *w, const fl_msg *m, fl_net_verdict *v)
{
    fl_faults *f = ctx;
    if (f->cur >= 0 && fl_partition_cuts(part_of(f, (size_t)f->cur), m->src, m->dst)) {
        v->drop = FL_FATE_DROPPED_PARTITION;
        fl_faults_mark_cut(f, (size_t)f->cur);
        return;
    }
    int64_t now = fl_world_now(w);
    fl_msg_decision d;
    if (f->s && fl_schedule_msg_decision(f->s, m->src, m->dst, m->nth, &d))
        scheduled_faults(f, m, &d, v);
    else if (!(f->s && fl_schedule_messages_only(f->s)) && now >= f->win_from_ns &&
             now < f->win_to_ns)
        seeded_faults(f, w, m, v);
    if (f->net.fifo)
        keep_order(f, m, v);
}

static int on_deliver(void *ctx, fl_world *w, const fl_msg *m)
{
    fl_faults *f = ctx;
    (void)w;
    if (f->cur >= 0 && fl_partition_cuts(part_of(f, (size_t)f->cur), m->src, m->dst)) {
        fl_faults_mark_cut(f, (size_t)f->cur);
        return FL_FATE_DROPPED_PARTITION;
    }
    for (size_t k = f->npast; k-- > 0;) {
        if (f->past[k].to_ns <= m->sent_ns)
            break;
        if (fl_partition_cuts(part_of(f, f->past[k].entry), m->src, m->dst)) {
            fl_faults_mark_cut(f, f->past[k].entry);
            return FL_FATE_DROPPED_PARTITION;
        }
    }
    return 0;
}

void fl_faults_policy_install(fl_faults *f)
{
    fl_netpolicy p = {.ctx = f, .on_send = on_send, .on_deliver = on_deliver};
    fl_world_set_policy(f->w, &p);
}
