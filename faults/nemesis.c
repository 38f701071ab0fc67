/*
 * nemesis.c -- generating a run's fault schedule from its faults config and seed.
 *
 * The generator walks the fault window once, in time order, keeping the state the
 * schedule will create (who is down, whether a partition is in place, who drifts), so
 * that it never crashes a down node, never restarts an up one and never forces a timeout
 * on a down node.  Each entry kind draws only from its own stream ("faults", kind):
 * switching clocks on does not move a single crash.  Times between faults of a kind are
 * exponential with the configured mean; durations are uniform in [D/2, 3D/2].
 *
 * A partition lasts until its heal, or until the next partition replaces it (the
 * network rarely heals completely between two splits).  When there is a window, its end
 * heals everything: a heal, then the restart of every down node, then a zero drift for
 * every drifted node, all at window_to, in node order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/error.h"
#include "core/rng.h"
#include "faults/schedule_int.h"

#define NEVER INT64_MAX

enum { STREAM_PARTITION = 0, STREAM_CRASH, STREAM_TIMEOUT, STREAM_CLOCK, STREAM_COUNT };

typedef struct pending {
    int64_t at_ns;
    int node;
} pending;

typedef struct gen {
    const fl_faults_config *cfg;
    fl_schedule *s;
    int nodes;
    int64_t from_ns, to_ns;
    fl_rng rng[STREAM_COUNT];
    int32_t *up, *pos; /* up[0..nup): the up nodes; pos[id]: index in up, -1 if down */
    int nup;
    pending *rs; /* pending restarts, sorted by (at_ns, node) */
    size_t nrs;
    uint8_t *drift; /* drift[id] != 0: the node's clock was set off */
    int32_t *perm;  /* scratch: a permutation of 1..N */
    int64_t next_part, heal_at, next_crash, next_timeout, next_clock;
} gen;

static int64_t uniform_around(fl_rng *r, int64_t d)
{
    if (d <= 1)
        return 1;
    return fl_rng_range(r, d / 2, d + d / 2);
}

static int64_t next_after(fl_rng *r, int64_t t, int64_t every_ns)
{
    if (every_ns <= 0)
        return NEVER;
    int64_t dt = fl_rng_exp(r, every_ns);
    return t > NEVER - dt ? NEVER : t + dt;
}

static int emit(gen *g, int64_t t, int kind, int node, fl_partition *part)
{
    fl_fault f = {.at_ns = t, .kind = kind, .node = node, .part = part};
    return fl_schedule_push(g->s, &f);
}

/* ---- the up set ---- */

static void set_down(gen *g, int node)
{
    int32_t i = g->pos[node], last = g->up[g->nup - 1];
    FL_ASSERT(i >= 0);
    g->up[i] = last;
    g->pos[last] = i;
    g->pos[node] = -1;
    g->nup--;
}

static void set_up(gen *g, int node)
{
    FL_ASSERT(g->pos[node] < 0);
    g->up[g->nup] = node;
    g->pos[node] = g->nup++;
}

static int pick_up(gen *g, fl_rng *r)
{
    return g->up[fl_rng_below(r, (uint64_t)g->nup)];
}

/* ---- partitions ---- */

/* Shuffle the first k places of perm (a partial Fisher-Yates over 1..N). */
static void shuffle_prefix(gen *g, fl_rng *r, int k)
{
    for (int i = 0; i < g->nodes; i++)
        g->perm[i] = i + 1;
    for (int i = 0; i < k; i++) {
        int j = i + (int)fl_rng_below(r, (uint64_t)(g->nodes - i));
        int32_t t = g->perm[i];
        g->perm[i] = g->perm[j];
        g->perm[j] = t;
    }
}

static int min_nodes(int kind)
{
    return kind == FL_PART_RING ? 4 : kind == FL_PART_BRIDGE ? 3 : 2;
}

static const char *const part_names[FL_PART_KIND_COUNT] = {"isolate", "halves", "oneway", "bridge",
                                                           "ring"};

