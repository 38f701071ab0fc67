/*
 * fuzz_set.c -- fuzz target: `--set PATH=VALUE` overrides (sim/scenario_text.c), on a
 * scenario that has every section, a link and a script-free auto mode.
 *
 * The input is one override per line (at most FUZZ_SET_MAX, as many as the command
 * line takes; a trailing '\r' is part of the line, as a shell would pass it).  No run:
 * fuzz_scenario covers running what parses.  Whatever parses must have a canonical
 * form that reads back unchanged (fuzz_canon.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_canon.h"
#include "fuzz_target.h"
#include "sim/load.h"
#include "sim/run/scenario.h"

#define FUZZ_SET_MAX FL_LOAD_MAX_SETS

static const char base_scenario[] =
    "{\"name\": \"set-base\", \"protocol\": \"raft\", \"nodes\": 3,"
    " \"params\": {\"election_timeout\": \"150ms\", \"heartbeat\": \"50ms\", \"bugs\": []},"
    " \"network\": {\"latency\": {\"min\": \"1ms\", \"max\": \"10ms\"}, \"drop\": 0.01,"
    "   \"links\": [{\"from\": 1, \"to\": 2, \"latency\": {\"min\": \"20ms\", \"max\": "
    "\"40ms\"}}]},"
    " \"disk\": {\"sync\": {\"min\": \"1ms\", \"max\": \"5ms\"}},"
    " \"faults\": {\"window\": [\"1s\", \"20s\"], \"partition\": {\"every\": \"3s\"},"
    "   \"crash\": {\"every\": \"5s\"}},"
    " \"workload\": {\"every\": \"100ms\"},"
    " \"run\": {\"until\": \"30s\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size), err[512];
    const char *sets[FUZZ_SET_MAX];
    size_t n = 0;
    for (char *line = text; line != NULL && n < FUZZ_SET_MAX;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        sets[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    fl_scenario sc;
    if (fl_scenario_parse(&sc, base_scenario, sizeof base_scenario - 1, sets, n, err, sizeof err) ==
        0) {
        free(fuzz_canonical(&sc));
        fl_scenario_close(&sc);
    }
    free(text);
    return 0;
}
