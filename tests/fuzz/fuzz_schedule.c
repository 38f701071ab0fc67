/*
 * fuzz_schedule.c -- fuzz target: schedule files (faults/schedule_json.c), the schedule
 * writer, then a short run with the schedule as `--schedule FILE`.
 *
 * The input is read for a cluster of 3 nodes and, when that fails, of 5 (the shipped
 * schedules are 3-node raft-chaos ones; the docs' examples have 5 nodes), over
 * run.until = 30s.  Every schedule that parses must write out as text that parses back
 * to the same text (schedule.h: "Parsing it back gives the same schedule").
 *
 * The run is raft-chaos (sim/scenarios/raft-chaos.json) with a slower workload and
 * run.max_steps = 3000: that reaches about 25 s of virtual time in a few milliseconds,
 * so most of a 30 s schedule takes effect.  The seed comes from the input's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "faults/schedule.h"
#include "fuzz_run.h"
#include "fuzz_target.h"
#include "sim/run/scenario.h"

#define SEC ((int64_t)1000000000)
#define FUZZ_UNTIL_NS (30 * SEC)

static const char base_scenario[] =
    "{\"protocol\": \"raft\","
    " \"params\": {\"election_timeout\": \"150ms\", \"heartbeat\": \"50ms\"},"
    " \"network\": {\"drop\": 0.02, \"duplicate\": 0.01, \"spike\": 0.02},"
    " \"faults\": {\"window\": [\"500ms\", \"20s\"]},"
    " \"workload\": {\"every\": \"500ms\"},"
    " \"run\": {\"until\": \"30s\", \"max_steps\": 3000, \"liveness\": \"10s\"}}";

/* The schedule must survive writing and reading back. */
static void check_round_trip(const fl_schedule *s, int nodes)
{
    char *text = fl_schedule_to_text(s), err[512] = "";
    FUZZ_CHECK(text != NULL, "out of memory writing a schedule");
    fl_schedule *again = NULL;
    int rc = fl_schedule_parse(text, strlen(text), nodes, FUZZ_UNTIL_NS, &again, err, sizeof err);
    FUZZ_CHECK(rc == 0, "a written schedule does not parse: %s\n%s", err, text);
    FUZZ_CHECK(fl_schedule_len(again) == fl_schedule_len(s), "entries: %zu, read back %zu",
               fl_schedule_len(s), fl_schedule_len(again));
    char *text2 = fl_schedule_to_text(again);
    FUZZ_CHECK(text2 != NULL, "out of memory writing a schedule");
    FUZZ_CHECK(strcmp(text, text2) == 0, "a schedule changes when read back:\n%s\n%s", text, text2);
    free(text2);
    free(text);
    fl_schedule_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int cluster[] = {3, 5};
    const char *text = (const char *)data;
    char err[512];
    fl_schedule *s = NULL;
    int nodes = 0;
    for (size_t i = 0; i < 2 && s == NULL; i++)
        if (fl_schedule_parse(text, size, cluster[i], FUZZ_UNTIL_NS, &s, err, sizeof err) == 0)
            nodes = cluster[i];
    if (s == NULL)
        return 0;
    check_round_trip(s, nodes);
    fl_schedule_free(s);

    fl_scenario sc;
    char set[32];
    snprintf(set, sizeof set, "nodes=%d", nodes);
    const char *sets[] = {set};
    int rc =
        fl_scenario_parse(&sc, base_scenario, sizeof base_scenario - 1, sets, 1, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the base scenario does not parse: %s", err);
    fuzz_run(&sc, text, size, fl_digest_bytes(FL_DIGEST_INIT, data, size));
    fl_scenario_close(&sc);
    return 0;
}