int fl_faults_config_unproducible(const fl_faults_config *cfg, int nodes, char *buf, size_t cap)
{
    FL_ASSERT(cap > 0);
    if (cfg->partition_every_ns <= 0)
        return 0;
    size_t off = 0;
    int n = 0, drawable = 0;
    buf[0] = '\0';
    for (int k = 0; k < FL_PART_KIND_COUNT; k++) {
        if (!(cfg->partition_kinds & (1u << k)))
            continue;
        if (nodes >= min_nodes(k)) {
            drawable++;
            continue;
        }
        int w = snprintf(buf + off, off < cap ? cap - off : 0, "%s%s needs at least %d nodes",
                         n ? ", " : "faults.partition.kinds: ", part_names[k], min_nodes(k));
        off += w > 0 ? (size_t)w : 0;
        n++;
    }
    if (n == 0)
        return 0;
    if (off < cap)
        snprintf(buf + off, cap - off, "; the scenario has %d, so %s", nodes,
                 drawable ? (n > 1 ? "they are never drawn" : "it is never drawn")
                          : "no partition is ever drawn");
    return 1;
}

static fl_partition *make_partition(gen *g, fl_rng *r, int kind)
{
    static const int32_t bridge_allow[8] = {0, 1, 1, 0, 2, 1, 1, 2};
    int n = g->nodes;
    size_t nallow = kind == FL_PART_ONEWAY   ? 1
                    : kind == FL_PART_BRIDGE ? 4
                    : kind == FL_PART_RING   ? 2 * (size_t)n
                                             : 0;
    fl_partition *p = fl_partition_new(n, nallow, part_names[kind]);
    if (!p)
        return NULL;
    if (kind == FL_PART_ISOLATE) {
        int x = 1 + (int)fl_rng_below(r, (uint64_t)n);
        for (int id = 1; id <= n; id++)
            p->group_of[id] = id == x ? 0 : 1;
        p->ngroups = 2;
    } else if (kind == FL_PART_HALVES || kind == FL_PART_ONEWAY) {
        /* Group 0 is the smaller half; oneway lets it reach the larger one only. */
        shuffle_prefix(g, r, n / 2);
        for (int id = 1; id <= n; id++)
            p->group_of[id] = 1;
        for (int i = 0; i < n / 2; i++)
            p->group_of[g->perm[i]] = 0;
        p->ngroups = 2;
        if (kind == FL_PART_ONEWAY)
            p->allow[0] = 0, p->allow[1] = 1;
    } else if (kind == FL_PART_BRIDGE) {
        /* perm[0] is the bridge (group 1); the next (n-1)/2 form group 0. */
        shuffle_prefix(g, r, 1 + (n - 1) / 2);
        for (int id = 1; id <= n; id++)
            p->group_of[id] = 2;
        p->group_of[g->perm[0]] = 1;
        for (int i = 1; i <= (n - 1) / 2; i++)
            p->group_of[g->perm[i]] = 0;
        p->ngroups = 3;
        memcpy(p->allow, bridge_allow, sizeof bridge_allow);
    } else {
        FL_ASSERT(kind == FL_PART_RING);
        /* Group i is the node at ring position i; neighbours talk both ways. */
        shuffle_prefix(g, r, n);
        for (int i = 0; i < n; i++) {
            p->group_of[g->perm[i]] = i;
            int32_t *a = &p->allow[4 * (size_t)i];
            a[0] = i, a[1] = (i + 1) % n; /* i -> next */
            a[2] = (i + 1) % n, a[3] = i; /* next -> i */
        }
        p->ngroups = n;
    }
    if (fl_partition_finish(p) != 0) {
        fl_partition_free(p);
        return NULL;
    }
    return p;
}

