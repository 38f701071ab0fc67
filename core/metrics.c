/*
 * metrics.c -- the run's one metrics registry: protocol counters (fl_metric_add), the
 * observer's (fl_cluster_metric_set), the fault accounting and the world's own
 * counters, all as (name, value) for the `metrics` table.
 *
 * A name is interned once to an id (its index in interning order); an index sorted by
 * name serves look-ups by name and the enumeration, which is in name order so that
 * rows come out the same whatever order the names were first seen in.  Hot paths (the
 * network policy counting a faulted message) add by id and never compare strings.
 */
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/world_impl.h"

static const char *const world_metric_names[WM_COUNT] = {
    "msgs.sent",     "msgs.delivered",           "msgs.dropped",      "node.crashes",
    "node.restarts", "disk.unsynced_bytes_lost", "disk.corrupt_reads"};

/* Position of name in the sorted index: its slot if found (*found = 1), else where it
 * would go. */
static size_t find(const fl_world *w, const char *name, int *found)
{
    size_t lo = 0, hi = w->nmetrics;
    *found = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(w->metrics[w->by_name[mid]].name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void grow(fl_world *w)
{
    size_t ncap = w->metrics_cap ? w->metrics_cap * 2 : 32;
    metric *m = realloc(w->metrics, ncap * sizeof *m);
    FL_ASSERT(m != NULL);
    w->metrics = m;
    uint32_t *b = realloc(w->by_name, ncap * sizeof *b);
    FL_ASSERT(b != NULL);
    w->by_name = b;
    w->metrics_cap = ncap;
}

int fl_world_metric_id(fl_world *w, const char *name)
{
    int found;
    size_t pos = find(w, name, &found);
    if (found)
        return (int)w->by_name[pos];
    if (w->nmetrics == w->metrics_cap)
        grow(w);
    uint32_t id = (uint32_t)w->nmetrics;
    w->metrics[id].name = strdup(name);
    FL_ASSERT(w->metrics[id].name != NULL);
    w->metrics[id].value = 0;
    memmove(&w->by_name[pos + 1], &w->by_name[pos], (w->nmetrics - pos) * sizeof *w->by_name);
    w->by_name[pos] = id;
    w->nmetrics++;
    return (int)id;
}

void fl_world_metric_add_id(fl_world *w, int id, int64_t delta)
{
    FL_ASSERT(id >= 0 && (size_t)id < w->nmetrics);
    w->metrics[id].value += delta;
}

void fl_world_metric_set_id(fl_world *w, int id, int64_t value)
{
    FL_ASSERT(id >= 0 && (size_t)id < w->nmetrics);
    w->metrics[id].value = value;
}

int64_t fl_world_metric_value(const fl_world *w, int id)
{
    FL_ASSERT(id >= 0 && (size_t)id < w->nmetrics);
    return w->metrics[id].value;
}

void fl_world_metric_add(fl_world *w, const char *name, int64_t delta)
{
    fl_world_metric_add_id(w, fl_world_metric_id(w, name), delta);
}

void fl_metric_add(fl_node *n, const char *name, int64_t delta)
{
    fl_world_metric_add(n->w, name, delta);
}

void fl_cluster_metric_set(const fl_cluster *c, const char *name, int64_t value)
{
    fl_world_metric_set_id(c->w, fl_world_metric_id(c->w, name), value);
}

void fl_world_metrics_each(const fl_world *w, void (*fn)(void *ctx, const char *name, int64_t v),
                           void *ctx)
{
    for (size_t i = 0; i < w->nmetrics; i++) {
        const metric *m = &w->metrics[w->by_name[i]];
        fn(ctx, m->name, m->value);
    }
}

int fl_world_metrics_init(fl_world *w)
{
    for (int i = 0; i < WM_COUNT; i++)
        w->wm[i] = fl_world_metric_id(w, world_metric_names[i]);
    return 0;
}

/* The world's counters into the registry: called once, when the run ends. */
void fl_world_metrics_final(fl_world *w)
{
    const fl_world_counts *c = &w->counts;
    const uint64_t v[WM_COUNT] = {c->sent,     c->delivered,           c->dropped,      c->crashes,
                                  c->restarts, c->unsynced_bytes_lost, c->corrupt_reads};
    for (int i = 0; i < WM_COUNT; i++)
        fl_world_metric_set_id(w, w->wm[i], (int64_t)v[i]);
}

void fl_world_metrics_close(fl_world *w)
{
    for (size_t i = 0; i < w->nmetrics; i++)
        free(w->metrics[i].name);
    free(w->metrics);
    free(w->by_name);
}
