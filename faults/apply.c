/*
 * apply.c -- a schedule's entries as world actions, and the account of their effect.
 *
 * Every entry becomes one action step at its time, scheduled before the run starts in
 * schedule order, so entries at the same time run in file order (the event queue
 * breaks ties by scheduling order).  An action never fails the run: a fault that finds
 * nothing to do (a heal with no partition in place, a timeout on a down node) is
 * traced and counted as reached but not having taken effect.  An entry whose time the
 * run never got to (it stopped at a violation, or the entry lies past its end) is not
 * reached, which is not the same as having had no effect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "faults/apply_int.h"
#include "faults/schedule_int.h"

#define DETAIL_GROUPS_MAX 400 /* the trace shows this much of a partition's groups */

/* Metric names, spelled out so the per-message path does no formatting. */
static const char *const metric_names[FL_FAULT_STAT_COUNT][FL_STAT_COUNT] = {
    {"faults.partition.scheduled", "faults.partition.reached", "faults.partition.effective"},
    {"faults.heal.scheduled", "faults.heal.reached", "faults.heal.effective"},
    {"faults.crash.scheduled", "faults.crash.reached", "faults.crash.effective"},
    {"faults.restart.scheduled", "faults.restart.reached", "faults.restart.effective"},
    {"faults.timeout.scheduled", "faults.timeout.reached", "faults.timeout.effective"},
    {"faults.clock.scheduled", "faults.clock.reached", "faults.clock.effective"},
    {"faults.drop.scheduled", "faults.drop.reached", "faults.drop.effective"},
    {"faults.duplicate.scheduled", "faults.duplicate.reached", "faults.duplicate.effective"},
    {"faults.delay.scheduled", "faults.delay.reached", "faults.delay.effective"},
};

static void metric(fl_faults *f, int kind, int stat, int64_t delta)
{
    fl_world_metric_add_id(f->w, f->mid[kind][stat], delta);
}

/* A message fault is decided when it happens: it is scheduled, reached and effective
 * at once. */
void fl_faults_count_message(fl_faults *f, const fl_msg *m, int kind, int64_t extra_ns)
{
    FL_ASSERT(kind >= FL_FAULT_KIND_COUNT && kind < FL_FAULT_STAT_COUNT);
    for (int stat = 0; stat < FL_STAT_COUNT; stat++)
        metric(f, kind, stat, 1);
    if (f->nhappened == f->happened_cap) {
        size_t ncap = f->happened_cap ? 2 * f->happened_cap : 256;
        fl_msg_happened *nh = realloc(f->happened, ncap * sizeof *nh);
        FL_ASSERT(nh != NULL); /* a few per message sent: out of memory is fatal */
        f->happened = nh;
        f->happened_cap = ncap;
    }
    f->happened[f->nhappened++] = (fl_msg_happened){
        .at_ns = m->sent_ns,
        .m = {.from = m->src, .to = m->dst, .nth = m->nth, .kind = kind, .extra_ns = extra_ns}};
}

const char *const fl_aim_tag_names[FL_AIM_TAG_COUNT] = {
    "leader_crash", "sync_crash", "leader_partition", "restart_partitioned", "storm"};

/* The aimed kind entry i is counted under (its tag), or -1. */
static int tag_of(const fl_faults *f, size_t i)
{
    const char *tag = fl_schedule_entry(f->s, i)->tag;
    for (int t = 0; tag[0] && t < FL_AIM_TAG_COUNT; t++)
        if (f->mid_tag[t][0] >= 0 && strcmp(tag, fl_aim_tag_names[t]) == 0)
            return t;
    return -1;
}

static void count(fl_faults *f, size_t i, int stat)
{
    metric(f, fl_schedule_entry(f->s, i)->kind, stat, 1);
    int t = tag_of(f, i);
    if (t >= 0)
        fl_world_metric_add_id(f->w, f->mid_tag[t][stat], 1);
}

/* Entry i's action ran: the run reached its time. */
static void reached(fl_faults *f, size_t i)
{
    FL_ASSERT(!(f->mark[i] & FL_MARK_REACHED)); /* one action per entry */
    f->mark[i] |= FL_MARK_REACHED;
    count(f, i, FL_STAT_REACHED);
}

