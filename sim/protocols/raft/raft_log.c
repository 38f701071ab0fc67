/*
 * raft_log.c -- the in-memory Raft log (§5.3).
 *
 * Entry i lives at ents[i - 1]; there is no compaction, so every index 1..last is
 * present.  `seq` numbers appends within one incarnation so that the Raft observer
 * (core/raft_observer.c, which keeps its own hash chain over the entries) finds the
 * entries that are new since it last looked: they are exactly the tail whose seq is
 * larger, because the log only ever changes by cutting a suffix and appending.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/protocols/raft/raft.h"

void *fr_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    void *q = realloc(p, ncap * elem);
    if (!q)
        return NULL;
    *cap = ncap;
    return q;
}

uint64_t fr_term_at(const struct fr_state *s, uint64_t index)
{
    return index >= 1 && index <= s->last ? s->ents[index - 1].term : 0;
}

uint64_t fr_last_term(const struct fr_state *s)
{
    return fr_term_at(s, s->last);
}

int fr_log_push(struct fr_state *s, uint64_t term, int type, const void *data, uint32_t len)
{
    if (s->last >= FR_MAX_LOG || len > FR_MAX_ENTRY_BYTES)
        return -1;
    size_t cap = (size_t)s->cap;
    struct fr_entry *ents = fr_grow(s->ents, &cap, (size_t)s->last + 1, sizeof *ents);
    if (!ents)
        return -1;
    s->ents = ents;
    s->cap = cap;
    struct fr_entry *e = &s->ents[s->last];
    memset(e, 0, sizeof *e);
    if (len) {
        e->data = malloc(len);
        if (!e->data)
            return -1;
        memcpy(e->data, data, len);
    }
    e->term = term;
    e->type = (uint8_t)type;
    e->len = len;
    e->seq = ++s->append_seq;
    s->last++;
    return 0;
}

void fr_log_cut(struct fr_state *s, uint64_t last)
{
    while (s->last > last) {
        free(s->ents[s->last - 1].data);
        s->ents[s->last - 1].data = NULL;
        s->last--;
    }
}

void fr_log_free(struct fr_state *s)
{
    fr_log_cut(s, 0);
    free(s->ents);
    s->ents = NULL;
    s->cap = 0;
}

/* §5.4.1: the candidate's log is at least as up-to-date as ours when its last term is
 * higher, or equal with an index at least ours. */
int fr_is_up_to_date(const struct fr_state *s, uint64_t index, uint64_t term)
{
    uint64_t lt = fr_last_term(s);
    return term > lt || (term == lt && index >= s->last);
}

/* etcd's findConflictByTerm: the largest index <= `index` whose term is <= `term`
 * (and that term in *term_out).  Used on both sides of a rejected MsgApp so that the
 * leader skips a whole divergent term per round trip instead of one entry. */
uint64_t fr_find_conflict_by_term(const struct fr_state *s, uint64_t index, uint64_t term,
                                  uint64_t *term_out)
{
    if (index > s->last)
        index = s->last;
    while (index > 0 && s->ents[index - 1].term > term)
        index--;
    *term_out = fr_term_at(s, index);
    return index;
}

/* Raise the commit index (never lowers it).  A commit beyond the log cannot come from
 * a correct leader (it sends min(match, commit)); etcd panics there, we log and clamp,
 * so that a buggy run is reported by the observer rather than by a crash. */
void fr_commit_to(fl_node *n, struct fr_state *s, uint64_t index)
{
    if (index > s->last) {
        fl_log(n, FL_LOG_WARN,
               "%d tocommit(%llu) is out of range [lastIndex(%llu)]; "
               "was the raft log corrupted, truncated, or lost?",
               s->id, (unsigned long long)index, (unsigned long long)s->last);
        index = s->last;
    }
    if (index > s->commit)
        s->commit = index;
}
