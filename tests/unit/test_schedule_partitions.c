/* test_schedule_partitions.c -- the shapes of generated partitions (isolate, halves,
 * oneway, bridge, ring) and the kinds left out when the cluster is too small for them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "schedule_fixture.h"

static const fl_partition *only_partition(int kind, int nodes, uint64_t seed)
{
    static fl_schedule *keep; /* freed on the next call: the test reads one at a time */
    fl_schedule_free(keep);
    fl_faults_config c;
    memset(&c, 0, sizeof c);
    c.window_from_ns = 0;
    c.window_to_ns = 10 * SEC;
    c.partition_every_ns = 1 * SEC;
    c.partition_duration_ns = 100 * MS;
    c.partition_kinds = 1u << kind;
    keep = gen(&c, nodes, seed);
    for (size_t i = 0; i < fl_schedule_len(keep); i++)
        if (fl_schedule_entry(keep, i)->kind == FL_FAULT_PARTITION)
            return fl_schedule_entry(keep, i)->part;
    return NULL;
}

static int group_size(const fl_partition *p, int g)
{
    int n = 0;
    for (int id = 1; id <= p->nodes; id++)
        n += p->group_of[id] == g;
    return n;
}

static int reachable_from(const fl_partition *p, int src)
{
    int n = 0;
    for (int dst = 1; dst <= p->nodes; dst++)
        n += dst != src && !fl_partition_cuts(p, src, dst);
    return n;
}

START_TEST(test_schedule_partition_shapes)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        const fl_partition *p = only_partition(FL_PART_ISOLATE, 5, seed);
        ck_assert_str_eq(p->name, "isolate");
        ck_assert_int_eq(p->ngroups, 2);
        ck_assert_int_eq(group_size(p, 0), 1);
        ck_assert_uint_eq(p->nallow, 0);

        p = only_partition(FL_PART_HALVES, 5, seed);
        ck_assert_int_eq(p->ngroups, 2);
        ck_assert_int_eq(group_size(p, 0), 2);
        ck_assert_int_eq(group_size(p, 1), 3);

        p = only_partition(FL_PART_ONEWAY, 5, seed);
        ck_assert_uint_eq(p->nallow, 1);
        for (int a = 1; a <= 5; a++)
            for (int b = 1; b <= 5; b++)
                if (p->group_of[a] == 0 && p->group_of[b] == 1) {
                    ck_assert(!fl_partition_cuts(p, a, b)); /* small side reaches big one */
                    ck_assert(fl_partition_cuts(p, b, a));  /* but not back */
                }

        p = only_partition(FL_PART_BRIDGE, 5, seed);
        ck_assert_int_eq(p->ngroups, 3);
        ck_assert_int_eq(group_size(p, 1), 1);
        for (int id = 1; id <= 5; id++)
            ck_assert_int_eq(reachable_from(p, id), p->group_of[id] == 1 ? 4 : 2);

        p = only_partition(FL_PART_RING, 6, seed);
        ck_assert_int_eq(p->ngroups, 6);
        ck_assert_uint_eq(p->nallow, 12);
        for (int id = 1; id <= 6; id++)
            ck_assert_int_eq(reachable_from(p, id), 2);
    }
    only_partition(FL_PART_ISOLATE, 2, 1); /* frees the last one kept */
}
END_TEST

START_TEST(test_schedule_partition_kinds_need_enough_nodes)
{
    /* A ring of 3 cuts nothing and a bridge needs 3 nodes: neither is scheduled. */
    ck_assert_ptr_null(only_partition(FL_PART_RING, 3, 1));
    ck_assert_ptr_null(only_partition(FL_PART_BRIDGE, 2, 1));
    ck_assert_ptr_nonnull(only_partition(FL_PART_HALVES, 2, 1));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule_partitions");
    TCase *tc = tcase_create("generate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schedule_partition_shapes);
    tcase_add_test(tc, test_schedule_partition_kinds_need_enough_nodes);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