void fl_faults_mark_reached(fl_faults *f, size_t i)
{
    reached(f, i);
}

static void took_effect(fl_faults *f, size_t i)
{
    FL_ASSERT(!(f->mark[i] & FL_MARK_EFFECTIVE));
    f->mark[i] |= FL_MARK_EFFECTIVE;
    count(f, i, FL_STAT_EFFECTIVE);
}

/* The "did it bite" figure of entry i, counted once per entry. */
static void bit(fl_faults *f, size_t i, int mid)
{
    if (f->mark[i] & FL_MARK_BIT)
        return;
    f->mark[i] |= FL_MARK_BIT;
    fl_world_metric_add_id(f->w, mid, 1);
}

void fl_faults_mark_cut(fl_faults *f, size_t i)
{
    bit(f, i, f->mid_cut);
}

/* The partition in place is no longer: remember it for messages still in flight. */
static void retire_partition(fl_faults *f, int64_t now)
{
    if (f->cur < 0)
        return;
    if (f->npast == f->past_cap) {
        size_t ncap = f->past_cap ? 2 * f->past_cap : 16;
        fl_past_partition *np = realloc(f->past, ncap * sizeof *np);
        FL_ASSERT(np != NULL); /* bounded by the schedule's length */
        f->past = np;
        f->past_cap = ncap;
    }
    f->past[f->npast++] = (fl_past_partition){(size_t)f->cur, now};
    f->cur = -1;
}

static void set_partition_detail(fl_faults *f, const fl_partition *p)
{
    fl_sbuf b = {0};
    fl_sbuf_putf(&b, "partition(%s) ", p->name);
    fl_sbuf_groups(&b, p, DETAIL_GROUPS_MAX);
    for (size_t k = 0; k < p->nallow && b.len < DETAIL_GROUPS_MAX; k++)
        fl_sbuf_putf(&b, "%s%d->%d", k ? " " : " allow ", (int)p->allow[2 * k],
                     (int)p->allow[2 * k + 1]);
    if (p->nallow && b.len >= DETAIL_GROUPS_MAX)
        fl_sbuf_puts(&b, " ...");
    fl_world_set_detail(f->w, "%s", b.oom ? "partition" : b.buf);
    free(b.buf);
}

static void act_crash(fl_faults *f, const fl_fault *e, size_t i, int node)
{
    fl_world_counts before, after;
    fl_world_counts_get(f->w, &before);
    if (fl_world_crash(f->w, node) != 0) {
        fl_world_set_detail(f->w, "crash %d: already down", node);
        return;
    }
    if (e->sync) {
        took_effect(f, i);
        fl_world_counts_get(f->w, &after);
        uint64_t lost = after.unsynced_bytes_lost - before.unsynced_bytes_lost;
        fl_world_set_detail(f->w, "crash %d %s its sync at %lld ns: lost %llu unsynced bytes", node,
                            e->sync == FL_SYNC_BEFORE ? "just before" : "just after",
                            (long long)f->sync_done[i], (unsigned long long)lost);
        if (lost) {
            fl_world_metric_add_id(f->w, f->mid_lost, (int64_t)lost);
            bit(f, i, f->mid_lost_writes);
        }
        return;
    }
    took_effect(f, i);
    fl_world_counts_get(f->w, &after);
    uint64_t lost = after.unsynced_bytes_lost - before.unsynced_bytes_lost;
    if (lost == 0) {
        fl_world_set_detail(f->w, "crash %d", node);
        return;
    }
    fl_world_set_detail(f->w, "crash %d: lost %llu unsynced bytes", node, (unsigned long long)lost);
    fl_world_metric_add_id(f->w, f->mid_lost, (int64_t)lost);
    bit(f, i, f->mid_lost_writes);
}

