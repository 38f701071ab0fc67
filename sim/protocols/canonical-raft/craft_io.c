/*
 * craft_io.c -- struct raft_io on faultline: libraft's disk, network, clock and
 * randomness are the node's.
 *
 * The contract libraft 0.15 expects of an io (raft.h, and its libuv backend's
 * behaviour), and how each part is met here:
 *   load       the metadata and the log, read at start (craft_disk.c), entries in one
 *              batch as the fixture backend gives them
 *   bootstrap  fails unless the disk is empty; writes entry 1 (the configuration) and
 *              term 1, and starts their syncs
 *   set_term, set_vote  "durable when they return": written, a sync started, and every
 *              later send held until that sync completes (fl_send_after_sync), so no
 *              message that depends on them leaves before they are durable
 *   append     written at once; its callback runs in the step where the sync covering
 *              it completes (on_synced)
 *   truncate   cuts the file; durable with the next sync (an append always follows)
 *   send       encoded and sent (or held, above); the callback runs after the libraft
 *              call that sent it returned (cr_flush): libraft reads the request after
 *              send() returns
 *   time       the node's drifting local clock, in ms (fl_local_now)
 *   random     the node's random stream
 *   close      at a crash or at the run's end: pending appends complete with status 0
 *              and pending sends with RAFT_CANCELED, then the close callback runs.
 *              Cancelling appends with an error, as the libuv backend does, makes 0.15's
 *              appendLeaderCb truncate its log once per request, and the second
 *              truncation fails its assertion (removeSuffix: index <= logLastIndex); as
 *              the node is unavailable by then, status 0 only releases the entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/canonical-raft/craft.h"

static struct cr_state *state_of(struct raft_io *io)
{
    return io->impl;
}

const char *cr_addr(const struct cr_state *s, int id)
{
    return s->addrs + (size_t)(id - 1) * 12;
}

static int io_init(struct raft_io *io, raft_id id, const char *address)
{
    return 0;
}

static int io_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                   struct raft_snapshot **snapshot, raft_index *start_index,
                   struct raft_entry *entries[], size_t *n_entries)
{
    struct cr_state *s = state_of(io);
    *term = s->term;
    *voted_for = s->vote;
    *snapshot = NULL;
    *start_index = 1;
    *entries = NULL;
    *n_entries = 0;
    if (s->last == 0)
        return 0;
    size_t total = 0;
    for (uint64_t i = 0; i < s->last; i++)
        total += s->ents[i].len;
    struct raft_entry *e = raft_calloc(s->last, sizeof *e);
    uint8_t *batch = raft_malloc(total ? total : 1);
    if (!e || !batch) {
        raft_free(e);
        raft_free(batch);
        return RAFT_NOMEM;
    }
    size_t o = 0;
    for (uint64_t i = 0; i < s->last; i++) {
        const struct cr_entry *c = &s->ents[i];
        e[i] = (struct raft_entry){
            .term = c->term, .type = c->type, .buf = {batch + o, c->len}, .batch = batch};
        if (c->len)
            memcpy(batch + o, c->data, c->len);
        o += c->len;
    }
    *entries = e;
    *n_entries = (size_t)s->last;
    return 0;
}

static int io_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv)
{
    struct cr_state *s = state_of(io);
    s->tick_cb = tick;
    s->recv_cb = recv;
    fl_timer_set(s->node, CR_TIMER_TICK, (int64_t)msecs * FL_MS);
    return 0;
}

static int io_bootstrap(struct raft_io *io, const struct raft_configuration *conf)
{
    struct cr_state *s = state_of(io);
    if (s->term != 0 || s->last != 0)
        return RAFT_CANTBOOTSTRAP;
    struct raft_entry e = {.term = 1, .type = RAFT_CHANGE};
    int rv = raft_configuration_encode(conf, &e.buf);
    if (rv != 0)
        return rv;
    rv = cr_disk_append(s, &e, 1);
    raft_free(e.buf.base);
    struct cr_append *a = cr_grow(s->appends, &s->capappends, s->nappends + 1, sizeof *a);
    if (rv != 0 || !a)
        return RAFT_NOSPACE;
    s->appends = a;
    /* tracked like an append without a callback, so that entry 1 becomes stable */
    uint64_t id = fl_disk_sync(s->node, CR_LOG_FILE);
    s->appends[s->nappends++] = (struct cr_append){NULL, NULL, id, s->last, 1};
    cr_disk_set_meta(s, 1, 0); /* its sync completes after the log's: sends wait for both */
    return 0;
}

static int io_recover(struct raft_io *io, const struct raft_configuration *conf)
{
    return RAFT_INVALID; /* membership is fixed at the cluster's nodes */
}

static int io_set_term(struct raft_io *io, raft_term term)
{
    struct cr_state *s = state_of(io);
    cr_disk_set_meta(s, term, 0);
    return 0;
}

static int io_set_vote(struct raft_io *io, raft_id server_id)
{
    struct cr_state *s = state_of(io);
    cr_disk_set_meta(s, s->term, server_id);
    return 0;
}

