/*
 * raft.c -- the Raft protocol table: start and recovery, timers, client requests, and
 * the flush that ends every callback.
 *
 * Every callback ends in fr_flush(), which does what etcd's Ready loop does between
 * two steps of the state machine: write the hard state if it changed (entries are
 * written as they are appended), request a sync of what was written, release the
 * messages that promised durability once the sync covering them has completed (votes
 * and append acknowledgements: etcd's msgsAfterAppend), let the leader count its own
 * entries once they are synced, and apply newly committed entries to the state machine.
 *
 * Invariant: a message queued by fr_send_durable leaves only after every byte written
 * before it was queued is durable (§5.1: "updated on stable storage before responding
 * to RPCs").  Messages to the node itself (its own vote) are stepped locally at that
 * point, never sent through the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

static const char *const fr_timers[] = {"election", "heartbeat", NULL};

/* ---- sending ---- */

void fr_send(fl_node *n, struct fr_state *s, int to, const struct fr_msg *m)
{
    size_t len = fr_msg_encode(s, m);
    if (len == 0 || fl_send(n, to, s->mbuf, len) != 0)
        fl_log(n, FL_LOG_WARN, "%d could not send %s to %d", s->id, fr_msg_type_name(m->type), to);
}

void fr_send_durable(fl_node *n, struct fr_state *s, int to, const struct fr_msg *m)
{
    /* The message may promise the current term and vote: write them first, so that the
     * sync it waits for covers them. */
    fr_persist_hard_state(n, s);
    int wait = s->wal_dirty || s->nsyncs > 0;
    if (!wait && to != s->id) {
        fr_send(n, s, to, m);
        return;
    }
    size_t len = fr_msg_encode(s, m);
    struct fr_pending *q = fr_grow(s->outq, &s->capout, s->nout + 1, sizeof *q);
    uint8_t *buf = len ? malloc(len) : NULL;
    if (!q || !buf) {
        free(buf);
        if (q)
            s->outq = q;
        fl_log(n, FL_LOG_WARN, "%d out of memory: dropping %s to %d", s->id,
               fr_msg_type_name(m->type), to);
        return;
    }
    s->outq = q;
    memcpy(buf, s->mbuf, len);
    /* Everything written so far is covered by the next sync request if something is
     * unrequested, else by the last request in flight. */
    uint64_t need = 0;
    if (!s->wal_dirty && s->nsyncs > 0)
        need = s->syncs[s->nsyncs - 1].id;
    s->outq[s->nout++] = (struct fr_pending){
        .need = need, .to = to, .len = (uint32_t)len, .buf = buf, .wait = (uint8_t)wait};
}

void fr_reset_election_timer(fl_node *n, struct fr_state *s)
{
    fl_timer_set(n, FR_TIMER_ELECTION, s->rand_election_ns);
}

/* ---- the flush ---- */

static void request_sync(fl_node *n, struct fr_state *s)
{
    struct fr_syncrec *r = fr_grow(s->syncs, &s->capsyncs, s->nsyncs + 1, sizeof *r);
    if (!r) {
        fl_log(n, FL_LOG_WARN, "%d out of memory: sync postponed", s->id);
        return;
    }
    s->syncs = r;
    uint64_t id = fl_disk_sync(n, FR_WAL_FILE);
    s->wal_dirty = 0;
    s->syncs[s->nsyncs++] = (struct fr_syncrec){.id = id, .last = s->last};
    for (size_t i = 0; i < s->nout; i++)
        if (s->outq[i].wait && s->outq[i].need == 0)
            s->outq[i].need = id;
}

/* Syncs complete in request order: the entries they cover become stable. */
static int advance_stable(struct fr_state *s)
{
    uint64_t before = s->stable;
    size_t k = 0;
    while (k < s->nsyncs && s->syncs[k].id <= s->synced_id) {
        if (s->syncs[k].last > s->stable)
            s->stable = s->syncs[k].last;
        k++;
    }
    if (k > 0) {
        memmove(s->syncs, s->syncs + k, (s->nsyncs - k) * sizeof *s->syncs);
        s->nsyncs -= k;
    }
    return s->stable != before;
}

static int ready(const struct fr_state *s, const struct fr_pending *p)
{
    return !p->wait || (p->need != 0 && p->need <= s->synced_id);
}