/* Put partition entry i in place: as written, or built around its target now. */
static void act_partition(fl_faults *f, const fl_fault *e, size_t i)
{
    const fl_partition *p = e->part;
    if (e->isolate) {
        int node = fl_aim_resolve(f, i, e);
        if (node == 0) {
            fl_world_set_detail(f->w, "partition(%s): no %s node to isolate", e->timer,
                                fl_select_name(e->select));
            return;
        }
        f->target[i] = node;
        f->built[i] = fl_aim_build_partition(f, i, e, node);
        FL_ASSERT(f->built[i] != NULL); /* O(N) once per entry */
        p = f->built[i];
    }
    retire_partition(f, fl_world_now(f->w));
    f->cur = (int64_t)i;
    set_partition_detail(f, p);
    took_effect(f, i);
}

void fl_faults_act(fl_world *w, void *ctx, uint64_t arg)
{
    fl_faults *f = ctx;
    size_t i = (size_t)arg;
    const fl_fault *e = fl_schedule_entry(f->s, i);
    FL_ASSERT(f->w == w);
    reached(f, i);
    fl_aim_look(f);
    int node = 0;
    if (e->kind != FL_FAULT_PARTITION && e->kind != FL_FAULT_HEAL) {
        /* a sync crash's node was bound when its sync was asked for */
        node = e->sync ? f->target[i] : fl_aim_resolve(f, i, e);
        f->target[i] = node;
        if (e->select != FL_SELECT_NONE)
            fl_world_set_step_node(w, node);
        if (node == 0) {
            fl_world_set_detail(w, "%s: no %s node", fl_fault_kind_name(e->kind),
                                fl_select_name(e->select));
            return;
        }
    }
    switch (e->kind) {
    case FL_FAULT_PARTITION:
        act_partition(f, e, i);
        break;
    case FL_FAULT_HEAL:
        fl_world_set_detail(w, f->cur >= 0 ? "heal" : "heal (no partition in place)");
        if (f->cur >= 0)
            took_effect(f, i);
        retire_partition(f, fl_world_now(w));
        break;
    case FL_FAULT_CRASH:
        act_crash(f, e, i, node);
        break;
    case FL_FAULT_RESTART:
        fl_world_set_detail(w, "restart");
        if (fl_world_restart(w, node) == 0)
            took_effect(f, i);
        else
            fl_world_set_detail(w, "restart: already up");
        break;
    case FL_FAULT_TIMEOUT:
        /* fl_world_fire_timer sets the detail to the timer's name. */
        if (fl_world_fire_timer(w, node, f->timer[i]) == 0)
            took_effect(f, i);
        else
            fl_world_set_detail(w, "timeout %d: node is down", node);
        break;
    case FL_FAULT_CLOCK:
        fl_world_set_detail(w, "clock %d drift %+dppm", node, (int)e->ppm);
        if (fl_world_set_drift(w, node, e->ppm) == 0)
            took_effect(f, i);
        break;
    default:
        FL_ASSERT(!"unknown fault kind");
    }
}

static const int step_kind[FL_FAULT_KIND_COUNT] = {
    [FL_FAULT_PARTITION] = FL_STEP_PARTITION, [FL_FAULT_HEAL] = FL_STEP_HEAL,
    [FL_FAULT_CRASH] = FL_STEP_CRASH,         [FL_FAULT_RESTART] = FL_STEP_START,
    [FL_FAULT_TIMEOUT] = FL_STEP_TIMEOUT,     [FL_FAULT_CLOCK] = FL_STEP_SCRIPT,
};

