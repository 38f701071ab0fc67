/*
 * emit.c -- the world's records (record.h): steps, sends, fates, log lines and states,
 * into the run's stream.
 *
 * Nothing is built for a kind no sink wants: the trace and the recorder want message
 * descriptions, a sweep worker wants none, so a worker's run never calls the
 * protocol's describe or snapshot.  A message is described at most once, at its send;
 * the text travels with the message to its fate and to the delivery step's detail.
 * Sinks hear a step's beginning lazily, just before its first record (or its end), so
 * that an action can set the step's detail before anything is printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/jsonout.h"
#include "core/statediff.h"
#include "core/world_impl.h"

fl_stream *fl_world_stream(fl_world *w)
{
    return &w->stream;
}

int fl_world_emit_init(fl_world *w)
{
    if (!fl_stream_wants(&w->stream, FL_REC_STATE) || w->last_state)
        return 0;
    w->last_state = calloc((size_t)w->cfg.nodes + 1, sizeof *w->last_state);
    for (int i = 1; w->last_state && i <= w->cfg.nodes; i++)
        w->last_state[i] = calloc(1, sizeof *w->last_state[i]);
    for (int i = 1; w->last_state && i <= w->cfg.nodes; i++)
        if (!w->last_state[i])
            return -1;
    return w->last_state ? 0 : -1;
}

void fl_world_emit_close(fl_world *w)
{
    if (w->last_state)
        for (int i = 1; i <= w->cfg.nodes; i++) {
            if (w->last_state[i])
                fl_statediff_close(w->last_state[i]);
            free(w->last_state[i]);
        }
    free(w->last_state);
    w->last_state = NULL;
}

static void step_record(const fl_world *w, int kind, fl_record *r)
{
    r->kind = kind;
    r->u.step = (fl_rec_step){.step = w->step,
                              .time_ns = w->now_ns,
                              .kind = w->cur_kind,
                              .node = w->cur_node,
                              .peer = w->cur_peer,
                              .msg_id = w->cur_msg_id,
                              .detail = w->detail,
                              .chain = w->chain};
}

void fl_world_emit_begin(fl_world *w)
{
    if (w->step_begun || !w->in_step)
        return;
    w->step_begun = 1;
    if (!fl_stream_wants(&w->stream, FL_REC_STEP_BEGIN))
        return;
    fl_record r;
    step_record(w, FL_REC_STEP_BEGIN, &r);
    fl_stream_emit(&w->stream, &r);
}

void fl_world_emit(fl_world *w, const fl_record *r)
{
    if (!fl_stream_wants(&w->stream, r->kind))
        return;
    fl_world_emit_begin(w);
    fl_stream_emit(&w->stream, r);
}

void fl_world_emit_step_end(fl_world *w)
{
    fl_world_emit_begin(w);
    if (!fl_stream_wants(&w->stream, FL_REC_STEP_END))
        return;
    fl_record r;
    step_record(w, FL_REC_STEP_END, &r);
    fl_stream_emit(&w->stream, &r);
}

void fl_world_emit_log(fl_world *w, int node, int level, const char *text)
{
    fl_world_emit_begin(w);
    fl_record r = {.kind = FL_REC_LOG};
    r.u.log = (fl_rec_log){
        .step = w->step, .time_ns = w->now_ns, .node = node, .level = level, .text = text};
    fl_stream_emit(&w->stream, &r);
}

static void msg_record(const fl_world *w, int kind, const fl_msg *m, fl_record *r)
{
    r->kind = kind;
    r->u.msg = (fl_rec_msg){.id = m->id,
                            .src = m->src,
                            .dst = m->dst,
                            .sent_step = m->sent_step,
                            .sent_ns = m->sent_ns,
                            .deliver_ns = m->held ? -1 : m->deliver_ns,
                            .fate = m->fate,
                            .fate_step = w->step,
                            .body = m->body,
                            .len = m->len,
                            .desc = fl_world_msg_desc(w, m)};
}

void fl_world_emit_fate(fl_world *w, const fl_msg *m)
{
    if (!fl_stream_wants(&w->stream, FL_REC_FATE))
        return;
    fl_world_emit_begin(w);
    fl_record r;
    msg_record(w, FL_REC_FATE, m, &r);
    fl_stream_emit(&w->stream, &r);
}

const char *fl_world_msg_desc(const fl_world *w, const fl_msg *m)
{
    return w->msg_desc ? w->msg_desc[fl_soup_slot_of(w, m)] : NULL;
}

/* The description table exists only for runs whose sinks want descriptions, so that
 * a message costs no more than its slab entry otherwise. */
static void keep_desc(fl_world *w, const fl_msg *m)
{
    if (!w->msg_desc) {
        w->msg_desc = calloc(w->msgs_cap ? w->msgs_cap : 1, sizeof *w->msg_desc);
        FL_ASSERT(w->msg_desc != NULL);
    }
    char desc[256];
    fl_world_describe(w, m, desc, sizeof desc);
    uint32_t slot = fl_soup_slot_of(w, m);
    free(w->msg_desc[slot]);
    w->msg_desc[slot] = strdup(desc);
    FL_ASSERT(w->msg_desc[slot] != NULL);
}

void fl_world_emit_send(fl_world *w, fl_msg *m)
{
    if (w->stream.wants & FL_REC_WANT_DESC)
        keep_desc(w, m);
    if (!fl_stream_wants(&w->stream, FL_REC_SEND))
        return;
    fl_world_emit_begin(w);
    fl_record r;
    msg_record(w, FL_REC_SEND, m, &r);
    fl_stream_emit(&w->stream, &r);
}

/* A record of the acting node's state if it changed in this step: the change, and the
 * whole text for the sinks that print it. */
void fl_world_emit_state(fl_world *w, int node)
{
    if (!w->last_state || node < 1)
        return;
    cJSON *j = fl_world_snapshot_raw(w, node); /* printed as is: no need to parse */
    if (j && !cJSON_IsObject(j)) {
        fl_world_misuse(w, "snapshot(node %d): returned JSON that is not an object", node);
        cJSON_Delete(j);
        j = NULL;
    }
    fl_state_change ch;
    int changed = fl_statediff_update(w->last_state[node], j, &ch);
    cJSON_Delete(j);
    FL_ASSERT(changed >= 0);
    if (!changed)
        return;
    fl_world_emit_begin(w);
    fl_record r = {.kind = FL_REC_STATE};
    r.u.state = (fl_rec_state){.step = w->step,
                               .time_ns = w->now_ns,
                               .node = node,
                               .json = w->stream.wants & FL_REC_WANT_STATE_TEXT ? ch.json : NULL,
                               .scalars = ch.scalars,
                               .parts = ch.parts,
                               .keyframe = ch.keyframe};
    fl_stream_emit(&w->stream, &r);
}
