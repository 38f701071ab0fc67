/* test_schedule.c -- fault schedules: generation from a seed (determinism, window,
 * crash/restart consistency, partition shapes, swarm), JSON writing and parsing, and
 * every schedule-file error message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "faults/schedule.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

static fl_faults_config busy_config(void)
{
    fl_faults_config c;
    memset(&c, 0, sizeof c);
    c.window_from_ns = 1 * SEC;
    c.window_to_ns = 20 * SEC;
    c.partition_every_ns = 2 * SEC;
    c.partition_duration_ns = 1 * SEC;
    c.partition_kinds = (1u << FL_PART_KIND_COUNT) - 1;
    c.crash_every_ns = 1 * SEC;
    c.crash_down_ns = 2 * SEC;
    c.unsynced = FL_UNSYNCED_LOSE;
    c.timeout_every_ns = 1 * SEC;
    strcpy(c.timeout_timer, "election");
    c.clock_every_ns = 3 * SEC;
    c.clock_max_ppm = 20000;
    return c;
}

static fl_schedule *gen(const fl_faults_config *c, int nodes, uint64_t seed)
{
    fl_schedule *s;
    char err[256];
    int rc = fl_schedule_generate(c, nodes, seed, 30 * SEC, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "seed %llu: %s", (unsigned long long)seed, err);
    return s;
}

static char *gen_text(const fl_faults_config *c, int nodes, uint64_t seed)
{
    fl_schedule *s = gen(c, nodes, seed);
    char *t = fl_schedule_to_text(s);
    fl_schedule_free(s);
    return t;
}

/* Parse text for a 3-node, 30 s run; returns the error code, message in err. */
static int parse3(const char *text, char *err, size_t cap)
{
    fl_schedule *s = NULL;
    int rc = fl_schedule_parse(text, strlen(text), 3, 30 * SEC, &s, err, cap);
    fl_schedule_free(s);
    return rc;
}

#define ASSERT_PARSE_ERROR(text, code, message)                                                    \
    do {                                                                                           \
        char err_[256] = "";                                                                       \
        ck_assert_int_eq(parse3(text, err_, sizeof err_), code);                                   \
        ck_assert_str_eq(err_, message);                                                           \
    } while (0)

START_TEST(test_schedule_same_seed_same_schedule)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 20; seed++) {
        char *a = gen_text(&c, 5, seed), *b = gen_text(&c, 5, seed);
        ck_assert_msg(strcmp(a, b) == 0, "seed %llu", (unsigned long long)seed);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_schedule_different_seeds_differ)
{
    fl_faults_config c = busy_config();
    char *a = gen_text(&c, 5, 1), *b = gen_text(&c, 5, 2);
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
}
END_TEST

/* Drop the entries of one kind from a schedule's text (one entry per line), and the
 * commas that end lines, so that the rest compares equal. */
static void strip_kind(char *text, const char *kind)
{
    char needle[64], *out = text;
    snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl); /* every line of the text ends with a newline */
        size_t len = (size_t)(nl - line);
        char *next = nl + 1;
        if (!memmem(line, len, needle, strlen(needle))) {
            if (len && line[len - 1] == ',')
                len--;
            memmove(out, line, len);
            out += len;
            *out++ = '\n';
        }
        line = next;
    }
    *out = '\0';
}

