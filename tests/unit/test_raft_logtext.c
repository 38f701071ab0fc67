/* test_raft_logtext.c -- the snapshot's log text is cached between snapshots and cut
 * back when the log is; after every step of chaotic runs (with conflicting suffixes
 * cut) the cached text must equal a text rebuilt from nothing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/jsonout.h"
#include "raft_chaos.h"
#include "raft_fixture.h"

typedef struct watch {
    fl_world *w;
    uint64_t compared, cuts;
    uint64_t last[CHAOS_MAX_NODES + 1];
    int64_t started[CHAOS_MAX_NODES + 1];
} watch;

static char *snapshot_text(fl_world *w, int node)
{
    cJSON *j = fl_world_snapshot_raw(w, node);
    char *t = j ? fl_json_print(j) : NULL;
    cJSON_Delete(j);
    return t;
}

/* A test sink that reads the world's state: allowed here (a test), never in a real
 * sink. */
static int on_step_end(void *ctx, const fl_record *r)
{
    watch *wt = ctx;
    const fl_rec_step *si = &r->u.step;
    struct fr_state *s = (struct fr_state *)fl_cluster_state(fl_world_cluster(wt->w), si->node);
    if (!s)
        return 0;
    char *cached = snapshot_text(wt->w, si->node);
    fr_logtext_free(s); /* only a cache: the next snapshot rebuilds it from the log */
    char *fresh = snapshot_text(wt->w, si->node);
    ck_assert_str_eq(cached, fresh);
    free(cached);
    free(fresh);
    /* a shorter log in the same incarnation: a conflicting suffix was cut */
    wt->cuts += s->started_ns == wt->started[si->node] && s->last < wt->last[si->node];
    wt->last[si->node] = s->last;
    wt->started[si->node] = s->started_ns;
    wt->compared++;
    return 0;
}

START_TEST(test_raft_logtext_cache_equals_a_rebuild_after_every_step)
{
    uint64_t cuts = 0, compared = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        opts o = {.nodes = 3, .unsynced = FL_UNSYNCED_LOSE, .until_ns = 4 * FL_S};
        fl_world *w = make_world(seed, &o);
        chaos *c = calloc(1, sizeof *c);
        fl_rng_fork(&c->rng, seed, "test-chaos", 0);
        c->n = 3;
        c->from_ns = 300 * FL_MS;
        c->to_ns = 3 * FL_S;
        c->heavy = 1;
        c->drop = 0.05, c->dup = 0.02, c->delay = 0.05;
        fl_netpolicy p = {.ctx = c, .on_send = chaos_send, .on_deliver = chaos_deliver};
        fl_world_set_policy(w, &p);
        chaos_schedule(c, w);
        ck_assert_int_eq(fl_workload_install(&c->wl, w, seed, 20 * FL_MS, 0, NULL, 0), 0);
        watch wt = {.w = w};
        fx_add_sink(w, FL_REC_BIT(FL_REC_STEP_END), &wt, on_step_end);
        fl_world_run(w);
        cuts += wt.cuts;
        compared += wt.compared;
        free_world(w);
        free(c);
    }
    ck_assert_uint_gt(compared, 10000);
    /* leader changes under partitions make followers cut conflicting suffixes */
    ck_assert_uint_gt(cuts, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("raft_logtext");
    TCase *tc = tcase_create("cache");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_raft_logtext_cache_equals_a_rebuild_after_every_step);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