/* Send (or step, when addressed to self) the first ready message of the queue.  It is
 * taken out of the queue first: stepping it may queue more. */
static int release_one(fl_node *n, struct fr_state *s)
{
    size_t i = 0;
    while (i < s->nout && !ready(s, &s->outq[i]))
        i++;
    if (i == s->nout)
        return 0;
    struct fr_pending p = s->outq[i];
    memmove(s->outq + i, s->outq + i + 1, (s->nout - i - 1) * sizeof *s->outq);
    s->nout--;
    struct fr_msg m;
    if (p.to != s->id)
        fl_send(n, p.to, p.buf, p.len);
    else if (fr_msg_decode(p.buf, p.len, &m) == 0)
        fr_step(n, s, s->id, &m);
    free(p.buf);
    return 1;
}

/* Returns nonzero when it changed something that may need another persist round. */
static int release(fl_node *n, struct fr_state *s)
{
    int did = 0;
    if (advance_stable(s) && s->role == FR_LEADER && fr_maybe_commit(s)) {
        fr_bcast_append(n, s); /* the leader's own entries count once synced */
        did = 1;
    }
    size_t budget = s->nout;
    while (budget-- > 0 && release_one(n, s))
        did = 1;
    return did;
}

/* etcd's raft.node lines: a node tells when it learns or loses its leader. */
static void report_leader(fl_node *n, struct fr_state *s)
{
    if (s->lead == s->reported_lead)
        return;
    unsigned long long t = s->term;
    if (s->reported_lead == 0)
        fl_log(n, FL_LOG_INFO, "raft.node: %d elected leader %d at term %llu", s->id, s->lead, t);
    else if (s->lead == 0)
        fl_log(n, FL_LOG_INFO, "raft.node: %d lost leader %d at term %llu", s->id, s->reported_lead,
               t);
    else
        fl_log(n, FL_LOG_INFO, "raft.node: %d changed leader from %d to %d at term %llu", s->id,
               s->reported_lead, s->lead, t);
    s->reported_lead = s->lead;
}

void fr_flush(fl_node *n, struct fr_state *s)
{
    /* Each round persists, syncs and releases; a release can advance the leader's
     * commit, which changes the hard state again.  Two rounds settle it; the bound
     * keeps the loop finite whatever happens. */
    for (int round = 0; round < 4; round++) {
        fr_persist_hard_state(n, s);
        if (s->wal_dirty)
            request_sync(n, s);
        if (!release(n, s))
            break;
    }
    fr_apply(n, s);
    report_leader(n, s);
}

/* ---- callbacks ---- */

static void fr_start(fl_node *n, const cJSON *params)
{
    struct fr_state *s = fl_state(n);
    char err[256];
    s->id = fl_node_id(n);
    s->n = fl_cluster_size(n);
    s->started_ns = fl_now(n);
    if (fr_params_parse(params, &s->p, err, sizeof err) != 0) {
        fl_log(n, FL_LOG_WARN, "%d bad params (%s): using defaults", s->id, err);
        fr_params_parse(NULL, &s->p, err, sizeof err);
    }
    fr_wal_recover(n, s, params);
    fl_log(n, FL_LOG_INFO, "%d switched to configuration voters=()", s->id);
    fr_become_follower(n, s, s->term, 0);
    fl_log(n, FL_LOG_INFO,
           "newRaft %d [peers: [], term: %llu, commit: %llu, applied: 0, "
           "lastindex: %llu, lastterm: %llu]",
           s->id, (unsigned long long)s->term, (unsigned long long)s->commit,
           (unsigned long long)s->last, (unsigned long long)fr_last_term(s));
    fr_flush(n, s);
}

static void fr_stop(fl_node *n)
{
    struct fr_state *s = fl_state(n);
    fr_log_free(s);
    fr_sm_free(s);
    fr_logtext_free(s);
    for (size_t i = 0; i < s->nout; i++)
        free(s->outq[i].buf);
    free(s->outq);
    free(s->syncs);
    free(s->votes);
    free(s->prs);
    free(s->scratch);
    free(s->mbuf);
    memset(s, 0, sizeof *s);
}