static int do_partition(gen *g, int64_t t)
{
    fl_rng *r = &g->rng[STREAM_PARTITION];
    int kinds[FL_PART_KIND_COUNT], nk = 0;
    for (int k = 0; k < FL_PART_KIND_COUNT; k++)
        if ((g->cfg->partition_kinds & (1u << k)) && g->nodes >= min_nodes(k))
            kinds[nk++] = k;
    g->next_part = next_after(r, t, g->cfg->partition_every_ns);
    if (nk == 0)
        return 0;
    int kind = kinds[fl_rng_below(r, (uint64_t)nk)];
    fl_partition *p = make_partition(g, r, kind);
    if (!p)
        return FL_ENOMEM;
    int64_t dur = uniform_around(r, g->cfg->partition_duration_ns);
    g->heal_at = t > NEVER - dur ? NEVER - 1 : t + dur;
    return emit(g, t, FL_FAULT_PARTITION, 0, p);
}

/* ---- crashes and restarts ---- */

static int add_restart(gen *g, int64_t at, int node)
{
    pending *nr = realloc(g->rs, (g->nrs + 1) * sizeof *nr);
    if (!nr)
        return FL_ENOMEM;
    g->rs = nr;
    size_t i = g->nrs++;
    while (i > 0 &&
           (g->rs[i - 1].at_ns > at || (g->rs[i - 1].at_ns == at && g->rs[i - 1].node > node))) {
        g->rs[i] = g->rs[i - 1];
        i--;
    }
    g->rs[i] = (pending){at, node};
    return 0;
}

static int do_crash(gen *g, int64_t t)
{
    fl_rng *r = &g->rng[STREAM_CRASH];
    g->next_crash = next_after(r, t, g->cfg->crash_every_ns);
    if (g->nup == 0)
        return 0;
    int node = pick_up(g, r);
    int64_t down = uniform_around(r, g->cfg->crash_down_ns);
    set_down(g, node);
    int rc = emit(g, t, FL_FAULT_CRASH, node, NULL);
    if (rc == 0)
        rc = add_restart(g, t > NEVER - down ? NEVER - 1 : t + down, node);
    return rc;
}

static int do_restart(gen *g)
{
    pending p = g->rs[0];
    memmove(g->rs, g->rs + 1, (g->nrs - 1) * sizeof *g->rs);
    g->nrs--;
    set_up(g, p.node);
    return emit(g, p.at_ns, FL_FAULT_RESTART, p.node, NULL);
}

/* ---- timeouts and clocks ---- */

static int do_timeout(gen *g, int64_t t)
{
    fl_rng *r = &g->rng[STREAM_TIMEOUT];
    g->next_timeout = next_after(r, t, g->cfg->timeout_every_ns);
    if (g->nup == 0)
        return 0;
    fl_fault f = {.at_ns = t, .kind = FL_FAULT_TIMEOUT, .node = pick_up(g, r)};
    memcpy(f.timer, g->cfg->timeout_timer, sizeof f.timer);
    f.timer[sizeof f.timer - 1] = '\0';
    return fl_schedule_push(g->s, &f);
}

static int do_clock(gen *g, int64_t t)
{
    fl_rng *r = &g->rng[STREAM_CLOCK];
    g->next_clock = next_after(r, t, g->cfg->clock_every_ns);
    if (g->nup == 0)
        return 0;
    int32_t max = g->cfg->clock_max_ppm;
    fl_fault f = {.at_ns = t, .kind = FL_FAULT_CLOCK, .node = pick_up(g, r)};
    f.ppm = (int32_t)fl_rng_range(r, -max, max);
    g->drift[f.node] = f.ppm != 0;
    return fl_schedule_push(g->s, &f);
}

/* ---- the walk ---- */

/* Run every fault due before the window's end, earliest first; at equal times the
 * order is heal, restart, partition, crash, timeout, clock. */