/* Resolve timeout timers and schedule one action per entry. */
static int schedule_entries(fl_faults *f, char *err, size_t cap)
{
    const struct fl_protocol *p = fl_world_protocol(f->w);
    for (size_t i = 0; i < f->len; i++) {
        const fl_fault *e = fl_schedule_entry(f->s, i);
        if (e->kind == FL_FAULT_TIMEOUT) {
            int t = e->timer[0] ? fl_world_timer_index(f->w, e->timer)
                                : (p->timers && p->timers[0] ? 0 : -1);
            if (t < 0) {
                snprintf(err, cap, "schedule[%zu].timer: the protocol %s has no timer \"%s\"",
                         i + 1, p->name, e->timer[0] ? e->timer : "(first)");
                return FL_EINVAL;
            }
            f->timer[i] = (int16_t)t;
        }
        if (e->select == FL_SELECT_LAST_LEADER)
            f->wants_last_leader = 1;
        if (e->sync)
            continue; /* scheduled when a sync of its node comes (aim.c) */
        int node = e->kind == FL_FAULT_PARTITION || e->kind == FL_FAULT_HEAL ? 0 : e->node;
        int rc = fl_world_at(f->w, e->at_ns, step_kind[e->kind], node, fl_faults_act, f, i);
        if (rc != 0) {
            snprintf(err, cap, "schedule[%zu]: cannot schedule at %lld ns: %s", i + 1,
                     (long long)e->at_ns, fl_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* The metrics of the aimed kinds exist, zeros included, when the scenario switches one
 * on or the schedule has a tagged entry; otherwise a run's metrics are as before. */
static void register_tags(fl_faults *f, const fl_schedule *s, const fl_faults_config *cfg)
{
    static const char *const stat[FL_STAT_COUNT] = {"scheduled", "reached", "effective"};
    int any = cfg && fl_faults_config_aimed(cfg);
    for (size_t i = 0; s && !any && i < fl_schedule_len(s); i++)
        any = fl_schedule_entry(s, i)->tag[0] != '\0';
    for (int t = 0; t < FL_AIM_TAG_COUNT; t++)
        for (int k = 0; k < FL_STAT_COUNT; k++) {
            char name[64];
            snprintf(name, sizeof name, "faults.%s.%s", fl_aim_tag_names[t], stat[k]);
            f->mid_tag[t][k] = any ? fl_world_metric_id(f->w, name) : -1;
        }
}

fl_faults *fl_faults_attach(fl_world *w, const fl_schedule *s, const fl_faults_config *cfg,
                            const fl_net_faults *net, char *err, size_t cap)
{
    if (s && fl_schedule_nodes(s) != fl_world_nodes(w)) {
        snprintf(err, cap, "schedule: written for %d nodes, the run has %d", fl_schedule_nodes(s),
                 fl_world_nodes(w));
        return NULL;
    }
    fl_faults *f = calloc(1, sizeof *f);
    size_t len = s ? fl_schedule_len(s) : 0;
    if (!f || !(f->timer = calloc(len + 1, sizeof *f->timer)) || !(f->mark = calloc(len + 1, 1)) ||
        !(f->target = calloc(len + 1, sizeof *f->target)) ||
        !(f->built = calloc(len + 1, sizeof *f->built)) ||
        !(f->sync_done = calloc(len + 1, sizeof *f->sync_done)) ||
        !(f->sync_ids = calloc(len + 1, sizeof *f->sync_ids))) {
        snprintf(err, cap, "faults: out of memory");
        fl_faults_free(f);
        return NULL;
    }
    f->w = w;
    f->s = s;
    f->len = len;
    f->cur = -1;
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++)
        for (int e = 0; e < FL_STAT_COUNT; e++)
            f->mid[k][e] = fl_world_metric_id(w, metric_names[k][e]);
    f->mid_lost = fl_world_metric_id(w, "faults.crash.bytes_lost");
    f->mid_lost_writes = fl_world_metric_id(w, "faults.crash.with_lost_writes");
    f->mid_cut = fl_world_metric_id(w, "faults.partition.with_cut_messages");
    if (net)
        f->net = *net;
    fl_faults_config c = {0};
    if (cfg)
        c = *cfg; /* swarm mode was applied by the caller, once */
    f->win_from_ns = c.window_to_ns > 0 ? c.window_from_ns : 0;
    f->win_to_ns = c.window_to_ns > 0 ? c.window_to_ns : INT64_MAX;
    register_tags(f, s, cfg);
    if (schedule_entries(f, err, cap) != 0) {
        fl_faults_free(f);
        return NULL;
    }
    int arc = fl_aim_attach_syncs(f);
    if (arc != 0) {
        snprintf(err, cap, "schedule: cannot arm its sync crashes: %s", fl_strerror(arc));
        fl_faults_free(f);
        return NULL;
    }
    uint64_t counts[FL_FAULT_KIND_COUNT] = {0};
    if (s)
        fl_schedule_count(s, counts);
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++)
        metric(f, k, FL_STAT_SCHEDULED, k < FL_FAULT_KIND_COUNT ? (int64_t)counts[k] : 0);
    for (size_t i = 0; i < len; i++) {
        int t = tag_of(f, i);
        if (t >= 0)
            fl_world_metric_add_id(w, f->mid_tag[t][FL_STAT_SCHEDULED], 1);
    }
    int64_t quiet =
        s ? fl_schedule_quiet_since(s, c.window_to_ns) : (c.window_to_ns > 0 ? c.window_to_ns : -1);
    if (quiet >= 0)
        fl_world_set_quiet_since(w, quiet);
    fl_faults_policy_install(f);
    return f;
}

void fl_faults_free(fl_faults *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->built && i < f->len; i++)
        fl_partition_free(f->built[i]);
    free(f->built);
    free(f->target);
    free(f->sync_done);
    free(f->sync_ids);
    free(f->sync_entries);
    free(f->sync_state);
    free(f->sync_bound);
    free(f->timer);
    free(f->mark);
    free(f->past);
    free(f->happened);
    free(f->fifo);
    free(f);
}

void fl_faults_stats_get(const fl_faults *f, fl_faults_stats *st)
{
    for (int k = 0; k < FL_FAULT_STAT_COUNT; k++) {
        st->scheduled[k] = (uint64_t)fl_world_metric_value(f->w, f->mid[k][FL_STAT_SCHEDULED]);
        st->reached[k] = (uint64_t)fl_world_metric_value(f->w, f->mid[k][FL_STAT_REACHED]);
        st->effective[k] = (uint64_t)fl_world_metric_value(f->w, f->mid[k][FL_STAT_EFFECTIVE]);
    }
    st->bytes_lost = (uint64_t)fl_world_metric_value(f->w, f->mid_lost);
    st->lost_writes = (uint64_t)fl_world_metric_value(f->w, f->mid_lost_writes);
    st->cut_messages = (uint64_t)fl_world_metric_value(f->w, f->mid_cut);
}

int fl_faults_took_effect(const fl_faults *f, size_t i)
{
    FL_ASSERT(i < f->len);
    return (f->mark[i] & FL_MARK_EFFECTIVE) != 0;
}

int fl_faults_reached(const fl_faults *f, size_t i)
{
    FL_ASSERT(i < f->len);
    return (f->mark[i] & FL_MARK_REACHED) != 0;
}

int fl_faults_each(const fl_faults *f, fl_faults_each_fn fn, void *ctx)
{
    for (size_t i = 0; i < f->len; i++) {
        const fl_fault *e = fl_schedule_entry(f->s, i);
        fl_sbuf b = {0};
        fl_sbuf_entry_resolved(&b, e, f->target[i], f->built[i],
                               f->sync_ids[i]); /* as the run bound it */
        char *spec = b.oom ? NULL : b.buf;
        if (!spec) {
            free(b.buf);
            return FL_ENOMEM;
        }
        fl_faults_row row = {.seq = (uint64_t)i + 1,
                             .at_ns = e->at_ns,
                             .kind = fl_fault_kind_name(e->kind),
                             .spec = spec,
                             .reached = (f->mark[i] & FL_MARK_REACHED) != 0,
                             .took_effect = (f->mark[i] & FL_MARK_EFFECTIVE) != 0};
        fn(ctx, &row);
        free(spec);
    }
    /* then the per-message faults that happened, in send order, as message entries */
    for (size_t i = 0; i < f->nhappened; i++) {
        const fl_msg_happened *h = &f->happened[i];
        char *spec = fl_msg_fault_text(&h->m);
        if (!spec)
            return FL_ENOMEM;
        fl_faults_row row = {.seq = (uint64_t)(f->len + i) + 1,
                             .at_ns = h->at_ns,
                             .kind = fl_fault_kind_name(h->m.kind),
                             .spec = spec,
                             .reached = 1,
                             .took_effect = 1};
        fn(ctx, &row);
        free(spec);
    }
    return 0;
}

const fl_partition *fl_faults_partition_now(const fl_faults *f)
{
    if (f->cur < 0)
        return NULL;
    size_t i = (size_t)f->cur;
    return f->built[i] ? f->built[i] : fl_schedule_entry(f->s, i)->part;
}
