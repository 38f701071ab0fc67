/* test_raft_seed.c -- the seed document's harness as a script: tests/scripts/seed_000.json,
 * run on a cluster with the document's initial logs, reproduces its elections and etcd's
 * log lines. */
#include <check.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/run/script.h"

#include "check_main.h"
#include "raft_fixture.h"

/* ---- the seed document ---- */

static cJSON *load_json(const char *rel)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    snprintf(path, sizeof path, "%s/%s", dirname(dir), rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s: malformed JSON", path);
    return j;
}

START_TEST(test_raft_seed_script_reproduces_the_seed)
{
    cJSON *script = load_json("../scripts/seed_000.json");
    fl_world *w = scripted_world(3, "{\"initial\": {\"term\": 9, \"commit\": 10, "
                                    "\"log_terms\": [1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}");
    logcap lc;
    capture_logs(w, &lc);
    int outcome = fx_script_run(w, script);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s: %s", fl_world_violation(w)->check,
                  fl_world_violation(w)->detail);
    ASSERT_LEADER(w, 2, 11);
    for (int n = 1; n <= 3; n++) {
        ASSERT_COMMIT(w, n, 14);
        ASSERT_LAST(w, n, 14);
    }
    static const char *lines[] = {
        "replaying WAL of member 1",
        "loading WAL at term 0 and index 0",
        "1 became follower at term 9",
        "newRaft 1 [peers: [], term: 9, commit: 10, applied: 0, lastindex: 11, lastterm: 9]",
        "1 switched to configuration voters=(1 2 3)",
        "1 is starting a new election at term 9",
        "1 became candidate at term 10",
        "1 received MsgVoteResp from 1 at term 10",
        "1 [logterm: 9, index: 11] sent MsgVote request to 2 at term 10",
        "2 [term: 9] received a MsgVote message with higher term from 1 [term: 10]",
        "2 [logterm: 9, index: 11, vote: 0] cast MsgVote for 1 [logterm: 9, index: 11] at "
        "term 10",
        "1 has received 2 MsgVoteResp votes and 0 vote rejections",
        "1 became leader at term 10",
        "raft.node: 2 elected leader 1 at term 10",
        "3 [term: 9] received a MsgApp message with higher term from 1 [term: 10]",
        "2 is starting a new election at term 10",
        "3 [term: 10] received a MsgVote message with higher term from 2 [term: 11]",
        "3 [logterm: 10, index: 12, vote: 0] cast MsgVote for 2 [logterm: 10, index: 12] at "
        "term 11",
        "raft.node: 3 lost leader 1 at term 11",
        "2 became leader at term 11",
        "1 [term: 10] received a MsgApp message with higher term from 2 [term: 11]",
        "raft.node: 1 changed leader from 1 to 2 at term 11",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_msg(logged(&lc, lines[i]), "missing log line: %s", lines[i]);
    free(lc.text);
    free_world(w);
    cJSON_Delete(script);
}
END_TEST

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_seed");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_raft_seed_script_reproduces_the_seed);
    suite_add_tcase(s, basic);
    return s;
}

FL_CHECK_MAIN(fr_suite)