static int walk(gen *g)
{
    /* Draws, not only entries, are bounded: a kind whose every target is down draws and
     * emits nothing, and at a rate of 1 ns that is billions of draws (swarm mode scales
     * the rates the scenario checked). */
    for (uint64_t draws = 0;; draws++) {
        if (draws > 4 * (uint64_t)FL_SCHEDULE_MAX_ENTRIES)
            return FL_ELIMIT;
        int64_t restart_at = g->nrs ? g->rs[0].at_ns : NEVER;
        int64_t t = g->heal_at;
        int which = 0, rc = 0;
        const int64_t cand[5] = {restart_at, g->next_part, g->next_crash, g->next_timeout,
                                 g->next_clock};
        for (int i = 0; i < 5; i++)
            if (cand[i] < t)
                t = cand[i], which = i + 1;
        if (t >= g->to_ns)
            return 0;
        switch (which) {
        case 0:
            g->heal_at = NEVER;
            rc = emit(g, t, FL_FAULT_HEAL, 0, NULL);
            break;
        case 1:
            rc = do_restart(g);
            break;
        case 2:
            rc = do_partition(g, t);
            break;
        case 3:
            rc = do_crash(g, t);
            break;
        case 4:
            rc = do_timeout(g, t);
            break;
        default:
            rc = do_clock(g, t);
        }
        if (rc != 0)
            return rc;
    }
}

/* The window's end: heal, restart everyone, reset clocks (DESIGN.md: the liveness
 * phase starts with every fault healed). */
static int close_window(gen *g)
{
    int64_t t = g->to_ns;
    int rc = 0;
    if (g->heal_at != NEVER)
        rc = emit(g, t, FL_FAULT_HEAL, 0, NULL);
    for (int id = 1; id <= g->nodes && rc == 0; id++)
        if (g->pos[id] < 0)
            rc = emit(g, t, FL_FAULT_RESTART, id, NULL);
    for (int id = 1; id <= g->nodes && rc == 0; id++)
        if (g->drift[id]) {
            fl_fault f = {.at_ns = t, .kind = FL_FAULT_CLOCK, .node = id, .ppm = 0};
            rc = fl_schedule_push(g->s, &f);
        }
    return rc;
}

static int gen_init(gen *g, const fl_faults_config *cfg, int nodes, uint64_t seed, int64_t until_ns)
{
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->nodes = nodes;
    g->from_ns = cfg->window_from_ns > 0 ? cfg->window_from_ns : 0;
    g->to_ns = cfg->window_to_ns > 0 ? cfg->window_to_ns : until_ns;
    if (g->to_ns > until_ns)
        g->to_ns = until_ns;
    for (int k = 0; k < STREAM_COUNT; k++)
        fl_rng_fork(&g->rng[k], seed, "faults", (uint64_t)k);
    g->s = fl_schedule_new_empty(nodes);
    g->up = malloc((size_t)nodes * sizeof *g->up);
    g->pos = malloc(((size_t)nodes + 1) * sizeof *g->pos);
    g->drift = calloc((size_t)nodes + 1, 1);
    g->perm = malloc((size_t)nodes * sizeof *g->perm);
    if (!g->s || !g->up || !g->pos || !g->drift || !g->perm)
        return FL_ENOMEM;
    for (int id = 0; id <= nodes; id++)
        g->pos[id] = -1;
    for (int id = 1; id <= nodes; id++)
        set_up(g, id);
    g->heal_at = NEVER;
    g->next_part = next_after(&g->rng[STREAM_PARTITION], g->from_ns, cfg->partition_every_ns);
    g->next_crash = next_after(&g->rng[STREAM_CRASH], g->from_ns, cfg->crash_every_ns);
    g->next_timeout = next_after(&g->rng[STREAM_TIMEOUT], g->from_ns, cfg->timeout_every_ns);
    g->next_clock = cfg->clock_max_ppm > 0
                        ? next_after(&g->rng[STREAM_CLOCK], g->from_ns, cfg->clock_every_ns)
                        : NEVER;
    return 0;
}

static void gen_close(gen *g)
{
    free(g->up);
    free(g->pos);
    free(g->drift);
    free(g->perm);
    free(g->rs);
}

