/*
 * craft.c -- the canonical-raft protocol table: libraft started on each node, its
 * ticks, messages, disk completions and client requests, and the flush that ends every
 * callback.
 *
 * libraft runs unmodified.  The adapter writes one field of struct raft (public in
 * raft.h): a forced election timeout (the scenario's `timeout` fault) backdates
 * election_timer_start, so that the next tick finds the timer expired, as it would
 * after a long pause; libraft 0.15 has no call that starts an election.
 *
 * Every configuration is the cluster's nodes, all voters, bootstrapped on every node's
 * empty disk (entry 1 at term 1, as libraft's docs do it).  Client ops go through
 * raft_apply on the leader; a follower forwards them to the leader it knows (a Propose
 * message), else drops them, as our Raft does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/canonical-raft/craft.h"

static const char *const cr_timers[] = {"election", "tick", NULL};

/* libraft's tracer, through fl_log: the default one reads the environment and the real
 * clock.  Only on when someone reads the logs, since libraft formats every line. */
static void tracer_emit(struct raft_tracer *t, const char *file, int line, const char *message)
{
    struct cr_state *s = t->impl;
    const char *base = strrchr(file, '/');
    fl_log(s->node, FL_LOG_DEBUG, "%d libraft %s:%d %s", s->id, base ? base + 1 : file, line,
           message);
}

/* Entering from faultline: the node of this callback, and whether to trace. */
static struct cr_state *enter(fl_node *n)
{
    struct cr_state *s = fl_state(n);
    s->node = n;
    s->tracer.enabled = fl_log_wanted(n);
    return s;
}

void cr_flush(struct cr_state *s)
{
    /* Completions may send again; each round takes what was queued before it. */
    for (int round = 0; s->nsent > 0 && round < 1000; round++) {
        size_t k = s->nsent;
        for (size_t i = 0; i < k; i++)
            s->sent[i].cb(s->sent[i].req, 0);
        memmove(s->sent, s->sent + k, (s->nsent - k) * sizeof *s->sent);
        s->nsent -= k;
    }
    if (s->running && raft_last_index(&s->raft) != s->last)
        fl_log(s->node, FL_LOG_WARN, "%d adapter: libraft's log ends at %llu, the disk's at %llu",
               s->id, raft_last_index(&s->raft), (unsigned long long)s->last);
}

static int bootstrap(struct cr_state *s)
{
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    int rv = 0;
    for (int id = 1; id <= s->n && rv == 0; id++)
        rv = raft_configuration_add(&conf, (raft_id)id, cr_addr(s, id), RAFT_VOTER);
    if (rv == 0)
        rv = raft_bootstrap(&s->raft, &conf);
    raft_configuration_close(&conf);
    return rv;
}

static void cr_start(fl_node *n, const cJSON *params)
{
    struct cr_state *s = fl_state(n);
    char err[256];
    s->node = n;
    s->id = fl_node_id(n);
    s->n = fl_cluster_size(n);
    s->started_ns = fl_now(n);
    if (cr_params_parse(params, &s->p, err, sizeof err) != 0)
        cr_params_parse(NULL, &s->p, err, sizeof err);
    s->addrs = calloc((size_t)s->n, 12);
    if (!s->addrs) {
        fl_log(n, FL_LOG_WARN, "%d out of memory: not starting", s->id);
        return;
    }
    for (int id = 1; id <= s->n; id++)
        snprintf(s->addrs + (size_t)(id - 1) * 12, 12, "%d", id);
    cr_io_init(s);
    cr_fsm_init(s);
    s->tracer = (struct raft_tracer){.impl = s, .enabled = fl_log_wanted(n), .emit = tracer_emit};
    cr_disk_load(s);
    if (raft_init(&s->raft, &s->io, &s->fsm, (raft_id)s->id, cr_addr(s, s->id)) != 0) {
        fl_log(n, FL_LOG_WARN, "%d raft_init: %s", s->id, raft_errmsg(&s->raft));
        return;
    }
    s->raft.tracer = &s->tracer;
    raft_set_election_timeout(&s->raft, s->p.election_ms);
    raft_set_heartbeat_timeout(&s->raft, s->p.heartbeat_ms);
    raft_set_snapshot_threshold(&s->raft, CR_MAX_LOG); /* snapshots off */
    raft_set_pre_vote(&s->raft, s->p.pre_vote);
    s->inited = 1;
    int rv = s->term == 0 && s->last == 0 ? bootstrap(s) : 0;
    if (rv == 0)
        rv = raft_start(&s->raft);
    if (rv != 0) {
        fl_log(n, FL_LOG_WARN, "%d raft_start: %s (%s)", s->id, raft_strerror(rv),
               raft_errmsg(&s->raft));
    } else {
        s->running = 1;
    }
    cr_flush(s);
}