START_TEST(test_schedule_kinds_draw_from_independent_streams)
{
    /* Switching clock faults off must not move a single partition, crash or timeout. */
    fl_faults_config with = busy_config(), without = busy_config();
    without.clock_every_ns = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        char *a = gen_text(&with, 5, seed), *b = gen_text(&without, 5, seed);
        strip_kind(a, "clock");
        strip_kind(b, "clock");
        ck_assert_msg(strcmp(a, b) == 0, "seed %llu:\n%s\nvs\n%s", (unsigned long long)seed, a, b);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_schedule_every_fault_inside_window)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fl_schedule *s = gen(&c, 5, seed);
        ck_assert_uint_gt(fl_schedule_len(s), 10);
        for (size_t i = 0; i < fl_schedule_len(s); i++) {
            int64_t t = fl_schedule_entry(s, i)->at_ns;
            ck_assert_msg(t >= c.window_from_ns && t <= c.window_to_ns,
                          "seed %llu entry %zu at %lld", (unsigned long long)seed, i + 1,
                          (long long)t);
        }
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_window_end_heals_everything)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fl_schedule *s = gen(&c, 5, seed);
        int down[6] = {0}, drift[6] = {0}, part = 0;
        for (size_t i = 0; i < fl_schedule_len(s); i++) {
            const fl_fault *f = fl_schedule_entry(s, i);
            if (f->kind == FL_FAULT_PARTITION)
                part = 1;
            else if (f->kind == FL_FAULT_HEAL)
                part = 0;
            else if (f->kind == FL_FAULT_CRASH)
                down[f->node] = 1;
            else if (f->kind == FL_FAULT_RESTART)
                down[f->node] = 0;
            else if (f->kind == FL_FAULT_CLOCK)
                drift[f->node] = f->ppm;
        }
        ck_assert_int_eq(part, 0);
        for (int id = 1; id <= 5; id++)
            ck_assert_msg(!down[id] && !drift[id], "seed %llu node %d", (unsigned long long)seed,
                          id);
        ck_assert_int_eq(fl_schedule_quiet_since(s, c.window_to_ns), c.window_to_ns);
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_never_crashes_down_or_restarts_up)
{
    fl_faults_config c = busy_config();
    c.crash_every_ns = 200 * MS; /* several nodes down at once, often */
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fl_schedule *s = gen(&c, 3, seed);
        int down[4] = {0}, crashes = 0;
        for (size_t i = 0; i < fl_schedule_len(s); i++) {
            const fl_fault *f = fl_schedule_entry(s, i);
            if (f->kind == FL_FAULT_CRASH) {
                ck_assert_msg(!down[f->node], "seed %llu entry %zu", (unsigned long long)seed,
                              i + 1);
                down[f->node] = 1;
                crashes++;
            } else if (f->kind == FL_FAULT_RESTART) {
                ck_assert_msg(down[f->node], "seed %llu entry %zu", (unsigned long long)seed,
                              i + 1);
                down[f->node] = 0;
            } else if (f->kind == FL_FAULT_TIMEOUT) {
                ck_assert_msg(!down[f->node], "timeout on a down node: seed %llu",
                              (unsigned long long)seed);
            }
        }
        ck_assert_int_gt(crashes, 10);
        fl_schedule_free(s);
    }
}
END_TEST

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

