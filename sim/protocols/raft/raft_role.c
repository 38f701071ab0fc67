/*
 * raft_role.c -- follower, candidate, leader: the transitions and elections (§5.2).
 *
 * As in etcd, every transition resets the term's volatile state: the leader is
 * forgotten, a new randomized election timeout is drawn from the node's own stream in
 * [election_timeout, 2 * election_timeout), and the timers are re-armed (a leader runs
 * the heartbeat timer, everyone else the election timer).  The vote changes only with
 * the term.
 *
 * A candidate's vote for itself is a durable message to itself: it counts only once
 * the term and vote are synced, so a candidate that crashes before that cannot win
 * with a vote its disk forgot (etcd does the same with asynchronous storage writes).
 */
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

/* The votes or acknowledgements that make a majority (§5.2).  Bug quorum_off_by_one
 * computes n/2, which is a minority for odd n: two leaders can win the same term. */
int fr_quorum(const struct fr_state *s)
{
    if (fr_bug(s, FR_BUG_QUORUM_OFF_BY_ONE))
        return s->n / 2 > 0 ? s->n / 2 : 1;
    return s->n / 2 + 1;
}

static void reset(fl_node *n, struct fr_state *s, uint64_t term)
{
    if (s->term != term) {
        s->term = term;
        s->vote = 0;
    }
    s->lead = 0;
    s->rand_election_ns = fl_rand_range(n, s->p.election_ns, 2 * s->p.election_ns - 1);
    fl_timer_cancel(n, FR_TIMER_HEARTBEAT);
    fr_reset_election_timer(n, s);
}

void fr_become_follower(fl_node *n, struct fr_state *s, uint64_t term, int lead)
{
    reset(n, s, term);
    s->role = FR_FOLLOWER;
    s->lead = lead;
    fl_log(n, FL_LOG_INFO, "%d became follower at term %llu", s->id, (unsigned long long)term);
}

static int ensure_peer_arrays(struct fr_state *s)
{
    size_t n1 = (size_t)s->n + 1;
    if (!s->votes)
        s->votes = calloc(n1, sizeof *s->votes);
    if (!s->prs)
        s->prs = calloc(n1, sizeof *s->prs);
    if (!s->scratch)
        s->scratch = calloc(n1, sizeof *s->scratch);
    return s->votes && s->prs && s->scratch ? 0 : -1;
}

static void become_candidate(fl_node *n, struct fr_state *s)
{
    reset(n, s, s->term + 1);
    s->vote = s->id;
    s->role = FR_CANDIDATE;
    if (s->votes)
        memset(s->votes, 0, (size_t)s->n + 1);
    fl_log(n, FL_LOG_INFO, "%d became candidate at term %llu", s->id, (unsigned long long)s->term);
}

void fr_campaign(fl_node *n, struct fr_state *s)
{
    if (ensure_peer_arrays(s) != 0) {
        fl_log(n, FL_LOG_WARN, "%d out of memory: cannot campaign", s->id);
        return;
    }
    become_candidate(n, s);
    struct fr_msg self = {.type = FR_MSG_VOTE_RESP, .term = s->term};
    fr_send_durable(n, s, s->id, &self);
    unsigned long long li = s->last, lt = fr_last_term(s), t = s->term;
    for (int id = 1; id <= s->n; id++) {
        if (id == s->id)
            continue;
        fl_log(n, FL_LOG_INFO,
               "%d [logterm: %llu, index: %llu] sent MsgVote request to %d "
               "at term %llu",
               s->id, lt, li, id, t);
        struct fr_msg m = {.type = FR_MSG_VOTE, .term = s->term, .index = li, .logterm = lt};
        fr_send(n, s, id, &m);
    }
}

void fr_poll(fl_node *n, struct fr_state *s, int from, int granted)
{
    fl_log(n, FL_LOG_INFO, "%d received MsgVoteResp%s from %d at term %llu", s->id,
           granted ? "" : " rejection", from, (unsigned long long)s->term);
    if (s->votes[from] == 0)
        s->votes[from] = granted ? 1 : 2;
}

void fr_tally(const struct fr_state *s, int *granted, int *rejected)
{
    *granted = *rejected = 0;
    for (int id = 1; id <= s->n; id++) {
        *granted += s->votes[id] == 1;
        *rejected += s->votes[id] == 2;
    }
}

/* §5.3: a new leader knows nothing of its followers' logs: it probes each one from its
 * own last index.  §8 (and etcd): it appends an empty entry of its term at once, so
 * that committing it commits everything before it (§5.4.2). */
void fr_become_leader(fl_node *n, struct fr_state *s)
{
    reset(n, s, s->term);
    s->role = FR_LEADER;
    s->lead = s->id;
    fl_timer_cancel(n, FR_TIMER_ELECTION);
    fl_timer_set(n, FR_TIMER_HEARTBEAT, s->p.heartbeat_ns);
    for (int id = 1; id <= s->n; id++)
        s->prs[id] = (struct fr_progress){.match = 0, .next = s->last + 1};
    if (fr_append(n, s, s->term, FR_ENTRY_NORMAL, NULL, 0) != 0)
        fl_log(n, FL_LOG_WARN, "%d could not append the empty entry of term %llu", s->id,
               (unsigned long long)s->term);
    fl_log(n, FL_LOG_INFO, "%d became leader at term %llu", s->id, (unsigned long long)s->term);
}