static void fr_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    struct fr_state *s = fl_state(n);
    struct fr_msg m;
    if (fr_msg_decode(msg, len, &m) != 0) {
        fl_log(n, FL_LOG_WARN, "%d dropped a malformed message from %d (%zu bytes)", s->id, from,
               len);
        return;
    }
    fr_step(n, s, from, &m);
    fr_flush(n, s);
}

/* §5.2: a follower or candidate that hears nothing for an election timeout starts an
 * election; a leader ignores the timer (a forced timeout can still fire it). */
static void on_election_timeout(fl_node *n, struct fr_state *s)
{
    if (s->role == FR_LEADER) {
        fl_log(n, FL_LOG_INFO, "%d ignoring MsgHup because already leader", s->id);
        return;
    }
    fl_log(n, FL_LOG_INFO, "%d is starting a new election at term %llu", s->id,
           (unsigned long long)s->term);
    fr_campaign(n, s);
}

static void fr_on_timer(fl_node *n, int timer)
{
    struct fr_state *s = fl_state(n);
    if (timer == FR_TIMER_ELECTION) {
        on_election_timeout(n, s);
    } else if (s->role == FR_LEADER) {
        fr_bcast_heartbeat(n, s);
        fl_timer_set(n, FR_TIMER_HEARTBEAT, s->p.heartbeat_ns);
    } else {
        fl_log(n, FL_LOG_DEBUG, "%d ignoring heartbeat timeout: not leader", s->id);
    }
    fr_flush(n, s);
}

static void fr_on_synced(fl_node *n, uint64_t sync_id)
{
    struct fr_state *s = fl_state(n);
    if (sync_id > s->synced_id)
        s->synced_id = sync_id;
    fr_flush(n, s);
}

/* A client request is a local MsgProp (etcd's Propose): the leader appends it, a
 * follower forwards it, a candidate drops it. */
static void fr_on_client(fl_node *n, const void *op, size_t len)
{
    struct fr_state *s = fl_state(n);
    if (len > FR_MAX_ENTRY_BYTES) {
        fl_log(n, FL_LOG_WARN, "%d dropping proposal of %zu bytes (limit %d)", s->id, len,
               FR_MAX_ENTRY_BYTES);
        return;
    }
    uint8_t ent[FR_MSG_ENTRY_HEADER + FR_MAX_ENTRY_BYTES];
    struct fr_msg m = {.type = FR_MSG_PROP, .nent = 1, .ents = ent};
    m.ents_len = fr_msg_entry_encode(ent, 0, FR_ENTRY_NORMAL, op, (uint32_t)len);
    fr_step(n, s, s->id, &m);
    fr_flush(n, s);
}

/* What the swarm nemesis may draw per seed ("faults": {"swarm_params": true}): the
 * cluster size, how many entries an append carries (1 is the Figure 8 setting, so it is
 * drawn log-uniformly: as likely as 33..64) and the election timeout (the heartbeat
 * stays the scenario's, below the shortest of them). */
static const struct fl_param_range fr_param_ranges[] = {
    {"nodes", FL_PARAM_INT, 3, 7},
    {"max_entries_per_msg", FL_PARAM_INT | FL_PARAM_LOG, 1, 64},
    {"election_timeout", FL_PARAM_DURATION, 100 * FL_MS, 300 * FL_MS},
    {NULL, 0, 0, 0},
};

const struct fl_protocol fl_proto_raft = {
    .api_version = FL_API_VERSION,
    .name = "raft",
    .timers = fr_timers,
    .bugs = fr_bug_names,
    .params_doc = fr_params_doc,
    .state_size = sizeof(struct fr_state),
    .observer_size = FL_RAFT_OBSERVER_SIZE,
    .configure = fr_configure,
    .start = fr_start,
    .stop = fr_stop,
    .on_message = fr_on_message,
    .on_timer = fr_on_timer,
    .on_synced = fr_on_synced,
    .on_client = fr_on_client,
    .on_client_op = fr_on_client_op,
    .snapshot = fr_snapshot,
    .describe = fr_describe,
    .check = fr_check,
    .check_end = fr_check_end,
    .report = fl_raft_report,
    .observer_free = fl_raft_observer_free,
    .param_ranges = fr_param_ranges,
};