static void cr_stop(fl_node *n)
{
    struct cr_state *s = enter(n);
    if (s->inited)
        raft_close(&s->raft, NULL); /* the io's close runs the callback at once */
    cr_disk_free(s);
    cr_sm_free(s);
    cr_logtext_free(s);
    free(s->appends);
    free(s->sent);
    free(s->mbuf);
    free(s->addrs);
    memset(s, 0, sizeof *s);
}

/* A client op on this node: the leader applies it, a follower forwards it. */
static void apply_cb(struct raft_apply *req, int status, void *result)
{
    raft_free(req);
}

static void propose(struct cr_state *s, const void *op, size_t len, unsigned hops)
{
    if (!s->running || len > CR_MAX_ENTRY_BYTES)
        return;
    if (raft_state(&s->raft) != RAFT_LEADER) {
        raft_id lead = 0;
        const char *addr = NULL;
        raft_leader(&s->raft, &lead, &addr);
        size_t mlen = 0;
        if (lead == 0 || (int)lead == s->id || hops >= CR_MAX_FORWARD_HOPS ||
            (mlen = cr_msg_encode_propose(s, hops + 1, op, len)) == 0) {
            fl_log(s->node, FL_LOG_INFO, "%d no leader: dropping proposal", s->id);
            return;
        }
        fl_send_after_sync(s->node, (int)lead, s->mbuf, mlen, s->meta_sync);
        return;
    }
    struct raft_apply *req = raft_malloc(sizeof *req);
    struct raft_buffer buf = {raft_malloc(len ? len : 1), len};
    if (!req || !buf.base) {
        raft_free(req);
        raft_free(buf.base);
        return;
    }
    memcpy(buf.base, op, len);
    int rv = raft_apply(&s->raft, req, &buf, 1, apply_cb);
    if (rv != 0) {
        fl_log(s->node, FL_LOG_INFO, "%d raft_apply: %s", s->id, raft_strerror(rv));
        raft_free(req);
        if (rv == RAFT_NOTLEADER) /* otherwise libraft's log took the buffer */
            raft_free(buf.base);
    }
}

static void cr_on_client(fl_node *n, const void *op, size_t len)
{
    struct cr_state *s = enter(n);
    propose(s, op, len, 0);
    cr_flush(s);
}

static void cr_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    struct cr_state *s = enter(n);
    struct raft_message m;
    unsigned hops = 0;
    const void *op = NULL;
    size_t oplen = 0;
    int rc = cr_msg_decode(s, from, msg, len, &m, &hops, &op, &oplen);
    if (rc < 0) {
        fl_log(n, FL_LOG_WARN, "%d dropped a malformed message from %d (%zu bytes)", s->id, from,
               len);
    } else if (rc == 1) {
        propose(s, op, oplen, hops);
    } else if (s->running) {
        s->checking = s->p.fix_result_last && m.type == RAFT_IO_APPEND_ENTRIES;
        s->checked_last = m.append_entries.prev_log_index + m.append_entries.n_entries;
        s->recv_cb(&s->io, &m); /* libraft owns the entries from here */
        s->checking = 0;
    } else if (m.type == RAFT_IO_APPEND_ENTRIES && m.append_entries.n_entries > 0) {
        raft_free(m.append_entries.entries[0].batch);
        raft_free(m.append_entries.entries);
    }
    cr_flush(s);
}

