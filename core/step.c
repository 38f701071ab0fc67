/*
 * step.c -- executing steps: the event loop, actions, steps a driver runs directly,
 * the end of a run.
 *
 * Invariants: a step number is consumed only by an event that executes (stale events,
 * of re-armed timers and of syncs a crash discarded, are skipped silently); every step is folded
 * into the digest chain as (step, time, kind, node, peer, message id); the observer
 * runs after every step; the run ends exactly once (fl_world_finish).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/world_impl.h"

static void begin_step(fl_world *w, int kind, int node, int peer)
{
    FL_ASSERT(!w->in_step);
    w->in_step = 1;
    w->step_begun = 0;
    w->cur_kind = kind;
    w->cur_node = node;
    w->cur_peer = peer;
    w->cur_msg_id = 0;
    w->detail[0] = '\0';
    fl_assert_ctx.active = 1;
    fl_assert_ctx.seed = w->cfg.seed;
    fl_assert_ctx.step = w->step;
    fl_assert_ctx.now_ns = w->now_ns;
    if (!w->emit_ready) {
        w->emit_ready = 1;
        FL_ASSERT(fl_world_emit_init(w) == 0);
    }
}

static void run_check(fl_world *w)
{
    const struct fl_protocol *p = w->cfg.protocol;
    if (!p->check || w->outcome != FL_OUTCOME_RUNNING)
        return;
    fl_violation v;
    memset(&v, 0, sizeof v);
    if (p->check(&w->cluster, w->observer, w->cur_node, &v)) {
        w->violation = v;
        w->outcome = FL_OUTCOME_VIOLATION;
        w->fail_step = w->step;
        w->fail_time_ns = w->now_ns;
    }
}

void fl_world_misuse(fl_world *w, const char *fmt, ...)
{
    if (w->misused)
        return;
    w->misused = 1;
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(w->misuse, sizeof w->misuse, "%s, at step %llu (seed %llu)", what,
             (unsigned long long)w->step, (unsigned long long)w->cfg.seed);
}

/* The step's end: the driver's last word, the digest, the state records, the observer,
 * the step's end record.  A failed check ends the run here, after the step's records,
 * so that no caller has to remember to. */
static void end_step(fl_world *w)
{
    if (w->drv.on_step_end)
        w->drv.on_step_end(w->drv.ctx, w);
    w->chain = fl_digest_u64(w->chain, w->step);
    w->chain = fl_digest_u64(w->chain, (uint64_t)w->now_ns);
    w->chain = fl_digest_u64(w->chain, (uint64_t)w->cur_kind << 48 ^
                                           (uint64_t)(uint32_t)w->cur_node << 24 ^
                                           (uint64_t)(uint32_t)w->cur_peer);
    w->chain = fl_digest_u64(w->chain, w->cur_msg_id);
    int emits = (w->stream.wants & FL_REC_PER_STEP) != 0; /* a sweep worker's run: none */
    if (emits) {
        fl_world_emit_state(w, w->cur_node);
        fl_world_emit_begin(w);
    }
    run_check(w);
    if (emits)
        fl_world_emit_step_end(w);
    w->step++;
    w->in_step = 0;
    fl_assert_ctx.active = 0;
    if (w->misused && w->outcome == FL_OUTCOME_RUNNING) {
        w->outcome = FL_OUTCOME_CRASH; /* the protocol's fault, at this step */
        w->fail_step = w->step - 1;
        w->fail_time_ns = w->now_ns;
        fl_world_finish(w, FL_OUTCOME_CRASH, w->misuse);
    }
    if (w->outcome == FL_OUTCOME_VIOLATION)
        fl_world_finish(w, FL_OUTCOME_VIOLATION, NULL);
}

void fl_world_set_detail(fl_world *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->detail, sizeof w->detail, fmt, ap);
    va_end(ap);
}

/* Deliver (or drop, by the receiver's state and the policy) the message in `slot`
 * within the current step, then free it. */
static void deliver_slot(fl_world *w, uint32_t slot)
{
    fl_msg *m = &w->msgs[slot];
    fl_node *n = &w->nodes[m->dst];
    int fate = FL_FATE_DELIVERED;
    if (!n->up)
        fate = FL_FATE_DROPPED_DOWN;
    else if (w->policy.on_deliver && m->src != m->dst)
        fate = w->policy.on_deliver(w->policy.ctx, w, m) ? FL_FATE_DROPPED_PARTITION
                                                         : FL_FATE_DELIVERED;
    w->cur_msg_id = m->id;
    const char *desc = fl_world_msg_desc(w, m);
    if (desc) /* a sink wants descriptions, so it shows details */
        fl_world_set_detail(w, "%s %s", fl_fate_name(fate), desc);
    fl_soup_set_fate(w, m, fate);
    if (fate == FL_FATE_DELIVERED) {
        int src = m->src;
        const void *body = m->body;
        uint32_t len = m->len;
        /* The body stays put while the handler runs (only the slab may move). */
        w->cfg.protocol->on_message(n, src, body, len);
    }
    fl_soup_free_msg(w, slot);
}