int fl_schedule_generate(const fl_faults_config *cfg_in, int nodes, uint64_t seed, int64_t until_ns,
                         fl_schedule **out, char *err, size_t cap)
{
    *out = NULL;
    if (nodes < 1 || nodes > FL_MAX_NODES || until_ns < 0) {
        snprintf(err, cap, "faults: bad run shape (%d nodes, until %lld ns)", nodes,
                 (long long)until_ns);
        return FL_EINVAL;
    }
    if (cfg_in->clock_max_ppm < 0 || cfg_in->clock_max_ppm > FL_CLOCK_MAX_PPM) {
        snprintf(err, cap, "faults: clock drift must be within [0,%d] ppm, got %d",
                 FL_CLOCK_MAX_PPM, (int)cfg_in->clock_max_ppm);
        return FL_EINVAL;
    }
    fl_faults_config cfg = *cfg_in; /* swarm mode was applied by the caller, once */
    gen g;
    int rc = gen_init(&g, &cfg, nodes, seed, until_ns);
    if (rc == 0)
        rc = walk(&g);
    if (rc == 0 && cfg.window_to_ns > 0)
        rc = close_window(&g);
    if (rc == 0 && fl_faults_config_aimed(&cfg)) /* the aimed kinds: merged in, apart */
        rc = fl_nemesis_aim(&cfg, nodes, seed, g.from_ns, g.to_ns, g.s);
    gen_close(&g);
    if (rc != 0) {
        fl_schedule_free(g.s);
        if (rc == FL_ELIMIT)
            snprintf(err, cap,
                     "faults: the schedule would exceed %d entries or %u partition cells "
                     "(%d nodes); lower the fault rates",
                     FL_SCHEDULE_MAX_ENTRIES, FL_SCHEDULE_MAX_CELLS, nodes);
        else
            snprintf(err, cap, "faults: out of memory generating the schedule");
        return rc;
    }
    *out = g.s;
    return 0;
}

/* ---- swarm ---- */

/* Rate factors num/den: 1/4, 1/2, 1, 2, 4. */
static const int64_t swarm_num[5] = {1, 1, 1, 2, 4}, swarm_den[5] = {4, 2, 1, 1, 1};

static void swarm_every(fl_rng *r, int64_t *every_ns)
{
    /* Always two draws, whether or not the kind is on, so kinds do not shift each other. */
    int on = fl_rng_below(r, 3) != 0; /* on in 2 seeds of 3 */
    int f = (int)fl_rng_below(r, 5);
    if (*every_ns <= 0)
        return;
    if (!on) {
        *every_ns = 0;
        return;
    }
    int64_t v = *every_ns / swarm_num[f];
    *every_ns = v > INT64_MAX / swarm_den[f] ? INT64_MAX : v * swarm_den[f];
    if (*every_ns < 1)
        *every_ns = 1;
}

static void swarm_prob(fl_rng *r, double *p)
{
    int on = fl_rng_below(r, 3) != 0;
    int f = (int)fl_rng_below(r, 5);
    if (*p <= 0)
        return;
    *p = on ? *p * (double)swarm_num[f] / (double)swarm_den[f] : 0.0;
    if (*p > 1)
        *p = 1;
}

void fl_faults_swarm(fl_faults_config *cfg, fl_net_faults *net, uint64_t seed)
{
    if (!cfg->swarm)
        return;
    fl_rng r;
    fl_rng_fork(&r, seed, "swarm", 0);
    swarm_every(&r, &cfg->partition_every_ns);
    swarm_every(&r, &cfg->crash_every_ns);
    swarm_every(&r, &cfg->timeout_every_ns);
    swarm_every(&r, &cfg->clock_every_ns);
    fl_net_faults dummy = {0};
    fl_net_faults *n = net ? net : &dummy;
    swarm_prob(&r, &n->drop);
    swarm_prob(&r, &n->duplicate);
    swarm_prob(&r, &n->spike);
    /* The aimed kinds draw after every plain kind, so they shift none of their draws. */
    swarm_every(&r, &cfg->leader_crash_every_ns);
    swarm_every(&r, &cfg->sync_crash_every_ns);
    swarm_every(&r, &cfg->leader_partition_every_ns);
    swarm_every(&r, &cfg->restart_partitioned_every_ns);
    swarm_every(&r, &cfg->storm_every_ns);
    cfg->swarm = 0;
}
