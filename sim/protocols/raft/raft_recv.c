/*
 * raft_recv.c -- message handling: etcd's Step and the per-role step functions.
 *
 * Every message but MsgProp carries the sender's term (§5.1): a higher term makes the
 * receiver a follower of it first; a lower one is ignored (etcd without CheckQuorum or
 * PreVote), except under bug accept_stale_term.  Then MsgVote is answered the same way
 * in every role, and the rest goes to the role's step function.  Answers that promise
 * durability (MsgVoteResp, MsgAppResp) leave through fr_send_durable.
 */
#include <stdlib.h>

#include "sim/protocols/raft/raft.h"

static unsigned long long u(uint64_t v)
{
    return (unsigned long long)v;
}

/* §5.2, §5.4.1: grant at most one vote per term, and only to a candidate whose log is
 * at least as up-to-date as ours.  etcd also refuses while it knows a leader of the
 * term.  Bug vote_any_log skips the up-to-date check. */
static void handle_vote(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    int can_vote = s->vote == from || (s->vote == 0 && s->lead == 0);
    int up_to_date = fr_is_up_to_date(s, m->index, m->logterm) || fr_bug(s, FR_BUG_VOTE_ANY_LOG);
    struct fr_msg r = {.type = FR_MSG_VOTE_RESP, .term = s->term};
    unsigned long long lt = fr_last_term(s), li = s->last;
    if (can_vote && up_to_date) {
        fl_log(n, FL_LOG_INFO,
               "%d [logterm: %llu, index: %llu, vote: %d] cast MsgVote for %d "
               "[logterm: %llu, index: %llu] at term %llu",
               s->id, lt, li, s->vote, from, u(m->logterm), u(m->index), u(s->term));
        s->vote = from;
        fr_reset_election_timer(n, s);
    } else {
        fl_log(n, FL_LOG_INFO,
               "%d [logterm: %llu, index: %llu, vote: %d] rejected MsgVote "
               "from %d [logterm: %llu, index: %llu] at term %llu",
               s->id, lt, li, s->vote, from, u(m->logterm), u(m->index), u(s->term));
        r.reject = 1;
    }
    fr_send_durable(n, s, from, &r);
}

/* Append the message's entries after m->index, cutting our log at the first entry whose
 * term differs (§5.3 step 3).  Bug keep_conflicts treats every index we already have
 * as matching, so a conflicting suffix survives under the leader's entries. */
static void append_entries(fl_node *n, struct fr_state *s, const struct fr_msg *m)
{
    size_t pos = 0;
    struct fr_msg_entry e;
    uint64_t idx = m->index;
    for (uint32_t i = 0; i < m->nent; i++) {
        fr_msg_entry_next(m, &pos, &e);
        idx++;
        if (e.term == 0 || e.term > m->term) {
            fl_log(n, FL_LOG_WARN,
                   "%d MsgApp entry %llu has term %llu (message term %llu): "
                   "ignoring the rest",
                   s->id, u(idx), u(e.term), u(m->term));
            return;
        }
        if (idx <= s->last) {
            if (fr_term_at(s, idx) == e.term || fr_bug(s, FR_BUG_KEEP_CONFLICTS))
                continue;
            if (idx <= s->commit)
                fl_log(n, FL_LOG_WARN,
                       "%d entry %llu conflict with committed entry "
                       "[committed(%llu)]",
                       s->id, u(idx), u(s->commit));
            fr_truncate(s, idx - 1);
        }
        if (fr_append(n, s, e.term, e.type, e.data, e.len) != 0) {
            fl_log(n, FL_LOG_WARN, "%d log full at index %llu", s->id, u(s->last));
            return;
        }
    }
}

/* §5.3: the consistency check on (index, logterm), then append and learn the commit
 * index.  A rejection carries etcd's hint: the largest index at or below m->index whose
 * term is at most m->logterm, so the leader skips whole divergent terms. */
static void handle_append(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    struct fr_msg r = {.type = FR_MSG_APP_RESP, .term = s->term};
    if (m->index < s->commit) {
        r.index = s->commit;
        fr_send_durable(n, s, from, &r);
        return;
    }
    if (m->index <= s->last && fr_term_at(s, m->index) == m->logterm) {
        uint64_t lastnew = m->index + m->nent;
        append_entries(n, s, m);
        fr_commit_to(n, s, m->commit < lastnew ? m->commit : lastnew);
        r.index = lastnew;
        if (fr_bug(s, FR_BUG_ACK_BEFORE_SYNC))
            fr_send(n, s, from, &r); /* the bug: acknowledged while still volatile */
        else
            fr_send_durable(n, s, from, &r);
        return;
    }
    fl_log(n, FL_LOG_DEBUG,
           "%d [logterm: %llu, index: %llu] rejected MsgApp [logterm: %llu, "
           "index: %llu] from %d",
           s->id, u(fr_term_at(s, m->index)), u(m->index), u(m->logterm), u(m->index), from);
    uint64_t hint_term;
    uint64_t hint = fr_find_conflict_by_term(s, m->index < s->last ? m->index : s->last, m->logterm,
                                             &hint_term);
    r.index = m->index;
    r.reject = 1;
    r.hint = hint;
    r.logterm = hint_term;
    fr_send_durable(n, s, from, &r);
}