static const char *timer_name(const fl_world *w, int timer)
{
    const char *const *t = w->cfg.protocol->timers;
    for (int i = 0; t && t[i]; i++)
        if (i == timer)
            return t[i];
    return "?";
}

static void exec_event(fl_world *w, uint32_t tag)
{
    uint32_t index = tag & EV_INDEX_MAX;
    switch (tag >> EV_INDEX_BITS) {
    case EV_START:
        begin_step(w, FL_STEP_START, (int)index, 0);
        fl_world_set_detail(w, "boot");
        fl_node_boot(&w->nodes[index]);
        break;
    case EV_DELIVER: {
        const fl_msg *m = &w->msgs[index];
        begin_step(w, FL_STEP_DELIVER, m->dst, m->src);
        deliver_slot(w, index);
        break;
    }
    case EV_TIMER: {
        fl_node *n = &w->nodes[index / FL_MAX_TIMERS];
        int timer = (int)(index % FL_MAX_TIMERS);
        begin_step(w, FL_STEP_TIMER, n->id, 0);
        n->timer_seq[timer] = TIMER_UNARMED;
        fl_world_set_detail(w, "%s", timer_name(w, timer));
        w->cfg.protocol->on_timer(n, timer);
        break;
    }
    case EV_SYNCED: {
        fl_node *n = &w->nodes[index];
        uint64_t id = fl_disk_oldest_sync(&n->disk);
        begin_step(w, FL_STEP_SYNCED, n->id, 0);
        fl_world_set_detail(w, "sync %llu", (unsigned long long)id);
        fl_world_complete_sync(w, n->id, id);
        break;
    }
    case EV_ACTION: {
        action a = w->actions[index];
        w->actions[index].next_free = w->action_free;
        w->action_free = index;
        begin_step(w, a.kind, a.node, 0);
        a.fn(w, a.ctx, a.arg);
        break;
    }
    default:
        FL_ASSERT(!"unknown event kind");
    }
    end_step(w);
}

/* Events that no longer apply and are skipped without a step: a timer that was
 * cancelled or re-armed (its seq is not the armed one), and the completion of a sync
 * that a crash discarded (they come before any sync of the new incarnation, since a
 * node's syncs complete in request order). */
static int stale(fl_world *w, uint64_t seq, uint32_t tag)
{
    uint32_t index = tag & EV_INDEX_MAX;
    switch (tag >> EV_INDEX_BITS) {
    case EV_TIMER:
        return w->nodes[index / FL_MAX_TIMERS].timer_seq[index % FL_MAX_TIMERS] != seq;
    case EV_SYNCED: {
        fl_node *n = &w->nodes[index];
        n->queued_syncs--;
        if (n->stale_syncs == 0)
            return 0;
        n->stale_syncs--;
        return 1;
    }
    case EV_ACTION: {
        action *a = &w->actions[index];
        if (!a->skip || !a->skip(a->ctx, a->arg))
            return 0;
        a->next_free = w->action_free;
        w->action_free = index;
        return 1;
    }
    default:
        return 0;
    }
}

/* Pop and execute the next event due at or before `limit`.  Returns 1 if a step ran,
 * 0 if none is due, -1 if the step budget is spent (outcome limit). */
static int run_next(fl_world *w, int64_t limit)
{
    for (;;) {
        int64_t t;
        uint64_t seq;
        uint32_t tag;
        if (!fl_evq_pop_until(w->q, limit, &t, &seq, &tag))
            return 0;
        if (stale(w, seq, tag))
            continue;
        if (w->step >= w->cfg.max_steps) {
            /* the event stays unexecuted: the run ends before it */
            fl_world_finish(w, FL_OUTCOME_LIMIT, "max_steps reached");
            return -1;
        }
        w->now_ns = t;
        exec_event(w, tag);
        return 1;
    }
}

int fl_world_step(fl_world *w)
{
    if (w->outcome != FL_OUTCOME_RUNNING)
        return 0;
    int rc = run_next(w, w->cfg.until_ns);
    if (rc == 0) {
        if (w->now_ns < w->cfg.until_ns)
            w->now_ns = w->cfg.until_ns;
        fl_world_finish(w, FL_OUTCOME_OK, NULL);
    }
    return rc == 1;
}

int fl_world_run(fl_world *w)
{
    while (fl_world_step(w))
        ;
    return w->outcome;
}

/* The in-flight messages keep that fate; fold and report them in id order. */
static void report_in_flight(fl_world *w)
{
    fl_msg **v;
    size_t n = fl_soup_in_flight_sorted(w, &v);
    for (size_t i = 0; i < n; i++) {
        fl_world_fold(w, v[i]->id);
        fl_world_fold(w, FL_FATE_IN_FLIGHT);
        fl_world_emit_fate(w, v[i]);
    }
    free(v);
}