START_TEST(test_schedule_text_round_trips)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 10; seed++) {
        char *a = gen_text(&c, 5, seed), err[256];
        fl_schedule *s;
        ck_assert_msg(fl_schedule_parse(a, strlen(a), 5, 30 * SEC, &s, err, sizeof err) == 0, "%s",
                      err);
        char *b = fl_schedule_to_text(s);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_text_shape)
{
    const char *in = "[{\"at\": \"1.2s\", \"kind\": \"crash\", \"node\": 2},\n"
                     " {\"at_ns\": 1500000000, \"kind\": \"restart\", \"node\": 2},\n"
                     " {\"at\": \"2s\", \"kind\": \"partition\", \"name\": \"bridge\",\n"
                     "  \"groups\": [[1,2],[3],[4,5]], \"allow\": [[0,1],[1,0],[2,1],[1,2]]},\n"
                     " {\"at\": \"3s\", \"kind\": \"heal\"},\n"
                     " {\"at\": \"4s\", \"kind\": \"timeout\", \"node\": 1},\n"
                     " {\"at\": \"4s\", \"kind\": \"timeout\", \"node\": 3, \"timer\": \"hb\"},\n"
                     " {\"at\": \"5s\", \"kind\": \"clock\", \"node\": 4, \"ppm\": -2500}]";
    const char *want = "[\n"
                       "{\"at_ns\":1200000000,\"kind\":\"crash\",\"node\":2},\n"
                       "{\"at_ns\":1500000000,\"kind\":\"restart\",\"node\":2},\n"
                       "{\"at_ns\":2000000000,\"kind\":\"partition\",\"name\":\"bridge\","
                       "\"groups\":[[1,2],[3],[4,5]],\"allow\":[[0,1],[1,0],[2,1],[1,2]]},\n"
                       "{\"at_ns\":3000000000,\"kind\":\"heal\"},\n"
                       "{\"at_ns\":4000000000,\"kind\":\"timeout\",\"node\":1},\n"
                       "{\"at_ns\":4000000000,\"kind\":\"timeout\",\"node\":3,\"timer\":\"hb\"},\n"
                       "{\"at_ns\":5000000000,\"kind\":\"clock\",\"node\":4,\"ppm\":-2500}\n"
                       "]\n";
    fl_schedule *s;
    char err[256];
    ck_assert_msg(fl_schedule_parse(in, strlen(in), 5, 30 * SEC, &s, err, sizeof err) == 0, "%s",
                  err);
    char *out = fl_schedule_to_text(s);
    ck_assert_str_eq(out, want);
    free(out);
    out = fl_schedule_entry_text(s, 3);
    ck_assert_str_eq(out, "{\"at_ns\":3000000000,\"kind\":\"heal\"}");
    free(out);
    const fl_partition *p = fl_schedule_entry(s, 2)->part;
    ck_assert(!fl_partition_cuts(p, 1, 3) && !fl_partition_cuts(p, 5, 3));
    ck_assert(fl_partition_cuts(p, 1, 4) && fl_partition_cuts(p, 5, 2));
    ck_assert(!fl_partition_cuts(p, 1, 2));
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_empty_is_valid)
{
    fl_schedule *s;
    char err[64];
    ck_assert_int_eq(fl_schedule_parse(" [ ] \n", 6, 3, SEC, &s, err, sizeof err), 0);
    ck_assert_uint_eq(fl_schedule_len(s), 0);
    char *t = fl_schedule_to_text(s);
    ck_assert_str_eq(t, "[]\n");
    ck_assert_int_eq(fl_schedule_quiet_since(s, 5), 5);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 0), -1);
    free(t);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_quiet_since_needs_everything_healed)
{
    fl_schedule *s;
    char err[64];
    const char *t = "[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1}]";
    ck_assert_int_eq(fl_schedule_parse(t, strlen(t), 3, 30 * SEC, &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 2 * SEC), -1);
    fl_schedule_free(s);
    t = "[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1},{\"at\":\"5s\",\"kind\":\"restart\","
        "\"node\":1}]";
    ck_assert_int_eq(fl_schedule_parse(t, strlen(t), 3, 30 * SEC, &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 2 * SEC), 5 * SEC);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 9 * SEC), 9 * SEC);
    fl_schedule_free(s);
}
END_TEST

START_TEST(test_schedule_error_unknown_kind)
{
    ASSERT_PARSE_ERROR("[{\"at_ns\":0,\"kind\":\"explode\"}]", FL_EINVAL,
                       "schedule[1].kind: unknown kind \"explode\" (expected partition, heal, "
                       "crash, restart, timeout or clock)");
}
END_TEST

START_TEST(test_schedule_error_node_out_of_range)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":2},"
                       "{\"at\":\"2s\",\"kind\":\"restart\",\"node\":2},"
                       "{\"at\":\"3s\",\"kind\":\"crash\",\"node\":7}]",
                       FL_EINVAL, "schedule[3].node: expected a node id in [1,3], got 7");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"timeout\",\"node\":\"1\"}]", FL_EINVAL,
                       "schedule[1].node: expected a node id in [1,3], got \"1\"");
}
END_TEST

START_TEST(test_schedule_error_time_outside_run)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"40s\",\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at: expected a time within the run [0,30000000000] ns, "
                       "got 40000000000");
    ASSERT_PARSE_ERROR("[{\"at_ns\":-5,\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at_ns: expected a time within the run [0,30000000000] ns, "
                       "got -5");
    ASSERT_PARSE_ERROR("[{\"at_ns\":1.5,\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at_ns: expected an integer number of nanoseconds, got 1.5");
    ASSERT_PARSE_ERROR("[{\"at\":\"soon\",\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at: expected a duration such as \"1.2s\", got \"soon\"");
    ASSERT_PARSE_ERROR("[{\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1]: missing \"at_ns\" (or \"at\": a duration such as \"1.2s\")");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"at_ns\":1,\"kind\":\"heal\"}]", FL_EINVAL,
                       "schedule[1].at: give either \"at\" or \"at_ns\", not both");
}
END_TEST

