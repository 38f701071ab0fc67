/*
 * schedule.c -- the schedule container, partitions, and writing schedules as JSON.
 *
 * Writing is done by hand rather than through cJSON so that nanosecond times (beyond
 * 2^53 in long runs) stay exact and a partition of a million nodes does not become a
 * million cJSON objects.  The text is canonical: parsing it and writing it again gives
 * the same bytes, which is what makes "--write-schedule then --schedule" reproduce a
 * run exactly.
 */
#include "faults/schedule_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"

static const char *const kind_names[FL_FAULT_STAT_COUNT] = {
    "partition", "heal", "crash", "restart", "timeout", "clock", "drop", "duplicate", "delay",
};

const char *fl_fault_kind_name(int kind)
{
    if (kind < 0 || kind >= FL_FAULT_STAT_COUNT)
        return NULL;
    return kind_names[kind];
}

int fl_fault_kind_parse(const char *name)
{
    for (int k = 0; k < FL_FAULT_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return -1;
}

int fl_fault_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= FL_FAULT_NAME_MAX)
        return 0;
    for (; *s; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.';
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---- partitions ---- */

fl_partition *fl_partition_new(int nodes, size_t nallow, const char *name)
{
    FL_ASSERT(nodes >= 1);
    fl_partition *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nodes = nodes;
    p->ngroups = 1;
    p->nallow = nallow;
    p->group_of = calloc((size_t)nodes + 1, sizeof *p->group_of);
    p->allow = calloc(nallow ? 2 * nallow : 1, sizeof *p->allow);
    if (!p->group_of || !p->allow) {
        fl_partition_free(p);
        return NULL;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int fl_partition_finish(fl_partition *p)
{
    free(p->allow_sorted);
    p->allow_sorted = malloc((p->nallow ? p->nallow : 1) * sizeof *p->allow_sorted);
    if (!p->allow_sorted)
        return FL_ENOMEM;
    for (size_t i = 0; i < p->nallow; i++) {
        FL_ASSERT(p->allow[2 * i] >= 0 && p->allow[2 * i] < p->ngroups);
        FL_ASSERT(p->allow[2 * i + 1] >= 0 && p->allow[2 * i + 1] < p->ngroups);
        p->allow_sorted[i] = (uint64_t)p->allow[2 * i] << 32 | (uint32_t)p->allow[2 * i + 1];
    }
    /* Sorting whole keys: the order is total, so no tie is left to qsort. */
    qsort(p->allow_sorted, p->nallow, sizeof *p->allow_sorted, cmp_u64);
    size_t n = 0;
    for (size_t i = 0; i < p->nallow; i++)
        if (n == 0 || p->allow_sorted[n - 1] != p->allow_sorted[i])
            p->allow_sorted[n++] = p->allow_sorted[i];
    p->nallow_sorted = n;
    return 0;
}

void fl_partition_free(fl_partition *p)
{
    if (!p)
        return;
    free(p->group_of);
    free(p->allow);
    free(p->allow_sorted);
    free(p->client_process);
    free(p->client_groups);
    free(p);
}

int fl_partition_cuts_client(const fl_partition *p, int process, int node)
{
    FL_ASSERT(node >= 1 && node <= p->nodes);
    size_t lo = 0, hi = p->nclients;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->client_process[mid] == process)
            return !(p->client_groups[mid] >> p->group_of[node] & 1);
        if (p->client_process[mid] < process)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int fl_partition_cuts(const fl_partition *p, int src, int dst)
{
    FL_ASSERT(src >= 1 && src <= p->nodes && dst >= 1 && dst <= p->nodes);
    int32_t a = p->group_of[src], b = p->group_of[dst];
    if (a == b)
        return 0;
    uint64_t key = (uint64_t)a << 32 | (uint32_t)b;
    size_t lo = 0, hi = p->nallow_sorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->allow_sorted[mid] == key)
            return 0;
        if (p->allow_sorted[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 1;
}

/* ---- the container ---- */

fl_schedule *fl_schedule_new_empty(int nodes)
{
    fl_schedule *s = calloc(1, sizeof *s);
    if (s)
        s->nodes = nodes;
    return s;
}

int fl_schedule_push(fl_schedule *s, const fl_fault *f)
{
    if (s->len >= FL_SCHEDULE_MAX_ENTRIES)
        goto limit;
    if (f->part) {
        size_t cells = (size_t)f->part->nodes + 1;
        if (s->cells + cells > FL_SCHEDULE_MAX_CELLS)
            goto limit;
        s->cells += cells;
    }
    if (s->len == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 64;
        fl_fault *ne = realloc(s->entries, ncap * sizeof *ne);
        if (!ne) {
            fl_partition_free(f->part);
            return FL_ENOMEM;
        }
        s->entries = ne;
        s->cap = ncap;
    }
    s->entries[s->len++] = *f;
    return 0;
limit:
    fl_partition_free(f->part);
    return FL_ELIMIT;
}

void fl_schedule_free(fl_schedule *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->len; i++)
        fl_partition_free(s->entries[i].part);
    free(s->entries);
    free(s->msgs);
    free(s->msg_order);
    free(s->ops);
    free(s);
}

size_t fl_schedule_len(const fl_schedule *s)
{
    return s->len;
}

int fl_schedule_nodes(const fl_schedule *s)
{
    return s->nodes;
}

const fl_fault *fl_schedule_entry(const fl_schedule *s, size_t i)
{
    FL_ASSERT(i < s->len);
    return &s->entries[i];
}

void fl_schedule_count(const fl_schedule *s, uint64_t counts[FL_FAULT_KIND_COUNT])
{
    memset(counts, 0, FL_FAULT_KIND_COUNT * sizeof counts[0]);
    for (size_t i = 0; i < s->len; i++)
        counts[s->entries[i].kind]++;
}

int64_t fl_schedule_quiet_since(const fl_schedule *s, int64_t window_to_ns)
{
    if (window_to_ns <= 0)
        return -1;
    /* Replay the entries: the schedule was validated, so crash/restart alternate per
     * node and a running count of down nodes is exact. */
    int64_t down = 0, last = 0;
    int partitioned = 0;
    for (size_t i = 0; i < s->len; i++) {
        const fl_fault *f = &s->entries[i];
        if (f->kind == FL_FAULT_PARTITION)
            partitioned = 1;
        else if (f->kind == FL_FAULT_HEAL)
            partitioned = 0;
        else if (f->kind == FL_FAULT_CRASH)
            down++;
        else if (f->kind == FL_FAULT_RESTART)
            down--;
        last = f->at_ns;
    }
    /* Plain entries alternate per node, so down >= 0; entries aimed by a selector are
     * counted as well (a generated crash of the leader has its own restart), and when
     * they do not balance nobody can say who is up at the end. */
    if (down != 0 || partitioned)
        return -1;
    return last > window_to_ns ? last : window_to_ns;
}

int fl_schedule_liveness_gap(const fl_schedule *s, int64_t window_to_ns, char *why, size_t cap)
{
    FL_ASSERT(cap > 0);
    why[0] = '\0';
    if (s->len == 0 || fl_schedule_quiet_since(s, window_to_ns) >= 0)
        return 0;
    if (window_to_ns <= 0) {
        snprintf(why, cap, "the scenario has no faults.window, so no liveness phase follows it");
        return 1;
    }
    uint8_t *down = calloc((size_t)s->nodes + 1, 1);
    FL_ASSERT(down != NULL); /* one byte per node */
    int partitioned = 0;
    for (size_t i = 0; i < s->len; i++) {
        const fl_fault *f = &s->entries[i];
        if (f->kind == FL_FAULT_PARTITION || f->kind == FL_FAULT_HEAL)
            partitioned = f->kind == FL_FAULT_PARTITION;
        else if ((f->kind == FL_FAULT_CRASH || f->kind == FL_FAULT_RESTART) && f->node > 0)
            down[f->node] = f->kind == FL_FAULT_CRASH; /* selectors: known only at run time */
    }
    int ndown = 0, n = 0;
    for (int id = 1; id <= s->nodes; id++)
        ndown += down[id];
    if (ndown == 0 && !partitioned) { /* only selectors' crashes and restarts are unpaired */
        free(down);
        snprintf(why, cap, "the crashes and restarts its selectors aim do not pair up");
        return 1;
    }
    int w0 = snprintf(why, cap, "the schedule leaves %s",
                      ndown > 1 ? "nodes "
                      : ndown   ? "node "
                                : "");
    size_t off = w0 > 0 ? (size_t)w0 : 0;
    for (int id = 1; id <= s->nodes && off < cap; id++)
        if (down[id]) {
            int w = snprintf(why + off, cap - off, "%s%d", n++ ? "," : "", id);
            off += w > 0 ? (size_t)w : 0;
        }
    free(down);
    if (off < cap)
        snprintf(why + off, cap - off, "%s%s%s at its end", n ? " down" : "",
                 n && partitioned ? " and " : "", partitioned ? "a partition in place" : "");
    return 1;
}

/* ---- text ---- */

static void sbuf_reserve(fl_sbuf *b, size_t extra)
{
    if (b->oom || b->len + extra + 1 <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + extra + 1)
        ncap *= 2;
    char *nb = realloc(b->buf, ncap);
    if (!nb) {
        b->oom = 1;
        return;
    }
    b->buf = nb;
    b->cap = ncap;
}

void fl_sbuf_putf(fl_sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    FL_ASSERT(n >= 0 && (size_t)n < sizeof tmp); /* only used for short pieces */
    fl_sbuf_puts(b, tmp);
}

void fl_sbuf_puts(fl_sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sbuf_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->buf + b->len, s, n + 1);
    b->len += n;
}

/* Nodes bucketed by group, each group in ascending id order: members of group g are
 * order[start[g] .. start[g + 1]).  O(N + G).  Returns 0 or FL_ENOMEM. */
static int bucket_groups(const fl_partition *p, int32_t **order, size_t **start)
{
    *order = malloc((size_t)p->nodes * sizeof **order);
    *start = calloc((size_t)p->ngroups + 1, sizeof **start);
    if (!*order || !*start) {
        free(*order);
        free(*start);
        return FL_ENOMEM;
    }
    size_t *st = *start;
    for (int id = 1; id <= p->nodes; id++)
        st[p->group_of[id] + 1]++;
    for (int g = 0; g < p->ngroups; g++)
        st[g + 1] += st[g];
    size_t *fill = malloc(((size_t)p->ngroups + 1) * sizeof *fill);
    if (!fill) {
        free(*order);
        free(*start);
        return FL_ENOMEM;
    }
    memcpy(fill, st, ((size_t)p->ngroups + 1) * sizeof *fill);
    for (int id = 1; id <= p->nodes; id++)
        (*order)[fill[p->group_of[id]]++] = id;
    free(fill);
    return 0;
}

/* Groups as JSON ("[[1],[2,3]]", json != 0) or as trace text ("{1} | {2,3}"); the
 * trace form stops after about max_len bytes with "...". */
static void put_groups(fl_sbuf *b, const fl_partition *p, int json, size_t max_len)
{
    int32_t *order;
    size_t *start;
    if (bucket_groups(p, &order, &start) != 0) {
        b->oom = 1;
        return;
    }
    size_t begin = b->len;
    fl_sbuf_puts(b, json ? "[" : "");
    for (int g = 0; g < p->ngroups; g++) {
        if (!json && b->len - begin > max_len) {
            fl_sbuf_puts(b, " ...");
            break;
        }
        fl_sbuf_puts(b, g == 0 ? "" : json ? "," : " | ");
        fl_sbuf_puts(b, json ? "[" : "{");
        for (size_t k = start[g]; k < start[g + 1]; k++) {
            if (!json && b->len - begin > max_len) {
                fl_sbuf_puts(b, "...");
                break;
            }
            fl_sbuf_putf(b, k == start[g] ? "%d" : ",%d", (int)order[k]);
        }
        fl_sbuf_puts(b, json ? "]" : "}");
    }
    fl_sbuf_puts(b, json ? "]" : "");
    free(order);
    free(start);
}

/* ,"clients":{"0":[0],"3":[1,2]} */
static void put_clients(fl_sbuf *b, const fl_partition *p)
{
    fl_sbuf_puts(b, ",\"clients\":{");
    for (size_t i = 0; i < p->nclients; i++) {
        fl_sbuf_putf(b, "%s\"%d\":[", i ? "," : "", (int)p->client_process[i]);
        int first = 1;
        for (int g = 0; g < FL_PARTITION_CLIENT_GROUPS; g++)
            if (p->client_groups[i] >> g & 1) {
                fl_sbuf_putf(b, first ? "%d" : ",%d", g);
                first = 0;
            }
        fl_sbuf_puts(b, "]");
    }
    fl_sbuf_puts(b, "}");
}

void fl_sbuf_groups(fl_sbuf *b, const fl_partition *p, size_t max_len)
{
    put_groups(b, p, 0, max_len);
}

void fl_sbuf_entry(fl_sbuf *b, const fl_fault *f)
{
    fl_sbuf_putf(b, "{\"at_ns\":%lld,\"kind\":\"%s\"", (long long)f->at_ns,
                 fl_fault_kind_name(f->kind));
    switch (f->kind) {
    case FL_FAULT_PARTITION:
        if (f->isolate) { /* built when it fires; its name is kept in timer */
            fl_sbuf_putf(b, ",\"name\":\"%s\"", f->timer);
            fl_aim_put_node(b, "isolate", f);
            break;
        }
        /* Names are plain ([A-Za-z0-9_.-]), so they need no escaping. */
        fl_sbuf_puts(b, ",\"name\":\"");
        fl_sbuf_puts(b, f->part->name);
        fl_sbuf_puts(b, "\",\"groups\":");
        put_groups(b, f->part, 1, 0);
        fl_sbuf_puts(b, ",\"allow\":[");
        for (size_t i = 0; i < f->part->nallow; i++)
            fl_sbuf_putf(b, i ? ",[%d,%d]" : "[%d,%d]", (int)f->part->allow[2 * i],
                         (int)f->part->allow[2 * i + 1]);
        fl_sbuf_puts(b, "]");
        if (f->part->nclients) /* only hand-written partitions have one */
            put_clients(b, f->part);
        break;
    case FL_FAULT_HEAL:
        break;
    case FL_FAULT_CRASH:
    case FL_FAULT_RESTART:
        fl_aim_put_node(b, "node", f);
        break;
    case FL_FAULT_TIMEOUT:
        fl_aim_put_node(b, "node", f);
        if (f->timer[0]) {
            fl_sbuf_puts(b, ",\"timer\":\"");
            fl_sbuf_puts(b, f->timer);
            fl_sbuf_puts(b, "\"");
        }
        break;
    case FL_FAULT_CLOCK:
        fl_aim_put_node(b, "node", f);
        fl_sbuf_putf(b, ",\"ppm\":%d", (int)f->ppm);
        break;
    default:
        FL_ASSERT(!"unknown fault kind");
    }
    fl_aim_put_tail(b, f);
    fl_sbuf_puts(b, "}");
}

char *fl_schedule_to_text(const fl_schedule *s)
{
    fl_sbuf b = {0};
    size_t n = s->len + s->nmsgs;
    if (s->format == 2) {
        fl_sbuf_putf(&b, "{\"version\":2,\"messages\":\"%s\",", s->messages_only ? "only" : "seed");
        if (s->has_ops) {
            fl_sbuf_puts(&b, "\"ops\":[");
            for (size_t i = 0; i < s->nops; i++)
                fl_sbuf_putf(&b, "%s%llu", i ? "," : "", (unsigned long long)s->ops[i]);
            fl_sbuf_puts(&b, "],");
        }
        fl_sbuf_puts(&b, "\"entries\":");
    }
    fl_sbuf_puts(&b, n ? "[\n" : "[");
    for (size_t i = 0; i < n; i++) {
        if (i < s->len)
            fl_sbuf_entry(&b, &s->entries[i]);
        else
            fl_sbuf_msg_entry(&b, &s->msgs[i - s->len]);
        fl_sbuf_puts(&b, i + 1 < n ? ",\n" : "\n");
    }
    fl_sbuf_puts(&b, s->format == 2 ? "]}\n" : "]\n");
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

char *fl_schedule_entry_text(const fl_schedule *s, size_t i)
{
    FL_ASSERT(i < s->len);
    fl_sbuf b = {0};
    fl_sbuf_entry(&b, &s->entries[i]);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
