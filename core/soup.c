/*
 * soup.c -- the message soup: every message in flight, with its id, ends and times.
 *
 * Messages live in a slab indexed by slot (recycled through a free list); bodies come
 * from power-of-two size classes with free lists, so steady traffic does no malloc.
 * A message leaves the soup when its fate is decided (delivered or dropped); the
 * sinks hear of every fate exactly once, in_flight ones at the end of the run.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/world_impl.h"

#define SLOT_NONE UINT32_MAX
#define SOUP_MAX_MSGS ((1u << 24) - 1)

static int body_class(size_t len)
{
    int k = 0;
    size_t cap = 16;
    while (cap < len) {
        cap <<= 1;
        k++;
    }
    return k;
}

static void *body_alloc(fl_world *w, size_t len)
{
    int k = body_class(len);
    if (k >= SOUP_CLASSES)
        return malloc(len);
    void *p = w->body_free[k];
    if (p) {
        memcpy(&w->body_free[k], p, sizeof(void *));
        return p;
    }
    return malloc((size_t)16 << k);
}

static void body_free(fl_world *w, void *p, size_t len)
{
    if (!p)
        return;
    int k = body_class(len);
    if (k >= SOUP_CLASSES) {
        free(p);
        return;
    }
    memcpy(p, &w->body_free[k], sizeof(void *));
    w->body_free[k] = p;
}

static int grow_slab(fl_world *w)
{
    if (w->msgs_cap >= SOUP_MAX_MSGS)
        return FL_ELIMIT;
    uint32_t ncap = w->msgs_cap ? w->msgs_cap * 2 : 64;
    if (ncap > SOUP_MAX_MSGS)
        ncap = SOUP_MAX_MSGS;
    fl_msg *m = realloc(w->msgs, ncap * sizeof *m);
    if (!m)
        return FL_ENOMEM;
    w->msgs = m;
    uint32_t *nf = realloc(w->msg_next_free, ncap * sizeof *nf);
    if (!nf)
        return FL_ENOMEM;
    w->msg_next_free = nf;
    if (w->msg_desc) {
        char **d = realloc(w->msg_desc, ncap * sizeof *d);
        if (!d)
            return FL_ENOMEM;
        memset(d + w->msgs_cap, 0, (ncap - w->msgs_cap) * sizeof *d);
        w->msg_desc = d;
    }
    w->msgs_cap = ncap;
    return 0;
}

int fl_soup_new_msg(fl_world *w, int src, int dst, const void *body, size_t len, uint32_t *slot)
{
    uint32_t s;
    if (w->msg_free != SLOT_NONE) {
        s = w->msg_free;
        w->msg_free = w->msg_next_free[s];
    } else {
        if (w->nmsgs == w->msgs_cap) {
            int rc = grow_slab(w);
            if (rc)
                return rc;
        }
        s = w->nmsgs++;
    }
    void *copy = NULL;
    if (len > 0) {
        copy = body_alloc(w, len);
        if (!copy) {
            w->msg_next_free[s] = w->msg_free;
            w->msg_free = s;
            return FL_ENOMEM;
        }
        memcpy(copy, body, len);
    }
    fl_msg *m = &w->msgs[s];
    memset(m, 0, sizeof *m);
    m->id = w->next_msg_id++;
    m->src = src;
    m->dst = dst;
    m->sent_ns = w->now_ns;
    m->deliver_ns = -1;
    m->sent_step = w->step;
    m->body = copy;
    m->len = (uint32_t)len;
    m->fate = FL_FATE_IN_FLIGHT;
    w->msg_next_free[s] = SLOT_NONE - 1; /* marks the slot live */
    w->counts.sent++;
    w->counts.in_flight++;
    *slot = s;
    return 0;
}

void fl_soup_free_msg(fl_world *w, uint32_t slot)
{
    fl_msg *m = &w->msgs[slot];
    FL_ASSERT(w->msg_next_free[slot] == SLOT_NONE - 1);
    body_free(w, m->body, m->len);
    m->body = NULL;
    if (w->msg_desc) {
        free(w->msg_desc[slot]);
        w->msg_desc[slot] = NULL;
    }
    w->msg_next_free[slot] = w->msg_free;
    w->msg_free = slot;
}

void fl_soup_set_fate(fl_world *w, fl_msg *m, int fate)
{
    FL_ASSERT(m->fate == FL_FATE_IN_FLIGHT);
    FL_ASSERT(fate != FL_FATE_IN_FLIGHT);
    m->fate = (uint8_t)fate;
    w->counts.in_flight--;
    w->counts.fates[fate]++;
    if (fate == FL_FATE_DELIVERED)
        w->counts.delivered++;
    else
        w->counts.dropped++;
    fl_world_fold(w, m->id);
    fl_world_fold(w, (uint64_t)fate);
    fl_world_emit_fate(w, m);
}