START_TEST(test_schedule_error_out_of_order)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"2s\",\"kind\":\"heal\"},{\"at\":\"1s\",\"kind\":\"heal\"}]",
                       FL_EINVAL,
                       "schedule[2].at: entries must be in time order: 1000000000 ns is before "
                       "the previous entry's 2000000000 ns");
}
END_TEST

START_TEST(test_schedule_error_restart_of_up_node)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"restart\",\"node\":2}]", FL_EINVAL,
                       "schedule[1].node: node 2 is up; only a crashed node can restart");
}
END_TEST

START_TEST(test_schedule_error_crash_of_down_node)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":2},"
                       "{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1},"
                       "{\"at\":\"2s\",\"kind\":\"crash\",\"node\":2}]",
                       FL_EINVAL,
                       "schedule[3].node: node 2 is already down (crashed by "
                       "schedule[1])");
}
END_TEST

START_TEST(test_schedule_error_malformed_json)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\n \"kind\": heal}]", FL_EPARSE,
                       "schedule: malformed JSON at line 2, column 10");
    ASSERT_PARSE_ERROR("[] x", FL_EPARSE,
                       "schedule: unexpected text after the JSON at line 1, column 4");
    ASSERT_PARSE_ERROR("", FL_EPARSE, "schedule: malformed JSON at line 1, column 1");
    ASSERT_PARSE_ERROR("{\"at\":\"1s\"}", FL_EINVAL,
                       "schedule: expected a JSON array of fault entries");
    ASSERT_PARSE_ERROR("[3]", FL_EINVAL, "schedule[1]: expected an object, got 3");
}
END_TEST

START_TEST(test_schedule_error_unknown_key)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1,\"why\":\"x\"}]", FL_EINVAL,
                       "schedule[1].why: unknown key for a crash entry");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"heal\",\"node\":1}]", FL_EINVAL,
                       "schedule[1].node: unknown key for a heal entry");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"crash\",\"node\":1,\"node\":2}]", FL_EINVAL,
                       "schedule[1].node: duplicate key");
}
END_TEST

START_TEST(test_schedule_error_groups_must_cover_every_node_once)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1],[2]]}]", FL_EINVAL,
                       "schedule[1].groups: node 3 is in no group (every node must be in "
                       "exactly one)");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1,2],[2,3]]}]",
                       FL_EINVAL, "schedule[1].groups[1][0]: node 2 is already in groups[0]");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1,2,3],[]]}]",
                       FL_EINVAL,
                       "schedule[1].groups[1]: expected a non-empty array of node ids, got []");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1,2],[3,4]]}]",
                       FL_EINVAL, "schedule[1].groups[1][1]: expected a node id in [1,3], got 4");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\"}]", FL_EINVAL,
                       "schedule[1].groups: expected a non-empty array of groups (arrays of "
                       "node ids)");
}
END_TEST

START_TEST(test_schedule_error_allow_out_of_range)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1],[2,3]],"
                       "\"allow\":[[0,1],[1,2]]}]",
                       FL_EINVAL,
                       "schedule[1].allow[1][1]: expected a group index in [0,1], "
                       "got 2");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"groups\":[[1],[2,3]],"
                       "\"allow\":[[0,1,1]]}]",
                       FL_EINVAL,
                       "schedule[1].allow[0]: expected a pair [from, to] of group "
                       "indexes, got [0,1,1]");
}
END_TEST

START_TEST(test_schedule_error_bad_names_and_drift)
{
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"partition\",\"name\":\"a b\","
                       "\"groups\":[[1,2,3]]}]",
                       FL_EINVAL,
                       "schedule[1].name: expected a name of 1-31 letters, digits, "
                       "'_', '-' or '.', got \"a b\"");
    ASSERT_PARSE_ERROR("[{\"at\":\"1s\",\"kind\":\"clock\",\"node\":1,\"ppm\":900000}]", FL_EINVAL,
                       "schedule[1].ppm: expected a drift in [-500000,500000] ppm, got 900000");
}
END_TEST