static int io_send(struct raft_io *io, struct raft_io_send *req, const struct raft_message *m,
                   raft_io_send_cb cb)
{
    struct cr_state *s = state_of(io);
    if (s->closing)
        return RAFT_CANCELED;
    int to = (int)m->server_id;
    if (to < 1 || to > s->n)
        return RAFT_NOCONNECTION;
    struct cr_sent *q = cr_grow(s->sent, &s->capsent, s->nsent + 1, sizeof *q);
    if (!q)
        return RAFT_NOMEM;
    s->sent = q;
    if (s->stale_append && m->type == RAFT_IO_APPEND_ENTRIES_RESULT) {
        fl_log(s->node, FL_LOG_INFO, "%d fix_term_change: not answering an append of an older term",
               s->id);
        return RAFT_CANCELED; /* libraft frees the request */
    }
    struct raft_message capped;
    if (s->checking && m->type == RAFT_IO_APPEND_ENTRIES_RESULT &&
        m->append_entries_result.rejected == 0 &&
        m->append_entries_result.last_log_index > s->checked_last) {
        /* the upstream fix: report only what the leader's request showed to match */
        capped = *m;
        capped.append_entries_result.last_log_index = s->checked_last;
        m = &capped;
    }
    size_t len = cr_msg_encode(s, m, s->p.max_entries);
    if (len == 0) {
        fl_log(s->node, FL_LOG_WARN, "%d cannot encode a message of type %d to %d", s->id, m->type,
               to);
        return RAFT_TOOBIG;
    }
    if (fl_send_after_sync(s->node, to, s->mbuf, len, s->meta_sync) != 0)
        return RAFT_NOCONNECTION;
    s->sent[s->nsent++] = (struct cr_sent){req, cb};
    return 0;
}

static int io_append(struct raft_io *io, struct raft_io_append *req,
                     const struct raft_entry entries[], unsigned n, raft_io_append_cb cb)
{
    struct cr_state *s = state_of(io);
    struct cr_append *a = cr_grow(s->appends, &s->capappends, s->nappends + 1, sizeof *a);
    if (!a)
        return RAFT_NOMEM;
    s->appends = a;
    if (cr_disk_append(s, entries, n) != 0)
        return RAFT_NOSPACE;
    uint64_t id = fl_disk_sync(s->node, CR_LOG_FILE);
    s->appends[s->nappends++] = (struct cr_append){req, cb, id, s->last, s->raft.current_term};
    return 0;
}

static int io_truncate(struct raft_io *io, raft_index index)
{
    cr_disk_truncate(state_of(io), index);
    return 0;
}

static int io_snapshot_put(struct raft_io *io, unsigned trailing, struct raft_io_snapshot_put *req,
                           const struct raft_snapshot *snapshot, raft_io_snapshot_put_cb cb)
{
    return RAFT_INVALID; /* snapshots are off */
}

static int io_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                           raft_io_snapshot_get_cb cb)
{
    return RAFT_NOTFOUND;
}

static raft_time io_time(struct raft_io *io)
{
    return (raft_time)(fl_local_now(state_of(io)->node) / FL_MS);
}

static int io_random(struct raft_io *io, int min, int max)
{
    if (max <= min)
        return min;
    return (int)fl_rand_range(state_of(io)->node, min, (int64_t)max - 1);
}

/* Run one completed append's callback (taken off the list first: it may append). */
static void complete_first_append(struct cr_state *s, int status)
{
    struct cr_append a = s->appends[0];
    memmove(s->appends, s->appends + 1, (s->nappends - 1) * sizeof *s->appends);
    s->nappends--;
    if (status == 0 && a.last > s->stable)
        s->stable = a.last < s->last ? a.last : s->last;
    s->stale_append = s->p.fix_term_change && a.term != s->raft.current_term;
    if (a.cb)
        a.cb(a.req, status);
    s->stale_append = 0;
}

void cr_io_synced(struct cr_state *s, uint64_t sync_id)
{
    while (s->nappends > 0 && s->appends[0].sync_id <= sync_id)
        complete_first_append(s, 0);
}

static void io_close(struct raft_io *io, raft_io_close_cb cb)
{
    struct cr_state *s = state_of(io);
    s->closing = 1;
    while (s->nappends > 0)
        complete_first_append(s, 0);
    while (s->nsent > 0) {
        struct cr_sent q = s->sent[0];
        memmove(s->sent, s->sent + 1, (s->nsent - 1) * sizeof *s->sent);
        s->nsent--;
        q.cb(q.req, RAFT_CANCELED);
    }
    if (cb)
        cb(io);
}

void cr_io_init(struct cr_state *s)
{
    s->io = (struct raft_io){
        .version = 1,
        .impl = s,
        .init = io_init,
        .close = io_close,
        .load = io_load,
        .start = io_start,
        .bootstrap = io_bootstrap,
        .recover = io_recover,
        .set_term = io_set_term,
        .set_vote = io_set_vote,
        .send = io_send,
        .append = io_append,
        .truncate = io_truncate,
        .snapshot_put = io_snapshot_put,
        .snapshot_get = io_snapshot_get,
        .time = io_time,
        .random = io_random,
    };
}