static int msg_live(const fl_world *w, uint32_t s)
{
    return w->msg_next_free[s] == SLOT_NONE - 1;
}

void fl_soup_close(fl_world *w)
{
    for (uint32_t s = 0; s < w->nmsgs; s++)
        if (msg_live(w, s)) {
            body_free(w, w->msgs[s].body, w->msgs[s].len);
            if (w->msg_desc)
                free(w->msg_desc[s]);
        }
    for (int k = 0; k < SOUP_CLASSES; k++) {
        void *p = w->body_free[k];
        while (p) {
            void *next;
            memcpy(&next, p, sizeof next);
            free(p);
            p = next;
        }
        w->body_free[k] = NULL;
    }
    free(w->msgs);
    free(w->msg_next_free);
    free(w->msg_desc);
    free(w->link_seq);
    w->link_seq = NULL;
    w->msgs = NULL;
    w->msg_next_free = NULL;
    w->msg_desc = NULL;
}

/* ---- per-link send counts: the nth of a message ---- */

static size_t seq_slot(uint64_t key, size_t cap)
{
    /* Fibonacci hashing of a key made only of node ids: deterministic everywhere. */
    return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static void grow_link_seq(fl_world *w)
{
    size_t ncap = w->link_seq_cap ? 2 * w->link_seq_cap : 64;
    fl_link_seq *nt = calloc(ncap, sizeof *nt);
    FL_ASSERT(nt != NULL); /* one slot per talking pair: out of memory is fatal */
    for (size_t i = 0; i < w->link_seq_cap; i++) {
        if (!w->link_seq[i].key)
            continue;
        size_t j = seq_slot(w->link_seq[i].key, ncap);
        while (nt[j].key)
            j = (j + 1) & (ncap - 1);
        nt[j] = w->link_seq[i];
    }
    free(w->link_seq);
    w->link_seq = nt;
    w->link_seq_cap = ncap;
}

uint32_t fl_soup_next_nth(fl_world *w, int src, int dst)
{
    if (2 * (w->link_seq_len + 1) > w->link_seq_cap)
        grow_link_seq(w);
    uint64_t key = (uint64_t)(uint32_t)src << 32 | (uint32_t)dst;
    size_t j = seq_slot(key, w->link_seq_cap);
    while (w->link_seq[j].key && w->link_seq[j].key != key)
        j = (j + 1) & (w->link_seq_cap - 1);
    if (!w->link_seq[j].key) {
        w->link_seq[j].key = key;
        w->link_seq_len++;
    }
    /* 2^32 - 1 sends on one link is beyond any run's step limit */
    FL_ASSERT(w->link_seq[j].sent < UINT32_MAX);
    return (uint32_t)++w->link_seq[j].sent;
}

/* In-flight messages in id order, for the end of a run and for scripts.  Slots are
 * not in id order, so collect and sort: never let the slab's layout show. */
static int cmp_id(const void *a, const void *b)
{
    uint64_t x = (*(fl_msg *const *)a)->id, y = (*(fl_msg *const *)b)->id;
    return x < y ? -1 : x > y;
}

size_t fl_soup_in_flight_sorted(fl_world *w, fl_msg ***out)
{
    size_t n = 0;
    fl_msg **v = malloc((w->counts.in_flight + 1) * sizeof *v);
    FL_ASSERT(v != NULL);
    for (uint32_t s = 0; s < w->nmsgs; s++)
        if (msg_live(w, s) && w->msgs[s].fate == FL_FATE_IN_FLIGHT)
            v[n++] = &w->msgs[s];
    qsort(v, n, sizeof *v, cmp_id);
    *out = v;
    return n;
}

uint32_t fl_soup_slot_of(const fl_world *w, const fl_msg *m)
{
    return (uint32_t)(m - w->msgs);
}

const fl_msg *fl_world_find_msg(fl_world *w, int src, int dst, const char *type)
{
    return fl_world_find_msg_nth(w, src, dst, type, 0, -1);
}

const fl_msg *fl_world_find_msg_nth(fl_world *w, int src, int dst, const char *type, uint32_t nth,
                                    int copy)
{
    fl_msg **v;
    size_t n = fl_soup_in_flight_sorted(w, &v);
    const fl_msg *found = NULL;
    char buf[256];
    for (size_t i = 0; i < n && !found; i++) {
        const fl_msg *m = v[i];
        if ((src && m->src != src) || (dst && m->dst != dst))
            continue;
        if ((nth && m->nth != nth) || (copy >= 0 && m->copy != (uint32_t)copy))
            continue;
        if (type) {
            fl_world_describe(w, m, buf, sizeof buf);
            size_t tl = strlen(type);
            if (strncmp(buf, type, tl) != 0 || (buf[tl] != ' ' && buf[tl] != '\0'))
                continue;
        }
        found = m;
    }
    free(v);
    return found;
}

size_t fl_world_in_flight(const fl_world *w)
{
    return (size_t)w->counts.in_flight;
}