START_TEST(test_schedule_swarm_varies_kinds_by_seed)
{
    fl_faults_config c = busy_config();
    c.swarm = 1;
    int with_crash = 0, with_clock = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        fl_schedule *s = gen(&c, 5, seed);
        uint64_t n[FL_FAULT_KIND_COUNT];
        fl_schedule_count(s, n);
        with_crash += n[FL_FAULT_CRASH] > 0;
        with_clock += n[FL_FAULT_CLOCK] > 0;
        fl_schedule_free(s);
        char *a = gen_text(&c, 5, seed), *b = gen_text(&c, 5, seed);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    /* on in about 2 seeds of 3: clearly some on and some off */
    ck_assert_int_gt(with_crash, 25);
    ck_assert_int_lt(with_crash, 55);
    ck_assert_int_gt(with_clock, 25);
    ck_assert_int_lt(with_clock, 55);
    /* the caller's config is never changed */
    ck_assert_int_eq(c.swarm, 1);
}
END_TEST

START_TEST(test_schedule_swarm_keeps_off_kinds_off)
{
    fl_faults_config c;
    memset(&c, 0, sizeof c);
    c.swarm = 1;
    c.crash_every_ns = SEC;
    c.crash_down_ns = SEC;
    fl_net_faults net = {.drop = 0.0, .duplicate = 0.5};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        fl_faults_config x = c;
        fl_net_faults y = net;
        fl_faults_swarm(&x, &y, seed);
        ck_assert_int_eq(x.swarm, 0);
        ck_assert_int_eq(x.partition_every_ns, 0);
        ck_assert(y.drop == 0.0);
        ck_assert(y.duplicate >= 0.0 && y.duplicate <= 1.0);
    }
}
END_TEST

START_TEST(test_schedule_runaway_rates_are_a_limit)
{
    fl_faults_config c = busy_config();
    c.timeout_every_ns = 1; /* a timeout every nanosecond */
    fl_schedule *s;
    char err[256];
    ck_assert_int_eq(fl_schedule_generate(&c, 3, 1, 30 * SEC, &s, err, sizeof err), FL_ELIMIT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "lower the fault rates"));
}
END_TEST

START_TEST(test_schedule_no_window_means_the_whole_run)
{
    fl_faults_config c = busy_config();
    c.window_from_ns = 0;
    c.window_to_ns = 0;
    fl_schedule *s = gen(&c, 3, 7);
    int64_t last = 0;
    for (size_t i = 0; i < fl_schedule_len(s); i++)
        last = fl_schedule_entry(s, i)->at_ns;
    ck_assert_int_gt(last, 25 * SEC);
    ck_assert_int_lt(last, 30 * SEC);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 0), -1);
    fl_schedule_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("generate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schedule_same_seed_same_schedule);
    tcase_add_test(tc, test_schedule_different_seeds_differ);
    tcase_add_test(tc, test_schedule_kinds_draw_from_independent_streams);
    tcase_add_test(tc, test_schedule_every_fault_inside_window);
    tcase_add_test(tc, test_schedule_window_end_heals_everything);
    tcase_add_test(tc, test_schedule_never_crashes_down_or_restarts_up);
    tcase_add_test(tc, test_schedule_partition_shapes);
    tcase_add_test(tc, test_schedule_partition_kinds_need_enough_nodes);
    tcase_add_test(tc, test_schedule_swarm_varies_kinds_by_seed);
    tcase_add_test(tc, test_schedule_swarm_keeps_off_kinds_off);
    tcase_add_test(tc, test_schedule_runaway_rates_are_a_limit);
    tcase_add_test(tc, test_schedule_no_window_means_the_whole_run);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, test_schedule_text_round_trips);
    tcase_add_test(tc, test_schedule_text_shape);
    tcase_add_test(tc, test_schedule_empty_is_valid);
    tcase_add_test(tc, test_schedule_quiet_since_needs_everything_healed);
    tcase_add_test(tc, test_schedule_error_unknown_kind);
    tcase_add_test(tc, test_schedule_error_node_out_of_range);
    tcase_add_test(tc, test_schedule_error_time_outside_run);
    tcase_add_test(tc, test_schedule_error_out_of_order);
    tcase_add_test(tc, test_schedule_error_restart_of_up_node);
    tcase_add_test(tc, test_schedule_error_crash_of_down_node);
    tcase_add_test(tc, test_schedule_error_malformed_json);
    tcase_add_test(tc, test_schedule_error_unknown_key);
    tcase_add_test(tc, test_schedule_error_groups_must_cover_every_node_once);
    tcase_add_test(tc, test_schedule_error_allow_out_of_range);
    tcase_add_test(tc, test_schedule_error_bad_names_and_drift);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
