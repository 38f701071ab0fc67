/*
 * raft_view.c -- the observer of our Raft is the public Raft observer (fl_raft_check,
 * core/raft_observer.c): this file shows it a node's state.  The view is read straight
 * from struct fr_state, so the observer costs what it did when it was this protocol's
 * own.
 */
#include "sim/protocols/raft/raft.h"

static void view(const void *state, struct fl_raft_view *v)
{
    const struct fr_state *s = state;
    *v = (struct fl_raft_view){
        .role = s->role, /* FR_FOLLOWER, FR_CANDIDATE, FR_LEADER are FL_RAFT_*'s numbers */
        .term = s->term,
        .commit = s->commit,
        .last_index = s->last,
        .stable = s->stable,
        .started_ns = s->started_ns,
        .append_seq = s->append_seq,
    };
}

static void entry(const void *state, uint64_t index, struct fl_raft_entry *e)
{
    const struct fr_entry *f = &((const struct fr_state *)state)->ents[index - 1];
    *e = (struct fl_raft_entry){
        .term = f->term, .seq = f->seq, .type = f->type, .data = f->data, .len = f->len};
}

static int64_t election_ns(const cJSON *params)
{
    struct fr_params p;
    char err[256];
    if (fr_params_parse(params, &p, err, sizeof err) != 0)
        fr_params_parse(NULL, &p, err, sizeof err);
    return p.election_ns;
}

static const struct fl_raft_adapter fr_adapter = {
    .view = view, .entry = entry, .election_ns = election_ns};

_Static_assert((int)FR_FOLLOWER == FL_RAFT_FOLLOWER && (int)FR_CANDIDATE == FL_RAFT_CANDIDATE &&
                   (int)FR_LEADER == FL_RAFT_LEADER,
               "our roles are the observer's numbers");

int fr_check(const fl_cluster *c, void *observer, int node, fl_violation *v)
{
    return fl_raft_check(c, observer, node, &fr_adapter, v);
}

int fr_check_end(const fl_cluster *c, void *observer, fl_violation *v)
{
    return fl_raft_check_end(c, observer, &fr_adapter, v);
}