static void cr_on_timer(fl_node *n, int timer)
{
    struct cr_state *s = enter(n);
    if (!s->running)
        return;
    if (timer == CR_TIMER_TICK) {
        s->tick_cb(&s->io);
        fl_timer_set(n, CR_TIMER_TICK, (int64_t)s->p.heartbeat_ms * FL_MS);
    } else if (raft_state(&s->raft) == RAFT_LEADER) {
        fl_log(n, FL_LOG_INFO, "%d ignoring a forced election timeout: leader", s->id);
    } else {
        /* Backdate the election timer past its randomized timeout (follower and
         * candidate keep it at the same place of the union). */
        unsigned t = s->raft.follower_state.randomized_election_timeout;
        s->raft.election_timer_start = s->io.time(&s->io) - t;
        fl_log(n, FL_LOG_INFO, "%d forced election timeout at term %llu", s->id,
               s->raft.current_term);
        s->tick_cb(&s->io);
    }
    cr_flush(s);
}

static void cr_on_synced(fl_node *n, uint64_t sync_id)
{
    struct cr_state *s = enter(n);
    cr_io_synced(s, sync_id);
    cr_flush(s);
}

/* libraft's configurationEncode leaves padding bytes of the configuration entry
 * uninitialised, and they go to the disk and the network: a zeroing heap makes every
 * allocation's bytes defined, hence the same in every run.  Set once per process; the
 * heap has no state of its own. */
static void *heap_malloc(void *data, size_t size)
{
    return calloc(1, size ? size : 1);
}
static void heap_free(void *data, void *ptr)
{
    free(ptr);
}
static void *heap_calloc(void *data, size_t nmemb, size_t size)
{
    return calloc(nmemb ? nmemb : 1, size ? size : 1);
}
static void *heap_realloc(void *data, void *ptr, size_t size)
{
    return realloc(ptr, size); /* libraft's grown arrays are filled before being read */
}
static void *heap_aligned_alloc(void *data, size_t alignment, size_t size)
{
    void *p = aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
    if (p)
        memset(p, 0, size);
    return p;
}
static void heap_aligned_free(void *data, size_t alignment, void *ptr)
{
    free(ptr);
}

static struct raft_heap zeroing_heap = {
    .malloc = heap_malloc,
    .free = heap_free,
    .calloc = heap_calloc,
    .realloc = heap_realloc,
    .aligned_alloc = heap_aligned_alloc,
    .aligned_free = heap_aligned_free,
};

static int cr_process_init(char *err, size_t cap)
{
    raft_heap_set(&zeroing_heap);
    return 0;
}

/* The ranges the swarm nemesis may draw per seed (API version 4), as our Raft's. */
static const struct fl_param_range cr_param_ranges[] = {
    {"nodes", FL_PARAM_INT, 3, 7},
    {"max_entries_per_msg", FL_PARAM_INT | FL_PARAM_LOG, 1, 64},
    {"election_timeout", FL_PARAM_DURATION, 100 * FL_MS, 300 * FL_MS},
    {NULL, 0, 0, 0},
};

const struct fl_protocol fl_proto_canonical_raft = {
    .api_version = FL_API_VERSION,
    .name = "canonical-raft",
    .timers = cr_timers,
    .params_doc = cr_params_doc,
    .state_size = sizeof(struct cr_state),
    .observer_size = sizeof(struct cr_obs),
    .configure = cr_configure,
    .start = cr_start,
    .stop = cr_stop,
    .on_message = cr_on_message,
    .on_timer = cr_on_timer,
    .on_synced = cr_on_synced,
    .on_client = cr_on_client,
    .snapshot = cr_snapshot,
    .describe = cr_describe,
    .check = cr_check,
    .check_end = cr_check_end,
    .report = cr_report,
    .observer_free = cr_observer_free,
    .process_init = cr_process_init,
    .param_ranges = cr_param_ranges,
};
