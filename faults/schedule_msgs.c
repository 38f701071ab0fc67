/*
 * schedule_msgs.c -- the message entries of a format-2 schedule (see schedule.h): kept in
 * file order for writing back, and sorted by (from, to, nth, kind) for the network
 * policy's lookup at every send, which is then O(log entries) and needs no hashing.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "faults/schedule_int.h"

int fl_schedule_push_msg(fl_schedule *s, const fl_msg_fault *m)
{
    FL_ASSERT(m->kind >= FL_FAULT_DROP && m->kind <= FL_FAULT_DELAY);
    if (s->len + s->nmsgs >= FL_SCHEDULE_MAX_ENTRIES)
        return FL_ELIMIT;
    if (s->nmsgs == s->msgs_cap) {
        size_t ncap = s->msgs_cap ? 2 * s->msgs_cap : 64;
        fl_msg_fault *nm = realloc(s->msgs, ncap * sizeof *nm);
        if (!nm)
            return FL_ENOMEM;
        s->msgs = nm;
        s->msgs_cap = ncap;
    }
    s->msgs[s->nmsgs++] = *m;
    return 0;
}

static int cmp_key(const fl_msg_fault *x, int from, int to, uint32_t nth)
{
    if (x->from != from)
        return x->from < from ? -1 : 1;
    if (x->to != to)
        return x->to < to ? -1 : 1;
    return x->nth < nth ? -1 : x->nth > nth;
}

/* qsort has no context argument: sort (key, index) pairs instead of bare indexes. */
typedef struct keyed_index {
    fl_msg_fault m;
    uint32_t i;
} keyed_index;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed_index *x = a, *y = b;
    int c = cmp_key(&x->m, y->m.from, y->m.to, y->m.nth);
    if (c)
        return c;
    if (x->m.kind != y->m.kind)
        return x->m.kind < y->m.kind ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* a total order: stable among equals */
}

int fl_schedule_msgs_finish(fl_schedule *s, size_t *a, size_t *b)
{
    free(s->msg_order);
    s->msg_order = NULL;
    if (s->nmsgs == 0)
        return 0;
    keyed_index *k = malloc(s->nmsgs * sizeof *k);
    s->msg_order = malloc(s->nmsgs * sizeof *s->msg_order);
    if (!k || !s->msg_order) {
        free(k);
        return FL_ENOMEM;
    }
    for (size_t i = 0; i < s->nmsgs; i++)
        k[i] = (keyed_index){s->msgs[i], (uint32_t)i};
    qsort(k, s->nmsgs, sizeof *k, cmp_keyed);
    int rc = 0;
    for (size_t i = 0; i < s->nmsgs; i++) {
        s->msg_order[i] = k[i].i;
        /* the first entry of a message is the drop when there is one (kinds sort
         * drop < duplicate < delay), so one look back finds every conflict */
        if (rc == 0 && i > 0 && cmp_key(&k[i - 1].m, k[i].m.from, k[i].m.to, k[i].m.nth) == 0 &&
            (k[i - 1].m.kind == k[i].m.kind || k[i - 1].m.kind == FL_FAULT_DROP)) {
            *a = k[i - 1].i < k[i].i ? k[i - 1].i : k[i].i;
            *b = k[i - 1].i < k[i].i ? k[i].i : k[i - 1].i;
            rc = FL_EINVAL;
        }
    }
    free(k);
    return rc;
}

int fl_schedule_format(const fl_schedule *s)
{
    return s->format == 2 ? 2 : 1;
}

int fl_schedule_messages_only(const fl_schedule *s)
{
    return s->messages_only;
}

int fl_schedule_ops(const fl_schedule *s, const uint64_t **ops, size_t *n)
{
    *ops = s->ops;
    *n = s->nops;
    return s->has_ops;
}

size_t fl_schedule_msg_len(const fl_schedule *s)
{
    return s->nmsgs;
}

const fl_msg_fault *fl_schedule_msg(const fl_schedule *s, size_t i)
{
    FL_ASSERT(i < s->nmsgs);
    return &s->msgs[i];
}

int fl_schedule_msg_decision(const fl_schedule *s, int from, int to, uint32_t nth,
                             fl_msg_decision *d)
{
    if (!s->msg_order)
        return 0;
    size_t lo = 0, hi = s->nmsgs; /* the first entry whose key is >= (from, to, nth) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(&s->msgs[s->msg_order[mid]], from, to, nth) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memset(d, 0, sizeof *d);
    int found = 0;
    for (size_t i = lo; i < s->nmsgs; i++) {
        const fl_msg_fault *m = &s->msgs[s->msg_order[i]];
        if (cmp_key(m, from, to, nth) != 0)
            break;
        found = 1;
        d->drop |= m->kind == FL_FAULT_DROP;
        d->duplicate |= m->kind == FL_FAULT_DUPLICATE;
        if (m->kind == FL_FAULT_DELAY) {
            d->delay = 1;
            d->extra_ns = m->extra_ns;
        }
    }
    return found;
}

void fl_sbuf_msg_entry(fl_sbuf *b, const fl_msg_fault *m)
{
    fl_sbuf_putf(b, "{\"kind\":\"%s\",\"from\":%d,\"to\":%d,\"nth\":%u",
                 fl_fault_kind_name(m->kind), m->from, m->to, (unsigned)m->nth);
    if (m->kind == FL_FAULT_DELAY)
        fl_sbuf_putf(b, ",\"extra_ns\":%lld", (long long)m->extra_ns);
    fl_sbuf_puts(b, "}");
}

char *fl_msg_fault_text(const fl_msg_fault *m)
{
    fl_sbuf b = {0};
    fl_sbuf_msg_entry(&b, m);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

char *fl_schedule_join_only(const char *const *entries, size_t n)
{
    fl_sbuf b = {0};
    fl_sbuf_puts(&b, "{\"version\":2,\"messages\":\"only\",\"entries\":[");
    for (size_t i = 0; i < n; i++) {
        fl_sbuf_puts(&b, i ? ",\n" : "\n");
        fl_sbuf_puts(&b, entries[i]);
    }
    fl_sbuf_puts(&b, n ? "\n]}\n" : "]}\n");
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
