/*
 * raft_repl.c -- the leader's side of log replication (§5.3) and commitment (§5.4.2).
 *
 * Per follower the leader keeps etcd's Progress: `match` (highest index known to be
 * replicated there, learnt only from acknowledgements, which followers send after
 * syncing) and `next` (the next index to send).  In probe state at most one MsgApp
 * carrying entries is out until the follower answers; in replicate state the leader
 * streams optimistically and advances `next` as it sends.  A rejection moves `next`
 * back using the follower's hint (one round trip per divergent term, not per entry).
 *
 * A MsgApp carries at most params.max_entries_per_msg entries: with a limit of 1 a new
 * leader's empty entry does not travel with the older entries it must first repair,
 * which is what makes the Figure 8 situation reachable for bug commit_old_term.
 */
#include <stdlib.h>

#include "sim/protocols/raft/raft.h"

static int paused(const struct fr_progress *pr)
{
    return pr->state == FR_PR_PROBE && pr->paused;
}

int fr_send_append(fl_node *n, struct fr_state *s, int to, int send_if_empty)
{
    struct fr_progress *pr = &s->prs[to];
    if (paused(pr))
        return 0;
    uint64_t count = 0, bytes = 0;
    /* At most max_entries, and at most FR_MAX_APP_BYTES of entries (always one). */
    for (uint64_t i = pr->next; i <= s->last && count < s->p.max_entries; i++, count++) {
        bytes += FR_MSG_ENTRY_HEADER + s->ents[i - 1].len;
        if (count > 0 && bytes > FR_MAX_APP_BYTES)
            break;
    }
    if (count == 0 && !send_if_empty)
        return 0;
    uint64_t prev = pr->next - 1;
    struct fr_msg m = {.type = FR_MSG_APP,
                       .term = s->term,
                       .index = prev,
                       .logterm = fr_term_at(s, prev),
                       .commit = s->commit,
                       .nent = (uint32_t)count};
    fr_send(n, s, to, &m);
    if (pr->state == FR_PR_REPLICATE)
        pr->next += count;
    else if (count > 0)
        pr->paused = 1;
    if (s->commit > pr->sent_commit)
        pr->sent_commit = s->commit;
    return 1;
}

void fr_bcast_append(fl_node *n, struct fr_state *s)
{
    for (int id = 1; id <= s->n; id++)
        if (id != s->id)
            fr_send_append(n, s, id, 1);
}

/* §5.2: heartbeats assert leadership; the commit they carry is capped at the
 * follower's match, so a follower never commits an entry it may not hold. */
void fr_bcast_heartbeat(fl_node *n, struct fr_state *s)
{
    for (int id = 1; id <= s->n; id++) {
        if (id == s->id)
            continue;
        struct fr_progress *pr = &s->prs[id];
        uint64_t commit = pr->match < s->commit ? pr->match : s->commit;
        struct fr_msg m = {.type = FR_MSG_HEARTBEAT, .term = s->term, .commit = commit};
        fr_send(n, s, id, &m);
        if (commit > pr->sent_commit)
            pr->sent_commit = commit;
    }
}