void fl_world_finish(fl_world *w, int outcome, const char *detail)
{
    if (w->finished)
        return;
    w->finished = 1;
    const struct fl_protocol *p = w->cfg.protocol;
    if (outcome == FL_OUTCOME_OK && p->check_end) {
        fl_violation v;
        memset(&v, 0, sizeof v);
        if (p->check_end(&w->cluster, w->observer, &v)) {
            outcome = FL_OUTCOME_LIVENESS;
            w->violation = v;
        }
    }
    if (outcome != FL_OUTCOME_OK && outcome != FL_OUTCOME_VIOLATION &&
        outcome != FL_OUTCOME_LIVENESS) {
        snprintf(w->violation.check, sizeof w->violation.check, "%s",
                 outcome == FL_OUTCOME_DIVERGENCE ? "script"
                 : w->misused                     ? "protocol_error"
                                                  : fl_outcome_name(outcome));
        snprintf(w->violation.detail, sizeof w->violation.detail, "%s", detail ? detail : "");
    }
    if (outcome != FL_OUTCOME_OK && outcome != FL_OUTCOME_VIOLATION && !w->misused) {
        w->fail_step = w->step;
        w->fail_time_ns = w->now_ns;
    }
    w->outcome = outcome;
    if (p->report)
        p->report(&w->cluster, w->observer);
    report_in_flight(w);
    fl_world_metrics_final(w);
}

/* ---- actions ---- */

int fl_world_at(fl_world *w, int64_t t, int kind, int node, fl_action_fn fn, void *ctx,
                uint64_t arg)
{
    return fl_world_at_unless(w, t, kind, node, fn, NULL, ctx, arg);
}

int fl_world_at_unless(fl_world *w, int64_t t, int kind, int node, fl_action_fn fn,
                       fl_action_skip_fn skip, void *ctx, uint64_t arg)
{
    if (t < w->now_ns || kind < 0 || kind >= FL_STEP_KIND_COUNT || node < 0 ||
        node > w->cfg.nodes || !fn)
        return FL_EINVAL;
    uint32_t i;
    if (w->nactions > EV_INDEX_MAX && w->action_free == UINT32_MAX)
        return FL_ELIMIT;
    if (w->action_free != UINT32_MAX) {
        i = w->action_free;
        w->action_free = w->actions[i].next_free;
    } else {
        if (w->nactions == w->actions_cap) {
            uint32_t ncap = w->actions_cap ? w->actions_cap * 2 : 64;
            action *a = realloc(w->actions, ncap * sizeof *a);
            if (!a)
                return FL_ENOMEM;
            w->actions = a;
            w->actions_cap = ncap;
        }
        i = w->nactions++;
    }
    w->actions[i] =
        (action){.fn = fn, .skip = skip, .ctx = ctx, .arg = arg, .kind = kind, .node = node};
    return fl_evq_push(w->q, t, EV_TAG(EV_ACTION, i), NULL);
}

/* ---- driving steps directly ---- */

void fl_world_advance(fl_world *w, int64_t t)
{
    FL_ASSERT(!w->in_step);
    if (t > w->now_ns)
        w->now_ns = t;
}

static void run_due(fl_world *w)
{
    while (w->outcome == FL_OUTCOME_RUNNING && run_next(w, w->now_ns) == 1)
        ;
}

int fl_world_exec(fl_world *w, int kind, int node, int peer, fl_action_fn fn, void *ctx,
                  uint64_t arg)
{
    run_due(w);
    if (w->outcome != FL_OUTCOME_RUNNING)
        return FL_EINVAL;
    if (w->step >= w->cfg.max_steps) {
        fl_world_finish(w, FL_OUTCOME_LIMIT, "max_steps reached");
        return FL_ELIMIT;
    }
    begin_step(w, kind, node, peer);
    fn(w, ctx, arg);
    end_step(w);
    run_due(w);
    return 0;
}

static fl_msg *find_by_id(fl_world *w, uint64_t msg_id, uint32_t *slot)
{
    for (uint32_t s = 0; s < w->nmsgs; s++) {
        fl_msg *m = &w->msgs[s];
        if (m->id == msg_id && m->fate == FL_FATE_IN_FLIGHT && m->held) {
            *slot = s;
            return m;
        }
    }
    return NULL;
}

int fl_world_deliver(fl_world *w, uint64_t msg_id)
{
    uint32_t slot;
    FL_ASSERT(w->in_step);
    if (!find_by_id(w, msg_id, &slot))
        return FL_ENOTFOUND;
    w->cur_node = w->msgs[slot].dst;
    w->cur_peer = w->msgs[slot].src;
    deliver_slot(w, slot);
    return 0;
}

int fl_world_drop(fl_world *w, uint64_t msg_id, int fate)
{
    uint32_t slot;
    FL_ASSERT(w->in_step);
    if (fate <= FL_FATE_DELIVERED || fate >= FL_FATE_COUNT)
        return FL_EINVAL;
    fl_msg *m = find_by_id(w, msg_id, &slot);
    if (!m)
        return FL_ENOTFOUND;
    w->cur_msg_id = m->id;
    fl_soup_set_fate(w, m, fate);
    fl_soup_free_msg(w, slot);
    return 0;
}