static void handle_heartbeat(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    fr_commit_to(n, s, m->commit);
    struct fr_msg r = {.type = FR_MSG_HEARTBEAT_RESP, .term = s->term};
    fr_send(n, s, from, &r);
}

/* A proposal: the leader appends it, a follower forwards it to its leader, anyone else
 * drops it (the client retries). */
static void step_prop(fl_node *n, struct fr_state *s, const struct fr_msg *m)
{
    if (s->role == FR_LEADER) {
        fr_leader_propose(n, s, m);
        return;
    }
    if (s->role == FR_CANDIDATE || s->lead == 0) {
        fl_log(n, FL_LOG_INFO, "%d no leader at term %llu; dropping proposal", s->id, u(s->term));
        return;
    }
    if (m->hops >= FR_MAX_FORWARD_HOPS) {
        fl_log(n, FL_LOG_INFO, "%d dropping proposal forwarded %d times", s->id, m->hops);
        return;
    }
    struct fr_msg f = *m;
    f.hops++;
    fr_send(n, s, s->lead, &f);
}

static void step_leader(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    if (m->type == FR_MSG_APP_RESP)
        fr_leader_on_app_resp(n, s, from, m);
    else if (m->type == FR_MSG_HEARTBEAT_RESP)
        fr_leader_on_heartbeat_resp(n, s, from);
    else if (m->type == FR_MSG_APP || m->type == FR_MSG_HEARTBEAT)
        fl_log(n, FL_LOG_WARN, "%d [term %llu] ignored %s from %d: another leader of my term",
               s->id, u(s->term), fr_msg_type_name(m->type), from);
}

static void step_candidate(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    int granted, rejected;
    switch (m->type) {
    case FR_MSG_APP:
        fr_become_follower(n, s, m->term, from);
        handle_append(n, s, from, m);
        break;
    case FR_MSG_HEARTBEAT:
        fr_become_follower(n, s, m->term, from);
        handle_heartbeat(n, s, from, m);
        break;
    case FR_MSG_VOTE_RESP:
        fr_poll(n, s, from, !m->reject);
        fr_tally(s, &granted, &rejected);
        fl_log(n, FL_LOG_INFO, "%d has received %d MsgVoteResp votes and %d vote rejections", s->id,
               granted, rejected);
        if (granted >= fr_quorum(s)) {
            fr_become_leader(n, s);
            fr_bcast_append(n, s);
        } else if (s->n - rejected < fr_quorum(s)) {
            fr_become_follower(n, s, s->term, 0);
        }
        break;
    default:
        break;
    }
}

static void step_follower(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    if (m->type != FR_MSG_APP && m->type != FR_MSG_HEARTBEAT)
        return;
    fr_reset_election_timer(n, s);
    s->lead = from;
    if (m->type == FR_MSG_APP)
        handle_append(n, s, from, m);
    else
        handle_heartbeat(n, s, from, m);
}

/* A message with an older term.  Bug accept_stale_term lets a follower take a MsgApp
 * from a deposed leader as if it were current. */
static void step_stale(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    if (m->type == FR_MSG_APP && s->role == FR_FOLLOWER && fr_bug(s, FR_BUG_ACCEPT_STALE_TERM)) {
        step_follower(n, s, from, m);
        return;
    }
    fl_log(n, FL_LOG_INFO,
           "%d [term: %llu] ignored a %s message with lower term from %d "
           "[term: %llu]",
           s->id, u(s->term), fr_msg_type_name(m->type), from, u(m->term));
}

void fr_step(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    if (from < 1 || from > s->n)
        return;
    if (m->type == FR_MSG_PROP) {
        step_prop(n, s, m);
        return;
    }
    if (m->term > s->term) {
        fl_log(n, FL_LOG_INFO,
               "%d [term: %llu] received a %s message with higher term from "
               "%d [term: %llu]",
               s->id, u(s->term), fr_msg_type_name(m->type), from, u(m->term));
        int lead = m->type == FR_MSG_APP || m->type == FR_MSG_HEARTBEAT ? from : 0;
        fr_become_follower(n, s, m->term, lead);
    } else if (m->term < s->term) {
        step_stale(n, s, from, m);
        return;
    }
    if (m->type == FR_MSG_VOTE) {
        handle_vote(n, s, from, m);
        return;
    }
    if (s->role == FR_LEADER)
        step_leader(n, s, from, m);
    else if (s->role == FR_CANDIDATE)
        step_candidate(n, s, from, m);
    else
        step_follower(n, s, from, m);
}