static void sort_desc(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint64_t x = v[i];
        int j = i;
        for (; j > 0 && v[j - 1] < x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* §5.3/§5.4.2: the highest index replicated on a quorum (the leader counting itself up
 * to what it has synced) becomes committed, but only if it is of the current term:
 * older entries commit indirectly.  Bug commit_old_term skips that term check, which is
 * Figure 8's mistake.  Returns 1 if the commit index advanced. */
int fr_maybe_commit(struct fr_state *s)
{
    for (int id = 1; id <= s->n; id++)
        s->scratch[id - 1] =
            id == s->id ? (s->stable < s->last ? s->stable : s->last) : s->prs[id].match;
    if (s->n <= 16)
        sort_desc(s->scratch, s->n);
    else
        qsort(s->scratch, (size_t)s->n, sizeof *s->scratch, cmp_desc);
    uint64_t mci = s->scratch[fr_quorum(s) - 1];
    if (mci <= s->commit)
        return 0;
    if (fr_term_at(s, mci) != s->term && !fr_bug(s, FR_BUG_COMMIT_OLD_TERM))
        return 0;
    s->commit = mci;
    return 1;
}

static int maybe_update(struct fr_progress *pr, uint64_t index)
{
    int updated = 0;
    if (pr->match < index) {
        pr->match = index;
        pr->paused = 0;
        updated = 1;
    }
    if (pr->next < index + 1)
        pr->next = index + 1;
    return updated;
}

/* etcd's MaybeDecrTo: ignore stale rejections; in replicate state fall back to match + 1,
 * in probe state jump to the hint (never below match + 1). */
static int maybe_decr_to(struct fr_progress *pr, uint64_t rejected, uint64_t hint)
{
    if (pr->state == FR_PR_REPLICATE) {
        if (rejected <= pr->match)
            return 0;
        pr->next = pr->match + 1;
        return 1;
    }
    if (pr->next - 1 != rejected)
        return 0;
    uint64_t next = rejected < hint + 1 ? rejected : hint + 1;
    pr->next = next > pr->match + 1 ? next : pr->match + 1;
    pr->paused = 0;
    return 1;
}

static void become_probe(struct fr_progress *pr)
{
    pr->state = FR_PR_PROBE;
    pr->paused = 0;
    pr->next = pr->match + 1;
}

static void become_replicate(struct fr_progress *pr)
{
    pr->state = FR_PR_REPLICATE;
    pr->paused = 0;
    pr->next = pr->match + 1;
}

static void on_reject(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    struct fr_progress *pr = &s->prs[from];
    fl_log(n, FL_LOG_DEBUG,
           "%d received MsgAppResp(rejected, hint: (index %llu, term %llu)) "
           "from %d for index %llu",
           s->id, (unsigned long long)m->hint, (unsigned long long)m->logterm, from,
           (unsigned long long)m->index);
    uint64_t next_probe = m->hint;
    if (m->logterm > 0) {
        uint64_t t;
        next_probe = fr_find_conflict_by_term(s, m->hint, m->logterm, &t);
    }
    if (!maybe_decr_to(pr, m->index, next_probe))
        return;
    if (pr->state == FR_PR_REPLICATE)
        become_probe(pr);
    fr_send_append(n, s, from, 1);
}

void fr_leader_on_app_resp(fl_node *n, struct fr_state *s, int from, const struct fr_msg *m)
{
    struct fr_progress *pr = &s->prs[from];
    if (m->reject) {
        on_reject(n, s, from, m);
        return;
    }
    if (m->index > s->last) {
        fl_log(n, FL_LOG_WARN, "%d ignored MsgAppResp from %d for index %llu beyond its log", s->id,
               from, (unsigned long long)m->index);
        return;
    }
    if (!maybe_update(pr, m->index) && !(pr->match == m->index && pr->state == FR_PR_PROBE))
        return;
    if (pr->state == FR_PR_PROBE)
        become_replicate(pr);
    if (fr_maybe_commit(s))
        fr_bcast_append(n, s);
    else if (s->commit > pr->sent_commit && pr->sent_commit < pr->next - 1)
        fr_send_append(n, s, from, 1); /* etcd's CanBumpCommit */
    for (int k = 0; k < FR_MAX_SEND_BURST && fr_send_append(n, s, from, 0); k++)
        ;
}

void fr_leader_on_heartbeat_resp(fl_node *n, struct fr_state *s, int from)
{
    struct fr_progress *pr = &s->prs[from];
    pr->paused = 0;
    if (pr->match < s->last || pr->state == FR_PR_PROBE)
        fr_send_append(n, s, from, 1);
}

/* §5.3: the leader appends a proposal to its own log and replicates it. */
int fr_leader_propose(fl_node *n, struct fr_state *s, const struct fr_msg *m)
{
    size_t pos = 0;
    struct fr_msg_entry e;
    for (uint32_t i = 0; i < m->nent; i++) {
        fr_msg_entry_next(m, &pos, &e);
        int type = e.type == FR_ENTRY_CLIENT ? FR_ENTRY_CLIENT : FR_ENTRY_NORMAL;
        if (fr_append(n, s, s->term, type, e.data, e.len) != 0) {
            fl_log(n, FL_LOG_WARN, "%d log full at index %llu: dropping proposal", s->id,
                   (unsigned long long)s->last);
            return -1;
        }
        if (type == FR_ENTRY_CLIENT)
            fr_client_appended(n, s, e.data, e.len);
    }
    fr_bcast_append(n, s);
    return 0;
}
