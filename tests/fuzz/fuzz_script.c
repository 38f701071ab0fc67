/*
 * fuzz_script.c -- fuzz target: scripts (sim/script.c, scripted mode), given as
 * `--schedule FILE` would give them, run on the seed document's cluster
 * (sim/scenarios/raft-seed.json: 3 Raft nodes replaying a log at term 9), so that the
 * shipped script tests/scripts/seed_000.json runs to its end.
 *
 * Clamp: run.max_steps = 2000.  A script's steps are its acting entries plus the
 * deliveries of its stabilize entries (up to 100000 each), and every one of them counts
 * against max_steps, so 2000 bounds the run whatever the script says; an expect is no
 * step, but costs one snapshot and the input's size bounds how many there are.
 */
#include "core/digest.h"
#include "fuzz_run.h"
#include "fuzz_target.h"
#include "sim/run/scenario.h"

static const char base_scenario[] =
    "{\"name\": \"raft-seed-000\", \"protocol\": \"raft\", \"nodes\": 3,"
    " \"params\": {\"election_timeout\": \"150ms\", \"heartbeat\": \"50ms\","
    "   \"initial\": {\"term\": 9, \"commit\": 10,"
    "                 \"log_terms\": [1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]}},"
    " \"network\": {\"mode\": \"scripted\"},"
    " \"run\": {\"max_steps\": 2000}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fl_scenario sc;
    char err[512];
    int rc =
        fl_scenario_parse(&sc, base_scenario, sizeof base_scenario - 1, NULL, 0, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the base scenario does not parse: %s", err);
    fuzz_run(&sc, (const char *)data, size, fl_digest_bytes(FL_DIGEST_INIT, data, size));
    fl_scenario_close(&sc);
    return 0;
}
